// The driven-RNN mean field (recurrent_theory.hpp): the exact cross-check with the MLP's critical
// line, the recursion's own limits, and the prediction E[sv²(J_L)] ≈ ∏χ_t against Monte Carlo
// through the measured Jacobian (measure/recurrent_jacobian.hpp) at H = 128 and H = 512.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "isobench/core/blas.hpp"
#include "isobench/measure/recurrent_jacobian.hpp"
#include "isobench/ortho/init.hpp"
#include "isobench/theory/recurrent_theory.hpp"

namespace isobench {
namespace {

std::size_t sz(int v) {
  return static_cast<std::size_t>(v);
}

// For a constant drive the recursion is the MLP's length map with σ_w² = g², σ_b² = σ²: the
// stationary critical gain squared is the MLP's critical σ_w² (issue 21's cross-check value).
// One BLAS thread: the Monte Carlo's 128- and 512-sized GEMMs, beside ctest -j2.
const bool one_thread = [] {
  set_blas_threads(1);
  return true;
}();

TEST(RecurrentTheory, StationaryCriticalGainIsTheMlpCriticalLine) {
  EXPECT_NEAR(critical_gain(Activation::Tanh, 0.01) * critical_gain(Activation::Tanh, 0.01),
              1.4242053, 1e-6);
  for (double s2 : {1e-4, 0.01, 0.05, 0.36})
    EXPECT_NEAR(std::pow(critical_gain(Activation::Tanh, s2), 2),
                critical_sw2(Activation::Tanh, s2), 1e-12);
  EXPECT_DOUBLE_EQ(critical_gain(Activation::Linear, 0.3), 1.0);
}

TEST(RecurrentTheory, ConstantDriveConvergesToTheMlpFixedPoint) {
  for (double g : {0.8, 1.25, 1.6})
    for (double s2 : {0.01, 0.36}) {
      const auto chi = driven_rnn_chi(Activation::Tanh, g, std::vector<double>(400, s2));
      EXPECT_NEAR(chi.back(), mean_field(Activation::Tanh, g * g, s2).chi, 1e-9)
          << "g " << g << " drive " << s2;
    }
}

TEST(RecurrentTheory, FirstStepAndLinearLimits) {
  // h_0 = 0: a_1 = U x_1, so χ_1 = g² E[φ'(√σ_1² z)²]; no drive: χ_1 = g² φ'(0)² = g².
  const auto chi = driven_rnn_chi(Activation::Tanh, 1.3, {0.0, 0.0, 0.2});
  EXPECT_NEAR(chi[0], 1.3 * 1.3, 1e-12);
  EXPECT_NEAR(chi[1], 1.3 * 1.3, 1e-12);  // q_2 = g² E[tanh(0)²] + 0 = 0
  EXPECT_NEAR(chi[2], 1.69 * derivative_moment(Activation::Tanh, 0.2, 1), 1e-15);
  for (double c : driven_rnn_chi(Activation::Linear, 0.9, {0.5, 1.0, 2.0}))
    EXPECT_NEAR(c, 0.81, 1e-15);
  EXPECT_THROW(driven_rnn_chi(Activation::Tanh, 0.0, {0.1}), std::invalid_argument);
  EXPECT_THROW(driven_rnn_chi(Activation::Tanh, 1.0, {-0.1}), std::invalid_argument);
}

TEST(RecurrentTheory, CriticalGainThroughTimeSolvesTheProduct) {
  const std::vector<std::vector<double>> drives = {std::vector<double>(28, 0.3),
                                                   std::vector<double>(28, 0.5)};
  const auto g = critical_gain_through_time(Activation::Tanh, drives, 28);
  ASSERT_TRUE(g.has_value());
  EXPECT_NEAR(driven_rnn_sv2_mean(Activation::Tanh, *g, drives, 28), 1.0, 1e-10);
  // One step without drive: ∏χ = g², critical at g = 1.
  const auto g1 = critical_gain_through_time(Activation::Tanh, {{0.0}}, 1);
  ASSERT_TRUE(g1.has_value());
  EXPECT_NEAR(*g1, 1.0, 1e-12);
  EXPECT_FALSE(critical_gain_through_time(Activation::Tanh, drives, 28, 3.0, 4.0).has_value());
}

// Over pixel MNIST's 784 steps ∏χ_t leaves double's range at both ends of the bracket: the log
// of the mean (log-sum-exp) stays finite and the critical gain is still found.
TEST(RecurrentTheory, CriticalGainOverHundredsOfStepsStaysFinite) {
  const std::vector<std::vector<double>> drives = {std::vector<double>(784, 0.02),
                                                   std::vector<double>(784, 0.05)};
  EXPECT_LT(driven_rnn_log_sv2_mean(Activation::Tanh, 0.25, drives, 784), -700);
  EXPECT_GT(driven_rnn_log_sv2_mean(Activation::Tanh, 8.0, drives, 784), 700);
  const auto g = critical_gain_through_time(Activation::Tanh, drives, 784);
  ASSERT_TRUE(g.has_value());
  EXPECT_NEAR(driven_rnn_log_sv2_mean(Activation::Tanh, *g, drives, 784), 0.0, 1e-9);
  // The mean of ∏χ over the two sequences is dominated by the weaker drive's (its product is
  // e^{hundreds} larger near its own critical gain), so g sits at that sequence's stationary g*.
  EXPECT_NEAR(*g, critical_gain(Activation::Tanh, 0.02), 0.01);
  EXPECT_LT(*g, critical_gain(Activation::Tanh, 0.05));
}

// Monte Carlo: samples (one W, U and input sequence each) of sv2_mean(J_L) and of ∏_t χ_t from
// that sequence's realized drive; returns log(mean measured / mean predicted) — the theory
// predicts the mean E[sv²] — and the standard deviation of the per-sample log ratio (the spread:
// the mean of log ratios is biased low by Jensen, −sd²/2, so it is not the estimator). Gaussian
// inputs in 28 dimensions, U Glorot-uniform (fan-in 28), W = g·Q or N(0, g²/H).
struct LogRatio {
  double log_of_means = 0, sd = 0;
};
LogRatio log_ratio(int H, const char* init, double gain, int L, int samples) {
  const int F = 28, per_seed = 4;
  std::vector<double> r;
  double measured = 0, predicted = 0;
  for (int s = 0; s * per_seed < samples; ++s) {
    Engine eng(1000 + static_cast<std::uint64_t>(s));
    Matrix<double> w({sz(H), sz(H)}), u({sz(H), sz(F)});
    initialize(std::string(init) == "orthogonal" ? InitSpec::orthogonal(gain)
                                                 : InitSpec::gaussian(gain * gain),
               w, eng);
    initialize(InitSpec::glorot_uniform(), u, eng);
    std::normal_distribution<double> nd(0, 1);
    JacobianProduct jp(H, /*with_qr=*/false);
    for (int q = 0; q < per_seed; ++q) {
      std::vector<double> x(sz(L) * sz(F));
      for (double& v : x) v = nd(eng);
      const auto drive =
          rnn_jacobian_through_time(Activation::Tanh, w, u, nullptr, x.data(), L, jp);
      const double th = driven_rnn_log_chi_product(Activation::Tanh, gain, drive, L);
      measured += jp.sv2_mean();
      predicted += std::exp(th);
      r.push_back(std::log(jp.sv2_mean()) - th);
    }
  }
  LogRatio out;
  out.log_of_means = std::log(measured / predicted);
  double mean = 0;
  for (double v : r) mean += v / static_cast<double>(r.size());
  for (double v : r) out.sd += (v - mean) * (v - mean);
  out.sd = std::sqrt(out.sd / static_cast<double>(r.size() - 1));
  return out;
}

// Issue 21's bound at H = 128, L ≤ 28: |log(measured/theory)| ≤ 0.25 for gains across the
// critical one (≈ 1.6 for this drive, σ² ≈ 0.36). Gaussian W spreads sv2_mean widely at L = 28
// (per-sample sd of the log ratio 0.7–0.8; one draw can dominate a mean), so it gets 4× the
// samples; 400 samples measured +0.18, +0.03, +0.02 at g = 1, 1.25, 2 (orthogonal −0.04, +0.01,
// −0.01).
TEST(RecurrentTheory, MatchesMonteCarloAtWidth128) {
  for (const char* init : {"orthogonal", "gaussian"})
    for (double g : {1.0, 1.25, 1.6, 2.0})
      for (int L : {1, 7, 28}) {
        const int samples = std::string(init) == "gaussian" && L == 28 ? 192 : 48;
        const LogRatio r = log_ratio(128, init, g, L, samples);
        std::printf("H 128 %-10s g %.3f L %2d  log(measured/theory) %+.4f  (sample sd %.3f, %d)\n",
                    init, g, L, r.log_of_means, r.sd, samples);
        EXPECT_LE(std::abs(r.log_of_means), 0.25) << init << " g " << g << " L " << L;
      }
}

// Tighter at H = 512 at the seed study's largest gain (1.25) and at the Gaussian drive's
// critical gain (1.6): within 0.1, and the per-sample spread well below H = 128's (finite-width
// fluctuations shrink like 1/√H). Far in the expanding phase (g = 2, L = 28) the orthogonal
// measurement ran +0.24 above the theory at H = 512 (12 samples) — not tested here, reported in
// docs/RESEARCH.md §6.
TEST(RecurrentTheory, MatchesMonteCarloTighterAtWidth512) {
  for (const char* init : {"orthogonal", "gaussian"})
    for (double g : {1.25, 1.6})
      for (int L : {7, 28}) {
        const LogRatio wide = log_ratio(512, init, g, L, 8);
        const LogRatio narrow = log_ratio(128, init, g, L, 8);
        std::printf("%-10s g %.3f L %2d  H 512: %+.4f (sd %.3f)   H 128: %+.4f (sd %.3f)\n", init,
                    g, L, wide.log_of_means, wide.sd, narrow.log_of_means, narrow.sd);
        EXPECT_LE(std::abs(wide.log_of_means), 0.1) << init << " g " << g << " L " << L;
        EXPECT_LT(wide.sd, 0.75 * narrow.sd) << init << " g " << g << " L " << L;
      }
}

}  // namespace
}  // namespace isobench
