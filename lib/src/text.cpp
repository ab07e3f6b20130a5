// The sentence polarity dataset as token-id sequences: see text.hpp.
#include "isobench/text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <stdexcept>

#include "isobench/batches.hpp"
#include "isobench/data_files.hpp"
#include "isobench/datasets.hpp"
#include "isobench/rng.hpp"

namespace isobench {

namespace fs = std::filesystem;

namespace {

constexpr const char* kName = "rt-polarity";
constexpr const char* kPosFile = "rt-polarity.pos";
constexpr const char* kNegFile = "rt-polarity.neg";

std::string with_thousands(long v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

// Length of the valid UTF-8 sequence starting at s[i] (1..4), or 0 when invalid (overlong forms,
// surrogates and code points above U+10FFFF are invalid, RFC 3629).
int utf8_sequence(const std::string& s, std::size_t i) {
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

bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const int n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += static_cast<std::size_t>(n);
  }
  return true;
}

std::string latin1_to_utf8(const std::string& s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (const char ch : s) {
    const unsigned c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.push_back(ch);
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

bool blank(const std::string& line) {
  return std::all_of(line.begin(), line.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

[[noreturn]] void bad_option(const std::string& what) {
  throw std::invalid_argument("load_polarity: " + what);
}

}  // namespace

TextLines read_text_lines(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw std::runtime_error(path + ": file not found");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open for reading");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error(path + ": read error");
  // Not text: a NUL or C0 control byte other than tab, LF, CR (or DEL).
  long line_no = 1;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const unsigned c = static_cast<unsigned char>(bytes[i]);
    if (c == '\n') ++line_no;
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F)
      throw std::runtime_error(
          path + ": undecodable byte 0x" + std::string(1, "0123456789abcdef"[c >> 4]) +
          std::string(1, "0123456789abcdef"[c & 15]) + " at byte offset " + std::to_string(i) +
          " (line " + std::to_string(line_no) + "): not a UTF-8 or Latin-1 text file");
  }
  TextLines t;
  if (!valid_utf8(bytes)) {
    t.latin1 = true;
    bytes = latin1_to_utf8(bytes);
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
    throw std::runtime_error(path + ": file is empty (no snippet in it)");
  return t;
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

Vocabulary::Vocabulary() {
  words_ = {kPadToken, kUnknownToken};
  counts_ = {0, 0};
  index_ = {{kPadToken, kPad}, {kUnknownToken, kUnknown}};
}

Vocabulary Vocabulary::build(const std::vector<std::vector<std::string>>& docs, int min_count,
                             int max_size) {
  if (min_count < 1)
    throw std::invalid_argument("Vocabulary: min_count must be >= 1 (got " +
                                std::to_string(min_count) + ")");
  if (max_size != 0 && max_size < 2)
    throw std::invalid_argument("Vocabulary: max_size must be 0 (no cap) or >= 2 (got " +
                                std::to_string(max_size) + ")");
  std::unordered_map<std::string, long> counts;
  for (const auto& d : docs)
    for (const auto& w : d) ++counts[w];
  std::vector<std::pair<std::string, long>> kept;
  for (auto& kv : counts)
    if (kv.second >= min_count && kv.first != kPadToken && kv.first != kUnknownToken)
      kept.emplace_back(kv.first, kv.second);
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (max_size > 0 && kept.size() > static_cast<std::size_t>(max_size - 2))
    kept.resize(static_cast<std::size_t>(max_size - 2));
  Vocabulary v;
  for (auto& kv : kept) {
    v.index_.emplace(kv.first, v.size());
    v.words_.push_back(kv.first);
    v.counts_.push_back(kv.second);
  }
  return v;
}

int Vocabulary::id(std::string_view token) const {
  const auto it = index_.find(std::string(token));
  return it == index_.end() ? kUnknown : it->second;
}

TextSet encode_texts(const std::vector<std::vector<std::string>>& docs, const std::vector<float>& y,
                     const Vocabulary& vocab, int max_len, Pad pad, long* unknown, long* kept) {
  if (max_len < 1)
    throw std::invalid_argument("encode_texts: max_len must be >= 1 (got " +
                                std::to_string(max_len) + ")");
  if (docs.size() != y.size())
    throw std::invalid_argument("encode_texts: " + std::to_string(docs.size()) + " docs but " +
                                std::to_string(y.size()) + " labels");
  TextSet s;
  s.n = static_cast<int>(docs.size());
  s.max_len = max_len;
  s.y = y;
  s.ids.assign(static_cast<std::size_t>(s.n) * static_cast<std::size_t>(max_len), Vocabulary::kPad);
  s.lengths.resize(docs.size());
  for (int i = 0; i < s.n; ++i) {
    const auto& d = docs[static_cast<std::size_t>(i)];
    const int len = std::min(max_len, static_cast<int>(d.size()));
    s.lengths[static_cast<std::size_t>(i)] = len;
    std::int32_t* row =
        s.ids.data() + static_cast<std::size_t>(i) * static_cast<std::size_t>(max_len);
    const int offset = pad == Pad::Pre ? max_len - len : 0;
    for (int t = 0; t < len; ++t) {
      const int id = vocab.id(d[static_cast<std::size_t>(t)]);
      row[offset + t] = id;
      if (unknown && id == Vocabulary::kUnknown) ++*unknown;
    }
    if (kept) *kept += len;
  }
  return s;
}

std::vector<std::string> polarity_search_path() {
  return data_search_path(kName);
}

PolarityFiles locate_polarity() {
  const std::vector<std::string> dirs = polarity_search_path();
  for (const std::string& dir : dirs) {
    // Near misses (rt-polarity.pos.txt, RT-POLARITY.POS), folders and special files: errors.
    const DirScan scan = scan_data_dir(kName, dir, {kPosFile, kNegFile});
    if (scan.files.empty()) continue;
    const bool has_pos = scan.files.count(kPosFile) > 0, has_neg = scan.files.count(kNegFile) > 0;
    if (!has_pos || !has_neg)
      throw std::runtime_error(std::string(kName) + ": " +
                               (fs::path(dir) / (has_pos ? kNegFile : kPosFile)).string() +
                               " is missing (this directory holds the other rt-polarity file, so "
                               "it is the one used; complete it or remove it)");
    return {dir, scan.files.at(kPosFile), scan.files.at(kNegFile)};
  }
  std::string msg = std::string(kName) + ": dataset not found. Looked for " + kPosFile + " and " +
                    kNegFile + " in:";
  for (const auto& d : dirs) msg += " " + d;
  msg +=
      ". Get the sentence polarity dataset v1.0 (Pang & Lee 2005, "
      "https://www.cs.cornell.edu/people/pabo/movie-review-data/rt-polaritydata.tar.gz) and "
      "put the two files in $ISOBENCH_DATA_DIR/rt-polarity/.";
  throw std::runtime_error(msg);
}

TextSplit load_polarity(const PolarityFiles& files, const PolarityOptions& opt) {
  if (!(opt.val_fraction >= 0 && opt.val_fraction < 1) ||
      !(opt.test_fraction >= 0 && opt.test_fraction < 1) ||
      !(opt.val_fraction + opt.test_fraction < 1))
    bad_option("val_fraction and test_fraction must lie in [0, 1) and sum to less than 1");
  if (opt.max_len < 1) bad_option("max_len must be >= 1 (got " + std::to_string(opt.max_len) + ")");
  if (opt.min_count < 1)
    bad_option("min_count must be >= 1 (got " + std::to_string(opt.min_count) + ")");
  if (opt.max_vocab != 0 && opt.max_vocab < 2)
    bad_option("max_vocab must be 0 (no cap) or >= 2 (got " + std::to_string(opt.max_vocab) + ")");

  const TextLines pos = read_text_lines(files.pos), neg = read_text_lines(files.neg);
  if (pos.lines.size() != neg.lines.size())
    throw std::runtime_error(std::string(kName) + ": " + files.pos + " has " +
                             std::to_string(pos.lines.size()) + " lines but " + files.neg +
                             " has " + std::to_string(neg.lines.size()) +
                             " (the dataset has 5,331 of each; a truncated or wrong file?)");
  std::vector<std::vector<std::string>> docs;
  std::vector<float> labels;
  for (const auto* f : {&pos, &neg}) {
    const float label = f == &pos ? 1.0f : 0.0f;
    for (std::size_t i = 0; i < f->lines.size(); ++i) {
      if (opt.faithful && i % 2 == 0) continue;  // the study kept lines 2, 4, 6, …
      docs.push_back(whitespace_tokens(f->lines[i]));
      labels.push_back(label);
    }
  }
  const int n = static_cast<int>(docs.size());
  const int n_test = static_cast<int>(std::lround(opt.test_fraction * n));
  const int n_val = static_cast<int>(std::lround(opt.val_fraction * n));
  const int n_train = n - n_test - n_val;
  if (n_train < 2)
    bad_option("only " + std::to_string(n_train) + " training snippets remain of " +
               std::to_string(n) + " in " + files.pos + " and " + files.neg);

  std::vector<int> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  Engine eng = make_engine("split/rt-polarity", opt.seed);
  shuffle_indices(order, eng);
  auto part = [&](int from, int count, std::vector<std::vector<std::string>>& d,
                  std::vector<float>& y) {
    for (int k = from; k < from + count; ++k) {
      const auto i = static_cast<std::size_t>(order[static_cast<std::size_t>(k)]);
      d.push_back(docs[i]);
      y.push_back(labels[i]);
    }
  };
  std::vector<std::vector<std::string>> dtr, dva, dte;
  std::vector<float> ytr, yva, yte;
  part(0, n_train, dtr, ytr);
  part(n_train, n_val, dva, yva);
  part(n_train + n_val, n_test, dte, yte);

  TextSplit s;
  s.vocab = Vocabulary::build(dtr, opt.min_count, opt.max_vocab);
  s.train = encode_texts(dtr, ytr, s.vocab, opt.max_len, opt.pad);
  s.val = encode_texts(dva, yva, s.vocab, opt.max_len, opt.pad, &s.unknown_tokens, &s.kept_tokens);
  s.test = encode_texts(dte, yte, s.vocab, opt.max_len, opt.pad, &s.unknown_tokens, &s.kept_tokens);
  const std::string src = files.pos + " + " + files.neg;
  s.train.source = src + " (train)";
  s.val.source = src + " (validation)";
  s.test.source = src + " (test)";
  const bool latin1 = pos.latin1 || neg.latin1;
  s.description =
      std::string(kName) + ": " + kPosFile + " + " + kNegFile + " (" + with_thousands(n) +
      " snippets, " + (opt.faithful ? "every other line as the study's loader" : "all lines") +
      "; " + (latin1 ? "Latin-1" : "UTF-8") + ") from " + files.dir + "; split " +
      with_thousands(n_train) + " / " + with_thousands(n_val) + " / " + with_thousands(n_test) +
      " (seed " + std::to_string(opt.seed) + "); vocabulary " + with_thousands(s.vocab.size()) +
      " (training part, min count " + std::to_string(opt.min_count) +
      (opt.max_vocab > 0 ? ", cap " + std::to_string(opt.max_vocab) : std::string()) + "); " +
      std::to_string(opt.max_len) + " tokens, " +
      (opt.pad == Pad::Pre ? "padded in front" : "padded at the end");
  return s;
}

TextSplit load_polarity(const PolarityOptions& opt) {
  return load_polarity(locate_polarity(), opt);
}

}  // namespace isobench
