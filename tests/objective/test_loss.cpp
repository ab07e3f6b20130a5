#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gradcheck.hpp"
#include "isobench/core/rng.hpp"
#include "isobench/objective/loss.hpp"

using namespace isobench;

TEST(Loss, MseValueAndGradient) {
  Engine eng = make_engine("mse", 0);
  const int B = 4, K = 3;
  std::vector<double> y(B * K), t(B * K), g(B * K);
  for (auto& v : y) v = standard_normal(eng);
  for (auto& v : t) v = standard_normal(eng);
  double expected = 0;
  for (int i = 0; i < B * K; ++i) expected += (y[i] - t[i]) * (y[i] - t[i]);
  EXPECT_NEAR(mse_loss(y.data(), t.data(), B, K, g.data()), expected / (B * K), 1e-14);
  auto f = [&] { return mse_loss<double>(y.data(), t.data(), B, K, nullptr); };
  EXPECT_LT(gradcheck::max_rel_grad_error(y.data(), y.size(), g.data(), f), 1e-8);
}

TEST(Loss, SoftmaxXentGradientAndStability) {
  Engine eng = make_engine("xent", 0);
  const int B = 5, K = 7;
  std::vector<double> z(B * K), g(B * K);
  std::vector<int> c = {0, 3, 6, 2, 2};
  for (auto& v : z) v = 3 * standard_normal(eng);
  softmax_xent(z.data(), c.data(), B, K, g.data());
  auto f = [&] { return softmax_xent<double>(z.data(), c.data(), B, K, nullptr); };
  EXPECT_LT(gradcheck::max_rel_grad_error(z.data(), z.size(), g.data(), f), 1e-8);
  // Huge logits stay finite (log-sum-exp).
  std::vector<double> big = {1000.0, -1000.0, 999.0};
  int lab = 2;
  const double l = softmax_xent<double>(big.data(), &lab, 1, 3, nullptr);
  EXPECT_TRUE(std::isfinite(l));
  EXPECT_NEAR(l, std::log(1 + std::exp(1.0)), 1e-12);
}

TEST(Loss, UniformLogitsGiveLogK) {
  std::vector<float> z(10, 0.25f);
  int lab = 4;
  EXPECT_NEAR(softmax_xent<float>(z.data(), &lab, 1, 10, nullptr), std::log(10.0), 1e-6);
}

TEST(Loss, LabelOutOfRangeThrows) {
  std::vector<double> z(3, 0.0);
  int lab = 3;
  EXPECT_THROW(softmax_xent<double>(z.data(), &lab, 1, 3, nullptr), std::out_of_range);
}

TEST(Loss, CountCorrect) {
  std::vector<double> z = {0.1, 0.9, 0.8, 0.2};
  std::vector<int> c = {1, 1};
  EXPECT_EQ(count_correct(z.data(), c.data(), 2, 2), 1);
}
