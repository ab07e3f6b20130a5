// Checkpoint files (checkpoints.hpp).
#include "checkpoints.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "bench_common.hpp"
#include "probe.hpp"
#include "write_errors.hpp"

namespace isobench::bench {
namespace {
bool& resume_flag() {
  static bool resume = false;
  return resume;
}

// Writes bytes to path through path.tmp and a rename; a failure is noted (write_errors.hpp) and
// leaves the previous checkpoint as it was.
void save_atomically(const std::string& path, const std::string& bytes) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!(f.write(bytes.data(), static_cast<std::streamsize>(bytes.size())) && f.flush())) {
      note_write_error(tmp, std::strerror(errno ? errno : EIO));
      std::remove(tmp.c_str());
      return;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    note_write_error(path, std::strerror(errno));
    std::remove(tmp.c_str());
  }
}
}  // namespace

void set_checkpoint_resume(bool resume) {
  resume_flag() = resume;
}

double checkpoint_seconds() {
  const char* s = std::getenv("ISOBENCH_CHECKPOINT_SECONDS");
  if (!s || !*s) return 600;
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  if (end == s || *end != '\0' || !(v >= 0) || !std::isfinite(v))
    throw std::invalid_argument(std::string("ISOBENCH_CHECKPOINT_SECONDS='") + s +
                                "' is not a number of seconds >= 0 (0: no checkpoints)");
  return v;
}

std::string checkpoint_path(std::string_view run_name) {
  return (std::filesystem::path(out_dir()) / "checkpoints" / (sanitize(run_name) + ".state"))
      .string();
}

bool resumes_from_checkpoint(std::string_view run_name) {
  std::error_code ec;
  return resume_flag() && std::filesystem::is_regular_file(checkpoint_path(run_name), ec);
}

CheckpointConfig checkpoint_config(std::string_view run_name) {
  CheckpointConfig c;
  const std::string path = checkpoint_path(run_name);
  if (resumes_from_checkpoint(run_name)) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream bytes;
    if (!(bytes << f.rdbuf()))
      throw std::runtime_error("cannot read the checkpoint " + path + ": " +
                               std::strerror(errno ? errno : EIO) +
                               " (remove it to start the run afresh)");
    c.resume = bytes.str();
    c.resume_source = path;
    std::fprintf(stderr, "  [%s] resuming from its checkpoint %s\n", std::string(run_name).c_str(),
                 path.c_str());
  }
  const double every = checkpoint_seconds();
  if (every > 0 && !probe_mode()) {
    c.every_seconds = every;
    c.save = [path](const std::string& b) { save_atomically(path, b); };
  }
  return c;
}

void remove_checkpoint(std::string_view run_name) {
  std::error_code ec;
  std::filesystem::remove(checkpoint_path(run_name), ec);
}

}  // namespace isobench::bench
