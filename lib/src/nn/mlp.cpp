#include "isobench/nn/mlp.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "isobench/core/blas.hpp"
#include "isobench/nn/fast_tanh.hpp"

namespace isobench {
namespace {
std::size_t sz(int v) {
  return static_cast<std::size_t>(v);
}

// a = φ(h + b) row by row, h updated in place to hold the biased pre-activation.
template <class Act, class T>
void bias_activate(T* h, T* a, const T* b, int rows, int cols, bool activate) {
  for (int r = 0; r < rows; ++r) {
    T* hr = h + sz(r) * cols;
    T* ar = a + sz(r) * cols;
    if (b)
      for (int c = 0; c < cols; ++c) hr[c] += b[c];
    if (activate) {
      if constexpr (std::is_same_v<Act, TanhAct> && std::is_same_v<T, float>)
        tanh_fast(hr, ar, static_cast<std::size_t>(cols));  // SSE2; libm tanhf dominated the step
      else
        for (int c = 0; c < cols; ++c) ar[c] = Act::f(hr[c]);
    } else
      std::copy(hr, hr + cols, ar);
  }
}

// d ← d ⊙ φ'(h) (in place), and the column sums of the result into gb (if non-null).
template <class Act, class T>
void activation_backward(T* d, const T* h, const T* a, T* gb, int rows, int cols, bool activate) {
  if (gb) std::fill(gb, gb + cols, T(0));
  for (int r = 0; r < rows; ++r) {
    T* dr = d + sz(r) * cols;
    const T* hr = h + sz(r) * cols;
    const T* ar = a + sz(r) * cols;
    if (activate)
      for (int c = 0; c < cols; ++c) dr[c] *= Act::df(hr[c], ar[c]);
    if (gb)
      for (int c = 0; c < cols; ++c) gb[c] += dr[c];
  }
}
}  // namespace

template <class T>
Mlp<T>::Mlp(const MlpConfig& cfg) : cfg_(cfg) {
  if (cfg.depth < 1 || cfg.input_dim < 1 || cfg.output_dim < 1 || (cfg.depth > 1 && cfg.width < 1))
    throw std::invalid_argument("MlpConfig: depth, width and dims must be positive (depth " +
                                std::to_string(cfg.depth) + ", width " + std::to_string(cfg.width) +
                                ")");
  dims_.resize(sz(cfg.depth + 1));
  dims_[0] = cfg.input_dim;
  for (int l = 1; l < cfg.depth; ++l) dims_[sz(l)] = cfg.width;
  dims_[sz(cfg.depth)] = cfg.output_dim;
  for (int l = 1; l <= cfg.depth; ++l) {
    const std::size_t o = sz(dims_[sz(l)]), i = sz(dims_[sz(l - 1)]);
    w_.emplace_back(typename Matrix<T>::shape_type{o, i}, T(0));
    gw_.emplace_back(typename Matrix<T>::shape_type{o, i}, T(0));
    b_.emplace_back(typename Vector<T>::shape_type{o}, T(0));
    gb_.emplace_back(typename Vector<T>::shape_type{o}, T(0));
  }
}

template <class T>
void Mlp<T>::init(const InitSpec& w_init, double sb2, Engine& eng) {
  for (auto& w : w_) initialize(w_init, w, eng);
  const double sb = std::sqrt(std::max(0.0, sb2));
  for (auto& b : b_)
    for (auto& x : b) x = sb > 0 ? static_cast<T>(sb * standard_normal(eng)) : T(0);
}

template <class T>
void Mlp<T>::init(const InitSpec& w_init, double sb2, const RunStreams& streams) {
  const double sb = std::sqrt(std::max(0.0, sb2));
  for (std::size_t l = 0; l < w_.size(); ++l) {
    const std::string layer = std::to_string(l + 1);
    initialize(w_init, w_[l], streams, "mlp/weight" + layer);
    Engine eng = streams.weights("mlp/bias" + layer, "normal", b_[l].size(), 1);
    for (auto& x : b_[l]) x = sb > 0 ? static_cast<T>(sb * standard_normal(eng)) : T(0);
  }
}

template <class T>
void Mlp<T>::reserve(int max_batch) {
  if (max_batch <= max_batch_) return;
  max_batch_ = max_batch;
  h_.clear();
  a_.clear();
  d_.clear();
  for (int l = 0; l <= cfg_.depth; ++l) {
    const typename Matrix<T>::shape_type s{sz(max_batch), sz(dims_[sz(l)])};
    h_.emplace_back(s, T(0));
    a_.emplace_back(s, T(0));
    d_.emplace_back(s, T(0));
  }
}

template <class T>
const T* Mlp<T>::forward(const T* x, int batch) {
  if (batch < 1) throw std::invalid_argument("Mlp::forward: empty batch");
  if (batch > max_batch_) reserve(batch);
  batch_ = batch;
  std::copy(x, x + sz(batch) * dims_[0], a_[0].data());
  dispatch_activation(cfg_.act, [&](auto act) {
    using Act = decltype(act);
    for (int l = 1; l <= cfg_.depth; ++l) {
      const int in = dims_[sz(l - 1)], out = dims_[sz(l)];
      gemm(Op::N, Op::T, batch, out, in, T(1), a_[sz(l - 1)].data(), in, w_[sz(l - 1)].data(), in,
           T(0), h_[sz(l)].data(), out);
      bias_activate<Act>(h_[sz(l)].data(), a_[sz(l)].data(),
                         cfg_.bias ? b_[sz(l - 1)].data() : nullptr, batch, out,
                         layer_activated(l));
    }
  });
  return a_[sz(cfg_.depth)].data();
}

template <class T>
void Mlp<T>::backward(const T* dy, T* dx) {
  const int batch = batch_;
  if (batch < 1) throw std::logic_error("Mlp::backward before forward");
  const int L = cfg_.depth;
  std::copy(dy, dy + sz(batch) * dims_[sz(L)], d_[sz(L)].data());
  dispatch_activation(cfg_.act, [&](auto act) {
    using Act = decltype(act);
    for (int l = L; l >= 1; --l) {
      const int in = dims_[sz(l - 1)], out = dims_[sz(l)];
      T* d = d_[sz(l)].data();  // dL/dx_l → dL/dh_l in place
      activation_backward<Act>(d, h_[sz(l)].data(), a_[sz(l)].data(),
                               cfg_.bias ? gb_[sz(l - 1)].data() : nullptr, batch, out,
                               layer_activated(l));
      // dW_l = dHᵀ X_{l−1}   (out × in)
      gemm(Op::T, Op::N, out, in, batch, T(1), d, out, a_[sz(l - 1)].data(), in, T(0),
           gw_[sz(l - 1)].data(), in);
      // dX_{l−1} = dH W_l   (batch × in)
      if (l > 1 || dx)
        gemm(Op::N, Op::N, batch, in, out, T(1), d, out, w_[sz(l - 1)].data(), in, T(0),
             l > 1 ? d_[sz(l - 1)].data() : dx, in);
    }
  });
  if (!cfg_.bias)
    for (auto& g : gb_) g.fill(T(0));
}

template <class T>
double Mlp<T>::weight_grad_norm(int l) const {
  double s = 0;
  for (T g : gw_[sz(l - 1)]) s += static_cast<double>(g) * g;
  return std::sqrt(s);
}

template <class T>
std::vector<ParamRef<T>> Mlp<T>::params() {
  std::vector<ParamRef<T>> p;
  for (std::size_t l = 0; l < w_.size(); ++l) {
    p.push_back({w_[l].data(), gw_[l].data(), w_[l].size()});
    if (cfg_.bias) p.push_back({b_[l].data(), gb_[l].data(), b_[l].size()});
  }
  return p;
}

template <class T>
std::size_t Mlp<T>::num_params() const {
  std::size_t n = 0;
  for (std::size_t l = 0; l < w_.size(); ++l) n += w_[l].size() + (cfg_.bias ? b_[l].size() : 0);
  return n;
}

template class Mlp<float>;
template class Mlp<double>;

}  // namespace isobench
