// Mean-field and free-probability theory (theory.hpp). Every activation-specific expectation
// comes from the activation's policy through its ActivationTheory table; nothing here switches on
// the activation.
#include "isobench/theory/theory.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace isobench {
namespace {

template <std::size_t... I>
const ActivationTheory& theory_table(Activation act, std::index_sequence<I...>) {
  static const ActivationTheory* const tables[] = {
      &activation_theory_of<std::tuple_element_t<I, Activations>>()...};
  const auto i = static_cast<std::size_t>(act);
  if (i >= sizeof...(I)) throw std::logic_error("activation_theory: unknown activation");
  return *tables[i];  // Activations is in enum order (activation.hpp)
}

// "linear, tanh, hardtanh or relu": the built-in activations the theory covers.
std::string covered_activations() {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < std::tuple_size_v<Activations>; ++i) {
    const ActivationTheory& t = activation_theory(static_cast<Activation>(i));
    if (t.length_map != LengthMap::None) names.emplace_back(t.name);
  }
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return out;
}

void require_supported(const ActivationTheory& act, const char* where) {
  if (act.length_map == LengthMap::None)
    throw std::invalid_argument(std::string(where) + ": " + act.name +
                                " is not covered by the theory (use " + covered_activations() +
                                ")");
}

const ActivationTheory& activation_of(const MeanField& mf, const char* where) {
  if (!mf.activation)
    throw std::invalid_argument(std::string(where) +
                                ": the MeanField has no activation (make it with mean_field())");
  require_supported(*mf.activation, where);
  return *mf.activation;
}

void require_params(double sw2, double sb2, const char* where) {
  if (!(std::isfinite(sw2) && sw2 > 0) || !(std::isfinite(sb2) && sb2 >= 0))
    throw std::invalid_argument(std::string(where) +
                                ": need finite sigma_w^2 > 0 and sigma_b^2 >= 0 (got " +
                                std::to_string(sw2) + ", " + std::to_string(sb2) + ")");
}

// Largest root of g(q) = σ_w² E[φ(√q h)²] + σ_b² − q for a saturating φ (|φ| ≤ 1, φ(0) = 0,
// |φ'| ≤ φ'(0) = 1: tanh, hard-tanh).
double bounded_fixed_point(const ActivationTheory& act, double sw2, double sb2) {
  auto g = [&](double q) { return sw2 * act.mean_square(q) + sb2 - q; };
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

}  // namespace

const ActivationTheory& activation_theory(Activation act) {
  return theory_table(act, std::make_index_sequence<std::tuple_size_v<Activations>>{});
}

double mean_square_activation(const ActivationTheory& act, double q) {
  require_supported(act, "mean_square_activation");
  if (q < 0) throw std::invalid_argument("mean_square_activation: q must be >= 0");
  return act.mean_square(q);
}
double mean_square_activation(Activation act, double q) {
  return mean_square_activation(activation_theory(act), q);
}

double derivative_moment(const ActivationTheory& act, double q, int k) {
  require_supported(act, "derivative_moment");
  if (k < 1) throw std::invalid_argument("derivative_moment: k must be >= 1");
  return act.derivative_moment(q, k);
}
double derivative_moment(Activation act, double q, int k) {
  return derivative_moment(activation_theory(act), q, k);
}

MeanField mean_field(const ActivationTheory& act, double sw2, double sb2) {
  require_supported(act, "mean_field");
  require_params(sw2, sb2, "mean_field");
  MeanField mf;
  mf.activation = &act;
  mf.sw2 = sw2;
  mf.sb2 = sb2;
  if (act.length_map == LengthMap::Homogeneous) {
    // The linear length map q' = a q + σ_b², a = σ_w² E[φ(h)²] (σ_w², σ_w²/2 for linear, ReLU).
    const double a = sw2 * act.mean_square(1.0);
    if (a < 1) {
      mf.q_star = sb2 / (1 - a);
    } else if (a == 1 && sb2 == 0) {
      mf.q_unique = false;
    } else {
      mf.q_exists = false;
      mf.q_star = std::numeric_limits<double>::infinity();
    }
  } else {
    if (!(act.phi0 == 0 && act.dphi0 == 1))
      throw std::invalid_argument(
          std::string("mean_field: activation ") + act.name +
          " declares LengthMap::Saturating, which needs phi(0) = 0 and phi'(0) = 1 (got " +
          std::to_string(act.phi0) + ", " + std::to_string(act.dphi0) +
          "); fix its policy's length_map");
    mf.q_star = bounded_fixed_point(act, sw2, sb2);
  }
  mf.q_input = (mf.q_exists && mf.q_unique && mf.q_star > 0) ? mf.q_star : 1.0;
  const double q = d_law_q(mf);
  mf.mu1 = derivative_moment(act, q, 1);
  mf.mu2 = derivative_moment(act, q, 2);
  mf.chi = sw2 * mf.mu1;
  return mf;
}
MeanField mean_field(Activation act, double sw2, double sb2) {
  return mean_field(activation_theory(act), sw2, sb2);
}

double critical_sw2(const ActivationTheory& act, double sb2) {
  require_supported(act, "critical_sw2");
  require_params(1.0, sb2, "critical_sw2");
  // χ = σ_w² μ₁ with μ₁ independent of q (1 linear, 1/2 ReLU).
  if (act.length_map == LengthMap::Homogeneous) return 1.0 / act.derivative_moment(1.0, 1);
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
double critical_sw2(Activation act, double sb2) {
  return critical_sw2(activation_theory(act), sb2);
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
  const ActivationTheory& act = activation_of(mf, "d2_moment_generating");
  if (!(eps > 0 && eps <= 1))
    throw std::invalid_argument("d2_moment_generating: need 0 < eps <= 1");
  return act.d2_moment_generating(d_law_q(mf), eps);
}

double jjt_max_eigenvalue(const MeanField& mf, int depth, WeightEnsemble w) {
  activation_of(mf, "jjt_max_eigenvalue");
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
