// Gauss–Hermite and Gauss–Legendre rules (normal_quadrature.hpp). Moved from theory.cpp unchanged.
#include "isobench/core/normal_quadrature.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "isobench/core/decompositions.hpp"

namespace isobench {
namespace {
constexpr double kPi = 3.14159265358979323846;
}  // namespace

GaussRule gauss_legendre(int n) {
  if (n < 1) throw std::invalid_argument("gauss_legendre: need n >= 1 nodes");
  GaussRule r;
  r.nodes.resize(static_cast<std::size_t>(n));
  r.weights.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < (n + 1) / 2; ++i) {
    double z = std::cos(kPi * (i + 0.75) / (n + 0.5)), pp = 1;
    for (int it = 0; it < 100; ++it) {
      double p1 = 1, p2 = 0;
      for (int j = 0; j < n; ++j) {
        const double p3 = p2;
        p2 = p1;
        p1 = ((2.0 * j + 1) * z * p2 - j * p3) / (j + 1);
      }
      pp = n * (z * p1 - p2) / (z * z - 1);
      const double z1 = z;
      z = z1 - p1 / pp;
      if (std::abs(z - z1) < 1e-15) break;
    }
    r.nodes[static_cast<std::size_t>(i)] = -z;
    r.nodes[static_cast<std::size_t>(n - 1 - i)] = z;
    r.weights[static_cast<std::size_t>(i)] = r.weights[static_cast<std::size_t>(n - 1 - i)] =
        2 / ((1 - z * z) * pp * pp);
  }
  return r;
}

const GaussRule& legendre16() {
  static const GaussRule r = gauss_legendre(16);
  return r;
}

GaussRule gauss_hermite_normal(int n) {
  if (n < 2) throw std::invalid_argument("gauss_hermite_normal: need n >= 2 nodes");
  // Physicists' rule ∫ e^{−x²} f(x) dx, then h = √2 x, w /= √π. Initial nodes: eigenvalues of
  // the Jacobi matrix (Golub & Welsch 1969; off-diagonal √(k/2)) by LAPACK dstev; then Newton on
  // the orthonormal Hermite recurrence (Numerical Recipes gauher) polishes each node and gives its
  // weight 2/H̃'_n(x)².
  const double pim4 = 0.7511255444649425;  // π^{−1/4}
  std::vector<double> x(static_cast<std::size_t>(n), 0.0), off(static_cast<std::size_t>(n - 1));
  for (int k = 1; k < n; ++k) off[static_cast<std::size_t>(k - 1)] = std::sqrt(0.5 * k);
  tridiagonal_eigenvalues(n, x.data(), off.data());
  GaussRule r;
  for (int i = 0; i < n; ++i) {
    double z = x[static_cast<std::size_t>(i)], pp = 1, log_scale = 0;
    for (int it = 0; it < 50; ++it) {
      // The orthonormal polynomials grow like e^{z²/2} at the outer nodes: rescale on the way
      // (log_scale keeps the factor) so that the weight neither overflows nor underflows.
      double p1 = pim4, p2 = 0;
      log_scale = 0;
      for (int j = 0; j < n; ++j) {
        const double p3 = p2;
        p2 = p1;
        p1 = z * std::sqrt(2.0 / (j + 1)) * p2 - std::sqrt(static_cast<double>(j) / (j + 1)) * p3;
        if (std::abs(p1) > 1e100) {
          p1 *= 1e-100, p2 *= 1e-100;
          log_scale += 100 * std::log(10.0);
        }
      }
      pp = std::sqrt(2.0 * n) * p2;
      const double step = p1 / pp;
      z -= step;
      if (std::abs(step) <= 1e-15 * std::max(1.0, std::abs(z))) break;
    }
    r.nodes.push_back(std::sqrt(2.0) * z);
    r.weights.push_back(std::exp(std::log(2.0 / (pp * pp)) - 2 * log_scale) / std::sqrt(kPi));
  }
  return r;
}

const GaussRule& normal_quadrature() {
  static const GaussRule r = gauss_hermite_normal(kGaussHermiteNodes);
  return r;
}

}  // namespace isobench
