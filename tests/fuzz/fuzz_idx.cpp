// libFuzzer target for the IDX reader (lib/src/idx.cpp): any byte string must either parse or
// raise IdxError — no crash, no sanitizer report, no other exception, no unbounded allocation.
// Build and run: see tests/fuzz/CMakeLists.txt. Every crash it finds goes into
// tests/data/fuzz_corpus/, which test_idx replays (Idx.FuzzCorpusAndCrashRegressions).
#include <cstddef>
#include <cstdint>
#include <utility>

#include "isobench/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
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
