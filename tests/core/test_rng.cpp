#include <gtest/gtest.h>

#include <cmath>

#include "isobench/core/rng.hpp"

using namespace isobench;

TEST(Rng, SameConfigAndSeedGiveSameStream) {
  Engine a = make_engine("RQA/mlp/act:tanh", 1), b = make_engine("RQA/mlp/act:tanh", 1);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a(), b());
}

TEST(Rng, DifferentSeedOrConfigDiffer) {
  EXPECT_NE(derive_seed("x", 1), derive_seed("x", 2));
  EXPECT_NE(derive_seed("x", 1), derive_seed("y", 1));
}

TEST(Rng, NormalMoments) {
  Engine e = make_engine("normal", 0);
  const int n = 200000;
  double s = 0, s2 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = standard_normal(e);
    s += x;
    s2 += x * x;
  }
  // 5 standard errors.
  EXPECT_NEAR(s / n, 0.0, 5.0 / std::sqrt(n));
  EXPECT_NEAR(s2 / n, 1.0, 5.0 * std::sqrt(2.0 / n));
}
