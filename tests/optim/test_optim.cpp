#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "isobench/optim/optim.hpp"

using namespace isobench;

namespace {
template <class Opt>
std::vector<double> run(Opt& opt, std::vector<double> w,
                        const std::vector<std::vector<double>>& gs) {
  std::vector<double> g(w.size());
  std::vector<ParamRef<double>> p = {{w.data(), g.data(), w.size()}};
  for (const auto& gi : gs) {
    g = gi;
    opt.step(p);
  }
  return w;
}
}  // namespace

TEST(Optimizer, PlainSgd) {
  Optimizer<double, SgdUpdate> opt(0.1);
  auto w = run(opt, {1.0, -2.0}, {{0.5, 1.0}});
  EXPECT_DOUBLE_EQ(w[0], 0.95);
  EXPECT_DOUBLE_EQ(w[1], -2.1);
}

TEST(Optimizer, SgdMomentumByHand) {
  // v1 = g1 = 1; w = 1 − 0.1 = 0.9. v2 = 0.9·1 + 2 = 2.9; w = 0.9 − 0.29 = 0.61.
  Optimizer<double, SgdUpdate> opt(0.1, SgdUpdate{0.9, false});
  auto w = run(opt, {1.0}, {{1.0}, {2.0}});
  EXPECT_NEAR(w[0], 0.61, 1e-15);
}

TEST(Optimizer, NesterovByHand) {
  // v1 = 1; w = 1 − 0.1(1 + 0.9) = 0.81. v2 = 2.9; w = 0.81 − 0.1(2 + 2.61) = 0.349.
  Optimizer<double, SgdUpdate> opt(0.1, SgdUpdate{0.9, true});
  auto w = run(opt, {1.0}, {{1.0}, {2.0}});
  EXPECT_NEAR(w[0], 0.349, 1e-15);
}

TEST(Optimizer, AdamByHand) {
  // t=1: m = 0.1 g, v = 0.001 g², m̂ = g, v̂ = g² → step = lr·g/(|g| + ε).
  // t=2 with g2: m = 0.09 g1 + 0.1 g2, v = 0.000999 g1² + 0.001 g2².
  const double lr = 0.01, eps = 1e-7, g1 = 0.5, g2 = -1.5;
  Optimizer<double, AdamUpdate> opt(lr, AdamUpdate{0.9, 0.999, eps});
  auto w = run(opt, {1.0}, {{g1}, {g2}});
  double x = 1.0 - lr * g1 / (std::abs(g1) + eps);
  const double m = 0.09 * g1 + 0.1 * g2, v = 0.999 * 0.001 * g1 * g1 + 0.001 * g2 * g2;
  const double mh = m / (1 - 0.81), vh = v / (1 - 0.999 * 0.999);
  x -= lr * mh / (std::sqrt(vh) + eps);
  EXPECT_NEAR(w[0], x, 1e-14);
}

TEST(Optimizer, AdamCounterAdvancesOncePerStepNotPerParameter) {
  // Two parameters updated in the same step must see the same bias correction (t = 1):
  // both move by exactly lr (up to ε), whatever their gradient's scale.
  Optimizer<double, AdamUpdate> opt(0.01);
  std::vector<double> a = {0.0}, b = {0.0}, ga = {3.0}, gb = {0.002};
  std::vector<ParamRef<double>> p = {{a.data(), ga.data(), 1}, {b.data(), gb.data(), 1}};
  opt.step(p);
  EXPECT_EQ(opt.steps(), 1);
  EXPECT_NEAR(a[0], -0.01, 1e-8);
  EXPECT_NEAR(b[0], -0.01, 1e-6);
}

TEST(Optimizer, RmsPropByHand) {
  // v = 0.1·4 = 0.4; w = 1 − 0.01·2/(√0.4 + ε).
  Optimizer<double, RmsPropUpdate> opt(0.01, RmsPropUpdate{0.9, 1e-7});
  auto w = run(opt, {1.0}, {{2.0}});
  EXPECT_NEAR(w[0], 1.0 - 0.01 * 2.0 / (std::sqrt(0.4) + 1e-7), 1e-15);
}

TEST(Optimizer, StepDecay) {
  StepDecay d{0.5, 10};
  EXPECT_DOUBLE_EQ(d(1.0, 1), 1.0);
  EXPECT_DOUBLE_EQ(d(1.0, 10), 1.0);
  EXPECT_DOUBLE_EQ(d(1.0, 11), 0.5);
  EXPECT_DOUBLE_EQ(d(1.0, 21), 0.25);
}

// The state is bound to each parameter's size on the first step: a later step with a different
// size (3 entries, then 1,000) or count is a clear error before anything is written — not a write
// past the state (heap-buffer-overflow in AdamUpdate::apply under the asan preset).
TEST(Optimizer, AParameterOfAnotherSizeIsAClearError) {
  std::vector<double> a(3, 1.0), ga(3, 0.1), b(1000, 1.0), gb(1000, 0.1);
  Optimizer<double, AdamUpdate> opt(0.1);
  opt.step({{a.data(), ga.data(), a.size()}, {a.data(), ga.data(), a.size()}});
  const std::vector<double> a_after = a, b_before = b;
  try {
    opt.step({{a.data(), ga.data(), a.size()}, {b.data(), gb.data(), b.size()}});
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("parameter 1 has 1000 entries"), std::string::npos) << msg;
    EXPECT_NE(msg.find("allocated for 3"), std::string::npos) << msg;
  }
  EXPECT_EQ(a, a_after);  // nothing was updated, not even the parameter that matched
  EXPECT_EQ(b, b_before);
  EXPECT_EQ(opt.steps(), 1);
  try {
    opt.step({{a.data(), ga.data(), a.size()}});
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("1 parameters, but the state was allocated for 2"),
              std::string::npos)
        << e.what();
  }
  Optimizer<float, SgdUpdate> sgd(0.1, SgdUpdate{0.9});
  std::vector<float> x(3), gx(3), y(1000), gy(1000);
  sgd.step({{x.data(), gx.data(), x.size()}});
  EXPECT_THROW(sgd.step({{y.data(), gy.data(), y.size()}}), std::invalid_argument);
}
