// The sentence polarity dataset as token-id sequences: see text.hpp.
#include "isobench/data/text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <stdexcept>

#include "isobench/core/rng.hpp"
#include "isobench/data/batches.hpp"
#include "isobench/data/data_files.hpp"
#include "isobench/data/datasets.hpp"

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

[[noreturn]] void bad_option(const std::string& what) {
  throw std::invalid_argument("load_polarity: " + what);
}

}  // namespace

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
  check_data_dir_env(kName, {kPosFile, kNegFile});  // rt-polaritydata/, loose files: errors
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
  s.lines_per_file = static_cast<long>(pos.lines.size());
  s.vocab = Vocabulary::build(dtr, opt.min_count, opt.max_vocab);
  s.train = encode_texts(dtr, ytr, s.vocab, opt.max_len, opt.pad);
  s.val = encode_texts(dva, yva, s.vocab, opt.max_len, opt.pad, &s.unknown_tokens, &s.kept_tokens);
  s.test = encode_texts(dte, yte, s.vocab, opt.max_len, opt.pad, &s.unknown_tokens, &s.kept_tokens);
  const std::string src = files.pos + " + " + files.neg;
  s.train.source = src + " (train)";
  s.val.source = src + " (validation)";
  s.test.source = src + " (test)";
  // The encoding each file was read in (text_decode.hpp); one word when both agree.
  const std::string encoding =
      pos.encoding == neg.encoding
          ? pos.encoding
          : std::string(kPosFile) + " " + pos.encoding + ", " + kNegFile + " " + neg.encoding;
  s.description = std::string(kName) + ": " + kPosFile + " + " + kNegFile + " (" +
                  with_thousands(n) + " snippets, " +
                  (opt.faithful ? "every other line as the study's loader" : "all lines") + "; " +
                  encoding + ") from " + files.dir + "; split " + with_thousands(n_train) + " / " +
                  with_thousands(n_val) + " / " + with_thousands(n_test) + " (seed " +
                  std::to_string(opt.seed) + "); vocabulary " + with_thousands(s.vocab.size()) +
                  " (training part, min count " + std::to_string(opt.min_count) +
                  (opt.max_vocab > 0 ? ", cap " + std::to_string(opt.max_vocab) : std::string()) +
                  "); " + std::to_string(opt.max_len) + " tokens, " +
                  (opt.pad == Pad::Pre ? "padded in front" : "padded at the end");
  return s;
}

TextSplit load_polarity(const PolarityOptions& opt) {
  return load_polarity(locate_polarity(), opt);
}

}  // namespace isobench
