#include "isobench/nn/lstm.hpp"

#include <algorithm>
#include <cmath>
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

// One sample's cell update at one step. z (4H): the pre-activations [z_i z_f z_g z_o], replaced
// by the gates [i f g o]; cprev, c, tc, h (H): c_{t−1}, c_t, tanh(c_t), h_t. Separate contiguous
// loops without aliasing so the compiler vectorizes them.
template <class T>
void cell_forward(T* __restrict z, const T* __restrict cprev, T* __restrict c, T* __restrict tc,
                  T* __restrict h, int H) {
  T* __restrict zi = z;
  T* __restrict zf = z + H;
  T* __restrict zg = z + 2 * H;
  T* __restrict zo = z + 3 * H;
  sigmoid_fast(zi, zi, sz(H));
  sigmoid_fast(zf, zf, sz(H));
  tanh_fast(zg, zg, sz(H));
  sigmoid_fast(zo, zo, sz(H));
  for (int j = 0; j < H; ++j) c[j] = zf[j] * cprev[j] + zi[j] * zg[j];
  tanh_fast(c, tc, sz(H));
  for (int j = 0; j < H; ++j) h[j] = zo[j] * tc[j];
}

// Its backward. gates (4H) [i f g o]; tc, cprev (H); dh (H) ∂L/∂h_t; dc (H) on entry ∂L/∂c_t
// from step t + 1, on exit ∂L/∂c_{t−1}; dz (4H) receives ∂L/∂z_t.
template <class T>
void cell_backward(const T* __restrict gates, const T* __restrict tc, const T* __restrict cprev,
                   const T* __restrict dh, T* __restrict dc, T* __restrict dz, int H) {
  const T* __restrict gi = gates;
  const T* __restrict gf = gates + H;
  const T* __restrict gg = gates + 2 * H;
  const T* __restrict go = gates + 3 * H;
  T* __restrict dzi = dz;
  T* __restrict dzf = dz + H;
  T* __restrict dzg = dz + 2 * H;
  T* __restrict dzo = dz + 3 * H;
  for (int j = 0; j < H; ++j) {
    const T i = gi[j], f = gf[j], g = gg[j], o = go[j], t = tc[j], d = dh[j];
    const T dct = dc[j] + d * o * (T(1) - t * t);  // ∂L/∂c_t
    dzi[j] = dct * g * i * (T(1) - i);
    dzf[j] = dct * cprev[j] * f * (T(1) - f);
    dzg[j] = dct * i * (T(1) - g * g);
    dzo[j] = d * t * o * (T(1) - o);
    dc[j] = dct * f;  // ∂L/∂c_{t−1}
  }
}
}  // namespace

template <class T>
Lstm<T>::Lstm(const LstmConfig& cfg) : cfg_(cfg) {
  if (cfg.input_dim < 1 || cfg.hidden < 1 || cfg.output_dim < 1)
    throw std::invalid_argument(
        "LstmConfig: input_dim, hidden and output_dim must be positive (got " +
        std::to_string(cfg.input_dim) + ", " + std::to_string(cfg.hidden) + ", " +
        std::to_string(cfg.output_dim) + ")");
  const int H = cfg.hidden, F = cfg.input_dim, K = cfg.output_dim;
  w_ = Matrix<T>(mshape<T>(4 * H, H), T(0));
  gw_ = w_;
  u_ = Matrix<T>(mshape<T>(4 * H, F), T(0));
  gu_ = u_;
  v_ = Matrix<T>(mshape<T>(K, H), T(0));
  gv_ = v_;
  b_ = Vector<T>({sz(4 * H)}, T(0));
  gb_ = b_;
  c_ = Vector<T>({sz(K)}, T(0));
  gc_ = c_;
}

