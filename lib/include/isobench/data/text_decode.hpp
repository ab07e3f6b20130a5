// Text files as UTF-8 lines: the decoding step of the rt-polarity loader (text.hpp), kept apart
// from the pipeline so the fuzz target (tests/fuzz/fuzz_text.cpp) can drive it with bare bytes.
//
// Encoding: a file that is valid UTF-8 (RFC 3629) is read as UTF-8, unchanged but for a leading
// byte-order mark, which is dropped (a mark before bytes that are not UTF-8 is an error at the
// file's offset: the mark promises UTF-8). Anything else is decoded as Windows-1252 (cp1252, the
// encoding of the original rt-polarity distribution: dashes, ellipses and curly quotes at 0x85,
// 0x91–0x97) and converted to UTF-8, after the Unicode consortium's mapping
// (https://www.unicode.org/Public/MAPPINGS/VENDORS/MICSFT/WINDOWS/CP1252.TXT).
// Its five undefined bytes (0x81, 0x8D, 0x8F, 0x90, 0x9D) are an error naming the file and the
// byte offset: such a file is neither UTF-8 nor Windows-1252. A NUL or other C0 control byte
// (except tab, LF, CR) or DEL means the file is not text: an error with file, offset and line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace isobench {

// A file's lines as UTF-8 (without the line terminator; a final empty line after the last '\n'
// is not a line), and the encoding it was read in: "UTF-8", "UTF-8 with BOM" (the byte-order mark
// EF BB BF at the start is dropped), or "Windows-1252 (not UTF-8: byte 0x93 at offset 1017,
// line 10)" naming the first byte that is not valid UTF-8 (offset from the file's start, 0-based;
// line 1-based).
struct TextLines {
  std::vector<std::string> lines;
  std::string encoding = "UTF-8";
};

// Decodes `bytes` (a whole file; `name` is used in messages) per the rules above. Throws
// std::runtime_error naming `name` for an undefined Windows-1252 byte, a control byte, a UTF-8
// byte-order mark followed by bytes that are not valid UTF-8 (file and offset), or no non-blank
// line.
TextLines decode_text_lines(std::string bytes, const std::string& name);

// Reads the file `path` and decodes it (decode_text_lines); a missing or unreadable file is a
// std::runtime_error naming it.
TextLines read_text_lines(const std::string& path);

// True when `s` is valid UTF-8 (RFC 3629: no overlong forms, surrogates or code points above
// U+10FFFF).
bool is_valid_utf8(std::string_view s);

// Offset of the first byte of `s` that does not start a valid UTF-8 sequence (as above), or
// std::string_view::npos when `s` is valid UTF-8.
std::size_t first_invalid_utf8(std::string_view s);

// `s` made safe to print in a message: valid UTF-8 kept, control bytes, DEL and bytes that are
// not valid UTF-8 written as \xNN; cut after max_bytes input bytes with "..." appended.
std::string escape_bytes(std::string_view s, std::size_t max_bytes = 64);

// Tokens of a line split at spaces and tabs (empty tokens dropped; a trailing '\r' removed).
std::vector<std::string> whitespace_tokens(std::string_view line);

}  // namespace isobench
