// Text files as UTF-8 lines (UTF-8 or Windows-1252): see text_decode.hpp.
#include "isobench/data/text_decode.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "isobench/data/idx.hpp"  // regular_file_size

namespace isobench {

namespace {

// Length of the valid UTF-8 sequence starting at s[i] (1..4), or 0 when invalid (overlong forms,
// surrogates and code points above U+10FFFF are invalid, RFC 3629).
int utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned c = b(i);
  if (c < 0x80) return 1;
  int len = 0;
  unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + static_cast<std::size_t>(len) > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (int k = 2; k < len; ++k)
    if (b(i + static_cast<std::size_t>(k)) < 0x80 || b(i + static_cast<std::size_t>(k)) > 0xBF)
      return 0;
  return len;
}

std::string hex_byte(unsigned c) {
  const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[(c >> 4) & 15] + digits[c & 15];
}

// Code points of Windows-1252's bytes 0x80–0x9F (CP1252.TXT); 0 = undefined. Bytes 0xA0–0xFF
// are U+00A0–U+00FF, as in Latin-1.
constexpr char32_t kCp1252High[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,  // 0x80
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,       // 0x88
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,  // 0x90
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,  // 0x98
};

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {  // all of cp1252 lies in the BMP
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string cp1252_to_utf8(const std::string& s, const std::string& name) {
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  long line_no = 1;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned c = static_cast<unsigned char>(s[i]);
    if (c == '\n') ++line_no;
    char32_t cp = c;
    if (c >= 0x80 && c < 0xA0) {
      cp = kCp1252High[c - 0x80];
      if (cp == 0)
        throw std::runtime_error(
            name + ": byte " + hex_byte(c) + " at byte offset " + std::to_string(i) + " (line " +
            std::to_string(line_no) +
            ") is undefined in Windows-1252, and the file is not valid UTF-8 either: the file "
            "is in another encoding or corrupt (convert it to UTF-8, e.g. with iconv)");
    }
    append_utf8(out, cp);
  }
  return out;
}

bool blank(const std::string& line) {
  return std::all_of(line.begin(), line.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

}  // namespace

std::size_t first_invalid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const int n = utf8_sequence(s, i);
    if (n == 0) return i;
    i += static_cast<std::size_t>(n);
  }
  return std::string_view::npos;
}

bool is_valid_utf8(std::string_view s) {
  return first_invalid_utf8(s) == std::string_view::npos;
}

std::string escape_bytes(std::string_view s, std::size_t max_bytes) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size() && i < max_bytes) {
    const unsigned c = static_cast<unsigned char>(s[i]);
    const int n = utf8_sequence(s, i);
    if (n == 0 || c < 0x20 || c == 0x7F) {
      const char* digits = "0123456789abcdef";
      out += std::string("\\x") + digits[c >> 4] + digits[c & 15];
      ++i;
    } else {
      out.append(s.substr(i, static_cast<std::size_t>(n)));
      i += static_cast<std::size_t>(n);
    }
  }
  if (i < s.size()) out += "...";
  return out;
}

TextLines decode_text_lines(std::string bytes, const std::string& name) {
  // Not text: a NUL or C0 control byte other than tab, LF, CR (or DEL).
  long line_no = 1;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const unsigned c = static_cast<unsigned char>(bytes[i]);
    if (c == '\n') ++line_no;
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F)
      throw std::runtime_error(name + ": undecodable byte " + hex_byte(c) + " at byte offset " +
                               std::to_string(i) + " (line " + std::to_string(line_no) +
                               "): not a UTF-8 or Windows-1252 text file");
  }
  TextLines t;
  const std::size_t bad = first_invalid_utf8(bytes);
  // Where UTF-8 stopped: the byte, its offset in the file and its line, for the message/context.
  const auto at_bad = [&] {
    const long line = 1 + std::count(bytes.begin(), bytes.begin() + static_cast<long>(bad), '\n');
    return "byte " + hex_byte(static_cast<unsigned char>(bytes[bad])) + " at offset " +
           std::to_string(bad) + ", line " + std::to_string(line);
  };
  if (bytes.compare(0, 3, "\xEF\xBB\xBF") == 0) {  // a UTF-8 byte-order mark: not text, dropped
    if (bad != std::string::npos)
      throw std::runtime_error(name +
                               ": starts with a UTF-8 byte-order mark, which promises UTF-8, "
                               "but is not valid UTF-8 (" +
                               at_bad() +
                               "): the file is corrupt or mislabelled (convert it to UTF-8, e.g. "
                               "with iconv, or remove the mark)");
    bytes.erase(0, 3);
    t.encoding = "UTF-8 with BOM";
  } else if (bad != std::string::npos) {
    t.encoding = "Windows-1252 (not UTF-8: " + at_bad() + ")";
    bytes = cp1252_to_utf8(bytes, name);
  }
  std::size_t start = 0;
  while (start < bytes.size()) {
    std::size_t end = bytes.find('\n', start);
    if (end == std::string::npos) end = bytes.size();
    std::string line = bytes.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    t.lines.push_back(std::move(line));
    start = end + 1;
  }
  if (std::all_of(t.lines.begin(), t.lines.end(), blank))
    throw std::runtime_error(name + ": file is empty (no snippet in it)");
  return t;
}

TextLines read_text_lines(const std::string& path) {
  regular_file_size(path);  // missing, a directory or a FIFO: an error naming the path
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open for reading");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error(path + ": read error");
  return decode_text_lines(std::move(bytes), path);
}

std::vector<std::string> whitespace_tokens(std::string_view line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    if (j > i) out.emplace_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace isobench
