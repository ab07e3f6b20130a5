// Pretrained word vectors (text / binary word2vec, GloVe, raw or gzip'd): see word_vectors.hpp.
#include "isobench/data/word_vectors.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <istream>
#include <iterator>
#include <stdexcept>
#include <streambuf>
#include <unordered_set>

#include "isobench/data/idx.hpp"  // is_gzip, gunzip
#include "isobench/data/text_decode.hpp"

namespace isobench {

namespace {

constexpr std::size_t kMaxWordBytes = 1 << 16;  // longest word of a binary record

// A read-only, seekable stream over bytes in memory (no copy of a possibly large buffer).
class MemoryBuf : public std::streambuf {
 public:
  MemoryBuf(const char* data, std::size_t size) {
    char* p = const_cast<char*>(data);  // never written: the get area only
    setg(p, p, p + size);
  }

 protected:
  pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode) override {
    const off_type end = egptr() - eback();
    const off_type base = dir == std::ios_base::beg   ? 0
                          : dir == std::ios_base::cur ? gptr() - eback()
                                                      : end;
    if (off < -base || off > end - base) return pos_type(off_type(-1));
    setg(eback(), eback() + base + off, egptr());
    return pos_type(base + off);
  }
  pos_type seekpos(pos_type pos, std::ios_base::openmode which) override {
    return seekoff(off_type(pos), std::ios_base::beg, which);
  }
};

std::string with_thousands(long v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw std::runtime_error(where + ": " + what);
}

std::string at_line(const std::string& name, long line) {
  return name + ":" + std::to_string(line);
}

enum class Parsed { kOk, kNotFinite, kOverflow };

// A float32 value field. Underflow (ERANGE with a subnormal or 0, e.g. 1e-40) is a finite value
// and kept; overflow (1e39: ERANGE with ±HUGE_VALF) and nan / inf / non-numbers are refused.
Parsed parse_float(const std::string& s, float& out) {
  errno = 0;
  char* end = nullptr;
  out = std::strtof(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0') return Parsed::kNotFinite;
  if (!std::isfinite(out)) return errno == ERANGE ? Parsed::kOverflow : Parsed::kNotFinite;
  return Parsed::kOk;
}

// A field that reads as a number: digits in it (1, -0.5, 1e-3, .5), or C's own spellings of the
// non-finite values a vector writer prints (nan, -nan, inf, -inf). Words that strtod would also
// take ("Infinity", "NaN", "INF") stay words: a multi-token word may hold them.
bool is_number(const std::string& s) {
  static const char* const kNonFinite[] = {"nan", "-nan", "inf", "-inf", "+inf", "+nan"};
  for (const char* t : kNonFinite)
    if (s == t) return true;
  if (std::none_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return !s.empty() && end != s.c_str() && *end == '\0';
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A count of the header, range-checked on its digits (no strtol overflow, no narrowing).
long header_count(const std::string& s, long lo, long hi, const std::string& what,
                  const std::string& where) {
  long v = 0;
  bool in_range = s.size() <= 12;  // ≤ 10^12 - 1 fits a 64-bit long with room to spare
  if (in_range) {
    for (char c : s) v = v * 10 + (c - '0');
    in_range = v >= lo && v <= hi;
  }
  if (!in_range)
    fail(where, "the word2vec header's " + what + " " + s + " is out of range (" +
                    with_thousands(lo) + " to " + with_thousands(hi) +
                    "); the header line is \"COUNT DIMENSION\" — is this a word-vector file?");
  return v;
}

// Bytes that a text file does not hold: C0 controls other than tab / LF / CR, and DEL.
bool has_control_byte(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char ch) {
    const unsigned c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F;
  });
}

// A text vector line of D values (the last D fields numbers, at least one field before them).
bool text_vector_line(const std::string& line, std::size_t D) {
  const std::vector<std::string> f = whitespace_tokens(line);
  if (f.size() < D + 1) return false;
  float v = 0;
  for (std::size_t k = f.size() - D; k < f.size(); ++k)
    if (parse_float(f[k], v) != Parsed::kOk) return false;
  return true;
}

class Reader {
 public:
  Reader(std::istream& in, const std::string& name, const Vocabulary* only, WordVectors& wv)
      : in_(in), name_(name), only_(only), wv_(wv) {}

  void run() {
    std::string line;
    long line_no = 0;
    bool seen_first = false;
    while (std::getline(in_, line)) {
      ++line_no;
      if (line_no == 1) strip_bom(line);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const std::vector<std::string> f = whitespace_tokens(line);
      if (f.empty()) continue;
      if (!seen_first) {
        seen_first = true;
        if (f.size() == 2 && all_digits(f[0]) && all_digits(f[1])) {
          const std::string where = at_line(name_, line_no);
          count_ = header_count(f[0], 1, kWordVectorsMaxCount, "vector count", where);
          dim_ = static_cast<std::size_t>(
              header_count(f[1], 1, kWordVectorsMaxDim, "dimension", where));
          wv_.dim = static_cast<int>(dim_);
          wv_.format = "word2vec text";
          if (binary_follows()) {
            wv_.format = "word2vec binary";
            read_binary();
            return;
          }
          continue;
        }
        wv_.format = "GloVe text (no header)";
      }
      text_line(f, line_no);
    }
    if (in_.bad()) fail(name_, "read error");
    if (wv_.lines_read == 0)
      fail(name_, "no word vectors in the file (empty, blank, or a header only)");
    if (count_ >= 0 && count_ != wv_.lines_read)
      fail(name_, "the word2vec header announces " + with_thousands(count_) +
                      " vectors but the file holds " + with_thousands(wv_.lines_read) +
                      " (a truncated file, or a wrong header)");
  }

 private:
  void strip_bom(std::string& line) {
    if (line.compare(0, 3, "\xEF\xBB\xBF") == 0) {
      line.erase(0, 3);
      wv_.bom = true;
    } else if (line.compare(0, 2, "\xFF\xFE") == 0 || line.compare(0, 2, "\xFE\xFF") == 0) {
      fail(name_, "the file is UTF-16 (byte-order mark " + escape_bytes(line.substr(0, 2)) +
                      "); convert it to UTF-8, e.g. iconv -f UTF-16 -t UTF-8");
    }
  }

  // After the header: are the next bytes binary records rather than text lines? The stream is
  // left where it was.
  bool binary_follows() {
    const std::istream::pos_type here = in_.tellg();
    if (here == std::istream::pos_type(-1)) fail(name_, "cannot seek in the file");
    std::string chunk(4 * dim_ + 256, '\0');
    in_.read(&chunk[0], static_cast<std::streamsize>(chunk.size()));
    chunk.resize(static_cast<std::size_t>(in_.gcount()));
    in_.clear();
    in_.seekg(here);
    std::string first;
    std::getline(in_, first);
    in_.clear();
    in_.seekg(here);
    if (!in_) fail(name_, "cannot seek in the file");
    return has_control_byte(chunk) || (!is_valid_utf8(first) && !text_vector_line(first, dim_));
  }

  void read_binary() {
    std::vector<char> raw(4 * dim_);
    std::vector<float> v(dim_);
    for (long r = 1; r <= count_; ++r) {
      const std::string at =
          name_ + ": binary record " + with_thousands(r) + " of " + with_thousands(count_);
      // A header dimension off by one shifts every record: say so with each record's error.
      const auto fail_rec = [&](const std::string& what) {
        fail(at, what + " (is the header's dimension " + std::to_string(dim_) +
                     " right? records are " + std::to_string(dim_) + " float32 after the word)");
      };
      int c = in_.get();
      while (c == ' ' || c == '\t' || c == '\n' || c == '\r') c = in_.get();
      std::string word;
      while (c != std::char_traits<char>::eof() && c != ' ') {
        if (word.size() == kMaxWordBytes)
          fail_rec("word longer than " + std::to_string(kMaxWordBytes) +
                   " bytes (not a word2vec binary file, or a corrupt one)");
        word.push_back(static_cast<char>(c));
        c = in_.get();
      }
      if (c == std::char_traits<char>::eof())
        fail_rec("the file ends " + std::string(word.empty() ? "before it" : "inside it") +
                 " (truncated; the header announces " + with_thousands(count_) + " vectors)");
      in_.read(raw.data(), static_cast<std::streamsize>(raw.size()));
      if (static_cast<std::size_t>(in_.gcount()) != raw.size())
        fail_rec("the file ends inside the vector of '" + escape_bytes(word) + "' (truncated)");
      for (std::size_t k = 0; k < dim_; ++k) {
        const auto* b = reinterpret_cast<const unsigned char*>(raw.data() + 4 * k);
        const std::uint32_t bits = std::uint32_t{b[0]} | std::uint32_t{b[1]} << 8 |
                                   std::uint32_t{b[2]} << 16 | std::uint32_t{b[3]} << 24;
        std::memcpy(&v[k], &bits, 4);  // little-endian float32
        if (!std::isfinite(v[k]))
          fail_rec("value " + std::to_string(k + 1) + " of '" + escape_bytes(word) +
                   "' is not finite");
      }
      keep(std::move(word), v.data());
    }
    for (int c = in_.get(); c != std::char_traits<char>::eof(); c = in_.get())
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
        fail(name_, "more bytes follow the " + with_thousands(count_) +
                        " binary vectors the header announces (a wrong header count, or not a "
                        "word2vec binary file)");
    if (in_.bad()) fail(name_, "read error");
  }

  void text_line(const std::vector<std::string>& f, long line_no) {
    if (dim_ == 0) {
      if (f.size() < 2)
        fail(at_line(name_, line_no), "expected \"word v1 ... vD\", found one field");
      if (f.size() - 1 > static_cast<std::size_t>(kWordVectorsMaxDim))
        fail(at_line(name_, line_no),
             std::to_string(f.size() - 1) + " values on the first vector line, more than " +
                 with_thousands(kWordVectorsMaxDim) + " (not a word-vector file?)");
      dim_ = f.size() - 1;
      wv_.dim = static_cast<int>(dim_);
    }
    const std::size_t D = dim_;
    if (f.size() < D + 1)
      fail(at_line(name_, line_no), std::to_string(f.size() - 1) + " values where " +
                                        std::to_string(D) +
                                        " were expected (every line must hold a word and the "
                                        "same number of values)");
    const std::size_t first = f.size() - D;  // the word is everything before the last D fields
    if (first > 1) {
      if (std::all_of(f.begin() + 1, f.begin() + static_cast<std::ptrdiff_t>(first), is_number))
        fail(at_line(name_, line_no),
             std::to_string(f.size() - 1) + " numbers where " + std::to_string(D) +
                 " were expected: a line wider than the others, or a header dimension that does "
                 "not match the vectors");
      ++wv_.multi_token_words;
    }
    std::string word = f[0];
    for (std::size_t k = 1; k < first; ++k) word += " " + f[k];
    std::vector<float> v(D);
    for (std::size_t k = 0; k < D; ++k) {
      const Parsed p = parse_float(f[first + k], v[k]);
      if (p != Parsed::kOk)
        fail(at_line(name_, line_no),
             "value " + std::to_string(k + 1) + " '" + escape_bytes(f[first + k]) + "' " +
                 (p == Parsed::kOverflow ? "overflows float32 (largest about 3.4e38)"
                                         : "is not a finite number"));
    }
    keep(std::move(word), v.data());
  }

  void keep(std::string word, const float* v) {
    ++wv_.lines_read;
    if (!is_valid_utf8(word)) ++wv_.non_utf8_words;
    if (only_) {
      const int id = only_->id(word);
      if (id == Vocabulary::kUnknown || id == Vocabulary::kPad) return;
    }
    if (!seen_.insert(word).second) {
      ++wv_.duplicates;
      return;
    }
    wv_.words.push_back(std::move(word));
    wv_.values.insert(wv_.values.end(), v, v + dim_);
  }

  std::istream& in_;
  const std::string& name_;
  const Vocabulary* only_;
  WordVectors& wv_;
  long count_ = -1;                       // the header's vector count, -1 without a header
  std::size_t dim_ = 0;                   // D, 0 until known
  std::unordered_set<std::string> seen_;  // the words kept
};

WordVectors read_stream(std::istream& in, const std::string& name, const Vocabulary* only,
                        bool gzip) {
  WordVectors wv;
  wv.source = name;
  wv.gzip = gzip;
  wv.filtered = only != nullptr;
  Reader(in, name, only, wv).run();
  return wv;
}

}  // namespace

std::string WordVectors::summary() const {
  std::string s =
      format + " format" + (gzip ? ", gzip-compressed" : "") + ", UTF-8" + (bom ? " with BOM" : "");
  if (non_utf8_words > 0)
    s += " except " + with_thousands(non_utf8_words) + " words (kept as bytes)";
  s += "; " + with_thousands(lines_read) + " vectors of " + std::to_string(dim) + " values; " +
       with_thousands(multi_token_words) + " multi-token words; " + with_thousands(duplicates) +
       (filtered ? " duplicate vocabulary words" : " duplicate words") +
       " ignored (first occurrence kept)";
  return s;
}

WordVectors parse_word_vectors(const std::uint8_t* bytes, std::size_t size, const std::string& name,
                               const Vocabulary* only) {
  std::vector<std::uint8_t> raw;
  const bool gz = is_gzip(bytes, size);
  if (gz) {
    try {
      raw = gunzip(bytes, size, name, kWordVectorsMaxBytes);
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string(e.what()) + " (reading gzip-compressed word vectors)");
    }
    bytes = raw.data();
    size = raw.size();
  }
  MemoryBuf buf(reinterpret_cast<const char*>(bytes), size);
  std::istream in(&buf);
  return read_stream(in, name, only, gz);
}

WordVectors load_word_vectors(const std::string& path, const Vocabulary* only) {
  regular_file_size(path);  // missing, a directory or a FIFO: an error naming the path
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open the word-vector file");
  std::uint8_t magic[2] = {0, 0};
  in.read(reinterpret_cast<char*>(magic), 2);
  const std::size_t got = static_cast<std::size_t>(in.gcount());
  in.clear();
  in.seekg(0);
  if (!is_gzip(magic, got)) return read_stream(in, path, only, false);
  // gzip: decompressed whole in memory (gunzip), then read from there.
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                        std::istreambuf_iterator<char>());
  if (in.bad()) fail(path, "read error");
  return parse_word_vectors(bytes.data(), bytes.size(), path, only);
}

}  // namespace isobench
