// libFuzzer target for the word-vector reader (lib/src/data/word_vectors.cpp): any byte string must
// either read or raise std::runtime_error whose message is printable (no raw file bytes) — no
// crash, sanitizer report, other exception or unbounded allocation. What is read must be
// consistent (sizes, finite values, unique words, vocabulary filter) and the same through gzip.
// Build and run: see tests/fuzz/CMakeLists.txt. Seeds and former crashes live in
// tests/fixtures/fuzz_corpus_word_vectors/, which test_embedding replays.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "isobench/data/idx.hpp"
#include "isobench/data/text_decode.hpp"
#include "isobench/data/vocabulary.hpp"
#include "isobench/data/word_vectors.hpp"

namespace {

// The input wrapped in a valid gzip stream (zlib is not instrumented; see fuzz_idx.cpp).
std::vector<std::uint8_t> gzip(const std::uint8_t* data, std::size_t size) {
  return isobench::gzip_member(data, size, 1);
}

void check_message(const std::string& m) {
  if (m.rfind("fuzz-input", 0) != 0) __builtin_trap();  // names the file first
  for (char ch : m) {
    const unsigned c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) __builtin_trap();  // raw bytes of the file printed
  }
  if (!isobench::is_valid_utf8(m)) __builtin_trap();
}

std::optional<isobench::WordVectors> try_read(const std::uint8_t* data, std::size_t size,
                                              const isobench::Vocabulary* only) {
  try {
    return isobench::parse_word_vectors(data, size, "fuzz-input", only);
  } catch (const std::runtime_error& e) {
    check_message(e.what());
    return std::nullopt;
  }
}

void check(const isobench::WordVectors& w, const isobench::Vocabulary* only) {
  if (w.dim < 1 || w.dim > isobench::kWordVectorsMaxDim) __builtin_trap();
  if (w.values.size() != w.words.size() * static_cast<std::size_t>(w.dim)) __builtin_trap();
  for (float v : w.values)
    if (!std::isfinite(v)) __builtin_trap();
  if (std::set<std::string>(w.words.begin(), w.words.end()).size() != w.words.size())
    __builtin_trap();
  if (static_cast<long>(w.words.size()) + w.duplicates > w.lines_read) __builtin_trap();
  if (only)
    for (const auto& word : w.words)
      if (only->id(word) < 2) __builtin_trap();
  if (w.summary().empty()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const isobench::Vocabulary vocab =
      isobench::Vocabulary::build({{"the", "film", "good", "a", "<unk>", "\xc3\xa9t\xc3\xa9"}});
  for (const isobench::Vocabulary* only :
       {static_cast<const isobench::Vocabulary*>(nullptr), &vocab}) {
    const auto raw = try_read(data, size, only);
    if (raw) check(*raw, only);
    // Differential: raw bytes (not themselves gzip) and their gzip read alike.
    if (!isobench::is_gzip(data, size)) {
      const std::vector<std::uint8_t> gz = gzip(data, size);
      const auto viagz = try_read(gz.data(), gz.size(), only);
      if (raw.has_value() != viagz.has_value()) __builtin_trap();
      if (raw && (raw->words != viagz->words || raw->values != viagz->values ||
                  raw->format != viagz->format || !viagz->gzip))
        __builtin_trap();
    }
  }
  return 0;
}