template <class T>
void Lstm<T>::init(const InitSpec& recurrent, const InitSpec& input, const InitSpec& readout,
                   Engine& eng) {
  const int H = cfg_.hidden;
  if (cfg_.per_gate_init) {
    Matrix<T> block(mshape<T>(H, H), T(0));
    for (int g = 0; g < 4; ++g) {
      initialize(recurrent, block, eng);
      std::copy(block.begin(), block.end(), w_.data() + sz(g) * H * H);
    }
  } else {
    initialize(recurrent, w_, eng);
  }
  initialize(input, u_, eng);
  initialize(readout, v_, eng);
  b_.fill(T(0));
  std::fill(b_.data() + H, b_.data() + 2 * H, static_cast<T>(cfg_.forget_bias));
  c_.fill(T(0));
}

template <class T>
void Lstm<T>::init(const InitSpec& recurrent, const InitSpec& input, const InitSpec& readout,
                   const RunStreams& streams) {
  const int H = cfg_.hidden;
  if (cfg_.per_gate_init) {
    Matrix<T> block(mshape<T>(H, H), T(0));
    for (int g = 0; g < 4; ++g) {
      initialize(recurrent, block, streams, "lstm/recurrent/gate" + std::to_string(g));
      std::copy(block.begin(), block.end(), w_.data() + sz(g) * H * H);
    }
  } else {
    initialize(recurrent, w_, streams, "lstm/recurrent");
  }
  initialize(input, u_, streams, "lstm/input");
  initialize(readout, v_, streams, "lstm/readout");
  b_.fill(T(0));
  std::fill(b_.data() + H, b_.data() + 2 * H, static_cast<T>(cfg_.forget_bias));
  c_.fill(T(0));
}

template <class T>
void Lstm<T>::reserve(int steps, int batch) {
  if (steps < 1 || batch < 1)
    throw std::invalid_argument("Lstm::reserve: steps and batch must be positive (got " +
                                std::to_string(steps) + ", " + std::to_string(batch) + ")");
  if (steps <= max_steps_ && batch <= max_batch_) return;
  max_steps_ = std::max(steps, max_steps_);
  max_batch_ = std::max(batch, max_batch_);
  const int rows = max_steps_ * max_batch_, H = cfg_.hidden;
  xs_ = Matrix<T>(mshape<T>(rows, cfg_.input_dim), T(0));
  gates_ = Matrix<T>(mshape<T>(rows, 4 * H), T(0));
  dgates_ = Matrix<T>(mshape<T>(rows, 4 * H), T(0));
  hs_ = Matrix<T>(mshape<T>(rows + max_batch_, H), T(0));
  cs_ = Matrix<T>(mshape<T>(rows + max_batch_, H), T(0));
  tc_ = Matrix<T>(mshape<T>(rows, H), T(0));
  dh_ = Matrix<T>(mshape<T>(rows, H), T(0));
  dc_ = Matrix<T>(mshape<T>(max_batch_, H), T(0));
  out_ = Matrix<T>(mshape<T>(cfg_.many_to_many ? rows : max_batch_, cfg_.output_dim), T(0));
}

