// StateArchive (state_archive.hpp): records of key, kind, size and bytes.
#include "isobench/core/state_archive.hpp"

#include <sstream>

namespace isobench {

StateArchive StateArchive::loader(std::string bytes, std::string source) {
  const std::size_t m = std::strlen(kMagic);
  if (bytes.size() < m || bytes.compare(0, m, kMagic) != 0)
    throw StateError(source +
                     ": not an isobench checkpoint (no \"ISOBENCH-STATE 1\" header); "
                     "remove it to start the run afresh");
  StateArchive a(std::move(bytes), std::move(source), true);
  a.pos_ = m;
  return a;
}

void StateArchive::fail(const std::string& key, const std::string& what) const {
  throw StateError(source_ + ": checkpoint record '" + key + "': " + what +
                   " (a checkpoint of another run, build or configuration, or a truncated write; "
                   "remove it to start the run afresh)");
}

void StateArchive::raw(const char* key, std::uint8_t kind, void* p, std::size_t bytes) {
  const std::uint32_t klen = static_cast<std::uint32_t>(std::strlen(key));
  const std::uint64_t n = bytes;
  if (!loading_) {
    buf_.append(reinterpret_cast<const char*>(&klen), sizeof klen);
    buf_.append(key, klen);
    buf_.push_back(static_cast<char>(kind));
    buf_.append(reinterpret_cast<const char*>(&n), sizeof n);
    if (bytes) buf_.append(static_cast<const char*>(p), bytes);
    return;
  }
  auto take = [&](void* out, std::size_t count) {
    if (buf_.size() - pos_ < count) fail(key, "the file ends early");
    std::memcpy(out, buf_.data() + pos_, count);
    pos_ += count;
  };
  std::uint32_t got_klen = 0;
  take(&got_klen, sizeof got_klen);
  if (got_klen > buf_.size() - pos_) fail(key, "the file ends early");
  const std::string got_key = buf_.substr(pos_, got_klen);
  pos_ += got_klen;
  if (got_key != key) fail(key, "the file has '" + got_key + "' here");
  std::uint8_t got_kind = 0;
  take(&got_kind, 1);
  if (got_kind != kind) fail(key, "another value type");
  std::uint64_t got_n = 0;
  take(&got_n, sizeof got_n);
  if (got_n != n)
    fail(key, std::to_string(got_n) + " bytes in the file, " + std::to_string(n) + " expected");
  if (bytes) take(p, bytes);
}

void StateArchive::check_fits(const char* key, std::uint64_t n, std::size_t size) const {
  if (n > (buf_.size() - pos_) / size)
    fail(key, std::to_string(n) + " values do not fit in the file");
}

void StateArchive::finish() const {
  if (loading_ && pos_ != buf_.size())
    throw StateError(source_ + ": " + std::to_string(buf_.size() - pos_) +
                     " bytes left after the last checkpoint record (a checkpoint of another "
                     "build or configuration; remove it to start the run afresh)");
}

void StateArchive::io(const char* key, std::string& s) {
  std::uint64_t n = s.size();
  io((std::string(key) + ".size").c_str(), n);
  if (loading_) {
    check_fits(key, n, 1);
    s.resize(static_cast<std::size_t>(n));
  }
  raw(key, 2, s.data(), s.size());
}

void StateArchive::io(const char* key, nlohmann::json& j) {
  std::string text = loading_ ? std::string() : j.dump();
  io(key, text);
  if (loading_) {
    try {
      j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      fail(key, std::string("not JSON: ") + e.what());
    }
  }
}

void StateArchive::io(const char* key, Engine& e) {
  std::string text;
  if (!loading_) {
    std::ostringstream os;
    os << e;
    text = os.str();
  }
  io(key, text);
  if (loading_) {
    std::istringstream is(text);
    if (!(is >> e)) fail(key, "not an engine state");
  }
}

}  // namespace isobench
