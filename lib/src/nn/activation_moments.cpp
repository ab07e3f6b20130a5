// Out-of-line closed forms of activation policies' mean-field moments (activation.hpp).
#include <algorithm>
#include <cmath>

#include "isobench/nn/activation.hpp"

namespace isobench {

// Moved from theory.cpp's d2_moment_generating unchanged (the numbers RQA reports).
double TanhAct::d2_moment_generating(double q, double eps) {
  const double x = 1 - eps;
  // tanh: d = sech⁴(√q h), 1 − d = t²(2 − t²) with t = tanh(√q h) (no cancellation near h = 0).
  // Integrand ϕ(h)·x d/((1 − d) + ε d) peaks at h = 0 with width ~ √(ε/2q): a geometric mesh from
  // that width up to the scale 1/√q of d, then uniform to h = 12; 16-point Gauss–Legendre each.
  const double s = std::sqrt(q);
  if (s == 0) return x / eps;  // d ≡ 1
  auto f = [&](double h) {
    const double t = std::tanh(s * h), omd = t * t * (2 - t * t), d = 1 - omd;
    return std::exp(-0.5 * h * h) * x * d / (omd + eps * d);
  };
  const GaussRule& gl = legendre16();
  const double h_max = 12, step_max = 0.25 * std::min(1.0, 1 / s);
  double a = 0, width = std::min(step_max, 0.25 * std::sqrt(eps / (2 * q))), total = 0;
  while (a < h_max) {
    const double b = std::min(h_max, a + width), half = 0.5 * (b - a), mid = 0.5 * (a + b);
    for (std::size_t i = 0; i < gl.nodes.size(); ++i)
      total += gl.weights[i] * half * f(mid + half * gl.nodes[i]);
    a = b;
    width = std::min(step_max, 2 * width);
  }
  return 2 * total / std::sqrt(2 * 3.14159265358979323846);  // symmetric in h
}

}  // namespace isobench
