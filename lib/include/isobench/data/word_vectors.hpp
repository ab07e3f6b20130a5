// Pretrained word vectors read from a file: the GloVe / word2vec text formats and the word2vec
// binary format, raw or gzip-compressed (Pennington et al. 2014, GloVe; Mikolov et al. 2013,
// word2vec). Used by SENT (ISOBENCH_EMBEDDINGS, benchmarks/family_sent.cpp) via embedding.hpp.
//
// Format, detected from the content (never from the file name):
//   gzip       the file starts with 1f 8b: decompressed in memory (isobench::gunzip, at most
//              kWordVectorsMaxBytes decompressed), then read as below.
//   text       one vector per line, "word v1 v2 … vD", fields separated by spaces / tabs; CRLF,
//              a UTF-8 byte-order mark and blank lines are accepted. The first non-blank line may
//              be a word2vec header "COUNT D" (two unsigned integers); D comes from it, else from
//              the first vector line. A line with fewer than D + 1 fields is an error at
//              file:line; a line with more is a word holding spaces (GloVe 840B has a few: the word
//              is everything before the last D fields, its tokens joined by one space) unless
//              every extra field is a number, nan and inf included — then it is an error at
//              file:line (a wide line, or a header D that does not match the vectors).
//   binary     (word2vec -binary 1, gensim binary=True) the header line "COUNT D\n", then COUNT
//              records "word" ' ' D little-endian float32 (whitespace before a word is skipped).
//              Recognised when the bytes after the header are not text (control bytes, or not
//              UTF-8 and not a valid text vector line).
// Checks: COUNT in [1, kWordVectorsMaxCount] and D in [1, kWordVectorsMaxDim] before any use; the
// header's COUNT must equal the vectors read; every value must be a finite float (a text value
// that underflows, e.g. 1e-40, is kept as the subnormal or 0 strtof gives; one that overflows
// float32, e.g. 1e39, is an error). Every failure is a std::runtime_error naming the file (and
// line, or record, where meaningful; a binary record's error asks whether the header's D is
// right); bytes of the file quoted in a message are escaped (escape_bytes).
//
// Words are kept as their bytes (a word that is not UTF-8 is counted, not changed). A word read
// twice keeps its first vector; later ones are counted as duplicates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "isobench/data/vocabulary.hpp"

namespace isobench {

constexpr long kWordVectorsMaxDim = 100000;        // real files: 25–1,024
constexpr long kWordVectorsMaxCount = 1000000000;  // real files: ≤ 3 million words
// Decompressed size limit of a gzip'd file (held in memory whole): fastText's crawl-300d-2M and
// cc.*.300 files are 4–7 GB decompressed, so 2 GiB would be too small.
constexpr std::size_t kWordVectorsMaxBytes = std::size_t{16} << 30;

// n words, (n × dim) values row-major, and what the reader saw.
struct WordVectors {
  int dim = 0;
  std::vector<std::string> words;
  std::vector<float> values;
  long lines_read = 0;         // vector records in the file (kept or not)
  std::string source;          // the file
  std::string format;          // "word2vec text", "GloVe text (no header)" or "word2vec binary"
  bool gzip = false;           // the file was gzip-compressed
  bool bom = false;            // a UTF-8 byte-order mark was stripped
  bool filtered = false;       // read with a vocabulary (`only`): words outside it dropped
  long multi_token_words = 0;  // records whose word holds spaces
  long duplicates = 0;         // records of a word already kept (ignored: the first one wins)
  long non_utf8_words = 0;     // records whose word is not valid UTF-8 (kept as bytes)
  const float* vector(std::size_t i) const {
    return values.data() + i * static_cast<std::size_t>(dim);
  }
  // One line for the results context, e.g. "word2vec text format, gzip-compressed, UTF-8 with
  // BOM; 400,000 vectors of 300 values; 3 multi-token words; 0 duplicate words ignored".
  std::string summary() const;
};

// Reads `path` (format above). With `only`, keeps just the words of that vocabulary (not its
// padding / unknown entries), so a large file need not fit in memory (a gzip'd one's decompressed
// bytes do). Throws std::runtime_error as above (also for a missing file, a directory, a file
// with no vector, or a header only).
WordVectors load_word_vectors(const std::string& path, const Vocabulary* only = nullptr);

// The same from bytes in memory (`name` stands for the file in messages); the fuzz target's entry.
WordVectors parse_word_vectors(const std::uint8_t* bytes, std::size_t size, const std::string& name,
                               const Vocabulary* only = nullptr);

}  // namespace isobench
