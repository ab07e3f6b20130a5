// A dense multilayer perceptron with batched forward and backward passes through BLAS GEMM.
//
//   h_l = x_{l−1} W_lᵀ + b_l,  x_l = φ(h_l),  l = 1..L     (row-major batches)
//
// L = `depth` weight matrices (docs/CONTRACT.md: a depth-1 MLP is one linear map). Dimensions
// d_0 = input_dim, d_1..d_{L−1} = width, d_L = output_dim; W_l is (d_l × d_{l−1}).
// The last layer is linear (logits / regression output) unless `activate_output` is set, as the
// Jacobian studies need (x_L = φ(h_L) with every layer N × N).
//
// All workspaces are allocated by reserve(batch); forward/backward then allocate nothing.
#pragma once

#include <vector>

#include "isobench/core/rng.hpp"
#include "isobench/core/tensor.hpp"
#include "isobench/nn/activation.hpp"
#include "isobench/ortho/init.hpp"

namespace isobench {

struct MlpConfig {
  int input_dim = 784;
  int width = 128;
  int depth = 2;  // number of weight matrices
  int output_dim = 10;
  Activation act = Activation::Tanh;
  bool bias = true;
  bool activate_output = false;
};

template <class T>
class Mlp {
 public:
  explicit Mlp(const MlpConfig& cfg);

  const MlpConfig& config() const { return cfg_; }
  int depth() const { return cfg_.depth; }
  int dim(int l) const { return dims_[l]; }  // d_l, l = 0..L

  // Layer l = 1..L.
  Matrix<T>& weight(int l) { return w_[l - 1]; }
  const Matrix<T>& weight(int l) const { return w_[l - 1]; }
  Vector<T>& bias(int l) { return b_[l - 1]; }
  const Matrix<T>& weight_grad(int l) const { return gw_[l - 1]; }
  const Vector<T>& bias_grad(int l) const { return gb_[l - 1]; }
  bool layer_activated(int l) const { return l < cfg_.depth || cfg_.activate_output; }

  // Weights from `w_init` (all layers), biases ~ N(0, sb2) (0 gives zero biases).
  void init(const InitSpec& w_init, double sb2, Engine& eng);
  // The same, each matrix from its own stream (core/streams.hpp: common random numbers): W_l
  // from "mlp/weightL" (d_l × d_{l−1}), b_l = √sb2·z from "mlp/biasL" (d_l × 1, init "normal").
  void init(const InitSpec& w_init, double sb2, const RunStreams& streams);

  // Allocates the workspaces for batches of up to `max_batch` rows.
  void reserve(int max_batch);

  // x: (batch × d_0). Returns the output (batch × d_L), valid until the next forward.
  const T* forward(const T* x, int batch);

  // dy: dL/d(output) (batch × d_L) for the batch of the last forward. Overwrites every weight
  // and bias gradient; writes dL/dx (batch × d_0) when dx is non-null.
  void backward(const T* dy, T* dx = nullptr);

  // Pre-activation h_l and output x_l of the last forward, (batch × d_l), l = 1..L (x_0 = input).
  const T* pre_activation(int l) const { return h_[l].data(); }
  const T* activation_out(int l) const { return a_[l].data(); }
  int batch() const { return batch_; }

  // ‖∂L/∂W_l‖_F of the last backward.
  double weight_grad_norm(int l) const;

  // Values and gradients of every parameter: W_1, b_1, W_2, b_2, ...
  std::vector<ParamRef<T>> params();
  std::size_t num_params() const;

 private:
  MlpConfig cfg_;
  std::vector<int> dims_;
  std::vector<Matrix<T>> w_, gw_;
  std::vector<Vector<T>> b_, gb_;
  // Workspaces, index l = 0..L: h_ pre-activations, a_ outputs, d_ gradients w.r.t. them.
  std::vector<Matrix<T>> h_, a_, d_;
  int max_batch_ = 0, batch_ = 0;
};

extern template class Mlp<float>;
extern template class Mlp<double>;

}  // namespace isobench
