// Mini-batches and the views the research questions feed to their models.
//
// Views of a 28×28 image (docs/RESEARCH.md §3): flat 784-vectors for MLPs; row-sequential (28 steps
// of 28 pixels, the SEED task); pixel-sequential (784 steps of 1 pixel); permuted pixel-sequential
// (the same fixed random permutation of the 784 pixels for every image, Le et al. 2015).
// Sequential batches are TIME-MAJOR, (T × B × F) contiguous: row t·B + b is sample b at step t,
// so one step of an RNN reads a contiguous (B × F) block and can hand it to gemm directly.
//
// Shuffling uses the run's Engine through uniform_index (rejection sampling on raw engine bits),
// so the order is the same on every platform — std::shuffle / uniform_int_distribution are not.
#pragma once

#include <cstdint>
#include <vector>

#include "isobench/core/rng.hpp"
#include "isobench/core/state_archive.hpp"
#include "isobench/data/datasets.hpp"

namespace isobench {

// Uniform integer in [0, n), n ≥ 1, unbiased and platform-independent.
std::uint64_t uniform_index(Engine& eng, std::uint64_t n);

// Fisher–Yates shuffle of v in place, driven by uniform_index.
void shuffle_indices(std::vector<int>& v, Engine& eng);

// The fixed permutation of `size` pixels used by SeqView::PermutedPixels: a bijection of
// [0, size) drawn from make_engine("pixel_permutation", perm_seed). Step t of the permuted
// sequence reads pixel perm[t].
std::vector<int> pixel_permutation(int size, std::uint64_t perm_seed);

enum class SeqView { Flat, Rows, Pixels, PermutedPixels };
const char* seq_view_name(SeqView v);  // "flat", "rows", "pixels", "permuted_pixels"

// Steps T and features F of a view of a rows×cols image: Flat is one "step" of rows·cols features.
int view_steps(SeqView v, int rows, int cols);
int view_features(SeqView v, int rows, int cols);

// Gathers samples idx[0..B) of d into `out`. Flat: (B × dim). Rows: (T=rows × B × F=cols).
// Pixels / PermutedPixels: (T=rows·cols × B × 1). out must hold B·dim floats.
// PermutedPixels recomputes the permutation from perm_seed on every call (≈ µs for 784 pixels);
// a training loop should hold a BatchGatherer instead.
void gather_batch(const Dataset& d, const int* idx, int B, SeqView view, float* out,
                  std::uint64_t perm_seed = 0);
void gather_batch(const Dataset& d, const int* idx, int B, SeqView view, double* out,
                  std::uint64_t perm_seed = 0);

// The same, with the permutation computed once.
class BatchGatherer {
 public:
  BatchGatherer(SeqView view, int rows, int cols, std::uint64_t perm_seed = 0);
  SeqView view() const { return view_; }
  int steps() const { return view_steps(view_, rows_, cols_); }
  int features() const { return view_features(view_, rows_, cols_); }
  const std::vector<int>& permutation() const { return perm_; }  // empty unless PermutedPixels
  // Shapes as gather_batch; throws std::invalid_argument if d's image size differs.
  void gather(const Dataset& d, const int* idx, int B, float* out) const;
  void gather(const Dataset& d, const int* idx, int B, double* out) const;  // widened copy

 private:
  template <class T>
  void gather_into(const Dataset& d, const int* idx, int B, T* out) const;

  SeqView view_;
  int rows_, cols_;
  std::vector<int> perm_;
};

// Labels of samples idx[0..B): class indices (B) or one-hot rows (B × classes).
void gather_labels(const Dataset& d, const int* idx, int B, int* out);
template <class T>
void gather_one_hot(const Dataset& d, const int* idx, int B, T* out);

// Splits [0, n) into mini-batches of `batch_size`, reshuffled each epoch by shuffle(eng).
// LastBatch::Keep (default) ends an epoch with the partial batch, so every sample is seen exactly
// once per epoch; LastBatch::Drop omits it (then n mod batch_size samples sit out that epoch).
//
//   MiniBatches mb(train.n, 128);
//   for (int epoch = 0; epoch < E; ++epoch) {
//     mb.shuffle(eng);
//     for (int b = 0; b < mb.num_batches(); ++b) gather_batch(train, mb.indices(b), mb.size(b), …);
//   }
enum class LastBatch { Keep, Drop };
class MiniBatches {
 public:
  MiniBatches(int n, int batch_size, LastBatch last = LastBatch::Keep);
  void shuffle(Engine& eng);  // new random order (the identity order until first called)
  int num_batches() const;
  int size(int b) const;  // samples in batch b (batch_size, or fewer for the last one)
  const int* indices(int b) const { return order_.data() + static_cast<long>(b) * batch_size_; }
  int batch_size() const { return batch_size_; }
  int num_samples() const { return n_; }
  const std::vector<int>& order() const { return order_; }  // all n indices, batch 0 first
  // Checkpoints (state_archive.hpp): this epoch's order.
  void state(StateArchive& ar) { ar.io("batches.order", order_); }

 private:
  int n_, batch_size_;
  LastBatch last_;
  std::vector<int> order_;
};

}  // namespace isobench
