// A token vocabulary: id 0 = padding, 1 = unknown, then tokens by descending count (ties in byte
// order). Used by the rt-polarity pipeline (text.hpp) and the word-vector loader
// (word_vectors.hpp); its own file so the fuzz targets can link it without the rest.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace isobench {

class Vocabulary {
 public:
  static constexpr int kPad = 0, kUnknown = 1;
  static constexpr const char* kPadToken = "<pad>";
  static constexpr const char* kUnknownToken = "<unk>";

  Vocabulary();  // padding and unknown only
  // Every token of `docs` seen at least min_count (≥ 1) times, by descending count then bytes;
  // max_size > 0 caps the size (padding and unknown included, so max_size ≥ 2).
  static Vocabulary build(const std::vector<std::vector<std::string>>& docs, int min_count = 1,
                          int max_size = 0);

  int size() const { return static_cast<int>(words_.size()); }
  // kUnknown when absent, also for the token "<pad>" (only padding has id kPad).
  int id(std::string_view token) const;
  const std::string& word(int id) const { return words_.at(static_cast<std::size_t>(id)); }
  long count(int id) const { return counts_.at(static_cast<std::size_t>(id)); }

 private:
  std::vector<std::string> words_;
  std::vector<long> counts_;  // training-part count (0 for padding / unknown)
  std::unordered_map<std::string, int> index_;
};

}  // namespace isobench
