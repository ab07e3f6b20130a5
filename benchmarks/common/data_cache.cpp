#include "data_cache.hpp"

#include "bench_common.hpp"

namespace isobench::bench {

const DataSplit& cached_split(const SplitKey& key) {
  return cached<DataSplit>(key, [&] {
    DataSplit s = load_split(key.dataset, key.val_fraction, key.seed, key.max_train);
    if (key.standardize != Standardize::None) standardize(s, key.standardize);
    std::string desc = s.description;
    if (!key.cap_note.empty() && key.max_train >= 0)
      desc += "; " + key.cap_note + ": at most " + std::to_string(key.max_train) +
              " training samples (" + std::to_string(s.train.n) + " used)";
    note_dataset(key.dataset, desc, s.files);
    return s;
  });
}

}  // namespace isobench::bench
