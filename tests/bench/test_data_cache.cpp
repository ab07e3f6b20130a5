// The families' shared data cache (benchmarks/common/data_cache.hpp): one entry per key, built
// once; a failed build stores nothing (the next run tries again and reports the same error);
// cached_split loads a split once per SplitKey, notes it once in $ISOBENCH_OUT/datasets.jsonl
// (with SEED's cap note when asked), and tells keys that differ in any field apart.
#include <benchmark/benchmark.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "data_cache.hpp"

namespace {

using isobench::bench::cached;
using isobench::bench::cached_split;
using isobench::bench::SplitKey;
namespace fs = std::filesystem;

struct Value {
  int v;
};

TEST(DataCache, BuildsOncePerKey) {
  int builds = 0;
  auto make = [&] { return Value{++builds}; };
  const Value& a = cached<Value>(std::make_tuple(1, 2), make);
  const Value& b = cached<Value>(std::make_tuple(1, 2), make);
  const Value& c = cached<Value>(std::make_tuple(1, 3), make);
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
  EXPECT_EQ(a.v, 1);
  EXPECT_EQ(c.v, 2);
  EXPECT_EQ(builds, 2);
}

TEST(DataCache, FailedBuildIsNotStored) {
  int calls = 0;
  auto failing = [&]() -> Value {
    ++calls;
    throw std::runtime_error("file x.gz is truncated");
  };
  EXPECT_THROW(cached<Value>(std::string("k"), failing), std::runtime_error);
  EXPECT_THROW(cached<Value>(std::string("k"), failing), std::runtime_error);
  EXPECT_EQ(calls, 2);  // tried again, not a cached failure
  const Value& v = cached<Value>(std::string("k"), [] { return Value{7}; });
  EXPECT_EQ(v.v, 7);
}

// ISOBENCH_OUT in a scratch directory for the datasets.jsonl lines.
class SplitCache : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* data = std::getenv("ISOBENCH_DATA_DIR");
    if (!data || !fs::exists(fs::path(data) / "mnist"))
      GTEST_SKIP() << "needs ISOBENCH_DATA_DIR with mnist (ctest pins ../shared/data)";
    out_ = fs::temp_directory_path() /
           ("isobench_data_cache_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(out_);
    fs::create_directories(out_);
    ::setenv("ISOBENCH_OUT", out_.c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("ISOBENCH_OUT");
    std::error_code ec;
    fs::remove_all(out_, ec);
  }
  std::vector<nlohmann::json> notes() const {
    std::vector<nlohmann::json> out;
    std::ifstream f(out_ / "datasets.jsonl");
    for (std::string line; std::getline(f, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }
  fs::path out_;
};

TEST_F(SplitCache, LoadsAndNotesOncePerKey) {
  const SplitKey key{"mnist", 0.2, 0, 300};
  const isobench::DataSplit& a = cached_split(key);
  const isobench::DataSplit& b = cached_split(key);
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(a.train.n, 300);
  ASSERT_EQ(notes().size(), 1u);
  EXPECT_EQ(notes()[0]["dataset"], "mnist");
  EXPECT_EQ(notes()[0]["files"], a.description);  // no cap note unless asked

  // Any field of the key makes another split: the cap, standardization, the split seed.
  const isobench::DataSplit& c = cached_split({"mnist", 0.2, 0, 200});
  const isobench::DataSplit& d =
      cached_split({"mnist", 0.2, 0, 300, isobench::Standardize::Global});
  const isobench::DataSplit& e = cached_split({"mnist", 0.2, 1, 300});
  EXPECT_EQ(c.train.n, 200);
  EXPECT_NE(&d, &a);
  EXPECT_NE(&e, &a);
  EXPECT_EQ(notes().size(), 4u);
  // Global standardization: the training pixels have mean 0; unstandardized they are ≥ 0.
  auto mean = [](const isobench::Dataset& t) {
    double sum = 0;
    for (int i = 0; i < t.n; ++i)
      for (int j = 0; j < t.dim(); ++j) sum += t.sample(i)[j];
    return sum / (static_cast<double>(t.n) * t.dim());
  };
  EXPECT_NEAR(mean(d.train), 0.0, 1e-4);
  EXPECT_GT(mean(a.train), 0.05);
}

TEST_F(SplitCache, CapNoteSaysHowManySamplesWereUsed) {
  const isobench::DataSplit& s =
      cached_split({"mnist", 0.2, 0, 250, isobench::Standardize::None, "SEED quick profile"});
  ASSERT_EQ(notes().size(), 1u);
  EXPECT_EQ(notes()[0]["files"],
            s.description + "; SEED quick profile: at most 250 training samples (250 used)");
}

TEST_F(SplitCache, UnknownDatasetThrowsEveryTime) {
  EXPECT_THROW(cached_split({"no-such-set", 0.2, 0}), std::exception);
  EXPECT_THROW(cached_split({"no-such-set", 0.2, 0}), std::exception);
  EXPECT_TRUE(notes().empty());
}

}  // namespace

// Own main: the library's bench_main.cpp has the benchmarks' main(), gtest_main is not linked.
int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
