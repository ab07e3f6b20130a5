// libFuzzer target for the rt-polarity text decoding and tokenizing (lib/src/data/text_decode.cpp,
// lib/src/data/vocabulary.cpp): any byte string must either decode or raise std::runtime_error with
// a printable message; decoded lines are valid UTF-8 without line breaks, a UTF-8 file is kept
// byte for byte, and the vocabulary built from the tokens maps them back. Build and run: see
// tests/fuzz/CMakeLists.txt. Seeds and former crashes live in
// tests/fixtures/fuzz_corpus_text/, which test_text replays.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "isobench/data/text_decode.hpp"
#include "isobench/data/vocabulary.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  isobench::TextLines t;
  try {
    t = isobench::decode_text_lines(bytes, "fuzz-input");
  } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    if (m.rfind("fuzz-input", 0) != 0) __builtin_trap();
    for (char ch : m)
      if (static_cast<unsigned char>(ch) < 0x20) __builtin_trap();
    if (!isobench::is_valid_utf8(m)) __builtin_trap();
    return 0;
  }
  const bool bom = bytes.compare(0, 3, "\xEF\xBB\xBF") == 0;
  const bool utf8 = t.encoding == "UTF-8" || t.encoding == "UTF-8 with BOM";
  if (!utf8 && t.encoding.rfind("Windows-1252 (not UTF-8: byte 0x", 0) != 0) __builtin_trap();
  if (utf8 != isobench::is_valid_utf8(bytes)) __builtin_trap();
  if ((t.encoding == "UTF-8 with BOM") != bom) __builtin_trap();
  std::vector<std::vector<std::string>> docs;
  for (const auto& line : t.lines) {
    if (!isobench::is_valid_utf8(line) || line.find('\n') != std::string::npos) __builtin_trap();
    docs.push_back(isobench::whitespace_tokens(line));
  }
  // A UTF-8 file comes back unchanged (but for a BOM): its lines as std::getline splits them, one
  // CR dropped.
  if (utf8) {
    std::istringstream in(bom ? bytes.substr(3) : bytes);
    std::vector<std::string> expect;
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      expect.push_back(line);
    }
    if (expect != t.lines) __builtin_trap();
  }
  const isobench::Vocabulary all = isobench::Vocabulary::build(docs);
  const isobench::Vocabulary capped = isobench::Vocabulary::build(docs, 2, 4);
  if (capped.size() > 4) __builtin_trap();
  for (const auto& d : docs)
    for (const auto& tok : d) {
      if (tok.empty()) __builtin_trap();
      const int id = all.id(tok);
      if (id < 1 || id >= all.size()) __builtin_trap();
      if (id >= 2 && all.word(id) != tok) __builtin_trap();
      if (capped.id(tok) < 1 || capped.id(tok) >= capped.size()) __builtin_trap();
    }
  return 0;
}
