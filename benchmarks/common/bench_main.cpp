// The shared main() of every benchmark family binary.
//
// Extra flags (removed before Google Benchmark sees the arguments):
//   --isobench_shard=I/K     keep the runs whose name hash % K == I (I from 0). Google Benchmark's
//                            --benchmark_filter is applied to what remains; since a run's shard
//                            depends only on its name, filtering then sharding gives the same set.
//   --isobench_runlog=PATH   append every finished run to PATH as one JSON line, flushed as soon
//                            as the run is reported, so a killed process loses only the run it
//                            was in. Each process first appends a {"context": {...}} line (Google
//                            Benchmark's context). Run lines carry Google Benchmark's JSON fields:
//                            name, run_name, run_type, repetitions, repetition_index, threads,
//                            [aggregate_name, aggregate_unit], [error_occurred, error_message],
//                            iterations, real_time, cpu_time, time_unit, every counter, [label];
//                            a non-finite number is written as the string "NaN", "Infinity" or
//                            "-Infinity" (strict JSON; sweep/isobench_sweep/merge_runs.py turns it
//                            back). --benchmark_out still gets the usual JSON file (it must be
//                            JSON; without --benchmark_out it goes to /dev/null).
//   --isobench_filter=REGEX  keep the runs whose name (as docs/CONTRACT.md writes it, without
//                            Google Benchmark's "/iterations:1") contains a match of the POSIX
//                            extended REGEX — what `isobench bench --filter` passes; a bad REGEX
//                            is an error.
//   --isobench_resume        with --isobench_runlog: runs that PATH already records without an
//                            error are not registered (so --benchmark_list_tests lists what is
//                            left); failed runs, and runs whose record carries "write_errors",
//                            are run again — a run with a checkpoint from it (checkpoints.hpp).
//   --isobench_skip=NAME     (repeatable) do not register the run NAME: the driver restarts a
//                            crashed binary with the run that crashed it skipped.
//   --isobench_run=NAME      (repeatable) register only the runs named (still in registration
//                            order, still subject to the other flags): `isobench bench --jobs N`
//                            hands each process its part of the selection. A NAME that the binary
//                            does not have is an error (exit 2).
//   --isobench_quiet         print no context banner, no table and no training progress: only a
//                            line per failed run on stdout ("NAME ERROR OCCURRED: 'message'") and
//                            errors on stderr — for processes whose output the driver collects
//                            and shows after they end (--jobs N > 1); results are in the run log.
//
// Environment: ISOBENCH_JOBS (the sweep's --jobs, recorded as the context's "jobs"; "1" when
// unset), ISOBENCH_LIST_PROFILE=quick|paper (list the other profile's grid; listing only, see
// bench_common.hpp).
//
// Write errors (write_errors.hpp): an output that could not be written is printed to stderr, is
// listed in the run's log line as "write_errors": [{"path", "reason"}], and makes the process
// exit 3 after its runs. Failures of the run log itself (which no run line can carry) are
// appended to PATH.write_errors (JSON lines {"path", "reason"}) —
// sweep/isobench_sweep/merge_runs.py reads both into results.json's context.
//
// Test hook (for tests/sweep/test_faults.sh only): ISOBENCH_TEST_CRASH_RUN=REGEX makes every run
// whose name matches the POSIX extended REGEX call std::abort(), to exercise the driver's crash
// handling. Never set it for real sweeps.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include "bench_common.hpp"
#include "checkpoints.hpp"
#include "isobench/core/blas.hpp"
#include "isobench/nn/activation.hpp"
#include "isobench/ortho/method_registry.hpp"
#include "isobench/ortho/penalty.hpp"
#include "isobench/train/method_listing.hpp"
#include "isobench/train/trainer.hpp"
#include "write_errors.hpp"

