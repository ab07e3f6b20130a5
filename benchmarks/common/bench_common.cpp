#include "bench_common.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <unordered_set>

#include "checkpoints.hpp"
#include "isobench/core/rng.hpp"
#include "run_guard.hpp"
#include "write_errors.hpp"

namespace isobench::bench {

void add_constraint_keys(Name& n, const ConstraintSpec& c) {
  n.kv("constraint", c.method);
  if (!c.active()) return;
  const ConstraintMethod& m = constraint_method(c.method);
  if (m.uses_margin) n.kv("margin", c.margin);
  if (c.rate != 0.0 && c.rate != m.default_rate) n.kv("rate", c.rate);
}

namespace detail {
std::vector<Registered>& registry() {
  static std::vector<Registered> r;
  return r;
}
}  // namespace detail

std::string fmt(double v) {
  char buf[64];
  if (v == std::floor(v) && std::abs(v) < 1e9) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.6g", v);
  }
  return buf;
}

void add(const std::string& name, BenchFn fn, Configure configure) {
  // Two runs with one name would share a trace file and a results entry: a grid that repeats a
  // configuration, or two settings that print alike (fmt()). A programming error: stop here.
  static std::unordered_set<std::string> names;
  if (!names.insert(name).second) {
    std::fprintf(stderr,
                 "isobench: two runs are named '%s' (a grid repeats a configuration, or two "
                 "settings print alike in the name)\n",
                 name.c_str());
    std::exit(2);
  }
  // Every run is guarded (run_guard.hpp): an exception becomes this run's error, not the binary's.
  BenchFn guarded = [fn = std::move(fn)](benchmark::State& state) { run_guarded(state, fn); };
  detail::registry().push_back({name, std::move(guarded), std::move(configure)});
}

void add_run(const std::string& name, BenchFn fn) {
  add(name, std::move(fn),
      [](benchmark::internal::Benchmark* b) { b->Iterations(1)->Unit(benchmark::kSecond); });
}

std::uint64_t name_hash(std::string_view name) {
  return text_hash(name);
}

std::string config_key(std::string_view name) {
  std::string s(name);
  const auto p = s.find("/seed:");
  if (p == std::string::npos) return s;
  const auto e = s.find('/', p + 1);
  return s.erase(p, e == std::string::npos ? std::string::npos : e - p);
}

std::string out_dir() {
  const char* o = std::getenv("ISOBENCH_OUT");
  return (o && *o) ? std::string(o) : std::string("reports/out");
}

std::string sanitize(std::string_view name) {
  std::string s(name);
  for (auto& c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  return s;
}

TraceWriter::TraceWriter(std::string_view run_name) {
  const std::filesystem::path dir = std::filesystem::path(out_dir()) / "traces";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  path_ = (dir / (sanitize(run_name) + ".jsonl")).string();
  run_name_ = std::string(run_name);
  // A run resuming from its checkpoint keeps its trace; loading the checkpoint cuts it back.
  const bool keep = resumes_from_checkpoint(run_name);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | (keep ? 0 : O_TRUNC) | O_CLOEXEC, 0644);
  if (fd_ < 0) note_write_error(path_, std::strerror(errno));
  if (fd_ >= 0 && keep) ::lseek(fd_, 0, SEEK_END);
}

void TraceWriter::state(StateArchive& ar) {
  std::int64_t offset = fd_ >= 0 ? static_cast<std::int64_t>(::lseek(fd_, 0, SEEK_CUR)) : -1;
  ar.io("trace.offset", offset);
  if (!ar.loading() || fd_ < 0) return;
  // The trace must hold at least what it held at the checkpoint, written whole.
  const std::int64_t size = static_cast<std::int64_t>(::lseek(fd_, 0, SEEK_END));
  if (offset < 0 || offset > size)
    throw StateError(
        path_ + ": " +
        (offset < 0 ? std::string("the trace could not be written before the checkpoint")
                    : "the trace is shorter (" + std::to_string(size) +
                          " bytes) than at the checkpoint (" + std::to_string(offset) + ")") +
        "; remove the run's checkpoint (" + checkpoint_path(run_name_) + ") to start it afresh");
  if (::ftruncate(fd_, offset) != 0 || ::lseek(fd_, offset, SEEK_SET) != offset) {
    note_write_error(path_, std::strerror(errno));
    ::close(fd_);
    fd_ = -1;
  }
}

TraceWriter::~TraceWriter() {
  if (fd_ >= 0 && ::close(fd_) != 0) note_write_error(path_, std::strerror(errno));
}

void TraceWriter::write(const nlohmann::json& record) {
  if (fd_ < 0) return;  // the failure was noted once
  std::string reason;
  if (!append_all(fd_, record.dump() + "\n", reason)) {  // unbuffered: a killed run keeps it
    note_write_error(path_, reason);
    ::close(fd_);
    fd_ = -1;
  }
}

void note_dataset(const std::string& dataset, const std::string& description,
                  const std::vector<DataFile>& files) {
  static std::mutex m;
  std::lock_guard<std::mutex> lock(m);
  std::error_code ec;
  std::filesystem::create_directories(out_dir(), ec);
  const std::string path = (std::filesystem::path(out_dir()) / "datasets.jsonl").string();
  nlohmann::json sources = nlohmann::json::array();
  for (const DataFile& d : files)
    sources.push_back({{"role", d.role}, {"path", d.path}, {"samples", d.samples}});
  const std::string line =
      nlohmann::json{{"dataset", dataset}, {"files", description}, {"sources", sources}}.dump() +
      "\n";
  std::string reason;
  if (!append_to_file(path, line, reason)) note_write_error(path, reason);
}

double env_number(const char* var, double unset, bool zero_ok, const char* expected) {
  const char* s = std::getenv(var);
  if (!s || !*s) return unset;
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  if (end == s || *end != '\0' || !std::isfinite(v) || v < 0 || (v == 0 && !zero_ok))
    throw std::invalid_argument(std::string(var) + "='" + s + "' is not " + expected);
  return v;
}

double lr_scale() {
  return env_number("ISOBENCH_LR_SCALE", 1.0, false,
                    "a positive number (unset it for normal runs)");
}

namespace {
bool compiled_paper_profile() {
#ifdef ISOBENCH_PROFILE_PAPER
  return true;
#else
  return false;
#endif
}
}  // namespace

std::string list_profile() {
  const char* s = std::getenv("ISOBENCH_LIST_PROFILE");
  return s ? std::string(s) : std::string();
}

bool paper_profile() {
  const std::string listed = list_profile();
  if (listed.empty()) return compiled_paper_profile();
  if (listed == "paper") return true;
  if (listed == "quick") return false;
  return compiled_paper_profile();  // another value: main() refuses it before anything runs
}
const char* profile_name() {
  return compiled_paper_profile() ? "paper" : "quick";
}

}  // namespace isobench::bench
