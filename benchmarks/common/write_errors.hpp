// Checked writes of the benchmark binaries, and the record of what could not be written.
//
// Why: a full disk or a file-size limit must never lose output silently (issue 18, "Writes").
// Every output of a binary (traces, datasets.jsonl, the run log) is appended with append_all();
// a failure is noted with note_write_error(), printed to stderr at once naming the path and the
// system's reason (strerror: "No space left on device", "File too large"), attached to the run in
// flight (the run log's "write_errors" field, see bench_main.cpp) and makes the binary exit 3.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace isobench::bench {

struct WriteError {
  std::string path;
  std::string reason;  // strerror text
};

// Writes all of `text` to the open descriptor `fd` (retrying short writes and EINTR). On failure
// a regular file is cut back to its size before the call, so what was written earlier stays whole
// (no torn last line); returns false with the system's reason in `reason`.
bool append_all(int fd, std::string_view text, std::string& reason);
// Opens `path` for appending (created 0644), append_all, closes: false with the system's reason
// when any of the three fails.
bool append_to_file(const std::string& path, std::string_view text, std::string& reason);

// Notes that `path` could not be written: prints "error: cannot write PATH: REASON ..." to stderr
// (once per path and reason) and keeps it for the run in flight (take_run_write_errors()).
// Thread-safe.
void note_write_error(const std::string& path, const std::string& reason);

// As note_write_error, for a failure that cannot be attached to a run (the run log itself): kept
// for the side file (write_unattached_errors()).
void note_unattached_write_error(const std::string& path, const std::string& reason);

// The errors noted since the last call (the run that just finished); they are then the caller's.
std::vector<WriteError> take_run_write_errors();

// True once any write failed in this process (main() then exits 3).
bool any_write_error();

// Appends the errors no run line carried (unattached ones, and those noted after the last run)
// to `path` as JSON lines {"path": ..., "reason": ...}; a failure there is printed to stderr.
void write_unattached_errors(const std::string& path);

}  // namespace isobench::bench
