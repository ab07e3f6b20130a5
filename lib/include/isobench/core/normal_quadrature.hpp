// Quadrature rules for expectations over a standard normal h ~ N(0, 1), shared by the theory
// (theory.hpp) and by the activation policies' default mean-field moments
// (activation_moments.hpp).
//
// Gauss–Hermite: the probabilists' rule, Golub & Welsch 1969 (Jacobi-matrix eigenvalues) polished
// by Newton on the orthonormal Hermite recurrence (Numerical Recipes §4.6, gauher). With
// kGaussHermiteNodes = 151 nodes it is exact for polynomials of degree ≤ 301; for the smooth
// integrands of the theory (φ(√q h)², φ'(√q h)^{2k} with analytic φ) it agrees with closed forms
// to 1e-12 for q ≤ 1 (tests/nn/test_activation_moments.cpp). Gauss–Legendre on [−1, 1] serves the
// graded meshes of the D² moment generating function.
#pragma once

#include <cstddef>
#include <vector>

namespace isobench {

// A quadrature rule: nodes and weights (a Gauss–Hermite rule's weights sum to 1).
struct GaussRule {
  std::vector<double> nodes, weights;
};

inline constexpr int kGaussHermiteNodes = 151;
// The probabilists' rule with n ≥ 2 nodes for E_h[g(h)]. Throws std::invalid_argument for n < 2,
// std::runtime_error when LAPACK's dstev fails.
GaussRule gauss_hermite_normal(int n);
// The shared kGaussHermiteNodes rule (computed once).
const GaussRule& normal_quadrature();

// The n-point Gauss–Legendre rule on [−1, 1] (Newton on P_n); n ≥ 1.
GaussRule gauss_legendre(int n);
// The shared 16-point Gauss–Legendre rule (computed once).
const GaussRule& legendre16();

// E_h[g(h)], h ~ N(0, 1), by the shared Gauss–Hermite rule.
template <class G>
double expect_normal(G&& g) {
  const GaussRule& r = normal_quadrature();
  double s = 0;
  for (std::size_t i = 0; i < r.nodes.size(); ++i) s += r.weights[i] * g(r.nodes[i]);
  return s;
}

}  // namespace isobench
