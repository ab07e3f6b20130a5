// A token vocabulary: see vocabulary.hpp.
#include "isobench/data/vocabulary.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace isobench {

Vocabulary::Vocabulary() {
  words_ = {kPadToken, kUnknownToken};
  counts_ = {0, 0};
  // "<pad>" is not looked up: a text holding that token gets kUnknown, never the padding id
  // (whose row is constant zero and gets no gradient).
  index_ = {{kUnknownToken, kUnknown}};
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

}  // namespace isobench
