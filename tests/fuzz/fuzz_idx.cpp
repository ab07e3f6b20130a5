// libFuzzer target for the IDX reader (lib/src/data/idx.cpp): any byte string must either parse or
// raise IdxError — no crash, no sanitizer report, no other exception, no unbounded allocation.
// Build and run: see tests/fuzz/CMakeLists.txt. Every crash it finds goes into
// tests/fixtures/fuzz_corpus/, which test_idx replays (Idx.FuzzCorpusAndCrashRegressions).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "isobench/data/idx.hpp"

namespace {

// The input wrapped in a valid gzip stream (zlib itself is not instrumented, so the fuzzer cannot
// steer through compressed data; this drives arbitrary content through the decompression path).
std::vector<std::uint8_t> gzip(const std::uint8_t* data, std::size_t size) {
  return isobench::gzip_member(data, size, 1);
}

std::optional<isobench::IdxArray> try_parse(const std::uint8_t* data, std::size_t size) {
  try {
    return isobench::parse_idx(data, size, "fuzz-input");
  } catch (const isobench::IdxError&) {
    return std::nullopt;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Differential check: raw bytes (not themselves gzip) and their gzip must parse alike.
  if (!isobench::is_gzip(data, size)) {
    const std::vector<std::uint8_t> gz = gzip(data, size);
    const auto raw = try_parse(data, size), viagz = try_parse(gz.data(), gz.size());
    if (raw.has_value() != viagz.has_value()) __builtin_trap();
    if (raw && (raw->dims != viagz->dims || raw->data != viagz->data)) __builtin_trap();
  }
  try {
    isobench::IdxArray a = isobench::parse_idx(data, size, "fuzz-input");
    isobench::IdxArray b = a;
    try {
      const isobench::IdxImages im = isobench::idx_as_images(std::move(a), "fuzz-input");
      if (static_cast<std::size_t>(im.n) * im.rows * im.cols != im.pixels.size()) __builtin_trap();
    } catch (const isobench::IdxError&) {
    }
    try {
      const auto labels = isobench::idx_as_labels(std::move(b), "fuzz-input", 10);
      for (std::uint8_t l : labels) {
        if (l >= 10) __builtin_trap();
      }
    } catch (const isobench::IdxError&) {
    }
  } catch (const isobench::IdxError&) {
  }
  return 0;
}