template <class T>
const T* Lstm<T>::forward(const T* x, int steps, int batch) {
  if (steps < 1 || batch < 1)
    throw std::invalid_argument("Lstm::forward: steps and batch must be positive (got " +
                                std::to_string(steps) + ", " + std::to_string(batch) + ")");
  reserve(steps, batch);  // no-op when already reserved
  steps_ = steps;
  batch_ = batch;
  const int F = cfg_.input_dim, H = cfg_.hidden, K = cfg_.output_dim, B = batch, G = 4 * H;
  const int rows = steps * B;
  std::copy(x, x + sz(rows) * F, xs_.data());
  T* z = gates_.data();
  T* hs = hs_.data();
  T* cs = cs_.data();
  // All input projections at once: Z = X Uᵀ + b   (T·B × 4H)
  gemm(Op::N, Op::T, rows, G, F, T(1), xs_.data(), F, u_.data(), F, T(0), z, G);
  add_row_vector(z, b_.data(), rows, G);
  std::fill(hs, hs + sz(B) * H, T(0));  // h_0 = 0
  std::fill(cs, cs + sz(B) * H, T(0));  // c_0 = 0
  for (int t = 1; t <= steps; ++t) {
    T* zt = z + sz(t - 1) * B * G;
    // Z_t += H_{t−1} Wᵀ   (B × 4H)
    if (t > 1)
      gemm(Op::N, Op::T, B, G, H, T(1), hs + sz(t - 1) * B * H, H, w_.data(), H, T(1), zt, G);
    const T* cprev = cs + sz(t - 1) * B * H;
    T* ct = cs + sz(t) * B * H;
    T* ht = hs + sz(t) * B * H;
    T* tct = tc_.data() + sz(t - 1) * B * H;
    for (int r = 0; r < B; ++r) {
      const std::size_t o = sz(r) * H;
      cell_forward(zt + sz(r) * G, cprev + o, ct + o, tct + o, ht + o, H);
    }
  }
  const int out_rows = cfg_.many_to_many ? rows : B;
  const T* hread = cfg_.many_to_many ? hs + sz(B) * H : hs + sz(steps) * B * H;
  gemm(Op::N, Op::T, out_rows, K, H, T(1), hread, H, v_.data(), H, T(0), out_.data(), K);
  add_row_vector(out_.data(), c_.data(), out_rows, K);
  return out_.data();
}

template <class T>
void Lstm<T>::backward(const T* dlogits, T* dx) {
  if (steps_ < 1) throw std::logic_error("Lstm::backward called before forward");
  const int F = cfg_.input_dim, H = cfg_.hidden, K = cfg_.output_dim, B = batch_, S = steps_,
            G = 4 * H;
  const int rows = S * B;
  const T* hs = hs_.data();
  const T* cs = cs_.data();
  T* dh = dh_.data();      // block t−1: ∂L/∂h_t (B × H)
  T* dz = dgates_.data();  // block t−1: ∂L/∂z_t (B × 4H)
  T* dc = dc_.data();      // ∂L/∂c_t carried backwards (B × H)
  if (cfg_.many_to_many) {
    gemm(Op::T, Op::N, K, H, rows, T(1), dlogits, K, hs + sz(B) * H, H, T(0), gv_.data(), H);
    column_sums(dlogits, rows, K, gc_.data());
    gemm(Op::N, Op::N, rows, H, K, T(1), dlogits, K, v_.data(), H, T(0), dh, H);
  } else {
    gemm(Op::T, Op::N, K, H, B, T(1), dlogits, K, hs + sz(S) * B * H, H, T(0), gv_.data(), H);
    column_sums(dlogits, B, K, gc_.data());
    gemm(Op::N, Op::N, B, H, K, T(1), dlogits, K, v_.data(), H, T(0), dh + sz(S - 1) * B * H, H);
  }
  std::fill(dc, dc + sz(B) * H, T(0));
  for (int t = S; t >= 1; --t) {
    T* dht = dh + sz(t - 1) * B * H;
    T* dzt = dz + sz(t - 1) * B * G;
    // ∂L/∂h_t += ∂L/∂z_{t+1} W   (B × 4H)·(4H × H)
    if (t < S)
      gemm(Op::N, Op::N, B, H, G, T(1), dzt + sz(B) * G, G, w_.data(), H,
           cfg_.many_to_many ? T(1) : T(0), dht, H);
    const T* gt = gates_.data() + sz(t - 1) * B * G;
    const T* tct = tc_.data() + sz(t - 1) * B * H;
    const T* cprev = cs + sz(t - 1) * B * H;
    for (int r = 0; r < B; ++r) {
      const std::size_t o = sz(r) * H;
      cell_backward(gt + sz(r) * G, tct + o, cprev + o, dht + o, dc + o, dzt + sz(r) * G, H);
    }
  }
  // dW = Σ_{t≥2} dZ_tᵀ H_{t−1} (h_0 = 0), dU = Σ_t dZ_tᵀ X_t, db = Σ rows dZ — one GEMM each
  // over the stacked steps.
  if (S > 1)
    gemm(Op::T, Op::N, G, H, rows - B, T(1), dz + sz(B) * G, G, hs + sz(B) * H, H, T(0), gw_.data(),
         H);
  else
    gw_.fill(T(0));
  gemm(Op::T, Op::N, G, F, rows, T(1), dz, G, xs_.data(), F, T(0), gu_.data(), F);
  column_sums(dz, rows, G, gb_.data());
  if (dx) gemm(Op::N, Op::N, rows, F, G, T(1), dz, G, u_.data(), F, T(0), dx, F);
}