namespace {

using namespace isobench::bench;  // write_errors.hpp

constexpr const char* kIterSuffix = "/iterations:1";

// Google Benchmark appends "/iterations:1" to single-shot runs; docs/CONTRACT.md's names lack it.
std::string strip_iterations(std::string name) {
  const std::size_t n = std::strlen(kIterSuffix);
  if (name.size() >= n && name.compare(name.size() - n, n, kIterSuffix) == 0)
    name.resize(name.size() - n);
  return name;
}

bool parse_shard(const char* s, unsigned long& i, unsigned long& k) {
  char* end = nullptr;
  i = std::strtoul(s, &end, 10);
  if (end == s || *end != '/') return false;
  const char* ks = end + 1;
  k = std::strtoul(ks, &end, 10);
  return end != ks && *end == '\0' && k >= 1 && i < k;
}

bool starts_with(const char* s, const char* prefix) {
  return std::strncmp(s, prefix, std::strlen(prefix)) == 0;
}

// A JSON number, or a string for the values strict JSON has no literal for.
std::string json_number(double v) {
  if (std::isnan(v)) return "\"NaN\"";
  if (std::isinf(v)) return v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";  // stays a float when read back
  return s;
}

std::string json_string(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The names (without "/iterations:1") that PATH records as finished without an error. Lines that
// do not parse (a process killed mid-write) are ignored.
std::unordered_set<std::string> finished_runs(const std::string& path) {
  std::unordered_set<std::string> done;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("run_name") || !j["run_name"].is_string()) continue;
    if (j.value("error_occurred", false)) continue;
    if (j.contains("write_errors")) continue;  // its outputs are incomplete: run it again
    done.insert(strip_iterations(j["run_name"].get<std::string>()));
  }
  return done;
}

// The --benchmark_out file reporter (Google Benchmark's JSON) that also appends every finished
// run to the run log.
// The display reporter of --isobench_quiet: failed runs only.
class FailuresReporter : public benchmark::ConsoleReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs)
      if (r.error_occurred)
        GetOutputStream() << r.benchmark_name() << " ERROR OCCURRED: '" << r.error_message << "'\n";
    GetOutputStream() << std::flush;
  }
};

