// Word-embedding layer and pretrained-vector loader: see embedding.hpp.
#include "isobench/embedding.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace isobench {

namespace {

std::size_t sz(long v) {
  return static_cast<std::size_t>(v);
}

// Fields of a line split at spaces and tabs.
std::vector<std::string> fields(const std::string& line) {
  return whitespace_tokens(line);
}

bool parse_float(const std::string& s, float& out) {
  errno = 0;
  char* end = nullptr;
  out = std::strtof(s.c_str(), &end);
  return end != s.c_str() && *end == '\0' && errno != ERANGE && std::isfinite(out);
}

bool parse_count(const std::string& s, long& out) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  out = std::strtol(s.c_str(), nullptr, 10);
  return true;
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

WordVectors load_word_vectors(const std::string& path, const Vocabulary* only) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw std::runtime_error(path + ": word-vector file not found");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open the word-vector file");
  WordVectors wv;
  wv.source = path;
  long header_dim = -1, header_count = -1, line_no = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::vector<std::string> f = fields(line);
    if (f.empty()) continue;
    long a = 0, b = 0;
    if (line_no == 1 && f.size() == 2 && parse_count(f[0], a) && parse_count(f[1], b)) {
      header_count = a;  // word2vec text header "COUNT D"
      header_dim = b;
      if (header_dim < 1)
        throw std::runtime_error(path + ": line 1: word2vec header gives dimension 0");
      wv.dim = static_cast<int>(header_dim);
      continue;
    }
    if (wv.dim == 0) {
      if (f.size() < 2)
        throw std::runtime_error(path + ":" + std::to_string(line_no) +
                                 ": expected \"word v1 ... vD\", found one field");
      wv.dim = static_cast<int>(f.size()) - 1;
    }
    const std::size_t D = sz(wv.dim);
    if (f.size() < D + 1)
      throw std::runtime_error(path + ":" + std::to_string(line_no) + ": " +
                               std::to_string(f.size() - 1) + " values where " +
                               std::to_string(wv.dim) +
                               " were expected (every line must hold a "
                               "word and the same number of values)");
    // The word is everything before the last D fields.
    std::string word = f[0];
    for (std::size_t k = 1; k + D < f.size(); ++k) word += " " + f[k];
    ++wv.lines_read;
    const std::size_t first = f.size() - D;
    std::vector<float> v(D);
    for (std::size_t k = 0; k < D; ++k)
      if (!parse_float(f[first + k], v[k]))
        throw std::runtime_error(path + ":" + std::to_string(line_no) + ": value " +
                                 std::to_string(k + 1) + " '" + f[first + k] +
                                 "' is not a finite number");
    if (only && only->id(word) == Vocabulary::kUnknown) continue;
    wv.words.push_back(std::move(word));
    wv.values.insert(wv.values.end(), v.begin(), v.end());
  }
  if (in.bad()) throw std::runtime_error(path + ": read error");
  if (wv.lines_read == 0)
    throw std::runtime_error(path + ": no word vectors in the file (empty, or a header only)");
  if (header_count >= 0 && header_count != wv.lines_read)
    throw std::runtime_error(path + ": the word2vec header announces " +
                             std::to_string(header_count) + " vectors but the file holds " +
                             std::to_string(wv.lines_read));
  return wv;
}

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
