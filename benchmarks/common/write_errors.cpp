// Checked appends and the write-error record (see write_errors.hpp).
#include "write_errors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

namespace isobench::bench {

namespace {
struct Record {
  std::mutex m;
  std::vector<WriteError> run;         // for the run in flight
  std::vector<WriteError> unattached;  // for the side file
  std::set<std::pair<std::string, std::string>> printed;
  bool any = false;
};
Record& record() {
  static Record r;
  return r;
}

void note(const std::string& path, const std::string& reason, bool attach) {
  Record& r = record();
  std::lock_guard<std::mutex> lock(r.m);
  r.any = true;
  (attach ? r.run : r.unattached).push_back({path, reason});
  if (r.printed.insert({path, reason}).second)
    std::cerr << "error: cannot write " << path << ": " << reason
              << " (free space or raise the limit, then rerun the runs concerned: "
                 "./isobench bench --resume)\n";
}
}  // namespace

bool append_all(int fd, std::string_view text, std::string& reason) {
  struct stat st {};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      reason = n < 0 ? std::strerror(errno) : "write() wrote nothing";
      // A partial line would be read as garbage: cut the file back to where this call began.
      if (done > 0 && regular) (void)!::ftruncate(fd, st.st_size);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool append_to_file(const std::string& path, std::string_view text, std::string& reason) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    reason = std::strerror(errno);
    return false;
  }
  bool ok = append_all(fd, text, reason);
  if (::close(fd) != 0 && ok) {  // a delayed write error (NFS, quota) shows at close
    ok = false;
    reason = std::strerror(errno);
  }
  return ok;
}

void note_write_error(const std::string& path, const std::string& reason) {
  note(path, reason, true);
}

void note_unattached_write_error(const std::string& path, const std::string& reason) {
  note(path, reason, false);
}

std::vector<WriteError> take_run_write_errors() {
  Record& r = record();
  std::lock_guard<std::mutex> lock(r.m);
  return std::exchange(r.run, {});
}

bool any_write_error() {
  Record& r = record();
  std::lock_guard<std::mutex> lock(r.m);
  return r.any;
}

void write_unattached_errors(const std::string& path) {
  Record& r = record();
  std::string text;
  {
    std::lock_guard<std::mutex> lock(r.m);
    for (const auto* list : {&r.unattached, &r.run})
      for (const WriteError& e : *list)
        text += nlohmann::json{{"path", e.path}, {"reason", e.reason}}.dump(
                    -1, ' ', false, nlohmann::json::error_handler_t::replace) +
                "\n";
    r.unattached.clear();
    r.run.clear();
  }
  if (text.empty()) return;
  std::string reason;
  if (append_to_file(path, text, reason)) return;
  std::cerr << "error: cannot write " << path << ": " << reason
            << " — the write errors above are recorded nowhere else\n";
}

}  // namespace isobench::bench
