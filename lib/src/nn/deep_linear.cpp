#include "isobench/nn/deep_linear.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "isobench/core/blas.hpp"
#include "isobench/core/decompositions.hpp"

namespace isobench {
namespace {
std::size_t sz(int v) {
  return static_cast<std::size_t>(v);
}
using Shape = Matrix<double>::shape_type;
}  // namespace

SecondMoments second_moments(const double* x, const double* y, int n, int d, int k) {
  if (n < 1) throw std::invalid_argument("second_moments: no samples");
  SecondMoments m;
  m.n = n;
  m.sxx = Matrix<double>(Shape{sz(d), sz(d)});
  m.syx = Matrix<double>(Shape{sz(k), sz(d)});
  gemm(Op::T, Op::N, d, d, n, 1.0 / n, x, d, x, d, 0.0, m.sxx.data(), d);
  gemm(Op::T, Op::N, k, d, n, 1.0 / n, y, k, x, d, 0.0, m.syx.data(), d);
  double s = 0;
  for (std::size_t i = 0; i < sz(n) * k; ++i) s += y[i] * y[i];
  m.tr_syy = s / n;
  return m;
}

double least_squares_floor(const SecondMoments& m, double* lambda_max) {
  const int d = static_cast<int>(m.sxx.shape(0)), k = static_cast<int>(m.syx.shape(0));
  std::vector<double> a(m.sxx.begin(), m.sxx.end()), w(sz(d));
  symmetric_eigen(d, a.data(), w.data());
  const double lmax = *std::max_element(w.begin(), w.end());
  if (lambda_max) *lambda_max = lmax;
  // tr(Σyx Σxx⁺ Σxy) = Σ_j ‖Σyx v_j‖² / λ_j over the non-null eigenvectors v_j (columns of a;
  // Σxx is symmetric, so the row/column-major question does not arise).
  double explained = 0;
  for (int j = 0; j < d; ++j) {
    if (w[sz(j)] <= 1e-12 * lmax) continue;
    const double* v = a.data() + sz(j) * d;
    for (int r = 0; r < k; ++r) {
      double dot = 0;
      for (int c = 0; c < d; ++c) dot += m.syx(sz(r), sz(c)) * v[c];
      explained += dot * dot / w[sz(j)];
    }
  }
  return std::max(0.0, m.tr_syy - explained);
}

DeepLinearRegression::DeepLinearRegression(const SecondMoments& moments, int width, int depth)
    : m_(moments),
      net_(MlpConfig{static_cast<int>(moments.sxx.shape(0)), width, depth,
                     static_cast<int>(moments.syx.shape(0)), Activation::Linear, false, false}) {
  const int L = depth, k = net_.dim(L), d = net_.dim(0);
  for (int l = 0; l <= L; ++l) suffix_.emplace_back(Shape{sz(k), sz(net_.dim(l))});
  for (int l = 1; l <= L; ++l) grads_.emplace_back(net_.weight(l).shape());
  p_ = Matrix<double>(Shape{sz(k), sz(d)});
  psxx_ = Matrix<double>(Shape{sz(k), sz(d)});
  g_ = Matrix<double>(Shape{sz(k), sz(d)});
  const int maxw = std::max(width, d);
  r_ = Matrix<double>(Shape{sz(k), sz(maxw)});
  r_next_ = Matrix<double>(Shape{sz(k), sz(maxw)});
}

double DeepLinearRegression::loss() {
  const int L = net_.depth(), k = net_.dim(L), d = net_.dim(0);
  // suffix_[0] = P = W_L ⋯ W_1, built right to left through K-row products.
  std::copy(net_.weight(L).begin(), net_.weight(L).end(), suffix_[sz(L - 1)].begin());
  for (int l = L - 1; l >= 1; --l)
    gemm(Op::N, Op::N, k, net_.dim(l - 1), net_.dim(l), 1.0, suffix_[sz(l)].data(), net_.dim(l),
         net_.weight(l).data(), net_.dim(l - 1), 0.0, suffix_[sz(l - 1)].data(), net_.dim(l - 1));
  const Matrix<double>& p = suffix_[0];
  gemm(Op::N, Op::N, k, d, d, 1.0, p.data(), d, m_.sxx.data(), d, 0.0, psxx_.data(), d);
  double e = m_.tr_syy;
  for (std::size_t i = 0; i < p.size(); ++i)
    e += p.data()[i] * psxx_.data()[i] - 2.0 * p.data()[i] * m_.syx.data()[i];
  return e;
}

double DeepLinearRegression::loss_and_grad() {
  const double e = loss();
  const int L = net_.depth(), k = net_.dim(L), d = net_.dim(0);
  for (std::size_t i = 0; i < g_.size(); ++i)
    g_.data()[i] = 2.0 * (psxx_.data()[i] - m_.syx.data()[i]);
  // R_1 = G (K × D); ∂E/∂W_l = suffix_lᵀ R_l with suffix_l = W_L ⋯ W_{l+1} (identity for l = L);
  // R_{l+1} = R_l W_lᵀ (K × d_l).
  std::copy(g_.begin(), g_.end(), r_.begin());
  int rcols = d;
  for (int l = 1; l <= L; ++l) {
    const int in = net_.dim(l - 1), out = net_.dim(l);
    Matrix<double>& gw = grads_[sz(l - 1)];
    if (l == L) {
      std::copy(r_.data(), r_.data() + sz(k) * rcols, gw.data());  // out = K
    } else {
      gemm(Op::T, Op::N, out, in, k, 1.0, suffix_[sz(l)].data(), out, r_.data(), rcols, 0.0,
           gw.data(), in);
      gemm(Op::N, Op::T, k, out, in, 1.0, r_.data(), rcols, net_.weight(l).data(), in, 0.0,
           r_next_.data(), out);
      std::swap(r_, r_next_);
      rcols = out;
    }
  }
  return e;
}

void DeepLinearRegression::gd_update(double lr) {
  for (int l = 1; l <= net_.depth(); ++l) {
    auto& w = net_.weight(l);
    const auto& g = grads_[sz(l - 1)];
    for (std::size_t i = 0; i < w.size(); ++i) w.data()[i] -= lr * g.data()[i];
  }
}

}  // namespace isobench
