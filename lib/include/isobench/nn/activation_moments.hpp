// The mean-field moments of an activation policy, by Gauss–Hermite quadrature: the defaults every
// activation policy (activation.hpp) inherits, and that a policy overrides with a closed form by
// declaring a static function of the same name. The theory (theory.hpp) reads only these, so a new
// smooth activation gets q*, χ and the free-probability spectrum without touching theory.cpp.
//
// With h ~ N(0, 1), q ≥ 0 the pre-activation variance, d = φ'(√q h)² (Poole et al. 2016;
// Pennington, Schoenholz & Ganguli 2017, 2018):
//
// clang-format off
//   mean_square(q)               E_h[φ(√q h)²]                         (the length map)
//   derivative_moment(q, k)      μ_k = E_h[φ'(√q h)^{2k}], k ≥ 1        (χ = σ_w² μ₁)
//   d2_moment_generating(q, ε)   M(x) = E_h[x d/(1 − x d)], x = 1 − ε   (free probability)
// clang-format on
//
// Defaults: the first two by the shared 151-node Gauss–Hermite rule (normal_quadrature.hpp; for
// analytic φ to 1e-12 while q ≤ 1, less as the integrand narrows, e.g. 1e-4 for erf's μ₃ at q = 4;
// kinks cost much more: ReLU's μ₁ is off by 0.05 — tests/nn/test_activation_moments.cpp); M by
// 16-point Gauss–Legendre on a graded mesh over h ∈ [−12, 12] that resolves the peak of width ~ε at
// h = 0 where d → 1. M assumes |φ'| ≤ 1 (else it diverges) with any maximum |φ'| = 1 at u = 0, and
// loses relative accuracy where 1 − d < ~1e-12 (it forms 1 − d by subtraction).
//
// Each policy also declares its `length_map` (how the theory finds q*), so a policy without one is
// a compile error in theory.cpp rather than a silent gap.
#pragma once

#include <algorithm>
#include <cmath>

#include "isobench/core/normal_quadrature.hpp"

namespace isobench {

enum class LengthMap {
  // φ(c u) = c φ(u) for c > 0 (linear, ReLU): q' = σ_w² E[φ(h)²] q + σ_b², μ_k independent of q,
  // critical σ_w² = 1/μ₁.
  Homogeneous,
  // φ(0) = 0, |φ| ≤ 1, |φ'| ≤ φ'(0) = 1 (tanh, hard-tanh): q* by bisection, critical σ_w² by
  // bisection on χ. theory.cpp checks φ(0) = 0 and φ'(0) = 1.
  Saturating,
  // Not covered by the theory (sigmoid: φ(0) ≠ 0, so the origin is no fixed point).
  None,
};

// CRTP base: `struct MyAct : GaussianMoments<MyAct> { ... f, df ... }`.
template <class P>
struct GaussianMoments {
  // E_h[φ(√q h)²], q ≥ 0.
  static double mean_square(double q) {
    const double s = std::sqrt(q);
    return expect_normal([s](double h) {
      const double a = P::f(s * h);
      return a * a;
    });
  }

  // μ_k(q) = E_h[φ'(√q h)^{2k}], k ≥ 1.
  static double derivative_moment(double q, int k) {
    const double s = std::sqrt(std::max(0.0, q));
    return expect_normal([s, k](double h) {
      const double u = s * h;
      return std::pow(P::df(u, P::f(u)), 2 * k);
    });
  }

  // M_{D²}(1 − ε) = E_h[x d/(1 − x d)], x = 1 − ε, 0 < ε ≤ 1, q ≥ 0.
  static double d2_moment_generating(double q, double eps) {
    const double x = 1 - eps, s = std::sqrt(q);
    auto d_at = [s](double h) {
      const double u = s * h, v = P::df(u, P::f(u));
      return v * v;
    };
    if (s == 0) {  // d ≡ φ'(0)²
      const double d = d_at(0.0);
      return x * d / (1 - x * d);
    }
    // 1 − x d = (1 − d) + ε d: the integrand peaks where d → 1, with width ≥ ~ε/√q for a kink
    // and ~√(ε/q) for a smooth maximum. Geometric mesh from a quarter of the former up to the
    // scale 1/√q of d, then uniform to |h| = 12; both signs of h (φ need not be odd).
    auto g = [&](double h) {
      const double d = d_at(h);
      return std::exp(-0.5 * h * h) * x * d / ((1 - d) + eps * d);
    };
    const GaussRule& gl = legendre16();
    const double h_max = 12, step_max = 0.25 * std::min(1.0, 1 / s);
    double a = 0, width = std::min(step_max, 0.25 * eps / s), total = 0;
    while (a < h_max) {
      const double b = std::min(h_max, a + width), half = 0.5 * (b - a), mid = 0.5 * (a + b);
      for (std::size_t i = 0; i < gl.nodes.size(); ++i) {
        const double h = mid + half * gl.nodes[i];
        total += gl.weights[i] * half * (g(h) + g(-h));
      }
      a = b;
      width = std::min(step_max, 2 * width);
    }
    return total / std::sqrt(2 * 3.14159265358979323846);
  }
};

}  // namespace isobench
