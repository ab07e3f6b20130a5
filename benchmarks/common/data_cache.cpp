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

std::string split_identity(const SplitKey& key) {
  const char* how = key.standardize == Standardize::None       ? "none"
                    : key.standardize == Standardize::PerPixel ? "per_pixel"
                                                               : "global";
  return key.dataset + "/val:" + fmt(key.val_fraction) + "/split_seed:" + std::to_string(key.seed) +
         "/max_train:" + std::to_string(key.max_train) + "/standardize:" + how;
}

}  // namespace isobench::bench