class RunLogReporter : public benchmark::JSONReporter {
 public:
  explicit RunLogReporter(const std::string& path) : path_(path) {
    bool newline_needed = false;
    {
      // A process killed mid-line leaves a line without '\n'; start ours on a fresh line.
      std::ifstream in(path, std::ios::binary | std::ios::ate);
      if (in && in.tellg() > 0) {
        in.seekg(-1, std::ios::end);
        newline_needed = in.get() != '\n';
      }
    }
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      open_error_ = std::strerror(errno);
      return;
    }
    if (newline_needed) write_line("");
  }
  ~RunLogReporter() override {
    if (fd_ >= 0 && ::close(fd_) != 0) note_unattached_write_error(path_, std::strerror(errno));
  }
  bool ok() const { return fd_ >= 0; }
  const std::string& open_error() const { return open_error_; }

  bool ReportContext(const Context& context) override {
    // Capture the JSON reporter's context text for the log, then pass it on to --benchmark_out.
    std::ostream& out = GetOutputStream();
    std::ostringstream text;
    SetOutputStream(&text);
    const bool ok = benchmark::JSONReporter::ReportContext(context);
    SetOutputStream(&out);
    out << text.str();
    // The text is `{ "context": {...}, "benchmarks": [` — close it after the context.
    const std::string s = text.str();
    const auto cut = s.rfind("\"benchmarks\"");
    const auto comma = cut == std::string::npos ? std::string::npos : s.rfind(',', cut);
    if (comma != std::string::npos) {
      nlohmann::json j = nlohmann::json::parse(s.substr(0, comma) + "}", nullptr, false);
      if (j.is_object())
        write_line(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    return ok;
  }

  void ReportRuns(const std::vector<Run>& runs) override {
    benchmark::JSONReporter::ReportRuns(runs);
    // What could not be written while these runs ran goes into their lines.
    const std::vector<WriteError> errors = take_run_write_errors();
    std::string extra;
    if (!errors.empty()) {
      nlohmann::json list = nlohmann::json::array();
      for (const WriteError& e : errors) list.push_back({{"path", e.path}, {"reason", e.reason}});
      extra = ", \"write_errors\": " +
              list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    for (const Run& r : runs) {
      std::string line = run_line(r);
      line.insert(line.size() - 1, extra);
      // A finished run's record is in the log: its checkpoint is done with (checkpoints.hpp).
      if (write_line(line) && !r.error_occurred) {
        std::string name = r.benchmark_name();
        const std::string suffix = "/iterations:1";
        if (name.size() > suffix.size() &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
          name.resize(name.size() - suffix.size());
        remove_checkpoint(name);
      }
    }
  }

 private:
  // Unbuffered and whole lines only: a killed process keeps every run reported before it, and a
  // failed write leaves no torn line.
  bool write_line(const std::string& line) {
    std::string reason;
    if (fd_ >= 0 && !append_all(fd_, line + "\n", reason)) {
      note_unattached_write_error(path_, reason);
      return false;
    }
    return fd_ >= 0;
  }

  static std::string run_line(const Run& r) {
    std::string s = "{";
    auto key = [&s](const char* k) {
      if (s.size() > 1) s += ", ";
      s += '"';
      s += k;
      s += "\": ";
    };
    key("name"), s += json_string(r.benchmark_name());
    key("run_name"), s += json_string(r.run_name.str());
    key("run_type"), s += r.run_type == Run::RT_Aggregate ? "\"aggregate\"" : "\"iteration\"";
    key("repetitions"), s += std::to_string(r.repetitions);
    key("repetition_index"), s += std::to_string(r.repetition_index);
    key("threads"), s += std::to_string(r.threads);
    if (r.run_type == Run::RT_Aggregate) {
      key("aggregate_name"), s += json_string(r.aggregate_name);
      key("aggregate_unit"),
          s += r.aggregate_unit == benchmark::kPercentage ? "\"percentage\"" : "\"time\"";
    }
    if (r.error_occurred) {
      key("error_occurred"), s += "true";
      key("error_message"), s += json_string(r.error_message);
    }
    key("iterations"), s += std::to_string(r.iterations);
    const bool raw = r.run_type == Run::RT_Aggregate && r.aggregate_unit == benchmark::kPercentage;
    key("real_time"), s += json_number(raw ? r.real_accumulated_time : r.GetAdjustedRealTime());
    key("cpu_time"), s += json_number(raw ? r.cpu_accumulated_time : r.GetAdjustedCPUTime());
    key("time_unit"), s += json_string(benchmark::GetTimeUnitString(r.time_unit));
    for (const auto& c : r.counters) {
      if (s.size() > 1) s += ", ";
      s += json_string(c.first) + ": " + json_number(c.second.value);
    }
    if (!r.report_label.empty()) key("label"), s += json_string(r.report_label);
    return s + "}";
  }

  std::string path_;
  std::string open_error_;
  int fd_ = -1;
};

// The test hook ISOBENCH_TEST_CRASH_RUN (see the top of this file); false when it is unset.
bool crash_hook(std::regex& re) {
  const char* s = std::getenv("ISOBENCH_TEST_CRASH_RUN");
  if (!s || !*s) return false;
  re = std::regex(s, std::regex::extended);  // a bad REGEX throws: main() reports it
  return true;
}

}  // namespace

// The registered methods: tab-separated lines (kind, name, built-in|user, formula, source), or a
// JSON list of objects with the same fields plus, for penalties, lambda_grid and measure, for
// inits ensemble, reads_sw2 and sets_gain.
static void print_methods(bool json) {
  if (!json) {
    std::cout << "kind\tname\torigin\tformula\tsource\n";
    for (const std::string& line : isobench::method_listing()) std::cout << line << "\n";
    return;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : isobench::penalty_methods())
    out.push_back({{"kind", "penalty"},
                   {"key", "reg"},
                   {"name", m.name},
                   {"builtin", m.builtin},
                   {"formula", m.formula},
                   {"source", m.source},
                   {"lambda_grid", m.lambda_grid},
                   {"measure", m.measure_name}});
  for (const auto& m : isobench::constraint_methods())
    out.push_back({{"kind", "constraint"},
                   {"key", "constraint"},
                   {"name", m.name},
                   {"builtin", m.builtin},
                   {"formula", m.formula},
                   {"source", m.source},
                   {"replaces_step", m.replaces_step},
                   {"default_rate", m.default_rate},
                   {"uses_margin", m.uses_margin}});
  for (const auto& m : isobench::init_methods())
    out.push_back({{"kind", "init"},
                   {"key", "init"},
                   {"name", m.name},
                   {"builtin", m.builtin},
                   {"formula", m.formula},
                   {"source", m.source},
                   {"ensemble", isobench::init_ensemble_name(m.ensemble)},
                   {"reads_sw2", m.reads_sw2},
                   {"sets_gain", m.sets_gain}});
  std::apply(
      [&](auto... a) {
        (out.push_back({{"kind", "activation"},
                        {"key", "act"},
                        {"name", decltype(a)::name},
                        {"builtin", true},
                        {"formula", decltype(a)::formula},
                        {"source", decltype(a)::source}}),
         ...);
      },
      isobench::Activations{});
  std::cout << out.dump(1) << "\n";
}

int main(int argc, char** argv) {
  using namespace isobench::bench;
  unsigned long shard_i = 0, shard_k = 1;
  std::string runlog, filter;
  std::unordered_set<std::string> skip, only;
  bool resume = false, quiet = false, has_out = false, listing = false, has_filter = false;
  std::vector<char*> args;
  for (int a = 0; a < argc; ++a) {
    const char* shard_flag = "--isobench_shard=";
    const char* runlog_flag = "--isobench_runlog=";
    if (a > 0 && starts_with(argv[a], shard_flag)) {
      if (!parse_shard(argv[a] + std::strlen(shard_flag), shard_i, shard_k)) {
        std::cerr << "error: bad " << argv[a]
                  << " (expected --isobench_shard=I/K with 0 <= I < K)\n";
        return 2;
      }
      continue;
    }
    if (a > 0 && starts_with(argv[a], runlog_flag)) {
      runlog = argv[a] + std::strlen(runlog_flag);
      if (runlog.empty()) {
        std::cerr << "error: --isobench_runlog= needs a file path\n";
        return 2;
      }
      continue;
    }
    const char* filter_flag = "--isobench_filter=";
    if (a > 0 && starts_with(argv[a], filter_flag)) {
      filter = argv[a] + std::strlen(filter_flag);
      has_filter = true;
      continue;
    }
    const char* skip_flag = "--isobench_skip=";
    if (a > 0 && starts_with(argv[a], skip_flag)) {
      skip.insert(argv[a] + std::strlen(skip_flag));
      continue;
    }
    const char* run_flag = "--isobench_run=";
    if (a > 0 && starts_with(argv[a], run_flag)) {
      only.insert(argv[a] + std::strlen(run_flag));
      continue;
    }
    // `./isobench methods [--json]`: the method registry, then exit.
    if (a > 0 && (std::strcmp(argv[a], "--isobench_methods") == 0 ||
                  std::strcmp(argv[a], "--isobench_methods=json") == 0)) {
      print_methods(std::strcmp(argv[a], "--isobench_methods=json") == 0);
      return 0;
    }
    if (a > 0 && std::strcmp(argv[a], "--isobench_resume") == 0) {
      resume = true;
      continue;
    }
    if (a > 0 && std::strcmp(argv[a], "--isobench_quiet") == 0) {
      quiet = true;
      continue;
    }
    if (starts_with(argv[a], "--benchmark_out=")) has_out = true;
    if (std::strcmp(argv[a], "--benchmark_list_tests") == 0 ||
        (starts_with(argv[a], "--benchmark_list_tests=") &&
         std::strcmp(argv[a], "--benchmark_list_tests=false") != 0 &&
         std::strcmp(argv[a], "--benchmark_list_tests=0") != 0))
      listing = true;
    args.push_back(argv[a]);
  }
  const std::string other_profile = list_profile();
  if (!other_profile.empty() && other_profile != "quick" && other_profile != "paper") {
    std::cerr << "error: ISOBENCH_LIST_PROFILE='" << other_profile
              << "' is not quick or paper (unset it for normal runs)\n";
    return 2;
  }
  if (!other_profile.empty() && !listing) {
    std::cerr << "error: ISOBENCH_LIST_PROFILE=" << other_profile
              << " lists that profile's runs and runs nothing; use it with "
                 "--benchmark_list_tests, or unset it (the profile that runs is the one built: "
              << profile_name() << ")\n";
    return 2;
  }
  if (resume && runlog.empty()) {
    std::cerr << "error: --isobench_resume needs --isobench_runlog=PATH (the log to resume)\n";
    return 2;
  }
  std::string null_out = "--benchmark_out=/dev/null";
  if (!runlog.empty()) {
    for (char* a : args) {
      const char* fmt_flag = "--benchmark_out_format=";
      if (starts_with(a, fmt_flag) && std::strcmp(a + std::strlen(fmt_flag), "json") != 0) {
        std::cerr << "error: " << a << " cannot be combined with --isobench_runlog "
                  << "(the run log's reporter writes --benchmark_out as JSON)\n";
        return 2;
      }
    }
    if (!has_out && !listing) args.push_back(null_out.data());
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;

  int threads = 1;
  try {
    threads = isobench::configure_blas_threads_from_env();
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  const char* version = std::getenv("ISOBENCH_VERSION");
  benchmark::AddCustomContext("isobench_version",
                              version && *version ? version : ISOBENCH_GIT_VERSION);
  benchmark::AddCustomContext("profile", profile_name());
  benchmark::AddCustomContext("blas_threads", std::to_string(threads));
  // The instruction set isobench's code was built for (cmake/IsobenchMarch.cmake); the numbers
  // do not depend on it, the speed does a little.
  benchmark::AddCustomContext("march", ISOBENCH_MARCH);
  benchmark::AddCustomContext("shard", std::to_string(shard_i) + "/" + std::to_string(shard_k));
  // Runs beside other runs (isobench bench --jobs N > 1) take longer: the report compares costs
  // only of runs that ran alone.
  const char* jobs = std::getenv("ISOBENCH_JOBS");
  benchmark::AddCustomContext("jobs", jobs && *jobs ? jobs : "1");
  // The user's methods (methods/) compiled in, as kind-key:name (the report's method sections).
  std::string user_methods;
  for (const auto& m : isobench::user_penalties())
    user_methods += (user_methods.empty() ? "reg:" : ",reg:") + m.name;
  for (const auto& m : isobench::user_constraints())
    user_methods += (user_methods.empty() ? "constraint:" : ",constraint:") + m.name;
  for (const auto& m : isobench::user_inits())
    user_methods += (user_methods.empty() ? "init:" : ",init:") + m.name;
  benchmark::AddCustomContext("user_methods", user_methods);

  std::regex filter_re;
  if (has_filter) {
    try {
      filter_re = std::regex(filter, std::regex::extended);
    } catch (const std::regex_error& e) {
      std::cerr << "error: bad --filter '" << filter << "': not a valid regular expression ("
                << e.what() << ")\n";
      return 2;
    }
  }

  std::regex crash_re;
  bool crash_test = false;
  try {
    crash_test = crash_hook(crash_re);
  } catch (const std::regex_error& e) {
    std::cerr << "error: bad ISOBENCH_TEST_CRASH_RUN (" << e.what() << ")\n";
    return 2;
  }

  std::unordered_set<std::string> done;
  if (resume) done = finished_runs(runlog);
  set_checkpoint_resume(resume);  // unfinished runs continue from their checkpoints
  if (!only.empty()) {
    std::unordered_set<std::string> unknown = only;
    for (const auto& r : detail::registry()) unknown.erase(r.name);
    if (!unknown.empty()) {
      std::cerr << "error: --isobench_run=" << *unknown.begin() << ": this binary has no such run"
                << (unknown.size() > 1
                        ? " (and " + std::to_string(unknown.size() - 1) + " more unknown)"
                        : std::string())
                << "; list its runs with --benchmark_list_tests\n";
      return 2;
    }
  }
  std::size_t skipped = 0;
  for (auto& r : detail::registry()) {
    if (!only.empty() && !only.count(r.name)) continue;
    if (has_filter && !std::regex_search(r.name, filter_re)) continue;
    if (name_hash(r.name) % shard_k != shard_i) continue;
    if (done.count(r.name)) {
      ++skipped;
      continue;
    }
    if (skip.count(r.name)) continue;
    BenchFn fn = r.fn;
    if (crash_test && std::regex_search(r.name, crash_re))
      fn = [](benchmark::State&) { std::abort(); };  // test hook: a crashing run
    auto* b = benchmark::RegisterBenchmark(r.name.c_str(), fn);
    if (r.configure) r.configure(b);
  }
  if (resume && skipped > 0)
    std::cerr << "resume: " << skipped << " run(s) already finished in " << runlog
              << " are not run again\n";

  std::unique_ptr<benchmark::BenchmarkReporter> display;  // null: Google Benchmark's console
  if (quiet && !listing) {
    display = std::make_unique<FailuresReporter>();
    isobench::progress_lines_enabled() = false;
  }
  std::unique_ptr<RunLogReporter> log;
  if (!runlog.empty() && !listing) {  // listing runs nothing: no log to open
    log = std::make_unique<RunLogReporter>(runlog);
    if (!log->ok()) {
      std::cerr << "error: cannot open the run log " << runlog
                << " for appending: " << log->open_error()
                << " (check that its directory exists and is writable)\n";
      return 2;
    }
    benchmark::RunSpecifiedBenchmarks(display.get(), log.get());
    log.reset();  // closed (and checked) before the side file is written
  } else {
    benchmark::RunSpecifiedBenchmarks(display.get());
  }
  benchmark::Shutdown();
  if (!any_write_error()) return 0;
  if (!runlog.empty()) write_unattached_errors(runlog + ".write_errors");
  std::cerr << "error: some outputs could not be written (see above); exit status 3\n";
  return 3;
}
