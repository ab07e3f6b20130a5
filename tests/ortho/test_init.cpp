#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <xtensor-blas/xlinalg.hpp>

#include "isobench/ortho/init.hpp"
#include "isobench/ortho/orthogonality.hpp"

using namespace isobench;

namespace {
Matrix<double> make(std::size_t r, std::size_t c) {
  return Matrix<double>({r, c});
}

double sample_variance(const Matrix<double>& w) {
  double s = 0, s2 = 0;
  for (double x : w) {
    s += x;
    s2 += x * x;
  }
  const double n = static_cast<double>(w.size());
  return s2 / n - (s / n) * (s / n);
}

// Statistics of Haar O(n) used below (Diaconis & Shahshahani 1994): for W Haar on O(n),
// E[tr W^k] = 1 if k is even, 0 if k is odd (k ≤ n − 1), and Var[tr W] = 1; det W = ±1 with
// probability 1/2 each. E[tr W^k] = E[Σ_j cos kθ_j] are the Fourier modes of the eigenvalue-phase
// density, so these moments test that the phases are uniform up to O(1/n).
struct HaarStats {
  double mean_trace_pow[5] = {0, 0, 0, 0, 0};  // k = 1..4
  double se_trace_pow[5] = {0, 0, 0, 0, 0};
  double var_trace = 0, det_positive = 0;
};

HaarStats haar_stats(int n, int draws, bool fix_signs, std::uint64_t seed) {
  Engine eng = make_engine("haar", seed);
  HaarStats st;
  double s[5] = {0}, s2[5] = {0}, t1 = 0, t2 = 0;
  for (int d = 0; d < draws; ++d) {
    auto w = make(n, n);
    OrthogonalInit{1.0, fix_signs}(w, eng);
    const auto ev = xt::linalg::eigvals(w);  // LAPACK dgeev through xtensor-blas
    std::complex<double> det = 1;
    for (auto z : ev) det *= z;
    st.det_positive += det.real() > 0;
    for (int k = 1; k <= 4; ++k) {
      double tk = 0;
      for (auto z : ev) tk += std::pow(z, k).real();
      s[k] += tk;
      s2[k] += tk * tk;
    }
    double tr = 0;
    for (int i = 0; i < n; ++i) tr += w(i, i);
    t1 += tr;
    t2 += tr * tr;
  }
  for (int k = 1; k <= 4; ++k) {
    st.mean_trace_pow[k] = s[k] / draws;
    const double var = s2[k] / draws - st.mean_trace_pow[k] * st.mean_trace_pow[k];
    st.se_trace_pow[k] = std::sqrt(std::max(var, 1e-12) / draws);
  }
  st.var_trace = t2 / draws - (t1 / draws) * (t1 / draws);
  st.det_positive /= draws;
  return st;
}
}  // namespace

TEST(OrthogonalInit, ShapesAndOrthogonality) {
  Engine eng = make_engine("ortho", 0);
  for (auto [r, c] : {std::pair{64, 64}, std::pair{100, 30}, std::pair{30, 100}, std::pair{1, 7}}) {
    for (double gain : {1.0, 1.25}) {
      auto w = make(r, c);
      OrthogonalInit{gain}(w, eng);
      ASSERT_EQ(w.shape(0), static_cast<std::size_t>(r));
      ASSERT_EQ(w.shape(1), static_cast<std::size_t>(c));
      // tall: WᵀW = g²I; wide: WWᵀ = g²I.
      EXPECT_LE(orthogonality_error(w, gain), 1e-10) << r << "x" << c << " gain " << gain;
      EXPECT_GT(orthogonality_error(w, gain * 1.01), 1e-3);  // the check can fail
    }
  }
}

TEST(OrthogonalInit, FloatIsOrthogonalToSinglePrecision) {
  Engine eng = make_engine("ortho-f", 0);
  Matrix<float> w({128, 128});
  OrthogonalInit{1.0}(w, eng);
  EXPECT_LE(orthogonality_error(w), 1e-4);
}

