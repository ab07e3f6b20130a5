// Full-batch gradient descent on a deep linear network, from the data's second moments
// (Saxe, McClelland & Ganguli 2013, "Exact solutions to the nonlinear dynamics of learning in
// deep linear neural networks").
//
// Network: y = P x with P = W_L ⋯ W_1, W_1 (N × D), W_l (N × N), W_L (K × N); no biases.
// Loss over n samples (squared error summed over outputs, averaged over samples):
//
//   E(P) = 1/n Σ_i ‖P x_i − y_i‖² = tr(P Σxx Pᵀ) − 2 tr(P Σxy) + tr Σyy,
//   Σxx = XᵀX/n (D × D), Σyx = YᵀX/n (K × D), ∂E/∂P = G = 2(P Σxx − Σyx)   (K × D)
//   ∂E/∂W_l = (W_L ⋯ W_{l+1})ᵀ · G · (W_{l−1} ⋯ W_1)ᵀ.
//
// Every product is evaluated through a K-row factor (K = 10 classes), so a step costs
// O(L·K·N² + K·D²), independent of the number of samples n.
// The optimum of one linear map, E* = tr Σyy − tr(Σyx Σxx⁺ Σxy), is the target's floor.
#pragma once

#include <vector>

#include "isobench/core/tensor.hpp"
#include "isobench/nn/mlp.hpp"

namespace isobench {

// Second moments of a regression data set. x: (n × D), y: (n × K), row-major.
struct SecondMoments {
  Matrix<double> sxx;  // D × D
  Matrix<double> syx;  // K × D
  double tr_syy = 0;
  int n = 0;
};
SecondMoments second_moments(const double* x, const double* y, int n, int d, int k);

// E* = min_P E(P) (pseudo-inverse through the eigendecomposition of Σxx; eigenvalues below
// 1e-12·λ_max count as zero). Also returns λ_max(Σxx) in *lambda_max when non-null.
double least_squares_floor(const SecondMoments& m, double* lambda_max = nullptr);

class DeepLinearRegression {
 public:
  // The network is an Mlp<double> with linear activation and no biases (so it can be
  // initialized, inspected and cross-checked with the ordinary backward pass).
  DeepLinearRegression(const SecondMoments& moments, int width, int depth);

  Mlp<double>& net() { return net_; }

  // E at the current weights (computes P).
  double loss();
  // E and every ∂E/∂W_l (into grad(l)); returns E.
  double loss_and_grad();
  const Matrix<double>& grad(int l) const { return grads_[static_cast<std::size_t>(l - 1)]; }
  // W_l ← W_l − lr · ∂E/∂W_l for every layer (uses the gradient of the last loss_and_grad).
  void gd_update(double lr);

 private:
  const SecondMoments& m_;
  Mlp<double> net_;
  std::vector<Matrix<double>> suffix_;  // suffix_[l] = W_L ⋯ W_{l+1}  (K × d_l), l = 0..L
  std::vector<Matrix<double>> grads_;
  Matrix<double> p_, psxx_, g_, r_, r_next_;
};

}  // namespace isobench
