// Mean-field and free-probability theory (theory.hpp) against the reference values of
// docs/RESEARCH.md §2 and closed forms.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>
#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xtensor.hpp>

#include "isobench/core/normal_quadrature.hpp"
#include "isobench/core/rng.hpp"
#include "isobench/theory/theory.hpp"

namespace isobench {
namespace {

TEST(GaussHermite, IntegratesNormalMoments) {
  const GaussRule& r = normal_quadrature();
  ASSERT_GE(static_cast<int>(r.nodes.size()), 101);
  double m0 = 0, m2 = 0, m4 = 0, m6 = 0, c = 0;
  for (std::size_t i = 0; i < r.nodes.size(); ++i) {
    const double h = r.nodes[i], w = r.weights[i];
    m0 += w, m2 += w * h * h, m4 += w * std::pow(h, 4), m6 += w * std::pow(h, 6);
    c += w * std::cos(h);
  }
  EXPECT_NEAR(m0, 1, 1e-13);
  EXPECT_NEAR(m2, 1, 1e-13);
  EXPECT_NEAR(m4, 3, 1e-12);
  EXPECT_NEAR(m6, 15, 1e-11);
  EXPECT_NEAR(c, std::exp(-0.5), 1e-13);  // E[cos h] = e^{−1/2}
}

// Golub & Welsch: the probabilists' Gauss–Hermite nodes are the eigenvalues of the symmetric
// tridiagonal Jacobi matrix with off-diagonal √k. normal_quadrature() finds them with LAPACK dstev
// and polishes them by Newton; xtensor-blas's eigvalsh (syevd on the dense matrix) is the
// independent check.
TEST(GaussHermite, NodesAreTheJacobiMatrixEigenvalues) {
  const GaussRule& r = normal_quadrature();
  const std::size_t n = r.nodes.size();
  xt::xtensor<double, 2> jacobi = xt::zeros<double>({n, n});
  for (std::size_t k = 1; k < n; ++k)
    jacobi(k - 1, k) = jacobi(k, k - 1) = std::sqrt(static_cast<double>(k));
  const xt::xtensor<double, 1> ev = xt::linalg::eigvalsh(jacobi);
  std::vector<double> nodes(r.nodes.begin(), r.nodes.end()), eig(ev.begin(), ev.end());
  std::sort(nodes.begin(), nodes.end());
  std::sort(eig.begin(), eig.end());
  for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(nodes[i], eig[i], 1e-9 * (1 + std::abs(eig[i])));
}

TEST(MeanField, TanhIsometricPoint) {
  // Pennington et al. 2017: σ_w² = 1.05, σ_b² = 2.01e-5.
  const MeanField mf = mean_field(Activation::Tanh, 1.05, 2.01e-5);
  EXPECT_NEAR(mf.q_star, 0.0259208, 1e-7);
  EXPECT_NEAR(mf.chi, 1.0000002, 1e-7);
  EXPECT_NEAR(mf.mu2, 0.910902, 1e-6);
  EXPECT_NEAR(mf.chi, 1.05 * mf.mu1, 1e-15);
  EXPECT_DOUBLE_EQ(mf.q_input, mf.q_star);
  // σ²/L = (μ₂/μ₁² − 1 − s₁) at χ ≈ 1.
  const double chi2 = mf.chi * mf.chi;
  EXPECT_NEAR(jjt_variance(mf, 1, WeightEnsemble::Gaussian) / chi2, 1.00427, 1e-5);
  EXPECT_NEAR(jjt_variance(mf, 1, WeightEnsemble::Orthogonal) / chi2, 0.00427, 1e-5);
}

TEST(MeanField, TanhOrderedAndChaoticPoints) {
  const MeanField ordered = mean_field(Activation::Tanh, 1.2, 0.1);
  EXPECT_NEAR(ordered.chi, 0.7751861, 1e-7);
  const MeanField chaotic = mean_field(Activation::Tanh, 2.0, 0.0);
  EXPECT_NEAR(chaotic.q_star, 0.6179648, 1e-7);
  EXPECT_NEAR(chaotic.chi, 1.1055288, 1e-7);
}

TEST(MeanField, FixedPointSolvesLengthMap) {
  for (Activation act : {Activation::Tanh, Activation::HardTanh})
    for (double sw2 : {0.8, 1.3, 2.5})
      for (double sb2 : {0.0, 0.05, 0.3}) {
        const MeanField mf = mean_field(act, sw2, sb2);
        EXPECT_NEAR(sw2 * mean_square_activation(act, mf.q_star) + sb2, mf.q_star, 1e-13);
      }
  // σ_b² = 0, σ_w² ≤ 1: only the origin; χ = σ_w².
  const MeanField zero = mean_field(Activation::Tanh, 0.9, 0.0);
  EXPECT_EQ(zero.q_star, 0.0);
  EXPECT_NEAR(zero.chi, 0.9, 1e-15);
  EXPECT_EQ(zero.q_input, 1.0);
}

TEST(MeanField, ReluAndLinear) {
  const MeanField relu = mean_field(Activation::ReLU, 2.0, 0.0);
  EXPECT_FALSE(relu.q_unique);
  EXPECT_EQ(relu.q_input, 1.0);
  EXPECT_DOUBLE_EQ(relu.chi, 1.0);
  EXPECT_DOUBLE_EQ(mean_field(Activation::ReLU, 1.5, 0.1).chi, 0.75);
  EXPECT_NEAR(mean_field(Activation::ReLU, 1.5, 0.1).q_star, 0.1 / 0.25, 1e-15);
  EXPECT_FALSE(mean_field(Activation::ReLU, 2.0, 0.1).q_exists);
  const MeanField lin = mean_field(Activation::Linear, 1.0, 0.0);
  EXPECT_FALSE(lin.q_unique);
  EXPECT_DOUBLE_EQ(lin.chi, 1.0);
  EXPECT_DOUBLE_EQ(lin.mu2, 1.0);
}

TEST(MeanField, HardTanhClosedFormMatchesQuadrature) {
  // The erf closed forms against a fine midpoint rule over h ∈ [−12, 12] (the kinks at
  // |h| = 1/√q defeat Gauss–Hermite; the midpoint rule's error there is O(step)).
  const double step = 1e-5;
  for (double q : {0.05, 0.4, 1.0, 3.0}) {
    double e2 = 0, p = 0;
    for (double h = -12 + 0.5 * step; h < 12; h += step) {
      const double w = step * std::exp(-0.5 * h * h) / std::sqrt(2 * M_PI), x = std::sqrt(q) * h;
      const double f = std::max(-1.0, std::min(1.0, x));
      e2 += w * f * f;
      p += w * (std::abs(x) < 1 ? 1.0 : 0.0);
    }
    EXPECT_NEAR(mean_square_activation(Activation::HardTanh, q), e2, 1e-6) << q;
    EXPECT_NEAR(derivative_moment(Activation::HardTanh, q, 1), p, 1e-5) << q;
    EXPECT_EQ(derivative_moment(Activation::HardTanh, q, 2),
              derivative_moment(Activation::HardTanh, q, 1));
  }
}

TEST(CriticalLine, ReferenceValues) {
  const double sb2[] = {1e-4, 1e-3, 0.01, 0.05, 0.1, 0.2, 0.3};
  const double tanh_ref[] = {1.0860263, 1.1891896, 1.4242053, 1.7609546,
                             1.9860726, 2.2851525, 2.5051272};
  const double hardtanh_ref[] = {1.0012111, 1.0084724, 1.0520612, 1.1655447,
                                 1.2634059, 1.4106167, 1.5275902};
  for (int i = 0; i < 7; ++i) {
    EXPECT_NEAR(critical_sw2(Activation::Tanh, sb2[i]), tanh_ref[i], 1e-6) << sb2[i];
    EXPECT_NEAR(critical_sw2(Activation::HardTanh, sb2[i]), hardtanh_ref[i], 1e-6) << sb2[i];
    const double sw2 = critical_sw2(Activation::HardTanh, sb2[i]);
    const MeanField mf = mean_field(Activation::HardTanh, sw2, sb2[i]);
    EXPECT_NEAR(mf.chi, 1.0, 1e-10);  // χ = σ_w² erf(1/√(2q*)) = 1 on the line
    EXPECT_NEAR(mf.chi, sw2 * std::erf(1 / std::sqrt(2 * mf.q_star)), 1e-14);
  }
  // σ_b² = 0: the transition is at σ_w² = 1 (χ = σ_w² below, χ > 1 just above).
  EXPECT_EQ(critical_sw2(Activation::Tanh, 0.0), 1.0);
  EXPECT_GT(mean_field(Activation::Tanh, 1.01, 0.0).chi, 1.0);
  EXPECT_GT(mean_field(Activation::HardTanh, 1.01, 0.0).chi, 1.0);
  EXPECT_EQ(critical_sw2(Activation::Linear, 0.0), 1.0);
  EXPECT_EQ(critical_sw2(Activation::ReLU, 0.0), 2.0);
}

TEST(FreeProbability, LinearGaussianFussCatalan) {
  const MeanField mf = mean_field(Activation::Linear, 1.0, 0.0);
  for (int L : {1, 2, 3, 4, 16, 64, 256}) {
    const double edge = std::exp((L + 1) * std::log(L + 1.0) - L * std::log(1.0 * L));
    EXPECT_NEAR(jjt_max_eigenvalue(mf, L, WeightEnsemble::Gaussian), edge, 1e-8 * edge) << L;
    EXPECT_DOUBLE_EQ(jjt_mean(mf, L), 1.0);
    EXPECT_DOUBLE_EQ(jjt_variance(mf, L, WeightEnsemble::Gaussian), L);
    EXPECT_DOUBLE_EQ(jjt_variance(mf, L, WeightEnsemble::Orthogonal), 0.0);
    EXPECT_NEAR(jjt_max_eigenvalue(mf, L, WeightEnsemble::Orthogonal), 1.0, 1e-10);
  }
}

// The free-probability moments against sampled products, formed with xtensor-blas: for a linear
// network J = W_L ⋯ W_1 (N × N), the eigenvalues λ of JJᵀ have mean jjt_mean = 1 and variance
// jjt_variance = L for Gaussian W (N(0, 1/N) entries), 0 for orthogonal W (Q of a Gaussian's QR:
// xt::linalg::qr), up to O(1/N) and sampling error for the Gaussian.
TEST(FreeProbability, LinearMomentsMatchSampledProducts) {
  const MeanField mf = mean_field(Activation::Linear, 1.0, 0.0);
  const std::size_t n = 300;
  const int depth = 3;
  Engine eng = make_engine("test_theory/products", 1);
  auto gaussian = [&] {
    xt::xtensor<double, 2> w({n, n});
    for (auto& v : w) v = standard_normal(eng) / std::sqrt(static_cast<double>(n));
    return w;
  };
  for (WeightEnsemble ens : {WeightEnsemble::Gaussian, WeightEnsemble::Orthogonal}) {
    xt::xtensor<double, 2> j = xt::eye<double>(n);
    for (int l = 0; l < depth; ++l) {
      xt::xtensor<double, 2> w = gaussian();
      if (ens == WeightEnsemble::Orthogonal) w = std::get<0>(xt::linalg::qr(w));
      j = xt::linalg::dot(w, j);
    }
    const xt::xtensor<double, 1> ev = xt::linalg::eigvalsh(xt::linalg::dot(j, xt::transpose(j)));
    double s = 0, s2 = 0;
    for (double v : ev) s += v, s2 += v * v;
    const double mean = s / n, var = s2 / n - mean * mean;
    if (ens == WeightEnsemble::Gaussian) {
      EXPECT_NEAR(mean, jjt_mean(mf, depth), 0.05);
      EXPECT_NEAR(var, jjt_variance(mf, depth, ens), 0.15 * depth);
    } else {
      EXPECT_NEAR(mean, jjt_mean(mf, depth), 1e-10);
      EXPECT_NEAR(var, jjt_variance(mf, depth, ens), 1e-10);
      EXPECT_NEAR(*std::max_element(ev.begin(), ev.end()), jjt_max_eigenvalue(mf, depth, ens),
                  1e-10);
    }
  }
}

TEST(FreeProbability, SpecialCasesOfTheVariance) {
  const MeanField relu = mean_field(Activation::ReLU, 2.0, 0.0);
  EXPECT_DOUBLE_EQ(jjt_variance(relu, 8, WeightEnsemble::Gaussian), 16.0);   // 2L
  EXPECT_DOUBLE_EQ(jjt_variance(relu, 8, WeightEnsemble::Orthogonal), 8.0);  // L
  const double sw2 = critical_sw2(Activation::HardTanh, 1e-3);
  const MeanField ht = mean_field(Activation::HardTanh, sw2, 1e-3);
  const double p = std::erf(1 / std::sqrt(2 * ht.q_star)), c2L = std::pow(ht.chi, 20);
  EXPECT_NEAR(jjt_variance(ht, 10, WeightEnsemble::Gaussian), c2L * 10 / p, 1e-9);
  EXPECT_NEAR(jjt_variance(ht, 10, WeightEnsemble::Orthogonal), c2L * 10 * (1 - p) / p, 1e-9);
}

TEST(FreeProbability, MaxEigenvalueClosedForms) {
  // ReLU at (2, 0), one Gaussian layer: D W Wᵀ D is Marchenko–Pastur with ratio 1/2, scaled by
  // 2: edge 2(1 + 1/√2)² = 3 + 2√2.
  const MeanField relu = mean_field(Activation::ReLU, 2.0, 0.0);
  EXPECT_NEAR(jjt_max_eigenvalue(relu, 1, WeightEnsemble::Gaussian), 3 + 2 * std::sqrt(2.0), 1e-9);
  // One orthogonal layer: JJᵀ = σ_w² D², so the edge is σ_w².
  const MeanField ht = mean_field(Activation::HardTanh, 1.3, 0.05);
  EXPECT_NEAR(jjt_max_eigenvalue(ht, 1, WeightEnsemble::Orthogonal), 1.3, 1e-9);
  // The linear network's edge scales with σ_w^{2L}.
  const MeanField lin = mean_field(Activation::Linear, 0.8, 0.0);
  EXPECT_NEAR(jjt_max_eigenvalue(lin, 3, WeightEnsemble::Gaussian), std::pow(0.8, 3) * 256.0 / 27.0,
              1e-9);
}

TEST(FreeProbability, TanhIsometricEdgeMatchesPaper) {
  // docs/RESEARCH.md: orthogonal tanh at the isometric point, L = 64: theory max 2.30, variance
  // 0.273.
  const MeanField mf = mean_field(Activation::Tanh, 1.05, 2.01e-5);
  EXPECT_NEAR(jjt_max_eigenvalue(mf, 64, WeightEnsemble::Orthogonal), 2.30, 0.01);
  EXPECT_NEAR(jjt_variance(mf, 64, WeightEnsemble::Orthogonal), 0.273, 0.001);
  // Gaussian weights are much worse conditioned than orthogonal ones at every depth, and the
  // edge grows with depth.
  double prev = 0;
  for (int L : {1, 4, 16, 64}) {
    const double g = jjt_max_eigenvalue(mf, L, WeightEnsemble::Gaussian);
    const double o = jjt_max_eigenvalue(mf, L, WeightEnsemble::Orthogonal);
    EXPECT_GT(g, 3 * o) << L;
    EXPECT_GT(o, prev) << L;
    prev = o;
  }
}

TEST(FreeProbability, TanhMomentGeneratingFunctionMatchesMoments) {
  // M(x)/x = μ₁ + μ₂ x + μ₃ x² + …: the graded quadrature against Gauss–Hermite moments.
  for (double sw2 : {1.05, 2.0}) {
    const MeanField mf = mean_field(Activation::Tanh, sw2, sw2 == 2.0 ? 0.0 : 2.01e-5);
    const double q = mf.q_star, x = 1e-3;
    const double series = mf.mu1 + mf.mu2 * x + derivative_moment(Activation::Tanh, q, 3) * x * x +
                          derivative_moment(Activation::Tanh, q, 4) * x * x * x;
    EXPECT_NEAR(d2_moment_generating(mf, 1 - x) / x, series, 1e-11) << sw2;
  }
}

TEST(Theory, BadInputIsAClearError) {
  EXPECT_THROW(mean_field(Activation::Sigmoid, 1.0, 0.0), std::invalid_argument);
  EXPECT_THROW(mean_field(Activation::Tanh, -1.0, 0.0), std::invalid_argument);
  EXPECT_THROW(mean_field(Activation::Tanh, 1.0, std::nan("")), std::invalid_argument);
  EXPECT_THROW(critical_sw2(Activation::Tanh, -0.1), std::invalid_argument);
  const MeanField mf = mean_field(Activation::Tanh, 1.05, 2.01e-5);
  EXPECT_THROW(jjt_max_eigenvalue(mf, 0, WeightEnsemble::Gaussian), std::invalid_argument);
}

}  // namespace
}  // namespace isobench
