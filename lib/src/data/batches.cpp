#include "isobench/data/batches.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace isobench {

std::uint64_t uniform_index(Engine& eng, std::uint64_t n) {
  if (n == 0) throw std::invalid_argument("uniform_index: n must be >= 1");
  // Reject the top partial block of 2^64 so every residue is equally likely.
  const std::uint64_t rem = (~std::uint64_t{0} % n + 1) % n;  // 2^64 mod n
  std::uint64_t r = eng();
  if (rem != 0) {
    const std::uint64_t threshold = std::uint64_t{0} - rem;  // 2^64 − rem
    while (r >= threshold) r = eng();
  }
  return r % n;
}

void shuffle_indices(std::vector<int>& v, Engine& eng) {
  for (std::size_t i = v.size(); i > 1; --i) {
    const std::size_t j = uniform_index(eng, i);
    std::swap(v[i - 1], v[j]);
  }
}

std::vector<int> pixel_permutation(int size, std::uint64_t perm_seed) {
  std::vector<int> p(size);
  for (int i = 0; i < size; ++i) p[i] = i;
  Engine eng = make_engine("pixel_permutation", perm_seed);
  shuffle_indices(p, eng);
  return p;
}

const char* seq_view_name(SeqView v) {
  switch (v) {
    case SeqView::Flat:
      return "flat";
    case SeqView::Rows:
      return "rows";
    case SeqView::Pixels:
      return "pixels";
    case SeqView::PermutedPixels:
      return "permuted_pixels";
  }
  return "?";
}

int view_steps(SeqView v, int rows, int cols) {
  switch (v) {
    case SeqView::Flat:
      return 1;
    case SeqView::Rows:
      return rows;
    default:
      return rows * cols;
  }
}

int view_features(SeqView v, int rows, int cols) {
  switch (v) {
    case SeqView::Flat:
      return rows * cols;
    case SeqView::Rows:
      return cols;
    default:
      return 1;
  }
}

namespace {
void check_indices(const Dataset& d, const int* idx, int B) {
  for (int b = 0; b < B; ++b) {
    if (idx[b] < 0 || idx[b] >= d.n) {
      throw std::out_of_range("batch index " + std::to_string(idx[b]) + " outside the dataset (" +
                              std::to_string(d.n) + " samples)");
    }
  }
}
}  // namespace

BatchGatherer::BatchGatherer(SeqView view, int rows, int cols, std::uint64_t perm_seed)
    : view_(view), rows_(rows), cols_(cols) {
  if (view == SeqView::PermutedPixels) perm_ = pixel_permutation(rows * cols, perm_seed);
}

template <class T>
void BatchGatherer::gather_into(const Dataset& d, const int* idx, int B, T* out) const {
  if (d.rows != rows_ || d.cols != cols_) {
    throw std::invalid_argument("BatchGatherer: built for " + std::to_string(rows_) + "x" +
                                std::to_string(cols_) + " images, dataset has " +
                                std::to_string(d.rows) + "x" + std::to_string(d.cols));
  }
  check_indices(d, idx, B);
  const int dim = d.dim();
  switch (view_) {
    case SeqView::Flat:  // (B × dim)
      for (int b = 0; b < B; ++b)
        std::copy(d.sample(idx[b]), d.sample(idx[b]) + dim, out + b * dim);
      break;
    case SeqView::Rows:  // (rows × B × cols): step t of sample b is image row t
      for (int b = 0; b < B; ++b) {
        const float* img = d.sample(idx[b]);
        for (int t = 0; t < rows_; ++t) {
          std::copy(img + t * cols_, img + (t + 1) * cols_,
                    out + (static_cast<long>(t) * B + b) * cols_);
        }
      }
      break;
    case SeqView::Pixels:  // (dim × B × 1)
      for (int b = 0; b < B; ++b) {
        const float* img = d.sample(idx[b]);
        for (int t = 0; t < dim; ++t) out[static_cast<long>(t) * B + b] = img[t];
      }
      break;
    case SeqView::PermutedPixels:  // (dim × B × 1), step t reads pixel perm[t]
      for (int b = 0; b < B; ++b) {
        const float* img = d.sample(idx[b]);
        for (int t = 0; t < dim; ++t) out[static_cast<long>(t) * B + b] = img[perm_[t]];
      }
      break;
  }
}

void BatchGatherer::gather(const Dataset& d, const int* idx, int B, float* out) const {
  gather_into(d, idx, B, out);
}
void BatchGatherer::gather(const Dataset& d, const int* idx, int B, double* out) const {
  gather_into(d, idx, B, out);
}

void gather_batch(const Dataset& d, const int* idx, int B, SeqView view, float* out,
                  std::uint64_t perm_seed) {
  BatchGatherer(view, d.rows, d.cols, perm_seed).gather(d, idx, B, out);
}
void gather_batch(const Dataset& d, const int* idx, int B, SeqView view, double* out,
                  std::uint64_t perm_seed) {
  BatchGatherer(view, d.rows, d.cols, perm_seed).gather(d, idx, B, out);
}

void gather_labels(const Dataset& d, const int* idx, int B, int* out) {
  check_indices(d, idx, B);
  for (int b = 0; b < B; ++b) out[b] = d.y[idx[b]];
}

template <class T>
void gather_one_hot(const Dataset& d, const int* idx, int B, T* out) {
  check_indices(d, idx, B);
  std::fill(out, out + static_cast<long>(B) * d.classes, T(0));
  for (int b = 0; b < B; ++b) out[static_cast<long>(b) * d.classes + d.y[idx[b]]] = T(1);
}
template void gather_one_hot<float>(const Dataset&, const int*, int, float*);
template void gather_one_hot<double>(const Dataset&, const int*, int, double*);

namespace {
// Validates before any member is built (a negative n must not reach std::vector's constructor).
int checked_count(int n, int batch_size) {
  if (n < 0 || batch_size < 1) {
    throw std::invalid_argument(
        "MiniBatches: need n >= 0 and batch_size >= 1 (got n=" + std::to_string(n) +
        ", batch_size=" + std::to_string(batch_size) + ")");
  }
  return n;
}
}  // namespace

MiniBatches::MiniBatches(int n, int batch_size, LastBatch last)
    : n_(checked_count(n, batch_size)), batch_size_(batch_size), last_(last), order_(n_) {
  for (int i = 0; i < n; ++i) order_[i] = i;
}

void MiniBatches::shuffle(Engine& eng) {
  shuffle_indices(order_, eng);
}

int MiniBatches::num_batches() const {
  return last_ == LastBatch::Keep ? (n_ + batch_size_ - 1) / batch_size_ : n_ / batch_size_;
}

int MiniBatches::size(int b) const {
  return std::min(batch_size_, n_ - b * batch_size_);
}

}  // namespace isobench
