// Word-embedding layer and the copy of pretrained vectors into it: see embedding.hpp.
#include "isobench/nn/embedding.hpp"

#include <algorithm>
#include <stdexcept>

namespace isobench {

namespace {

std::size_t sz(long v) {
  return static_cast<std::size_t>(v);
}

}  // namespace

template <class T>
Embedding<T>::Embedding(int vocab, int dim) {
  if (vocab < 2 || dim < 1)
    throw std::invalid_argument("Embedding: vocab must be >= 2 and dim >= 1 (got " +
                                std::to_string(vocab) + ", " + std::to_string(dim) + ")");
  table_ = Matrix<T>({sz(vocab), sz(dim)}, T(0));
  grad_ = Matrix<T>({sz(vocab), sz(dim)}, T(0));
}

template <class T>
void Embedding<T>::init(Engine& eng, double scale) {
  for (auto& v : table_) v = static_cast<T>((2 * uniform01(eng) - 1) * scale);
  std::fill(table_.data(), table_.data() + dim(), T(0));  // padding row
}

template <class T>
void Embedding<T>::init(const RunStreams& streams, double scale) {
  Engine eng = streams.weights("embedding", "uniform", table_.shape(0), table_.shape(1));
  init(eng, scale);
}

template <class T>
void Embedding<T>::forward(const std::int32_t* ids, int batch, int steps, T* x) const {
  const int D = dim(), V = vocab();
  for (int b = 0; b < batch; ++b) {
    const std::int32_t* seq = ids + sz(b) * sz(steps);
    for (int t = 0; t < steps; ++t) {
      const std::int32_t id = seq[t];
      if (id < 0 || id >= V)
        throw std::out_of_range("Embedding::forward: token id " + std::to_string(id) +
                                " outside the vocabulary [0, " + std::to_string(V) + ")");
      const T* row = table_.data() + sz(id) * sz(D);
      std::copy(row, row + D, x + (sz(t) * sz(batch) + sz(b)) * sz(D));
    }
  }
}

template <class T>
void Embedding<T>::backward(const std::int32_t* ids, int batch, int steps, const T* dx) {
  if (!trainable_) return;
  const int D = dim();
  std::fill(grad_.begin(), grad_.end(), T(0));
  for (int b = 0; b < batch; ++b) {
    const std::int32_t* seq = ids + sz(b) * sz(steps);
    for (int t = 0; t < steps; ++t) {
      const std::int32_t id = seq[t];
      if (id == Vocabulary::kPad) continue;  // the padding row is constant zero
      T* g = grad_.data() + sz(id) * sz(D);
      const T* d = dx + (sz(t) * sz(batch) + sz(b)) * sz(D);
      for (int k = 0; k < D; ++k) g[k] += d[k];
    }
  }
}

template <class T>
std::vector<ParamRef<T>> Embedding<T>::params() {
  if (!trainable_) return {};
  return {{table_.data(), grad_.data(), table_.size()}};
}

template class Embedding<float>;
template class Embedding<double>;

template <class T>
int assign_pretrained(Embedding<T>& emb, const WordVectors& vecs, const Vocabulary& vocab) {
  if (vecs.dim != emb.dim())
    throw std::invalid_argument("assign_pretrained: " + vecs.source + " holds " +
                                std::to_string(vecs.dim) + "-d vectors but the embedding is " +
                                std::to_string(emb.dim()) + "-d (set the embedding dimension to " +
                                std::to_string(vecs.dim) + ")");
  if (vocab.size() > emb.vocab())
    throw std::invalid_argument("assign_pretrained: vocabulary of " + std::to_string(vocab.size()) +
                                " words exceeds the embedding's " + std::to_string(emb.vocab()) +
                                " rows");
  const std::size_t D = sz(emb.dim());
  std::vector<char> done(sz(vocab.size()), 0);
  int found = 0;
  for (std::size_t i = 0; i < vecs.words.size(); ++i) {
    const int id = vocab.id(vecs.words[i]);
    if (id == Vocabulary::kPad || done[sz(id)]) continue;
    if (id == Vocabulary::kUnknown && vecs.words[i] != Vocabulary::kUnknownToken) continue;
    done[sz(id)] = 1;
    const float* v = vecs.vector(i);
    T* row = emb.table().data() + sz(id) * D;
    for (std::size_t k = 0; k < D; ++k) row[k] = static_cast<T>(v[k]);
    ++found;
  }
  return found;
}

template int assign_pretrained(Embedding<float>&, const WordVectors&, const Vocabulary&);
template int assign_pretrained(Embedding<double>&, const WordVectors&, const Vocabulary&);

}  // namespace isobench
