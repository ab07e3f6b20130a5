// A word-embedding layer: a lookup table E (V × D) mapping token ids to vectors, producing the
// LSTM's time-major input (lstm.hpp), and a loader for pretrained vectors in the GloVe /
// word2vec text format.
//
//   forward   x[t, b, :] = E[ids[b, t], :]                      ids (B × L) → x (L × B × D)
//   backward  ∂L/∂E[v, :] = Σ_{(t, b): ids[b, t] = v} ∂L/∂x[t, b, :]   (v ≠ padding)
//
// The padding row (id 0, Vocabulary::kPad) stays exactly zero and gets no gradient, so padded
// steps feed the LSTM zero vectors (as zero-padded pretrained vectors would). Initialization:
// uniform(−0.05, 0.05) (Keras' Embedding default), padding row zero.
//
// Pretrained vectors (GloVe / word2vec text or binary, raw or gzip'd) are read by
// load_word_vectors (word_vectors.hpp). assign_pretrained() copies the vector of every
// vocabulary word found; the others keep their random initialization. `set_trainable(false)`
// freezes the table (params() is then empty and backward() skips the table gradient).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "isobench/core/rng.hpp"
#include "isobench/core/streams.hpp"
#include "isobench/core/tensor.hpp"
#include "isobench/data/text.hpp"
#include "isobench/data/word_vectors.hpp"

namespace isobench {

template <class T>
class Embedding {
 public:
  // vocab ≥ 2 (padding and unknown at least), dim ≥ 1; std::invalid_argument otherwise.
  Embedding(int vocab, int dim);

  // Uniform(−scale, scale) entries (Keras: 0.05), padding row zero.
  void init(Engine& eng, double scale = 0.05);
  // The same from the stream "embedding" (vocab × dim, init "uniform"; core/streams.hpp), the
  // uniforms drawn before scaling (so two scales share them).
  void init(const RunStreams& streams, double scale = 0.05);

  // ids: (B × L) row-major (sample b's sequence at ids + b·L), every id in [0, vocab) — an id
  // outside throws std::out_of_range. x: (L × B × D) time-major, fully overwritten.
  void forward(const std::int32_t* ids, int batch, int steps, T* x) const;

  // dx: (L × B × D), the gradient of the loss w.r.t. the last forward's x, for the same ids.
  // Overwrites the table gradient (zero rows for ids not used). No-op when frozen.
  void backward(const std::int32_t* ids, int batch, int steps, const T* dx);

  int vocab() const { return static_cast<int>(table_.shape(0)); }
  int dim() const { return static_cast<int>(table_.shape(1)); }
  Matrix<T>& table() { return table_; }  // E (V × D)
  const Matrix<T>& table() const { return table_; }
  Matrix<T>& table_grad() { return grad_; }

  bool trainable() const { return trainable_; }
  void set_trainable(bool on) { trainable_ = on; }
  // {E, ∂L/∂E} when trainable, else empty.
  std::vector<ParamRef<T>> params();

 private:
  Matrix<T> table_, grad_;
  bool trainable_ = true;
};

extern template class Embedding<float>;
extern template class Embedding<double>;

// Copies the vector of every word of `vocab` present in `vecs` into its row of emb's table;
// returns how many rows were set. Throws std::invalid_argument when the dimensions differ or
// the vocabulary is larger than the table. Padding stays zero.
template <class T>
int assign_pretrained(Embedding<T>& emb, const WordVectors& vecs, const Vocabulary& vocab);

}  // namespace isobench
