#include "isobench/measure/spectra.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "isobench/core/blas.hpp"
#include "isobench/core/non_finite.hpp"
#include "isobench/nn/activation.hpp"
#include "isobench/objective/loss.hpp"

namespace isobench {
namespace {
std::size_t sz(int v) {
  return static_cast<std::size_t>(v);
}

void ensure_shape(Matrix<double>& m, int rows, int cols) {
  if (m.shape(0) != sz(rows) || m.shape(1) != sz(cols)) m.resize({sz(rows), sz(cols)});
}

// Row i of m (rows × cols) times φ'(h_i), with a_i = φ(h_i) (the policy picks which it needs).
template <class Act>
void scale_rows_by_derivative(Matrix<double>& m, const double* h, const double* a) {
  const std::size_t rows = m.shape(0), cols = m.shape(1);
  for (std::size_t i = 0; i < rows; ++i) {
    const double s = Act::df(h[i], a[i]);
    double* row = m.data() + i * cols;
    for (std::size_t j = 0; j < cols; ++j) row[j] *= s;
  }
}
}  // namespace

void input_output_jacobian(Mlp<double>& net, const double* x0, Matrix<double>& jac,
                           Matrix<double>& work) {
  const int L = net.depth(), d0 = net.dim(0);
  net.forward(x0, 1);
  dispatch_activation(net.config().act, [&](auto act) {
    using Act = decltype(act);
    // J_1 = D_1 W_1 (d_1 × d_0).
    ensure_shape(jac, net.dim(1), d0);
    std::copy(net.weight(1).begin(), net.weight(1).end(), jac.begin());
    if (net.layer_activated(1))
      scale_rows_by_derivative<Act>(jac, net.pre_activation(1), net.activation_out(1));
    // J_l = D_l (W_l J_{l−1}) (d_l × d_0): one GEMM into the other buffer, then swap.
    for (int l = 2; l <= L; ++l) {
      const int out = net.dim(l), in = net.dim(l - 1);
      ensure_shape(work, out, d0);
      gemm(Op::N, Op::N, out, d0, in, 1.0, net.weight(l).data(), in, jac.data(), d0, 0.0,
           work.data(), d0);
      if (net.layer_activated(l))
        scale_rows_by_derivative<Act>(work, net.pre_activation(l), net.activation_out(l));
      std::swap(jac, work);
    }
  });
}

Matrix<double> input_output_jacobian(Mlp<double>& net, const double* x0) {
  Matrix<double> jac, work;
  input_output_jacobian(net, x0, jac, work);
  return jac;
}

void fill_inputs_at_q(double q, double sw2, double sb2, Engine& eng, Matrix<double>& x) {
  if (!(sw2 > 0) || !(q >= sb2) || !std::isfinite(q))
    throw std::invalid_argument("fill_inputs_at_q: need sigma_w^2 > 0 and q >= sigma_b^2 (q " +
                                std::to_string(q) + ", sigma_w^2 " + std::to_string(sw2) +
                                ", sigma_b^2 " + std::to_string(sb2) + ")");
  const std::size_t rows = x.shape(0), cols = x.shape(1);
  const double target_sq = (q - sb2) / sw2 * static_cast<double>(cols);  // ‖x‖² per row
  for (std::size_t r = 0; r < rows; ++r) {
    double* row = x.data() + r * cols;
    double sq = 0;
    for (std::size_t c = 0; c < cols; ++c) {
      row[c] = standard_normal(eng);
      sq += row[c] * row[c];
    }
    const double scale = sq > 0 ? std::sqrt(target_sq / sq) : 0.0;
    for (std::size_t c = 0; c < cols; ++c) row[c] *= scale;
  }
}

GradientProbe::GradientProbe(int in_dim, int batch, Engine& eng) {
  if (in_dim < 1 || batch < 1)
    throw std::invalid_argument("GradientProbe: need in_dim >= 1 and batch >= 1 (got " +
                                std::to_string(in_dim) + ", " + std::to_string(batch) + ")");
  const int k = in_dim;
  readout_ = Matrix<double>({sz(k), sz(in_dim)});
  const double sd = 1 / std::sqrt(static_cast<double>(in_dim));
  for (auto& v : readout_) v = sd * standard_normal(eng);
  targets_ = Matrix<double>({sz(batch), sz(k)});
  for (auto& v : targets_) v = standard_normal(eng);
  y_ = Matrix<double>({sz(batch), sz(k)});
  dy_ = Matrix<double>({sz(batch), sz(k)});
  dx_ = Matrix<double>({sz(batch), sz(in_dim)});
}

double GradientProbe::forward_loss(Mlp<double>& net, const double* x) {
  const int batch = static_cast<int>(targets_.shape(0)), k = static_cast<int>(readout_.shape(0));
  const int in = static_cast<int>(readout_.shape(1));
  if (net.dim(net.depth()) != in)
    throw std::invalid_argument("GradientProbe: the MLP has " +
                                std::to_string(net.dim(net.depth())) +
                                " outputs but the read-out expects " + std::to_string(in));
  const double* out = net.forward(x, batch);
  // y = x_L Rᵀ (batch × K)
  gemm(Op::N, Op::T, batch, k, in, 1.0, out, in, readout_.data(), in, 0.0, y_.data(), k);
  return mse_loss(y_.data(), targets_.data(), batch, k, dy_.data());
}

double GradientProbe::loss(Mlp<double>& net, const double* x) {
  return forward_loss(net, x);
}

double GradientProbe::loss_and_backward(Mlp<double>& net, const double* x) {
  const double l = forward_loss(net, x);
  const int batch = static_cast<int>(targets_.shape(0)), k = static_cast<int>(readout_.shape(0));
  const int in = static_cast<int>(readout_.shape(1));
  // dL/dx_L = dL/dy R (batch × d_L)
  gemm(Op::N, Op::N, batch, in, k, 1.0, dy_.data(), k, readout_.data(), in, 0.0, dx_.data(), in);
  net.backward(dx_.data());
  return l;
}

std::vector<double> layer_grad_norms(const Mlp<double>& net) {
  std::vector<double> n(sz(net.depth()));
  for (int l = 1; l <= net.depth(); ++l) n[sz(l - 1)] = net.weight_grad_norm(l);
  return n;
}

std::optional<double> grad_norm_ratio(const std::vector<double>& norms) {
  if (norms.empty()) return std::nullopt;
  const double r = norms.front() / norms.back();
  if (!std::isfinite(r)) return std::nullopt;
  return r;
}

}  // namespace isobench
