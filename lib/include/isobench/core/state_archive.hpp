// A run's state as bytes, written and read by one visitor (issue 22's checkpoints; docs/SWEEPS.md
// "Checkpoints"). Every stateful piece of a training run — a workload, its optimizer, its batch
// order, the trainer, a trace callback — has
//
//   void state(StateArchive& ar)      ar.io("name", member) for each member, in a fixed order
//
// which saves when the archive saves and restores when it loads: one function for both
// directions, so what is written is what is read. The format (little-endian, this machine's):
//   "ISOBENCH-STATE 1\n", then records  u32 key length, key, u8 kind, u64 byte count, bytes
// Loading checks every record's key, kind and size against the visitor's, and that nothing is
// left over: a file whose records are not the ones this run saves (another kind of run or
// configuration, a truncated write) is refused with the key (and the file) it broke at — never
// half-loaded silently. Which run it belongs to is the caller's first record (the trainer writes
// the run's name, CheckpointConfig::identity).
#pragma once

#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "isobench/core/rng.hpp"

namespace isobench {

// A checkpoint that cannot be read as the visitor expects (the message names the source, the key
// and what differs).
class StateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class StateArchive {
 public:
  // An archive that saves (bytes() holds the result).
  static StateArchive saver() { return StateArchive(std::string(kMagic), "", false); }
  // An archive that loads `bytes`; `source` (e.g. the file's path) names it in errors. Throws
  // StateError when bytes does not start with the format's header.
  static StateArchive loader(std::string bytes, std::string source);

  bool loading() const { return loading_; }
  const std::string& bytes() const { return buf_; }
  // Loading: StateError unless every record was read.
  void finish() const;

  // Arithmetic values and enums.
  template <class V, std::enable_if_t<std::is_arithmetic_v<V> || std::is_enum_v<V>, int> = 0>
  void io(const char* key, V& v) {
    raw(key, kind_of<V>(), &v, sizeof(V));
  }
  // A vector of arithmetic values: its length is saved; loading resizes it.
  template <class V, std::enable_if_t<std::is_arithmetic_v<V>, int> = 0>
  void io(const char* key, std::vector<V>& v) {
    std::uint64_t n = v.size();
    io((std::string(key) + ".size").c_str(), n);
    if (loading_) {
      check_fits(key, n, sizeof(V));  // a corrupt size is refused, not allocated
      v.resize(static_cast<std::size_t>(n));
    }
    raw(key, kind_of<V>(), v.data(), v.size() * sizeof(V));
  }
  // A buffer of n values whose size the visitor knows (weights, optimizer moments): loading
  // requires exactly n values.
  template <class V, std::enable_if_t<std::is_arithmetic_v<V>, int> = 0>
  void io_buffer(const char* key, V* data, std::size_t n) {
    raw(key, kind_of<V>(), data, n * sizeof(V));
  }
  void io(const char* key, std::string& s);
  void io(const char* key, nlohmann::json& j);  // as its dump (doubles round-trip exactly)
  void io(const char* key, Engine& e);          // the engine's full state (operator<< / >>)

 private:
  static constexpr const char* kMagic = "ISOBENCH-STATE 1\n";
  StateArchive(std::string buf, std::string source, bool loading)
      : buf_(std::move(buf)), source_(std::move(source)), loading_(loading) {}
  template <class V>
  static constexpr std::uint8_t kind_of() {
    if constexpr (std::is_enum_v<V>)
      return 1;
    else if constexpr (std::is_floating_point_v<V>)
      return static_cast<std::uint8_t>(16 + sizeof(V));
    else
      return static_cast<std::uint8_t>(32 + sizeof(V) + (std::is_signed_v<V> ? 8 : 0));
  }
  // Saves or loads `bytes` bytes at p under key with kind.
  void raw(const char* key, std::uint8_t kind, void* p, std::size_t bytes);
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;
  // Loading: StateError unless n values of `size` bytes fit in what is left of the file.
  void check_fits(const char* key, std::uint64_t n, std::size_t size) const;

  std::string buf_, source_;
  bool loading_;
  std::size_t pos_ = 0;
};

}  // namespace isobench
