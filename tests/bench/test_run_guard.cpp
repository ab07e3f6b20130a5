// The benchmarks' shared run wrapper (benchmarks/common/run_guard.hpp), through the real
// registration path (bench::add_run): a run that throws — inside its timed loop, before it, with
// a non-std exception, or after reporting its own error — becomes that run's error entry, once,
// and the runs registered after it still run and report their counters.
#include <benchmark/benchmark.h>
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_common.hpp"

namespace {

struct Seen {
  bool error = false;
  std::string message;
  std::map<std::string, double> counters;
};

// Collects what Google Benchmark reports for each run.
class Collect : public benchmark::BenchmarkReporter {
 public:
  std::map<std::string, Seen> runs;
  std::vector<std::string> order;
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& rs) override {
    for (const Run& r : rs) {
      Seen s;
      s.error = r.error_occurred;
      s.message = r.error_message;
      for (const auto& [k, c] : r.counters) s.counters[k] = c.value;
      const std::string name = r.benchmark_name();
      order.push_back(name.substr(0, name.find("/iterations")));
      runs[order.back()] = s;
    }
  }
};

TEST(RunGuard, AThrowingRunBecomesItsErrorAndTheNextRunsStillRun) {
  using isobench::bench::add_run;
  add_run("T/throws_in_loop", [](benchmark::State& state) {
    for (auto _ : state) {
      state.counters["partial"] = 1;
      throw std::runtime_error("LAPACK dgesdd failed at step 3");
    }
  });
  add_run("T/throws_before_loop", [](benchmark::State&) { throw 42; });
  add_run("T/reports_then_throws", [](benchmark::State& state) {
    state.SkipWithError("its own message");
    throw std::runtime_error("a second failure");
  });
  add_run("T/fine", [](benchmark::State& state) {
    for (auto _ : state) state.counters["x"] = 7;
  });
  for (auto& r : isobench::bench::detail::registry()) {
    auto* b = benchmark::RegisterBenchmark(r.name.c_str(), r.fn);
    if (r.configure) r.configure(b);
  }
  Collect rep;
  benchmark::RunSpecifiedBenchmarks(&rep);

  ASSERT_EQ(rep.order, (std::vector<std::string>{"T/throws_in_loop", "T/throws_before_loop",
                                                 "T/reports_then_throws", "T/fine"}));
  EXPECT_TRUE(rep.runs["T/throws_in_loop"].error);
  EXPECT_EQ(rep.runs["T/throws_in_loop"].message, "the run failed: LAPACK dgesdd failed at step 3");
  EXPECT_TRUE(rep.runs["T/throws_before_loop"].error);
  EXPECT_EQ(rep.runs["T/throws_before_loop"].message,
            "the run failed: an exception that is not a std::exception");
  EXPECT_TRUE(rep.runs["T/reports_then_throws"].error);
  EXPECT_EQ(rep.runs["T/reports_then_throws"].message, "its own message");  // once
  EXPECT_FALSE(rep.runs["T/fine"].error);
  EXPECT_EQ(rep.runs["T/fine"].counters["x"], 7);
}

}  // namespace

// Own main: the library's bench_main.cpp has the benchmarks' main(), gtest_main is not linked.
int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  benchmark::Initialize(&argc, argv);
  return RUN_ALL_TESTS();
}
