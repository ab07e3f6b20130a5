// Shared plumbing of the benchmark families: docs/CONTRACT.md names, the run registry (with
// sharding), the results context, and per-run traces.
//
// A family registers its grid with `add(name, fn)` from a static registrar; the shared main()
// (bench_main.cpp) keeps only this shard's names and hands them to Google Benchmark.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "isobench/core/state_archive.hpp"
#include "isobench/data/datasets.hpp"
#include "isobench/ortho/constraint.hpp"

namespace isobench::bench {

// Compact, lowercase number formatting for names: 1.05, 2.01e-05, 0.0001 → 0.0001, 64.
std::string fmt(double v);

// FAMILY/MODEL/key:value/... (keys in docs/CONTRACT.md order — the caller adds them in that order).
class Name {
 public:
  Name(std::string_view family, std::string_view model) {
    s_.append(family).append("/").append(model);
  }
  Name& kv(std::string_view key, std::string_view value) {
    s_.append("/").append(key).append(":").append(value);
    return *this;
  }
  Name& kv(std::string_view key, const char* value) { return kv(key, std::string_view(value)); }
  Name& kv(std::string_view key, double value) { return kv(key, fmt(value)); }
  Name& kv(std::string_view key, int value) { return kv(key, std::to_string(value)); }
  const std::string& str() const { return s_; }
  operator const std::string&() const { return s_; }

 private:
  std::string s_;
};

// `constraint:NAME`, then `margin:m` for a method that reads the margin and `rate:r` when the rate
// differs from the method's default (docs/CONTRACT.md key order) — one place, so a run's name and
// its ConstraintSpec cannot disagree. "none" adds `constraint:none`.
void add_constraint_keys(Name& n, const ConstraintSpec& c);

using BenchFn = std::function<void(benchmark::State&)>;
// `configure` lets a family set Iterations/Unit/etc. on the registered benchmark.
using Configure = std::function<void(benchmark::internal::Benchmark*)>;

// Every run is wrapped in run_guarded() (run_guard.hpp): an exception it throws becomes its error.
void add(const std::string& name, BenchFn fn, Configure configure = {});
// Single-shot training runs: one iteration, seconds, no repetitions.
void add_run(const std::string& name, BenchFn fn);

// Stable 64-bit hash of a name (text_hash, core/rng.hpp); a run belongs to shard hash % K.
std::uint64_t name_hash(std::string_view name);

// The run's configuration: its name without the `/seed:N` part. Training runs do NOT seed from it
// (that would give two treatments at one seed unrelated draws): they draw from RunStreams
// (core/streams.hpp), each stream keyed by what it draws and the seed — common random numbers.
// RQA and PERF, which do not train, seed one engine from their whole name instead.
std::string config_key(std::string_view name);

// Where results go: $ISOBENCH_OUT, else reports/out (relative to the working directory).
std::string out_dir();
// NAME with every character outside [A-Za-z0-9._-] replaced by '_'.
std::string sanitize(std::string_view name);

// One JSON object per line into $ISOBENCH_OUT/traces/NAME.jsonl (truncated on open, unless the
// run resumes from a checkpoint: checkpoints.hpp). Every line is written whole or not at all; a
// failed open or write is noted (write_errors.hpp: stderr, the run's "write_errors", exit status
// 3) and the writer stops, keeping the lines already written.
class TraceWriter {
 public:
  explicit TraceWriter(std::string_view run_name);
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;
  void write(const nlohmann::json& record);
  bool ok() const { return fd_ >= 0; }
  // Its part of a checkpoint (trainer.hpp): the bytes written so far; loading cuts the file back
  // to them, dropping what an interrupted run wrote after its checkpoint.
  void state(StateArchive& ar);
  const std::string& path() const { return path_; }

 private:
  std::string path_, run_name_;
  int fd_ = -1;
};

// Records which files a dataset came from, for the results context ("datasets"): appended to
// $ISOBENCH_OUT/datasets.jsonl, which `isobench bench` folds into results.json's context
// (sweep/isobench_sweep/merge_runs.py adds each file's md5 of the decompressed bytes). files: one
// entry per file read (role, full path, samples it holds). A failed write is noted as TraceWriter's
// is.
void note_dataset(const std::string& dataset, const std::string& description,
                  const std::vector<DataFile>& files = {});

// Calls f.template operator()<T>() for every T of a std::tuple type list.
template <class Tuple, class F>
void for_each_type(F&& f) {
  std::apply([&](auto... t) { (f(t), ...); }, Tuple{});
}

// ISOBENCH_LR_SCALE (default 1): multiplies every fixed learning rate. A testing knob of the
// convergence regression check (a halved rate must be caught); throws std::invalid_argument
// naming the variable when it is not a positive number.
double lr_scale();

// The number in environment variable var: `unset` when it is unset or empty; a finite number
// > 0 (≥ 0 with zero_ok) otherwise, else std::invalid_argument "VAR='…' is not <expected>".
double env_number(const char* var, double unset, bool zero_ok, const char* expected);

// The profile whose grid the families register: the one compiled in (ISOBENCH_PROFILE), unless
// ISOBENCH_LIST_PROFILE=quick|paper names the other one — for listing only (the sweep's cost
// estimates and their test list both profiles from one build); main() refuses to run anything
// then, and refuses a value other than quick or paper.
bool paper_profile();
// The compiled-in profile, "quick" or "paper" (results.json's context "profile").
const char* profile_name();
// The value of ISOBENCH_LIST_PROFILE, or "" when it is unset or empty.
std::string list_profile();

namespace detail {
struct Registered {
  std::string name;
  BenchFn fn;
  Configure configure;
};
std::vector<Registered>& registry();
}  // namespace detail

}  // namespace isobench::bench
