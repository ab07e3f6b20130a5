#include "isobench/nn/rnn.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "isobench/core/blas.hpp"
#include "isobench/nn/fast_tanh.hpp"
#include "row_ops.hpp"

namespace isobench {
namespace {
using detail::add_row_vector;
using detail::column_sums;
using detail::mshape;
using detail::sz;
}  // namespace

template <class T>
Rnn<T>::Rnn(const RnnConfig& cfg) : cfg_(cfg) {
  if (cfg.input_dim < 1 || cfg.hidden < 1 || cfg.output_dim < 1)
    throw std::invalid_argument(
        "RnnConfig: input_dim, hidden and output_dim must be positive (got " +
        std::to_string(cfg.input_dim) + ", " + std::to_string(cfg.hidden) + ", " +
        std::to_string(cfg.output_dim) + ")");
  const int H = cfg.hidden, F = cfg.input_dim, K = cfg.output_dim;
  w_ = Matrix<T>(mshape<T>(H, H), T(0));
  gw_ = w_;
  u_ = Matrix<T>(mshape<T>(H, F), T(0));
  gu_ = u_;
  v_ = Matrix<T>(mshape<T>(K, H), T(0));
  gv_ = v_;
  b_ = Vector<T>({sz(H)}, T(0));
  gb_ = b_;
  c_ = Vector<T>({sz(K)}, T(0));
  gc_ = c_;
}

template <class T>
void Rnn<T>::init(const InitSpec& recurrent, const InitSpec& input, const InitSpec& readout,
                  Engine& eng) {
  initialize(recurrent, w_, eng);
  initialize(input, u_, eng);
  initialize(readout, v_, eng);
  b_.fill(T(0));
  c_.fill(T(0));
}

template <class T>
void Rnn<T>::init(const InitSpec& recurrent, const InitSpec& input, const InitSpec& readout,
                  const RunStreams& streams) {
  initialize(recurrent, w_, streams, "rnn/recurrent");
  initialize(input, u_, streams, "rnn/input");
  initialize(readout, v_, streams, "rnn/readout");
  b_.fill(T(0));
  c_.fill(T(0));
}

template <class T>
void Rnn<T>::reserve(int steps, int batch) {
  if (steps < 1 || batch < 1)
    throw std::invalid_argument("Rnn::reserve: steps and batch must be positive (got " +
                                std::to_string(steps) + ", " + std::to_string(batch) + ")");
  if (steps <= max_steps_ && batch <= max_batch_) return;
  max_steps_ = std::max(steps, max_steps_);
  max_batch_ = std::max(batch, max_batch_);
  const int rows = max_steps_ * max_batch_, H = cfg_.hidden;
  xs_ = Matrix<T>(mshape<T>(rows, cfg_.input_dim), T(0));
  hs_ = Matrix<T>(mshape<T>(rows + max_batch_, H), T(0));
  pre_ = Matrix<T>(mshape<T>(rows, H), T(0));
  delta_ = Matrix<T>(mshape<T>(rows, H), T(0));
  out_ = Matrix<T>(mshape<T>(cfg_.many_to_many ? rows : max_batch_, cfg_.output_dim), T(0));
}

template <class T>
const T* Rnn<T>::forward(const T* x, int steps, int batch) {
  if (steps < 1 || batch < 1)
    throw std::invalid_argument("Rnn::forward: steps and batch must be positive (got " +
                                std::to_string(steps) + ", " + std::to_string(batch) + ")");
  reserve(steps, batch);  // no-op when already reserved
  steps_ = steps;
  batch_ = batch;
  const int F = cfg_.input_dim, H = cfg_.hidden, K = cfg_.output_dim, B = batch;
  const int rows = steps * B;
  std::copy(x, x + sz(rows) * F, xs_.data());
  T* pre = pre_.data();
  T* hs = hs_.data();  // block t (B × H) holds h_t
  // All input projections at once: PRE = X Uᵀ (+ b)   (T·B × H)
  gemm(Op::N, Op::T, rows, H, F, T(1), xs_.data(), F, u_.data(), F, T(0), pre, H);
  if (cfg_.bias) add_row_vector(pre, b_.data(), rows, H);
  std::fill(hs, hs + sz(B) * H, T(0));  // h_0 = 0
  dispatch_activation(cfg_.act, [&](auto act) {
    using Act = typename RecurrentAct<decltype(act)>::type;
    for (int t = 1; t <= steps; ++t) {
      T* pt = pre + sz(t - 1) * B * H;
      // PRE_t += H_{t−1} Wᵀ (h_0 = 0 contributes nothing)
      if (t > 1)
        gemm(Op::N, Op::T, B, H, H, T(1), hs + sz(t - 1) * B * H, H, w_.data(), H, T(1), pt, H);
      T* ht = hs + sz(t) * B * H;
      apply_recurrent_act<Act>(pt, ht, sz(B) * H);
    }
  });
  // Read-out: the last state (B × H), or every state h_1..h_T (T·B × H) in one GEMM.
  const int out_rows = cfg_.many_to_many ? rows : B;
  const T* hread = cfg_.many_to_many ? hs + sz(B) * H : hs + sz(steps) * B * H;
  gemm(Op::N, Op::T, out_rows, K, H, T(1), hread, H, v_.data(), H, T(0), out_.data(), K);
  if (cfg_.bias) add_row_vector(out_.data(), c_.data(), out_rows, K);
  return out_.data();
}

template <class T>
void Rnn<T>::backward(const T* dlogits, T* dx) {
  if (steps_ < 1) throw std::logic_error("Rnn::backward called before forward");
  const int F = cfg_.input_dim, H = cfg_.hidden, K = cfg_.output_dim, B = batch_, S = steps_;
  const int rows = S * B;
  const T* hs = hs_.data();
  T* delta = delta_.data();  // block t−1 holds δ_t = ∂L/∂pre_t (B × H)
  // Read-out: dV = dYᵀ H_read, dc = Σ rows dY, and the direct part of ∂L/∂h_t.
  if (cfg_.many_to_many) {
    gemm(Op::T, Op::N, K, H, rows, T(1), dlogits, K, hs + sz(B) * H, H, T(0), gv_.data(), H);
    if (cfg_.bias) column_sums(dlogits, rows, K, gc_.data());
    // ∂L/∂h_t (direct) for all t at once, into δ's buffer   (T·B × H)
    gemm(Op::N, Op::N, rows, H, K, T(1), dlogits, K, v_.data(), H, T(0), delta, H);
  } else {
    gemm(Op::T, Op::N, K, H, B, T(1), dlogits, K, hs + sz(S) * B * H, H, T(0), gv_.data(), H);
    if (cfg_.bias) column_sums(dlogits, B, K, gc_.data());
    gemm(Op::N, Op::N, B, H, K, T(1), dlogits, K, v_.data(), H, T(0), delta + sz(S - 1) * B * H, H);
  }
  dispatch_activation(cfg_.act, [&](auto act) {
    using Act = typename RecurrentAct<decltype(act)>::type;
    for (int t = S; t >= 1; --t) {
      T* dt = delta + sz(t - 1) * B * H;
      // ∂L/∂h_t += δ_{t+1} W   (many-to-one: only the last step has a direct part)
      if (t < S)
        gemm(Op::N, Op::N, B, H, H, T(1), dt + sz(B) * H, H, w_.data(), H,
             cfg_.many_to_many ? T(1) : T(0), dt, H);
      // δ_t = ∂L/∂h_t ⊙ φ'(pre_t)
      const T* pt = pre_.data() + sz(t - 1) * B * H;
      const T* ht = hs + sz(t) * B * H;
      for (std::size_t i = 0, n = sz(B) * H; i < n; ++i) dt[i] *= Act::df(pt[i], ht[i]);
    }
  });
  // Weight gradients over all steps in one GEMM each: dW = Σ_{t≥2} δ_tᵀ H_{t−1} (h_0 = 0 adds
  // nothing; the stacked δ_2..δ_T and H_1..H_{T−1} are contiguous (T−1)·B-row blocks),
  // dU = Σ_t δ_tᵀ X_t, db = Σ rows δ.
  if (S > 1)
    gemm(Op::T, Op::N, H, H, rows - B, T(1), delta + sz(B) * H, H, hs + sz(B) * H, H, T(0),
         gw_.data(), H);
  else
    gw_.fill(T(0));
  gemm(Op::T, Op::N, H, F, rows, T(1), delta, H, xs_.data(), F, T(0), gu_.data(), F);
  if (cfg_.bias) {
    column_sums(delta, rows, H, gb_.data());
  } else {
    gb_.fill(T(0));
    gc_.fill(T(0));
  }
  // dX = Δ U   (T·B × F)
  if (dx) gemm(Op::N, Op::N, rows, F, H, T(1), delta, H, u_.data(), F, T(0), dx, F);
}

template <class T>
std::vector<ParamRef<T>> Rnn<T>::params() {
  std::vector<ParamRef<T>> p;
  p.push_back({w_.data(), gw_.data(), w_.size()});
  p.push_back({u_.data(), gu_.data(), u_.size()});
  if (cfg_.bias) p.push_back({b_.data(), gb_.data(), b_.size()});
  p.push_back({v_.data(), gv_.data(), v_.size()});
  if (cfg_.bias) p.push_back({c_.data(), gc_.data(), c_.size()});
  return p;
}

template <class T>
std::size_t Rnn<T>::num_params() const {
  return w_.size() + u_.size() + v_.size() + (cfg_.bias ? b_.size() + c_.size() : 0);
}

template <class T>
const T* Rnn<T>::hidden_state(int t) const {
  return detail::step_block(hs_.data(), t, 0, steps_, batch_, cfg_.hidden, "Rnn::hidden_state");
}

template <class T>
const T* Rnn<T>::pre_activation(int t) const {
  return detail::step_block(pre_.data(), t, 1, steps_, batch_, cfg_.hidden, "Rnn::pre_activation");
}

template <class T>
double Rnn<T>::gemm_flops(int steps, int batch) const {
  const double S = steps, B = batch, F = cfg_.input_dim, H = cfg_.hidden, K = cfg_.output_dim;
  const double R = cfg_.many_to_many ? S * B : B;  // read-out rows
  const double forward = 2 * S * B * F * H + 2 * (S - 1) * B * H * H + 2 * R * H * K;
  const double backward = 2 * K * H * R + 2 * R * K * H  // dV, ∂L/∂h from the read-out
                          + 2 * (S - 1) * B * H * H      // δ_{t+1} W
                          + 2 * H * H * (S - 1) * B + 2 * H * F * S * B;  // dW, dU
  return forward + backward;
}

template class Rnn<float>;
template class Rnn<double>;

}  // namespace isobench
