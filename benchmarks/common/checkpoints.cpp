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

namespace isobench::bench {
namespace {
bool& resume_flag() {
  static bool resume = false;
  return resume;
}

// Writes bytes to path through path.tmp and a rename. A failure leaves the previous checkpoint as
// it was and is a warning on stderr, not the run's failed output: the run itself goes on and
// finishes right; only an interruption would cost it more.
void save_atomically(const std::string& path, const std::string& bytes) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const std::string tmp = path + ".tmp";
  auto warn = [&](const std::string& what, int err) {
    std::fprintf(stderr,
                 "warning: the checkpoint %s was not written: %s: %s (the run goes on; free "
                 "space in $ISOBENCH_OUT, or ISOBENCH_CHECKPOINT_SECONDS=0 for none)\n",
                 path.c_str(), what.c_str(), std::strerror(err));
    std::remove(tmp.c_str());
  };
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!(f.write(bytes.data(), static_cast<std::streamsize>(bytes.size())) && f.flush())) {
      warn(tmp, errno ? errno : EIO);
      return;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) warn("rename", errno);
}
}  // namespace

void set_checkpoint_resume(bool resume) {
  resume_flag() = resume;
}

double checkpoint_seconds() {
  return env_number("ISOBENCH_CHECKPOINT_SECONDS", 600, true,
                    "a number of seconds >= 0 (0: no checkpoints)");
}

std::string checkpoint_path(std::string_view run_name) {
  return (std::filesystem::path(out_dir()) / "checkpoints" / (sanitize(run_name) + ".state"))
      .string();
}

bool resumes_from_checkpoint(std::string_view run_name) {
  std::error_code ec;  // the probe's slices never go on from a full run's checkpoint
  return resume_flag() && !probe_mode() &&
         std::filesystem::is_regular_file(checkpoint_path(run_name), ec);
}

CheckpointConfig checkpoint_config(std::string_view run_name) {
  CheckpointConfig c;
  c.identity = std::string(run_name);
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
