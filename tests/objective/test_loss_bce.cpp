// Tests of the sigmoid binary cross-entropy on logits (loss_bce.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "gradcheck.hpp"
#include "isobench/objective/loss_bce.hpp"

using namespace isobench;

TEST(SigmoidBce, MatchesTheNaiveFormulaAtModerateLogits) {
  const std::vector<double> z = {-3.0, -0.5, 0.0, 0.7, 2.5}, y = {0, 1, 1, 0, 1};
  double expect = 0;
  for (int i = 0; i < 5; ++i) {
    const double s = 1 / (1 + std::exp(-z[i]));
    expect -= y[i] * std::log(s) + (1 - y[i]) * std::log(1 - s);
  }
  EXPECT_NEAR(sigmoid_bce(z.data(), y.data(), 5, static_cast<double*>(nullptr)), expect / 5, 1e-15);
  // log 2 at z = 0 whatever the target.
  const double zero = 0, half = 0.5;
  EXPECT_NEAR(sigmoid_bce(&zero, &half, 1, static_cast<double*>(nullptr)), std::log(2.0), 1e-15);
}

TEST(SigmoidBce, GradientMatchesFiniteDifferences) {
  std::vector<double> z = {-4.0, -0.3, 0.1, 1.2, 6.0, 0.0}, y = {0, 1, 0.3, 0, 1, 1}, g(z.size());
  sigmoid_bce(z.data(), y.data(), 6, g.data());
  auto f = [&] { return sigmoid_bce(z.data(), y.data(), 6, static_cast<double*>(nullptr)); };
  EXPECT_LT(gradcheck::max_rel_grad_error(z.data(), z.size(), g.data(), f), 1e-9);
  // (σ(z) − y)/n at one point, by hand.
  EXPECT_NEAR(g[3], (1 / (1 + std::exp(-1.2)) - 0.0) / 6, 1e-15);
}

// Large logits: no overflow, no log(0); the loss is |z| for a confidently wrong prediction.
TEST(SigmoidBce, StableAtExtremeLogits) {
  const std::vector<float> z = {100.0f, -100.0f, 100.0f, -100.0f}, y = {1, 0, 0, 1};
  std::vector<float> g(4);
  const float l = sigmoid_bce(z.data(), y.data(), 4, g.data());
  EXPECT_TRUE(std::isfinite(l));
  EXPECT_NEAR(l, (0 + 0 + 100 + 100) / 4.0f, 1e-4);
  EXPECT_NEAR(g[0], 0.0f, 1e-12);
  EXPECT_NEAR(g[2], 0.25f, 1e-7);
  EXPECT_NEAR(g[3], -0.25f, 1e-7);
}

TEST(SigmoidBce, BadInputIsAnError) {
  const double z = 0, y = 2;
  EXPECT_THROW(sigmoid_bce(&z, &y, 1, static_cast<double*>(nullptr)), std::out_of_range);
  EXPECT_THROW(sigmoid_bce(&z, &z, 0, static_cast<double*>(nullptr)), std::invalid_argument);
}

TEST(SigmoidBce, CountCorrectBinary) {
  const std::vector<double> z = {-1, 2, 0.5, -0.1}, y = {0, 1, 0, 1};
  EXPECT_EQ(count_correct_binary(z.data(), y.data(), 4), 2);
}
