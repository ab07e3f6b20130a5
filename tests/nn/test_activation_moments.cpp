// The activation policies' mean-field moments (activation_moments.hpp): the Gauss–Hermite
// default against closed forms, and activations defined only here (so theory.cpp cannot know
// them) getting q*, χ and the D² moment generating function from the default, checked against
// closed forms and Monte Carlo.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "isobench/nn/activation.hpp"
#include "isobench/theory/theory.hpp"

namespace isobench {
namespace {

constexpr double kPi = 3.14159265358979323846;

// φ(u) = erf(√π u/2): φ(0) = 0, φ'(0) = 1, |φ| < 1, φ'(u) = exp(−πu²/4). Closed forms (for the
// test only; the policy uses the default): E[φ(√q h)²] = (2/π) asin(2a/(1 + 2a)), a = πq/4, and
// μ_k = E[exp(−kπq h²/2)] = 1/√(1 + kπq).
struct ErfAct : GaussianMoments<ErfAct> {
  static constexpr const char* name = "erf";
  static constexpr LengthMap length_map = LengthMap::Saturating;
  template <class T>
  static T f(T h) {
    return std::erf(std::sqrt(kPi) / 2 * h);
  }
  template <class T>
  static T df(T h, T /*a*/) {
    return std::exp(-kPi / 4 * h * h);
  }
};
double erf_mean_square(double q) {
  const double a = kPi * q / 4;
  return 2 / kPi * std::asin(2 * a / (1 + 2 * a));
}
double erf_mu(double q, int k) {
  return 1 / std::sqrt(1 + k * kPi * q);
}

// Softsign φ(u) = u/(1 + |u|): saturating, but φ' has a kink at 0, where Gauss–Hermite converges
// slowly: its default χ is ~1% off (scipy quad: 1.0424 at σ_w² = 2, σ_b² = 0; default 1.0522).
struct SoftsignAct : GaussianMoments<SoftsignAct> {
  static constexpr const char* name = "softsign";
  static constexpr LengthMap length_map = LengthMap::Saturating;
  template <class T>
  static T f(T h) {
    return h / (1 + std::abs(h));
  }
  template <class T>
  static T df(T h, T /*a*/) {
    const T s = 1 + std::abs(h);
    return 1 / (s * s);
  }
};

// A policy that wrongly declares Saturating: φ(0) = 1/2.
struct ShiftedTanhAct : GaussianMoments<ShiftedTanhAct> {
  static constexpr const char* name = "shifted_tanh";
  static constexpr LengthMap length_map = LengthMap::Saturating;
  template <class T>
  static T f(T h) {
    return T(0.5) + T(0.5) * std::tanh(h);
  }
  template <class T>
  static T df(T /*h*/, T a) {
    return T(2) * a * (T(1) - a);
  }
};

TEST(NormalQuadrature, DefaultMomentsMatchErfClosedForms) {
  // The 151-node rule on an analytic φ: 1e-12 for q ≤ 1; at q = 4 the integrands
  // (exp(−2πk h²) for μ_k) are too narrow for the rule and the error grows to ~1e-4 (μ₃).
  for (double q : {0.0, 0.01, 0.1, 0.6, 1.0, 4.0}) {
    const double tol = q <= 1 ? 1e-12 : 3e-4;
    EXPECT_NEAR(ErfAct::mean_square(q), erf_mean_square(q), tol) << q;
    for (int k : {1, 2, 3}) EXPECT_NEAR(ErfAct::derivative_moment(q, k), erf_mu(q, k), tol) << q;
  }
}

TEST(NormalQuadrature, DefaultAgainstBuiltInClosedForms) {
  // Linear is a polynomial: exact. ReLU and hard-tanh have kinks, where Gauss–Hermite converges
  // slowly: E[φ²] (continuous, kinked slope) to 5e-3, μ_k (a jump) only to 0.06 (ReLU: the
  // central node's weight 0.10 counts as d = 1) — which is why those policies keep their closed
  // forms.
  for (double q : {0.03, 0.5, 1.0, 3.0}) {
    EXPECT_NEAR(GaussianMoments<LinearAct>::mean_square(q), LinearAct::mean_square(q), 1e-13 * q);
    EXPECT_NEAR(GaussianMoments<LinearAct>::derivative_moment(q, 2),
                LinearAct::derivative_moment(q, 2), 1e-13);
    EXPECT_NEAR(GaussianMoments<ReluAct>::mean_square(q), ReluAct::mean_square(q), 1e-13 * q);
    EXPECT_NEAR(GaussianMoments<ReluAct>::derivative_moment(q, 1), ReluAct::derivative_moment(q, 1),
                0.06);
    EXPECT_NEAR(GaussianMoments<HardTanhAct>::mean_square(q), HardTanhAct::mean_square(q), 5e-3)
        << q;
    EXPECT_NEAR(GaussianMoments<HardTanhAct>::derivative_moment(q, 1),
                HardTanhAct::derivative_moment(q, 1), 0.06)
        << q;
  }
}

TEST(NormalQuadrature, DefaultMomentGeneratingFunctionAgainstClosedForms) {
  // M(x) = p x/ε for the {0, 1}-valued D² of linear and ReLU; the default's graded mesh starts at
  // the jump (h = 0), so it is exact to ~1e-12 relative. Tanh's own quadrature (1 − d formed
  // without cancellation) against the default: 1e-9 relative down to ε = 1e-6; the default's
  // 1 − d by subtraction costs accuracy below.
  for (double eps : {1.0, 0.3, 1e-2, 1e-4, 1e-6, 1e-9, 1e-12}) {
    for (double q : {0.5, 2.0}) {
      const double lin = LinearAct::d2_moment_generating(q, eps);
      EXPECT_NEAR(GaussianMoments<LinearAct>::d2_moment_generating(q, eps), lin, 1e-12 * lin);
      const double relu = ReluAct::d2_moment_generating(q, eps);
      EXPECT_NEAR(GaussianMoments<ReluAct>::d2_moment_generating(q, eps), relu, 1e-12 * relu);
    }
    for (double q : {0.0259208, 0.6179648, 2.0}) {
      const double t = TanhAct::d2_moment_generating(q, eps);
      const double tol = eps >= 1e-6 ? 1e-9 : 1e-3;
      EXPECT_NEAR(GaussianMoments<TanhAct>::d2_moment_generating(q, eps), t, tol * t)
          << q << " " << eps;
    }
  }
}

TEST(ActivationTheory, BuiltInTablesComeFromThePolicies) {
  for (std::size_t i = 0; i < std::tuple_size_v<Activations>; ++i) {
    const Activation a = static_cast<Activation>(i);
    const ActivationTheory& t = activation_theory(a);
    EXPECT_STREQ(t.name, activation_name(a));
    dispatch_activation(a, [&](auto p) {
      using P = decltype(p);
      EXPECT_EQ(t.length_map, P::length_map);
      EXPECT_EQ(t.mean_square, &P::mean_square);
      EXPECT_EQ(t.derivative_moment, &P::derivative_moment);
      EXPECT_EQ(t.d2_moment_generating, &P::d2_moment_generating);
    });
  }
  EXPECT_THROW(activation_theory(Activation::Count), std::logic_error);
}

// Monte Carlo: the fixed point of q ← σ_w² mean_j φ(√q h_j)² + σ_b² over n fixed samples, and
// χ = σ_w² mean_j φ'(√q h_j)² there (n = 4e5 samples).
// rel_tol: 1% for q*, 0.5% for χ with a smooth φ (erf's Monte Carlo is 0.2–0.5% off, the
// sampling error amplified by the fixed-point map); a kinked φ' needs more.
template <class P>
void expect_mean_field_matches_monte_carlo(double sw2, double sb2, double rel_tol_q,
                                           double rel_tol_chi) {
  std::mt19937_64 rng(17);
  std::normal_distribution<double> normal;
  std::vector<double> h(400000);
  for (double& v : h) v = normal(rng);
  double q = 1;
  for (int it = 0; it < 300; ++it) {
    double s = 0;
    for (double v : h) {
      const double a = P::f(std::sqrt(q) * v);
      s += a * a;
    }
    const double next = sw2 * s / h.size() + sb2;
    const bool done = std::abs(next - q) < 1e-9 * q;
    q = next;
    if (done) break;
  }
  double d = 0;
  for (double v : h) {
    const double u = std::sqrt(q) * v, g = P::df(u, P::f(u));
    d += g * g;
  }
  const double chi_mc = sw2 * d / h.size();
  const MeanField mf = mean_field(activation_theory_of<P>(), sw2, sb2);
  EXPECT_NEAR(mf.q_star, q, rel_tol_q * q) << P::name << " " << sw2 << " " << sb2;
  EXPECT_NEAR(mf.chi, chi_mc, rel_tol_chi * chi_mc) << P::name << " " << sw2 << " " << sb2;
  EXPECT_NEAR(mf.q_star, sw2 * P::mean_square(mf.q_star) + sb2, 1e-13);  // q* is the fixed point
}

TEST(ActivationTheory, TestOnlyActivationsGetMeanFieldFromTheDefault) {
  for (auto [sw2, sb2] : {std::pair{1.5, 0.05}, {2.0, 0.0}, {1.2, 0.1}}) {
    expect_mean_field_matches_monte_carlo<ErfAct>(sw2, sb2, 0.01, 0.005);
    expect_mean_field_matches_monte_carlo<SoftsignAct>(sw2, sb2, 0.02, 0.03);
  }
  // Erf: μ₁ at q* against its closed form, and the critical line solves χ = 1.
  const MeanField mf = mean_field(activation_theory_of<ErfAct>(), 1.5, 0.05);
  EXPECT_NEAR(mf.mu1, erf_mu(mf.q_star, 1), 1e-13);
  EXPECT_NEAR(mf.mu2, erf_mu(mf.q_star, 2), 1e-13);
  const double sw2c = critical_sw2(activation_theory_of<ErfAct>(), 0.01);
  EXPECT_NEAR(mean_field(activation_theory_of<ErfAct>(), sw2c, 0.01).chi, 1.0, 1e-10);
}

TEST(ActivationTheory, TestOnlyActivationGetsFreeProbability) {
  // M(x)/x = μ₁ + μ₂ x + μ₃ x² + …, with erf's closed-form μ_k, through the default quadrature.
  const MeanField mf = mean_field(activation_theory_of<ErfAct>(), 1.5, 0.05);
  const double q = mf.q_star, x = 1e-3;
  double series = 0;
  for (int k = 1; k <= 6; ++k) series += erf_mu(q, k) * std::pow(x, k - 1);
  EXPECT_NEAR(d2_moment_generating(mf, 1 - x) / x, series, 1e-11);
  // The spectrum's edge exists and lies above its mean (orthogonal weights: λ_max ≥ χ^L).
  const FreeSpectrum s = jjt_spectrum(mf, 8, WeightEnsemble::Orthogonal);
  EXPECT_NEAR(s.mean, std::pow(mf.chi, 8), 1e-12);
  EXPECT_GT(s.max, s.mean);
  EXPECT_TRUE(std::isfinite(s.max));
}

TEST(ActivationTheory, WrongOrMissingTheoryIsAClearError) {
  try {
    mean_field(activation_theory_of<ShiftedTanhAct>(), 1.5, 0.05);
    ADD_FAILURE() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("shifted_tanh declares LengthMap::Saturating"),
              std::string::npos)
        << e.what();
  }
  try {
    mean_field(Activation::Sigmoid, 1.0, 0.0);
    ADD_FAILURE() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "mean_field: sigmoid is not covered by the theory (use linear, tanh, hardtanh or "
                 "relu)");
  }
  EXPECT_THROW(d2_moment_generating(MeanField{}, 0.5), std::invalid_argument);
}

}  // namespace
}  // namespace isobench