template <class T>
std::vector<ParamRef<T>> Lstm<T>::params() {
  return {{w_.data(), gw_.data(), w_.size()},
          {u_.data(), gu_.data(), u_.size()},
          {b_.data(), gb_.data(), b_.size()},
          {v_.data(), gv_.data(), v_.size()},
          {c_.data(), gc_.data(), c_.size()}};
}

template <class T>
std::size_t Lstm<T>::num_params() const {
  return w_.size() + u_.size() + b_.size() + v_.size() + c_.size();
}

template <class T>
const T* Lstm<T>::hidden_state(int t) const {
  return detail::step_block(hs_.data(), t, 0, steps_, batch_, cfg_.hidden, "Lstm::hidden_state");
}

template <class T>
const T* Lstm<T>::cell_state(int t) const {
  return detail::step_block(cs_.data(), t, 0, steps_, batch_, cfg_.hidden, "Lstm::cell_state");
}

namespace {
template <class T>
void copy_block(const T* src, int H, Matrix<T>& out) {
  if (out.shape(0) != sz(H) || out.shape(1) != sz(H)) out.resize({sz(H), sz(H)});
  std::copy(src, src + sz(H) * H, out.data());
}
template <class T>
void assign_block(const Matrix<T>& in, int H, T* dst, const char* what) {
  if (in.shape(0) != sz(H) || in.shape(1) != sz(H))
    throw std::invalid_argument(std::string("Lstm::") + what + ": expected an " +
                                std::to_string(H) + " × " + std::to_string(H) + " matrix, got " +
                                std::to_string(in.shape(0)) + " × " + std::to_string(in.shape(1)));
  std::copy(in.data(), in.data() + sz(H) * H, dst);
}
}  // namespace

template <class T>
void Lstm<T>::copy_gate(LstmGate g, Matrix<T>& out) const {
  copy_block(w_.data() + gate_offset(g), cfg_.hidden, out);
}
template <class T>
void Lstm<T>::copy_gate_grad(LstmGate g, Matrix<T>& out) const {
  copy_block(gw_.data() + gate_offset(g), cfg_.hidden, out);
}
template <class T>
void Lstm<T>::assign_gate(LstmGate g, const Matrix<T>& in) {
  assign_block(in, cfg_.hidden, w_.data() + gate_offset(g), "assign_gate");
}
template <class T>
void Lstm<T>::assign_gate_grad(LstmGate g, const Matrix<T>& in) {
  assign_block(in, cfg_.hidden, gw_.data() + gate_offset(g), "assign_gate_grad");
}

template <class T>
double Lstm<T>::gemm_flops(int steps, int batch) const {
  const double S = steps, B = batch, F = cfg_.input_dim, H = cfg_.hidden, K = cfg_.output_dim;
  const double G = 4 * H, R = cfg_.many_to_many ? S * B : B;
  const double forward = 2 * S * B * F * G + 2 * (S - 1) * B * G * H + 2 * R * H * K;
  const double backward = 2 * K * H * R + 2 * R * K * H + 2 * (S - 1) * B * H * G +
                          2 * G * H * (S - 1) * B + 2 * G * F * S * B;
  return forward + backward;
}

template class Lstm<float>;
template class Lstm<double>;

}  // namespace isobench
