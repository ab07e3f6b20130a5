#include "isobench/theory.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "isobench/decompositions.hpp"

extern "C" void dstev_(const char* jobz, const int* n, double* d, double* e, double* z,
                       const int* ldz, double* work, int* info);

namespace isobench {
namespace {

constexpr double kPi = 3.14159265358979323846;

void require_supported(Activation act, const char* where) {
  if (act == Activation::Sigmoid)
    throw std::invalid_argument(std::string(where) +
                                ": sigmoid is not covered by the theory (use linear, tanh, "
                                "hardtanh or relu)");
}

void require_params(double sw2, double sb2, const char* where) {
  if (!(std::isfinite(sw2) && sw2 > 0) || !(std::isfinite(sb2) && sb2 >= 0))
    throw std::invalid_argument(std::string(where) +
                                ": need finite sigma_w^2 > 0 and sigma_b^2 >= 0 (got " +
                                std::to_string(sw2) + ", " + std::to_string(sb2) + ")");
}

// Gauss–Legendre rule on [−1, 1] (Newton on P_n, standard initial guesses).
GaussRule gauss_legendre(int n) {
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

// E_h[g(h)] over the standard normal by Gauss–Hermite.
template <class G>
double expect_normal(G&& g) {
  const GaussRule& r = normal_quadrature();
  double s = 0;
  for (std::size_t i = 0; i < r.nodes.size(); ++i) s += r.weights[i] * g(r.nodes[i]);
  return s;
}

double erf_prob_linear(double q) {  // hard-tanh: P(|√q h| < 1) = erf(1/√(2q))
  return q <= 0 ? 1.0 : std::erf(1.0 / std::sqrt(2.0 * q));
}

// Largest root of g(q) = σ_w² E[φ(√q h)²] + σ_b² − q for bounded φ (tanh, hard-tanh).
double bounded_fixed_point(Activation act, double sw2, double sb2) {
  auto g = [&](double q) { return sw2 * mean_square_activation(act, q) + sb2 - q; };
  double hi = sw2 + sb2, lo = 0;  // E[φ²] ≤ 1 ⇒ g(hi) ≤ 0
  if (sb2 == 0) {
    if (sw2 <= 1) return 0;  // φ'(0) = 1 and E[φ²] ≤ q: the origin is the only fixed point
    lo = 1e-3 * hi;
    int halvings = 0;
    while (g(lo) <= 0 && halvings++ < 1000) lo *= 0.5;
    if (g(lo) <= 0) return 0;
  }
  for (int it = 0; it < 200 && hi - lo > 1e-16 * hi; ++it) {
    const double mid = 0.5 * (lo + hi);
    (g(mid) > 0 ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

// The q at which D² is evaluated (see MeanField).
double d_law_q(const MeanField& mf) {
  return (mf.q_exists && mf.q_unique) ? mf.q_star : mf.q_input;
}

// P(d = 1) for the {0, 1}-valued D² laws (linear, ReLU, hard-tanh).
double bernoulli_p(const MeanField& mf) {
  switch (mf.act) {
    case Activation::Linear:
      return 1.0;
    case Activation::ReLU:
      return 0.5;
    case Activation::HardTanh:
      return erf_prob_linear(d_law_q(mf));
    default:
      return -1;
  }
}

}  // namespace

GaussRule gauss_hermite_normal(int n) {
  if (n < 2) throw std::invalid_argument("gauss_hermite_normal: need n >= 2 nodes");
  // Physicists' rule ∫ e^{−x²} f(x) dx, then h = √2 x, w /= √π. Initial nodes: eigenvalues of
  // the Jacobi matrix (Golub & Welsch 1969; off-diagonal √(k/2)) by LAPACK dstev; then Newton on
  // the orthonormal Hermite recurrence (Numerical Recipes gauher) polishes each node and gives its
  // weight 2/H̃'_n(x)².
  const double pim4 = 0.7511255444649425;  // π^{−1/4}
  std::vector<double> x(static_cast<std::size_t>(n), 0.0), off(static_cast<std::size_t>(n - 1));
  for (int k = 1; k < n; ++k) off[static_cast<std::size_t>(k - 1)] = std::sqrt(0.5 * k);
  {
    const char jobz = 'N';
    int nn = n, ldz = 1, info = 0;
    double dummy = 0, work = 0;
    dstev_(&jobz, &nn, x.data(), off.data(), &dummy, &ldz, &work, &info);
    lapack::check_info("dstev", info);  // gauss_hermite_normal
  }
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

double mean_square_activation(Activation act, double q) {
  require_supported(act, "mean_square_activation");
  if (q < 0) throw std::invalid_argument("mean_square_activation: q must be >= 0");
  switch (act) {
    case Activation::Linear:
      return q;
    case Activation::ReLU:
      return 0.5 * q;
    case Activation::HardTanh: {
      if (q == 0) return 0;
      const double a = 1 / std::sqrt(q), pdf = std::exp(-0.5 * a * a) / std::sqrt(2 * kPi);
      return q * (std::erf(a / std::sqrt(2.0)) - 2 * a * pdf) + std::erfc(a / std::sqrt(2.0));
    }
    case Activation::Tanh: {
      const double s = std::sqrt(q);
      return expect_normal([s](double h) {
        const double t = std::tanh(s * h);
        return t * t;
      });
    }
    default:
      break;
  }
  throw std::logic_error("mean_square_activation: unreachable");
}

double derivative_moment(Activation act, double q, int k) {
  require_supported(act, "derivative_moment");
  if (k < 1) throw std::invalid_argument("derivative_moment: k must be >= 1");
  switch (act) {
    case Activation::Linear:
      return 1;
    case Activation::ReLU:
      return 0.5;
    case Activation::HardTanh:
      return erf_prob_linear(q);
    case Activation::Tanh: {
      const double s = std::sqrt(std::max(0.0, q));
      return expect_normal([s, k](double h) {
        const double t = std::tanh(s * h);
        return std::pow(1 - t * t, 2 * k);
      });
    }
    default:
      break;
  }
  throw std::logic_error("derivative_moment: unreachable");
}

MeanField mean_field(Activation act, double sw2, double sb2) {
  require_supported(act, "mean_field");
  require_params(sw2, sb2, "mean_field");
  MeanField mf;
  mf.act = act;
  mf.sw2 = sw2;
  mf.sb2 = sb2;
  // Linear and ReLU have the linear length map q' = a q + σ_b² (a = σ_w², σ_w²/2).
  if (act == Activation::Linear || act == Activation::ReLU) {
    const double a = act == Activation::Linear ? sw2 : 0.5 * sw2;
    if (a < 1) {
      mf.q_star = sb2 / (1 - a);
    } else if (a == 1 && sb2 == 0) {
      mf.q_unique = false;
    } else {
      mf.q_exists = false;
      mf.q_star = std::numeric_limits<double>::infinity();
    }
  } else {
    mf.q_star = bounded_fixed_point(act, sw2, sb2);
  }
  mf.q_input = (mf.q_exists && mf.q_unique && mf.q_star > 0) ? mf.q_star : 1.0;
  const double q = d_law_q(mf);
  mf.mu1 = derivative_moment(act, q, 1);
  mf.mu2 = derivative_moment(act, q, 2);
  mf.chi = sw2 * mf.mu1;
  return mf;
}

double critical_sw2(Activation act, double sb2) {
  require_supported(act, "critical_sw2");
  require_params(1.0, sb2, "critical_sw2");
  if (act == Activation::Linear) return 1.0;
  if (act == Activation::ReLU) return 2.0;
  // σ_b² = 0: q* = 0 for σ_w² ≤ 1 (χ = σ_w²) and χ > 1 above, since φ'(0) = 1 is the maximum.
  if (sb2 == 0) return 1.0;
  // χ(σ_w²) increases with σ_w² and χ(1) = μ₁ ≤ 1 since |φ'| ≤ 1.
  auto chi = [&](double sw2) { return mean_field(act, sw2, sb2).chi; };
  double lo = 1.0, hi = 2.0;
  while (chi(hi) <= 1) {
    lo = hi;
    hi *= 2;
    if (hi > 1e6) throw std::runtime_error("critical_sw2: no critical point below sigma_w^2 = 1e6");
  }
  for (int it = 0; it < 100 && hi - lo > 1e-13 * hi; ++it) {
    const double mid = 0.5 * (lo + hi);
    (chi(mid) > 1 ? hi : lo) = mid;
  }
  return 0.5 * (lo + hi);
}

double jjt_mean(const MeanField& mf, int depth) {
  return std::pow(mf.chi, depth);
}

double jjt_variance(const MeanField& mf, int depth, WeightEnsemble w) {
  const double s1 = w == WeightEnsemble::Gaussian ? -1.0 : 0.0;
  const double per_layer = std::max(0.0, mf.mu2 / (mf.mu1 * mf.mu1) - 1 - s1);
  return std::pow(mf.chi, 2.0 * depth) * depth * per_layer;
}

double d2_moment_generating(const MeanField& mf, double eps) {
  require_supported(mf.act, "d2_moment_generating");
  if (!(eps > 0 && eps <= 1))
    throw std::invalid_argument("d2_moment_generating: need 0 < eps <= 1");
  const double x = 1 - eps;
  const double p = bernoulli_p(mf);
  if (p >= 0) return p * x / eps;
  // tanh: d = sech⁴(√q h), 1 − d = t²(2 − t²) with t = tanh(√q h) (no cancellation near h = 0).
  // Integrand ϕ(h)·x d/((1 − d) + ε d) peaks at h = 0 with width ~ √(ε/2q): a geometric mesh from
  // that width up to the scale 1/√q of d, then uniform to h = 12; 16-point Gauss–Legendre each.
  const double q = d_law_q(mf), s = std::sqrt(q);
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
  return 2 * total / std::sqrt(2 * kPi);  // symmetric in h
}

double jjt_max_eigenvalue(const MeanField& mf, int depth, WeightEnsemble w) {
  require_supported(mf.act, "jjt_max_eigenvalue");
  if (depth < 1) throw std::invalid_argument("jjt_max_eigenvalue: depth must be >= 1");
  const double L = depth;
  // log of (1+z)/(z S_{JJᵀ}(z)) at x = 1 − ε, z = M(x), S_{D²}(z) = ((1+z)/z)·x.
  auto log_f = [&](double u) {
    const double eps = std::exp(u), x = -std::expm1(u), z = d2_moment_generating(mf, eps);
    const double log1pz = std::log1p(z), logz = std::log(z);
    double log_s = L * (log1pz - logz + std::log(x)) - L * std::log(mf.sw2);
    if (w == WeightEnsemble::Gaussian) log_s -= L * log1pz;
    return log1pz - logz - log_s;
  };
  // Coarse scan in u = ln ε, then golden-section refinement around the best point.
  const double u_lo = std::log(1e-15), u_hi = std::log1p(-1e-9);
  const int n = 240;
  int best = 0;
  double best_val = std::numeric_limits<double>::infinity();
  std::vector<double> us(n + 1);
  for (int i = 0; i <= n; ++i) {
    us[static_cast<std::size_t>(i)] = u_lo + (u_hi - u_lo) * i / n;
    const double v = log_f(us[static_cast<std::size_t>(i)]);
    if (v < best_val) best_val = v, best = i;
  }
  double a = us[static_cast<std::size_t>(std::max(0, best - 1))];
  double b = us[static_cast<std::size_t>(std::min(n, best + 1))];
  const double gr = 0.5 * (std::sqrt(5.0) - 1);
  double c = b - gr * (b - a), d = a + gr * (b - a), fc = log_f(c), fd = log_f(d);
  for (int it = 0; it < 100 && b - a > 1e-12; ++it) {
    if (fc < fd) {
      b = d, d = c, fd = fc;
      c = b - gr * (b - a), fc = log_f(c);
    } else {
      a = c, c = d, fc = fd;
      d = a + gr * (b - a), fd = log_f(d);
    }
  }
  return std::exp(std::min({best_val, fc, fd}));
}

FreeSpectrum jjt_spectrum(const MeanField& mf, int depth, WeightEnsemble w) {
  return {jjt_mean(mf, depth), jjt_variance(mf, depth, w), jjt_max_eigenvalue(mf, depth, w)};
}

}  // namespace isobench
