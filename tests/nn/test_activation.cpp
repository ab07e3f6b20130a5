#include <gtest/gtest.h>

#include "isobench/nn/activation.hpp"

using namespace isobench;

namespace {
// Derivative against central differences at points away from the kinks.
template <class Act>
void check_derivative() {
  for (double h = -3.0; h <= 3.0; h += 0.137) {
    if (std::abs(std::abs(h) - 1.0) < 1e-3 || std::abs(h) < 1e-3) continue;  // kinks
    const double eps = 1e-6;
    const double num = (Act::f(h + eps) - Act::f(h - eps)) / (2 * eps);
    EXPECT_NEAR(Act::df(h, Act::f(h)), num, 1e-8) << Act::name << " at h = " << h;
  }
}
}  // namespace

TEST(Activation, DerivativesMatchFiniteDifferences) {
  check_derivative<LinearAct>();
  check_derivative<TanhAct>();
  check_derivative<HardTanhAct>();
  check_derivative<ReluAct>();
  check_derivative<SigmoidAct>();
}

TEST(Activation, Values) {
  EXPECT_DOUBLE_EQ(HardTanhAct::f(2.5), 1.0);
  EXPECT_DOUBLE_EQ(HardTanhAct::f(-2.5), -1.0);
  EXPECT_DOUBLE_EQ(HardTanhAct::f(0.3), 0.3);
  EXPECT_DOUBLE_EQ(ReluAct::f(-0.5), 0.0);
  EXPECT_DOUBLE_EQ(SigmoidAct::f(0.0), 0.5);
  EXPECT_DOUBLE_EQ(HardTanhAct::df(1.5, 1.0), 0.0);
  EXPECT_DOUBLE_EQ(ReluAct::df(0.0, 0.0), 0.0);
}

TEST(Activation, NamesRoundTrip) {
  for (auto a : {Activation::Linear, Activation::Tanh, Activation::HardTanh, Activation::ReLU,
                 Activation::Sigmoid})
    EXPECT_EQ(parse_activation(activation_name(a)), a);
  EXPECT_THROW(parse_activation("gelu"), std::invalid_argument);
}
