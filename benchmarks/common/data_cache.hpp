// The families' one data cache: each data set a run needs is built once per process and shared
// by every run of the binary (Google Benchmark runs them one after another; the lock makes a
// concurrent first use build it once too).
//
// cached_split(SplitKey) covers the image data sets (MNIST, Fashion-MNIST): the key is everything
// that decides the split, and the first use notes the data set in the results context
// (note_dataset) exactly once. cached<T>(key, make) is the same facility for data a family derives
// itself (RQB's second moments, SENT's texts): one entry per key, built by make() under the lock.
// A make() that throws stores nothing: the next run tries again and reports the same error.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>

#include "isobench/data/datasets.hpp"

namespace isobench::bench {

namespace detail {
template <class Key, class T>
struct Cache {
  std::mutex m;
  std::map<Key, std::unique_ptr<T>> entries;
};
template <class Key, class T>
Cache<Key, T>& cache_of() {
  static Cache<Key, T> c;
  return c;
}
}  // namespace detail

// The value for `key`, built by make() (returning T) on first use; the reference stays valid for
// the whole process. Key needs operator<. Throws what make() throws.
template <class T, class Key, class Make>
const T& cached(const Key& key, Make&& make) {
  detail::Cache<Key, T>& c = detail::cache_of<Key, T>();
  std::lock_guard<std::mutex> lock(c.m);
  auto it = c.entries.find(key);
  if (it == c.entries.end()) {
    auto value = std::make_unique<T>(make());  // throws: nothing stored
    it = c.entries.emplace(key, std::move(value)).first;
  }
  return *it->second;
}

// Everything that decides a split of an image data set (load_split, standardize).
struct SplitKey {
  std::string dataset;      // "mnist" or "fashion-mnist"
  double val_fraction;      // part of the training file held out
  std::uint64_t seed;       // the split's shuffle seed
  int max_train;            // training samples kept (-1: all)
  Standardize standardize;  // statistics of the training part
  // Non-empty: the results context's description adds "; CAP_NOTE: at most max_train training
  // samples (n used)" (SEED's quick profile). Part of the key so each description is noted.
  std::string cap_note;

  SplitKey(std::string dataset_, double val_fraction_, std::uint64_t seed_, int max_train_ = -1,
           Standardize standardize_ = Standardize::None, std::string cap_note_ = {})
      : dataset(std::move(dataset_)),
        val_fraction(val_fraction_),
        seed(seed_),
        max_train(max_train_),
        standardize(standardize_),
        cap_note(std::move(cap_note_)) {}

  bool operator<(const SplitKey& o) const {
    return std::tie(dataset, val_fraction, seed, max_train, standardize, cap_note) <
           std::tie(o.dataset, o.val_fraction, o.seed, o.max_train, o.standardize, o.cap_note);
  }
};

// The split's identity for the run's batch-order stream (RunStreams's `data`, core/streams.hpp):
// "DATASET/val:F/split_seed:S/max_train:M/standardize:none|per_pixel|global" — what decides
// which samples the training part holds (not the cap note, a description only).
std::string split_identity(const SplitKey& key);

// load_split(key.dataset, key.val_fraction, key.seed, key.max_train), standardized as the key
// says, loaded once per process; the first load notes the data set (note_dataset). Throws what
// load_split throws (missing or malformed files, named).
const DataSplit& cached_split(const SplitKey& key);

}  // namespace isobench::bench