TEST(OrthogonalInit, HaarMoments) {
  for (int n : {5, 8}) {
    const auto st = haar_stats(n, 6000, /*fix_signs=*/true, 1);
    for (int k = 1; k <= 4; ++k) {
      const double expected = (k % 2 == 0) ? 1.0 : 0.0;
      EXPECT_NEAR(st.mean_trace_pow[k], expected, 5 * st.se_trace_pow[k] + 1e-3)
          << "E[tr W^" << k << "], n = " << n;
    }
    EXPECT_NEAR(st.var_trace, 1.0, 0.1) << "n = " << n;
    EXPECT_NEAR(st.det_positive, 0.5, 5 * std::sqrt(0.25 / 6000)) << "n = " << n;
  }
}

TEST(OrthogonalInit, PlainQrWithoutSignFixIsNotHaar) {
  // The same statistics must reject Q of a plain Householder QR (the test has teeth).
  for (int n : {5, 8}) {
    const auto st = haar_stats(n, 6000, /*fix_signs=*/false, 1);
    bool rejected = std::abs(st.det_positive - 0.5) > 5 * std::sqrt(0.25 / 6000);
    for (int k = 1; k <= 4; ++k) {
      const double expected = (k % 2 == 0) ? 1.0 : 0.0;
      rejected |= std::abs(st.mean_trace_pow[k] - expected) > 5 * st.se_trace_pow[k] + 1e-3;
    }
    EXPECT_TRUE(rejected) << "plain QR passed the Haar test at n = " << n;
  }
}

TEST(Initializers, VariancesWithinSamplingError) {
  Engine eng = make_engine("var", 0);
  const std::size_t r = 300, c = 200;
  const double n = static_cast<double>(r * c);
  auto check = [&](auto init, double expected, const char* what) {
    auto w = make(r, c);
    init(w, eng);
    // Var of a sample variance of n Gaussians ≈ 2σ⁴/n; uniform is smaller. 6 standard errors.
    EXPECT_NEAR(sample_variance(w), expected, 6 * expected * std::sqrt(2.0 / n)) << what;
  };
  check(GaussianInit{1.0}, 1.0 / c, "gaussian sw2=1");
  check(GaussianInit{2.0}, 2.0 / c, "gaussian sw2=2");
  check(GlorotUniformInit{}, 2.0 / (r + c), "glorot_uniform");
  check(GlorotNormalInit{}, 2.0 / (r + c), "glorot_normal");
  check(HeInit{}, 2.0 / c, "he");
}

TEST(Initializers, GlorotUniformBounds) {
  Engine eng = make_engine("glorot", 0);
  auto w = make(50, 70);
  GlorotUniformInit{}(w, eng);
  const double a = std::sqrt(6.0 / 120.0);
  for (double x : w) {
    EXPECT_LE(std::abs(x), a);
  }
}

TEST(Initializers, IdentityWithGain) {
  Engine eng = make_engine("id", 0);
  auto w = make(4, 6);
  IdentityInit{1.5}(w, eng);
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 6; ++j) EXPECT_DOUBLE_EQ(w(i, j), i == j ? 1.5 : 0.0);
}

TEST(Initializers, SameSeedSameWeights) {
  auto a = make(20, 20), b = make(20, 20);
  Engine e1 = make_engine("det", 3), e2 = make_engine("det", 3);
  initialize(InitSpec::orthogonal(1.0), a, e1);
  initialize(InitSpec::orthogonal(1.0), b, e2);
  EXPECT_EQ(a, b);
}

TEST(Initializers, NamesRoundTrip) {
  for (const char* k :
       {"gaussian", "orthogonal", "glorot_uniform", "glorot_normal", "he", "identity"})
    EXPECT_EQ(parse_init(k), k);
  try {
    parse_init("xavier");
    FAIL() << "xavier parsed";
  } catch (const std::invalid_argument& e) {  // the message lists the registered names
    EXPECT_NE(std::string(e.what()).find("glorot_uniform"), std::string::npos) << e.what();
  }
}
