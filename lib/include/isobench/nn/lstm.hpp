// A long short-term memory network (Hochreiter & Schmidhuber 1997, with the forget gate of Gers
// et al. 2000) trained by backpropagation through time. Gate order and equations follow Keras
// and PyTorch:
//
//   z_t = W h_{t−1} + U x_t + b                       (4H), row blocks [i; f; g; o]
//   i = σ(z_i),  f = σ(z_f),  g = tanh(z_g),  o = σ(z_o)
//   c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t),   h_0 = c_0 = 0
//   read-out  many-to-one: logits = h_T Vᵀ + c (B × K);  many-to-many: h_t Vᵀ + c (T × B × K)
//
// Shapes: the recurrent kernel W is ONE (4H × H) matrix whose contiguous row blocks are the
// per-gate H × H kernels W_i, W_f, W_g, W_o (recurrent_gate(g) points at one, so a penalty or a
// spectrum can act on a single gate); U (4H × F); b (4H); V (K × H); c (K).
// Inputs are TIME-MAJOR (T × B × F), row t·B + b = sample b at step t + 1.
//
// Initialization: init() draws W per gate (each H × H block separately, e.g. orthogonal with a
// gain, cfg.per_gate_init) or as the whole (4H × H) matrix (Keras' recurrent_initializer acts on
// the whole (H × 4H) kernel — the transpose, so an orthogonal draw is equivalent in
// distribution); U and V as whole matrices (Keras: Glorot-uniform on the (F × 4H) kernel,
// fan_in F, fan_out 4H, as here).
// Biases zero except the forget block, set to cfg.forget_bias (Keras unit_forget_bias = 1;
// Jozefowicz et al. 2015).
//
// As in Rnn (rnn.hpp): the input projection of all steps is one GEMM, the stacked per-step gate
// gradients give dW, dU in one GEMM each, and workspaces are allocated once in reserve().
// In float, σ and tanh run as fast_tanh.hpp's SSE2 rational approximations (abs error ≤ 3.3e-7).
#pragma once

#include <vector>

#include "isobench/core/rng.hpp"
#include "isobench/core/tensor.hpp"
#include "isobench/ortho/init.hpp"

namespace isobench {

struct LstmConfig {
  int input_dim, hidden, output_dim;  // F, H, K
  bool many_to_many = false;
  double forget_bias = 1.0;   // initial b_f (Keras unit_forget_bias)
  bool per_gate_init = true;  // draw each gate's H × H recurrent block separately
};

enum class LstmGate { Input = 0, Forget = 1, Cell = 2, Output = 3 };  // i, f, g, o

template <class T>
class Lstm {
 public:
  explicit Lstm(const LstmConfig& cfg);

  const LstmConfig& config() const { return cfg_; }

  // W from `recurrent` (per gate or whole, see above), then U from `input`, V from `readout`.
  void init(const InitSpec& recurrent, const InitSpec& input, const InitSpec& readout, Engine& eng);
  // The same, each matrix from its own stream (core/streams.hpp: common random numbers): per
  // gate "lstm/recurrent/gate0".."gate3" (H × H each, gates i, f, g, o) or whole
  // "lstm/recurrent" (4H × H), then "lstm/input" (4H × F), "lstm/readout" (K × H).
  void init(const InitSpec& recurrent, const InitSpec& input, const InitSpec& readout,
            const RunStreams& streams);

  // Allocates every workspace for sequences of up to `steps` steps and batches of up to `batch`.
  void reserve(int steps, int batch);

  // x: (T × B × F) time-major, copied (the caller may reuse it). Returns the logits, valid until
  // the next forward:
  // (B × K) many-to-one, (T × B × K) many-to-many.
  const T* forward(const T* x, int steps, int batch);

  // BPTT through the last forward; overwrites every gradient; dL/dx (T × B × F) into dx if given.
  void backward(const T* dlogits, T* dx = nullptr);

  Matrix<T>& recurrent_kernel() { return w_; }        // W (4H × H), blocks [W_i; W_f; W_g; W_o]
  Matrix<T>& recurrent_kernel_grad() { return gw_; }  // ∂L/∂W (4H × H)
  // One gate's contiguous H × H block of W (row-major, leading dimension H), and its gradient.
  T* recurrent_gate(LstmGate g) { return w_.data() + gate_offset(g); }
  T* recurrent_gate_grad(LstmGate g) { return gw_.data() + gate_offset(g); }
  // Copies of one gate's block as an H × H Matrix, for code that takes a Matrix (penalties,
  // constraints, spectra): read W_g (or ∂L/∂W_g) into `out` (resized only if not H × H), and write
  // `in` (H × H) back. E.g. a per-gate penalty: copy_gate(g, w), copy_gate_grad(g, gw),
  // penalty.add_value_and_grad(w, gw), assign_gate_grad(g, gw).
  void copy_gate(LstmGate g, Matrix<T>& out) const;
  void copy_gate_grad(LstmGate g, Matrix<T>& out) const;
  void assign_gate(LstmGate g, const Matrix<T>& in);
  void assign_gate_grad(LstmGate g, const Matrix<T>& in);
  Matrix<T>& input_kernel() { return u_; }  // U (4H × F)
  Matrix<T>& input_kernel_grad() { return gu_; }
  Vector<T>& bias() { return b_; }  // b (4H), blocks [b_i; b_f; b_g; b_o]
  Vector<T>& bias_grad() { return gb_; }
  Matrix<T>& readout() { return v_; }  // V (K × H)
  Matrix<T>& readout_grad() { return gv_; }
  Vector<T>& readout_bias() { return c_; }  // c (K)
  Vector<T>& readout_bias_grad() { return gc_; }

  // Values and gradients: W, U, b, V, c.
  std::vector<ParamRef<T>> params();
  std::size_t num_params() const;

  // h_t and c_t of the last forward, (B × H), t = 0..T (h_0 = c_0 = 0).
  const T* hidden_state(int t) const;
  const T* cell_state(int t) const;
  // FLOPs of the GEMMs (2·m·n·k each) in one forward + backward (without dx) over (steps, batch),
  // exactly the calls the implementation makes: the PERF families' `gflops`.
  double gemm_flops(int steps, int batch) const;
  int steps() const { return steps_; }
  int batch() const { return batch_; }

 private:
  std::size_t gate_offset(LstmGate g) const {
    return static_cast<std::size_t>(g) * static_cast<std::size_t>(cfg_.hidden) * cfg_.hidden;
  }
  LstmConfig cfg_;
  Matrix<T> w_, gw_, u_, gu_, v_, gv_;
  Vector<T> b_, gb_, c_, gc_;
  // Workspaces: xs_ (T·B × F) input; gates_ (T·B × 4H) activated gates [i f g o];
  // hs_, cs_ ((T+1)·B × H) h_0..h_T, c_0..c_T; tc_ (T·B × H) tanh(c_t); dgates_ (T·B × 4H)
  // ∂L/∂z; dh_ (T·B × H) ∂L/∂h; dc_ (B × H) the carried ∂L/∂c; out_ the logits.
  Matrix<T> xs_, gates_, hs_, cs_, tc_, dgates_, dh_, dc_, out_;
  int max_steps_ = 0, max_batch_ = 0, steps_ = 0, batch_ = 0;
};

extern template class Lstm<float>;
extern template class Lstm<double>;

}  // namespace isobench
