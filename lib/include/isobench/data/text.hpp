// The sentence polarity dataset v1.0 (Pang & Lee 2005, "Seeing stars: exploiting class
// relationships for sentiment categorization with respect to rating scales", ACL) as token-id
// sequences: the data of SENT, the seed study's LSTM sentiment experiment (docs/RESEARCH.md §3).
//
// Files: rt-polarity.pos and rt-polarity.neg, one snippet per line (5,331 each), already
// lower-cased and split into tokens by single spaces. A file is read as UTF-8 when it is valid
// UTF-8, else as Windows-1252 (the original distribution's encoding), converted to UTF-8; an
// undefined Windows-1252 byte, a NUL or other C0 control byte (except tab, CR, LF) is an error
// naming the file and byte offset (text_decode.hpp).
//
// Lookup order (docs/CONTRACT.md, Environment; as datasets.hpp), for rt-polarity:
//   1. $ISOBENCH_DATA_DIR/rt-polarity
//   2. ROOT/data/rt-polarity
//   3. ROOT/../shared/data/rt-polarity
// ROOT = $ISOBENCH_ROOT, else the source directory compiled into the library. The first directory
// holding either file is used; the other missing there is an error, never a fall-through.
//
// Pipeline (load_polarity):
//   lines   every line of each file (label 1 = pos, 0 = neg), pos first; with `faithful`, only
//           every other line — the 2nd, 4th, … of each file (0-based odd indices), as the study's
//           loader ran (`for line in f: line = f.readline()`): 2 × 2,665 = 5,330 of 10,662;
//   split   one shuffle of all snippets from make_engine("split/rt-polarity", seed): test = the
//           last round(test_fraction·n), validation the round(val_fraction·n) before it, train
//           the rest (all data: 8,530 / 1,066 / 1,066; faithful: 4,264 / 533 / 533, the
//           study's sizes); each part in shuffled order;
//   tokens  whitespace split (space, tab; the snippets are already tokenized);
//   vocab   from the training part only: id 0 = padding, 1 = unknown, then every token seen at
//           least min_count times, by descending count, ties in byte order; max_size > 0 keeps
//           only the most frequent (max_size counting padding and unknown);
//   ids     (n × max_len) row-major int32: a snippet longer than max_len is cut to its first
//           max_len tokens; a shorter one is padded with id 0 at the front (Pad::Pre, Keras'
//           pad_sequences default, so the last LSTM step sees the last word) or at the back.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "isobench/data/text_decode.hpp"  // TextLines, read_text_lines, whitespace_tokens
#include "isobench/data/vocabulary.hpp"

namespace isobench {

enum class Pad { Pre, Post };

// One part of the split: n sequences of max_len ids (row-major n × max_len) and 0/1 labels.
struct TextSet {
  std::vector<std::int32_t> ids;
  std::vector<float> y;      // 1 = positive, 0 = negative
  std::vector<int> lengths;  // tokens kept per snippet (≤ max_len)
  int n = 0, max_len = 0;
  std::string source;
  const std::int32_t* sequence(int i) const {
    return ids.data() + static_cast<std::size_t>(i) * static_cast<std::size_t>(max_len);
  }
};

struct PolarityOptions {
  bool faithful = false;  // every other line, as the study's loader (5,330 snippets)
  double val_fraction = 0.1, test_fraction = 0.1;
  std::uint64_t seed = 0;  // of the split
  int max_len = 50;
  Pad pad = Pad::Pre;
  int min_count = 1;  // vocabulary: tokens seen fewer times in the training part are unknown
  int max_vocab = 0;  // > 0: cap the vocabulary size (padding and unknown included)
};

struct TextSplit {
  TextSet train, val, test;
  Vocabulary vocab;
  long unknown_tokens = 0, kept_tokens = 0;  // over val + test: ids that became kUnknown
  long lines_per_file = 0;  // snippets in each of the .pos and .neg files, before any subset
  // e.g. "rt-polarity: rt-polarity.pos + rt-polarity.neg (10,662 snippets, all lines; UTF-8)
  // from /work/shared/data/rt-polarity; split 8,530 / 1,066 / 1,066 (seed 0); vocabulary 18,7xx
  // (min count 1); 50 tokens"
  std::string description;
};

struct PolarityFiles {
  std::string dir, pos, neg;  // full paths
};

// Candidate directories for rt-polarity, in lookup order (existing or not).
std::vector<std::string> polarity_search_path();
// Finds the files per the order above; std::runtime_error listing every place looked (none
// found) or naming the missing file (the first location holding one file lacks the other).
PolarityFiles locate_polarity();

// Reads, splits and encodes (header). Throws std::runtime_error naming the file for bad files
// (read_text_lines) or unequal line counts of pos and neg; std::invalid_argument naming the
// option for bad options (fractions outside [0, 1) or summing to ≥ 1, max_len < 1,
// min_count < 1, max_vocab in {1}, or fewer than 2 training snippets).
TextSplit load_polarity(const PolarityFiles& files, const PolarityOptions& opt = {});
TextSplit load_polarity(const PolarityOptions& opt = {});

// Encodes tokenized docs with `vocab` into a TextSet (ids per the options' max_len and pad).
// Adds the number of unknown / all kept tokens to *unknown / *kept when given.
TextSet encode_texts(const std::vector<std::vector<std::string>>& docs, const std::vector<float>& y,
                     const Vocabulary& vocab, int max_len, Pad pad, long* unknown = nullptr,
                     long* kept = nullptr);

}  // namespace isobench
