// Measurements of signal propagation at initialization (docs/RESEARCH.md §1, research question A):
// the input-output Jacobian (its singular values are summarized by summarize_spectrum,
// ortho/orthogonality.hpp) and the per-layer gradient norms.
//
//   J = ∂x_L/∂x_0 = D_L W_L ⋯ D_1 W_1,  D_l = diag(φ'(h_l))       (d_L × d_0)
//
// formed with GEMMs in double at one input (Pennington, Schoenholz & Ganguli 2017 measure the
// spectrum of JJᵀ the same way). D_l = I for a layer the MLP leaves linear, so an Mlp built with
// `activate_output = true` gives the J of the papers (every layer φ(W x + b)).
//
// Gradient norms follow docs/CONTRACT.md: the MLP's output x_L feeds a linear read-out y = x_L Rᵀ,
// R ∈ R^{K × d_L} with K = d_L, entries N(0, 1/d_L) (σ_w² = 1 Gaussian, no bias), drawn from the
// caller's engine together with the N(0, 1) targets t (batch × K); the loss is
// MSE(y, t) = mean over every entry of (y − t)² (loss.hpp); batch 16.
//   grad_norm_ratio = ‖∂L/∂W_1‖_F / ‖∂L/∂W_L‖_F,
// which mean-field theory predicts to scale like χ^{(L−1)/2} (Schoenholz et al. 2017) for inputs
// at the fixed point q* (fill_inputs_at_q).
#pragma once

#include <optional>
#include <vector>

#include "isobench/core/rng.hpp"
#include "isobench/core/tensor.hpp"
#include "isobench/nn/mlp.hpp"
#include "isobench/ortho/init.hpp"
#include "isobench/ortho/orthogonality.hpp"

namespace isobench {

// The input-output Jacobian at x0 (d_0 values). Runs net.forward(x0, 1) (overwriting the net's
// last-forward state) and writes J into `jac`, resized to (d_L × d_0) when needed; `work` is a
// scratch matrix (resized as needed). L − 1 GEMMs of at most (d_l × d_{l−1} × d_0).
void input_output_jacobian(Mlp<double>& net, const double* x0, Matrix<double>& jac,
                           Matrix<double>& work);
Matrix<double> input_output_jacobian(Mlp<double>& net, const double* x0);

// Fills each row of x (batch × d_0) with N(0, 1) draws rescaled so that the first
// pre-activation has variance q: σ_w²‖x‖²/d_0 + σ_b² = q exactly ("inputs at q*",
// docs/RESEARCH.md §2). Throws std::invalid_argument if q < σ_b² or σ_w² ≤ 0.
void fill_inputs_at_q(double q, double sw2, double sb2, Engine& eng, Matrix<double>& x);

// The docs/CONTRACT.md gradient probe: read-out R and targets drawn at construction (R first, then
// the targets, row by row), then loss and gradients of any MLP whose output has `in_dim` units.
class GradientProbe {
 public:
  static constexpr int kBatch = 16;

  GradientProbe(int in_dim, int batch, Engine& eng);

  // x: (batch × d_0). Forward, loss, and backward: fills every net.weight_grad(l).
  double loss_and_backward(Mlp<double>& net, const double* x);
  // x: (batch × d_0). Forward and loss only.
  double loss(Mlp<double>& net, const double* x);

  const Matrix<double>& readout() const { return readout_; }  // (K × d_L)
  const Matrix<double>& targets() const { return targets_; }  // (batch × K)

 private:
  double forward_loss(Mlp<double>& net, const double* x);
  Matrix<double> readout_, targets_, y_, dy_, dx_;
};

// ‖∂L/∂W_l‖_F for l = 1..L (index l − 1) of the net's last backward.
std::vector<double> layer_grad_norms(const Mlp<double>& net);
// norms.front() / norms.back(); std::nullopt when that is not a finite number (a zero last-layer
// gradient).
std::optional<double> grad_norm_ratio(const std::vector<double>& norms);

}  // namespace isobench
