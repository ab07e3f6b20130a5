#include <gtest/gtest.h>

#include <vector>

#include "gradcheck.hpp"
#include "isobench/nn/mlp.hpp"
#include "isobench/objective/loss.hpp"

using namespace isobench;

namespace {
struct GradCase {
  Activation act;
  int depth;
  bool activate_output;
  bool xent;
};
void PrintTo(const GradCase& c, std::ostream* os) {
  *os << activation_name(c.act) << " depth " << c.depth << (c.xent ? " xent" : " mse");
}

// Loss of the MLP on a fixed batch: MSE against targets, or softmax cross-entropy.
class MlpGradTest : public ::testing::TestWithParam<GradCase> {};

TEST_P(MlpGradTest, EveryParameterMatchesFiniteDifferences) {
  const auto p = GetParam();
  MlpConfig cfg{6, 5, p.depth, 4, p.act, true, p.activate_output};
  Mlp<double> net(cfg);
  Engine eng = make_engine("mlp-grad", static_cast<std::uint64_t>(p.depth));
  net.init(InitSpec::gaussian(1.5), 0.05, eng);
  const int B = 3;
  std::vector<double> x(B * 6), t(B * 4), dy(B * 4), dx(B * 6);
  std::vector<int> labels = {1, 3, 0};
  for (auto& v : x) v = standard_normal(eng);
  for (auto& v : t) v = standard_normal(eng);
  auto loss = [&](double* grad) {
    const double* y = net.forward(x.data(), B);
    return p.xent ? softmax_xent(y, labels.data(), B, 4, grad) : mse_loss(y, t.data(), B, 4, grad);
  };
  loss(dy.data());
  net.backward(dy.data(), dx.data());
  auto f = [&] { return loss(nullptr); };
  // Kinks (ReLU at 0, hard-tanh at ±1) are hit with probability ~0 at these random points.
  for (auto& pr : net.params()) {
    std::vector<double> analytic(pr.grad, pr.grad + pr.size);
    EXPECT_LT(gradcheck::max_rel_grad_error(pr.value, pr.size, analytic.data(), f), 1e-6)
        << activation_name(p.act) << " depth " << p.depth;
  }
  EXPECT_LT(gradcheck::max_rel_grad_error(x.data(), x.size(), dx.data(), f), 1e-6);
}

std::vector<GradCase> grad_cases() {
  std::vector<GradCase> v;
  for (auto a : {Activation::Linear, Activation::Tanh, Activation::HardTanh, Activation::ReLU,
                 Activation::Sigmoid})
    for (int d : {1, 2, 4}) v.push_back({a, d, false, d == 2});
  v.push_back({Activation::Tanh, 3, true, false});
  return v;
}

INSTANTIATE_TEST_SUITE_P(AllActivationsAndDepths, MlpGradTest, ::testing::ValuesIn(grad_cases()),
                         [](const auto& info) {
                           return std::string(activation_name(info.param.act)) + "_depth" +
                                  std::to_string(info.param.depth) +
                                  (info.param.activate_output ? "_actout" : "") +
                                  (info.param.xent ? "_xent" : "_mse");
                         });
}  // namespace

TEST(Mlp, ShapesFollowDepthWidthAndDims) {
  Mlp<float> net({784, 128, 3, 10, Activation::Tanh});
  EXPECT_EQ(net.weight(1).shape(0), 128u);
  EXPECT_EQ(net.weight(1).shape(1), 784u);
  EXPECT_EQ(net.weight(2).shape(0), 128u);
  EXPECT_EQ(net.weight(3).shape(0), 10u);
  EXPECT_EQ(net.num_params(), 784u * 128 + 128 + 128 * 128 + 128 + 128 * 10 + 10);
  EXPECT_THROW(Mlp<float>({784, 128, 0, 10, Activation::Tanh}), std::invalid_argument);
}

TEST(Mlp, FloatMatchesDouble) {
  MlpConfig cfg{8, 16, 3, 4, Activation::Tanh};
  Mlp<double> d(cfg);
  Mlp<float> f(cfg);
  Engine eng = make_engine("fd", 0);
  d.init(InitSpec::orthogonal(1.0), 0.0, eng);
  for (int l = 1; l <= 3; ++l)
    std::copy(d.weight(l).begin(), d.weight(l).end(), f.weight(l).begin());
  std::vector<double> x(2 * 8);
  for (auto& v : x) v = standard_normal(eng);
  std::vector<float> xf(x.begin(), x.end());
  const double* yd = d.forward(x.data(), 2);
  const float* yf = f.forward(xf.data(), 2);
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(yd[i], yf[i], 1e-5);
}

TEST(Mlp, GradNormIsFrobeniusOfWeightGradient) {
  Mlp<double> net({3, 4, 2, 2, Activation::Tanh});
  Engine eng = make_engine("gn", 0);
  net.init(InitSpec::gaussian(1.0), 0.0, eng);
  std::vector<double> x = {0.1, -0.2, 0.3}, t = {1, 0}, dy(2);
  mse_loss(net.forward(x.data(), 1), t.data(), 1, 2, dy.data());
  net.backward(dy.data());
  double s = 0;
  for (double g : net.weight_grad(1)) s += g * g;
  EXPECT_NEAR(net.weight_grad_norm(1), std::sqrt(s), 1e-15);
  EXPECT_GT(s, 0);
}

TEST(Mlp, DeterministicForSameSeed) {
  auto run = [] {
    Mlp<float> net({10, 32, 3, 5, Activation::ReLU});
    Engine eng = make_engine("det-mlp", 7);
    net.init(InitSpec::he(), 0.01, eng);
    std::vector<float> x(4 * 10);
    for (auto& v : x) v = static_cast<float>(standard_normal(eng));
    const float* y = net.forward(x.data(), 4);
    return std::vector<float>(y, y + 20);
  };
  EXPECT_EQ(run(), run());
}
