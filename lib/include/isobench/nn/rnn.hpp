// A vanilla (Elman) recurrent network trained by backpropagation through time (BPTT).
//
//   h_t = φ(W h_{t−1} + U x_t + b),  h_0 = 0,  t = 1..T          (Elman 1990)
//   row-major batches:  H_t = φ(H_{t−1} Wᵀ + X_t Uᵀ + b)
//   read-out  many-to-one:  logits = h_T Vᵀ + c          (B × K)
//             many-to-many: logits_t = h_t Vᵀ + c        (T × B × K), t = 1..T
//
// Shapes: W (H × H) the recurrent kernel, U (H × F) the input kernel, b (H), V (K × H), c (K).
// Inputs are TIME-MAJOR: x is a contiguous (T × B × F) buffer, row t·B + b is sample b at step
// t + 1 (as the data loader produces). The RNN is a depth-T network with tied weights, so W plays
// the role of every layer's weight (docs/RESEARCH.md §1): penalties, constraints and spectra act on
// recurrent_kernel() and recurrent_kernel_grad().
//
// Cost structure (why the loops look as they do): the input projection of all T steps is ONE
// GEMM ((T·B × F)·Uᵀ), only H_{t−1} Wᵀ is sequential; in the backward pass the per-step
// gradients δ_t = ∂L/∂(pre-activation_t) are stacked into one (T·B × H) buffer, so
// dW = Σ_t δ_tᵀ H_{t−1} and dU = Σ_t δ_tᵀ X_t are one GEMM each. Workspaces are allocated in
// reserve(); forward/backward allocate nothing (if the shape fits the reservation).
//
// In float, φ = tanh runs as fast_tanh.hpp's SSE2 rational approximation (abs error 3.3e-7;
// glibc's tanhf was half the step time); double uses std::tanh.
//
// The model outputs logits; the caller applies softmax_xent / mse_loss (loss.hpp) or sigmoid_bce
// (loss_bce.hpp) and passes dL/dlogits to backward().
#pragma once

#include <vector>

#include "isobench/core/rng.hpp"
#include "isobench/core/tensor.hpp"
#include "isobench/nn/activation.hpp"
#include "isobench/ortho/init.hpp"

namespace isobench {

struct RnnConfig {
  int input_dim, hidden, output_dim;  // F, H, K
  Activation act = Activation::Tanh;
  bool many_to_many = false;  // read-out at every step instead of the last one
  bool bias = true;           // the recurrent bias b and the read-out bias c
};

template <class T>
class Rnn {
 public:
  explicit Rnn(const RnnConfig& cfg);

  const RnnConfig& config() const { return cfg_; }

  // W from `recurrent`, U from `input`, V from `readout` (drawn in that order); biases zero.
  void init(const InitSpec& recurrent, const InitSpec& input, const InitSpec& readout, Engine& eng);
  // The same, each matrix from its own stream (core/streams.hpp: common random numbers):
  // "rnn/recurrent" (H × H), "rnn/input" (H × F), "rnn/readout" (K × H).
  void init(const InitSpec& recurrent, const InitSpec& input, const InitSpec& readout,
            const RunStreams& streams);

  // Allocates every workspace for sequences of up to `steps` steps and batches of up to `batch`.
  void reserve(int steps, int batch);

  // x: (T × B × F) time-major, copied (the caller may reuse it). Returns the logits, valid until
  // the next forward:
  // (B × K) many-to-one, (T × B × K) many-to-many (row t·B + b).
  const T* forward(const T* x, int steps, int batch);

  // dlogits: dL/dlogits, shaped as forward's output. BPTT through all steps of the last forward;
  // overwrites every gradient. Writes dL/dx (T × B × F) when dx is non-null (learned embeddings).
  void backward(const T* dlogits, T* dx = nullptr);

  Matrix<T>& recurrent_kernel() { return w_; }        // W (H × H)
  Matrix<T>& recurrent_kernel_grad() { return gw_; }  // ∂L/∂W (H × H)
  Matrix<T>& input_kernel() { return u_; }            // U (H × F)
  Matrix<T>& input_kernel_grad() { return gu_; }
  Vector<T>& bias() { return b_; }  // b (H)
  Vector<T>& bias_grad() { return gb_; }
  Matrix<T>& readout() { return v_; }  // V (K × H)
  Matrix<T>& readout_grad() { return gv_; }
  Vector<T>& readout_bias() { return c_; }  // c (K)
  Vector<T>& readout_bias_grad() { return gc_; }

  // Values and gradients: W, U, b, V, c (b and c only with cfg.bias).
  std::vector<ParamRef<T>> params();
  std::size_t num_params() const;

  // h_t of the last forward, (B × H), t = 0..T (h_0 = 0).
  const T* hidden_state(int t) const;
  // Pre-activation W h_{t−1} + U x_t + b of the last forward, (B × H), t = 1..T.
  const T* pre_activation(int t) const;
  // FLOPs of the GEMMs (2·m·n·k each) in one forward + backward (without dx) over (steps, batch),
  // exactly the calls the implementation makes: the PERF families' `gflops`.
  double gemm_flops(int steps, int batch) const;
  int steps() const { return steps_; }
  int batch() const { return batch_; }

 private:
  RnnConfig cfg_;
  Matrix<T> w_, gw_, u_, gu_, v_, gv_;
  Vector<T> b_, gb_, c_, gc_;
  // Workspaces: xs_ (T·B × F) the input; hs_ ((T+1)·B × H) h_0..h_T; pre_ (T·B × H);
  // delta_ (T·B × H) ∂L/∂pre; out_ (T·B × K or B × K) the logits.
  Matrix<T> xs_, hs_, pre_, delta_, out_;
  int max_steps_ = 0, max_batch_ = 0, steps_ = 0, batch_ = 0;
};

extern template class Rnn<float>;
extern template class Rnn<double>;

}  // namespace isobench
