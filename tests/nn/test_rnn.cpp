// Tests of the vanilla RNN (rnn.hpp) and of global gradient clipping (grad_clip.hpp):
// finite-difference BPTT gradients of every parameter (T ≥ 10, both read-out modes, several
// activations), a hand-computed two-step example, clipping, determinism, float vs double.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <new>
#include <vector>

#include "alloc_counter.hpp"
#include "gradcheck.hpp"
#include "isobench/nn/fast_tanh.hpp"
#include "isobench/nn/rnn.hpp"
#include "isobench/objective/loss.hpp"
#include "isobench/optim/grad_clip.hpp"
#include "isobench/optim/optim.hpp"

using namespace isobench;

using isobench::testing_alloc::allocations;

namespace {

struct RnnCase {
  Activation act;
  bool many_to_many;
  bool xent;
  bool bias;
};

std::string case_name(const RnnCase& c) {
  return std::string(activation_name(c.act)) + (c.many_to_many ? "_m2m" : "_m2o") +
         (c.xent ? "_xent" : "_mse") + (c.bias ? "" : "_nobias");
}

class RnnGradTest : public ::testing::TestWithParam<RnnCase> {};

// Every entry of W, U, b, V, c and of the input x against central differences, through T = 12
// steps of a batch of 3.
TEST_P(RnnGradTest, EveryParameterMatchesFiniteDifferencesThroughTime) {
  const auto p = GetParam();
  const int F = 4, H = 6, K = 3, S = 12, B = 3;
  RnnConfig cfg{F, H, K, p.act, p.many_to_many, p.bias};
  Rnn<double> net(cfg);
  Engine eng = make_engine("rnn-grad/" + case_name(p), 0);
  // Gain 1.2 (4 for sigmoid, whose slope is ≤ 1/4) keeps the gradient from vanishing over the
  // 12 steps, so every step's Jacobian matters.
  const double gain = p.act == Activation::Sigmoid ? 4.0 : 1.2;
  net.init(InitSpec::orthogonal(gain), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(), eng);
  if (p.bias) {
    for (auto& v : net.bias()) v = 0.1 * standard_normal(eng);
    for (auto& v : net.readout_bias()) v = 0.1 * standard_normal(eng);
  }
  const int out_rows = p.many_to_many ? S * B : B;
  std::vector<double> x(S * B * F), t(out_rows * K), dy(out_rows * K), dx(x.size());
  std::vector<int> labels(out_rows);
  for (auto& v : x) v = standard_normal(eng);
  for (auto& v : t) v = standard_normal(eng);
  for (int i = 0; i < out_rows; ++i) labels[i] = i % K;
  auto loss = [&](double* grad) {
    const double* y = net.forward(x.data(), S, B);
    return p.xent ? softmax_xent(y, labels.data(), out_rows, K, grad)
                  : mse_loss(y, t.data(), out_rows, K, grad);
  };
  loss(dy.data());
  net.backward(dy.data(), dx.data());
  auto f = [&] { return loss(nullptr); };
  const auto params = net.params();
  ASSERT_EQ(params.size(), p.bias ? 5u : 3u);
  for (std::size_t k = 0; k < params.size(); ++k) {
    const auto& pr = params[k];
    std::vector<double> analytic(pr.grad, pr.grad + pr.size);
    double norm = 0;
    for (double g : analytic) norm += g * g;
    // A zero gradient would pass any check: every parameter must get a real gradient.
    EXPECT_GT(std::sqrt(norm), 1e-4) << "parameter " << k;
    EXPECT_LT(gradcheck::max_rel_grad_error(pr.value, pr.size, analytic.data(), f), 1e-7)
        << "parameter " << k;
  }
  // The first step's input reaches the loss only through all T − 1 recurrent steps (BPTT).
  double dx1 = 0;
  for (int i = 0; i < B * F; ++i) dx1 = std::max(dx1, std::abs(dx[i]));
  EXPECT_GT(dx1, 1e-6);
  EXPECT_LT(gradcheck::max_rel_grad_error(x.data(), x.size(), dx.data(), f), 1e-7);
}

std::vector<RnnCase> rnn_cases() {
  return {{Activation::Tanh, false, true, true},    {Activation::Tanh, true, true, true},
          {Activation::Tanh, false, false, true},   {Activation::Tanh, true, false, false},
          {Activation::ReLU, false, true, true},    {Activation::ReLU, true, false, true},
          {Activation::Sigmoid, false, true, true}, {Activation::Linear, true, false, true},
          {Activation::HardTanh, false, true, true}};
}

INSTANTIATE_TEST_SUITE_P(ReadoutsAndActivations, RnnGradTest, ::testing::ValuesIn(rnn_cases()),
                         [](const auto& info) { return case_name(info.param); });

// Sets W = [[0.5, −0.3], [0.2, 0.1]], U = [1; −1], b = [0.1, 0], V = [1, 2], c = 0.5.
void set_two_step_weights(Rnn<double>& net) {
  net.recurrent_kernel() = {{0.5, -0.3}, {0.2, 0.1}};
  net.input_kernel() = {{1.0}, {-1.0}};
  net.bias() = {0.1, 0.0};
  net.readout() = {{1.0, 2.0}};
  net.readout_bias() = {0.5};
}

}  // namespace

// h_1 = tanh(U x_1 + b), h_2 = tanh(W h_1 + U x_2 + b), y = V h_2 + c, for two samples
// (x = (0.5, −1) and (0, 2)) in one time-major batch. Reference values computed by hand
// (Python, math.tanh) from those formulas.
TEST(Rnn, TwoStepStateIsCarriedAcrossSteps) {
  Rnn<double> net({1, 2, 1});
  set_two_step_weights(net);
  const std::vector<double> x = {0.5, 0.0, -1.0, 2.0};  // (T=2 × B=2 × F=1), time-major
  const double* y = net.forward(x.data(), 2, 2);
  const double* h1 = net.hidden_state(1);
  const double* h2 = net.hidden_state(2);
  const double* h0 = net.hidden_state(0);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(h0[i], 0.0);
  // sample 0: h_1 = tanh(0.6, −0.5)
  EXPECT_NEAR(h1[0], 0.5370495669980353, 1e-15);
  EXPECT_NEAR(h1[1], -0.46211715726000974, 1e-15);
  // sample 1: h_1 = tanh(0.1, 0)
  EXPECT_NEAR(h1[2], 0.09966799462495582, 1e-15);
  EXPECT_NEAR(h1[3], 0.0, 1e-15);
  EXPECT_NEAR(h2[0], -0.45646764987391425, 1e-15);
  EXPECT_NEAR(h2[1], 0.7861220164593813, 1e-15);
  EXPECT_NEAR(h2[2], 0.9732173928673795, 1e-15);
  EXPECT_NEAR(h2[3], -0.962591855365308, 1e-15);
  EXPECT_NEAR(y[0], 1.6157763830448484, 1e-14);
  EXPECT_NEAR(y[1], -0.4519663178632365, 1e-14);
  // Many-to-many reads out every step; its last step is the many-to-one output.
  Rnn<double> m2m({1, 2, 1, Activation::Tanh, true});
  set_two_step_weights(m2m);
  const double* ym = m2m.forward(x.data(), 2, 2);
  EXPECT_NEAR(ym[0], 0.5 + 0.5370495669980353 - 2 * 0.46211715726000974, 1e-14);
  EXPECT_NEAR(ym[2], 1.6157763830448484, 1e-14);
  EXPECT_NEAR(ym[3], -0.4519663178632365, 1e-14);
}

// ∂y/∂x_1 by hand for the two-step example: through h_1 and W, so it checks the carried gradient.
TEST(Rnn, TwoStepGradientFlowsBackThroughTheState) {
  Rnn<double> net({1, 2, 1});
  set_two_step_weights(net);
  const std::vector<double> x = {0.5, -1.0};  // one sample
  net.forward(x.data(), 2, 1);
  const double one = 1.0;
  std::vector<double> dx(2);
  net.backward(&one, dx.data());
  const double* h1 = net.hidden_state(1);
  const double* h2 = net.hidden_state(2);
  // δ_2 = V ⊙ (1 − h_2²), ∂y/∂h_1 = Wᵀ δ_2, δ_1 = that ⊙ (1 − h_1²), ∂y/∂x_1 = Uᵀ δ_1.
  const double d20 = 1.0 * (1 - h2[0] * h2[0]), d21 = 2.0 * (1 - h2[1] * h2[1]);
  const double g10 = 0.5 * d20 + 0.2 * d21, g11 = -0.3 * d20 + 0.1 * d21;
  const double d10 = g10 * (1 - h1[0] * h1[0]), d11 = g11 * (1 - h1[1] * h1[1]);
  EXPECT_NEAR(dx[0], d10 - d11, 1e-14);
  EXPECT_NEAR(dx[1], d20 - d21, 1e-14);
  // ∂y/∂W_jk = Σ_t δ_t[j] h_{t−1}[k] = δ_2[j] h_1[k] (h_0 = 0).
  const auto& gw = net.recurrent_kernel_grad();
  EXPECT_NEAR(gw(0, 0), d20 * h1[0], 1e-14);
  EXPECT_NEAR(gw(0, 1), d20 * h1[1], 1e-14);
  EXPECT_NEAR(gw(1, 0), d21 * h1[0], 1e-14);
  EXPECT_NEAR(gw(1, 1), d21 * h1[1], 1e-14);
  EXPECT_NEAR(net.bias_grad()(0), d10 + d20, 1e-14);
}

TEST(Rnn, ClipGradNormScalesAllGradientsToTheGlobalNorm) {
  const int F = 3, H = 5, K = 2, S = 10, B = 4;
  Rnn<double> net({F, H, K});
  Engine eng = make_engine("rnn-clip", 0);
  net.init(InitSpec::orthogonal(1.0), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(), eng);
  std::vector<double> x(S * B * F), dy(B * K);
  for (auto& v : x) v = standard_normal(eng);
  for (auto& v : dy) v = standard_normal(eng);
  net.forward(x.data(), S, B);
  net.backward(dy.data());
  std::vector<std::vector<double>> before;
  double s = 0;
  for (const auto& p : net.params()) {
    before.emplace_back(p.grad, p.grad + p.size);
    for (std::size_t i = 0; i < p.size; ++i) s += p.grad[i] * p.grad[i];
  }
  const double norm = std::sqrt(s);
  ASSERT_GT(norm, 0.1);
  // A larger bound measures and leaves the gradients alone.
  EXPECT_NEAR(clip_grad_norm(net.params(), 2 * norm), norm, 1e-12);
  EXPECT_EQ(net.params()[0].grad[0], before[0][0]);
  // A smaller bound scales every gradient by the same factor, to exactly max_norm.
  const double max_norm = 0.25 * norm;
  EXPECT_NEAR(clip_grad_norm(net.params(), max_norm), norm, 1e-12);
  EXPECT_NEAR(grad_norm(net.params()), max_norm, 1e-12);
  const auto params = net.params();
  for (std::size_t k = 0; k < params.size(); ++k)
    for (std::size_t i = 0; i < params[k].size; ++i)
      EXPECT_NEAR(params[k].grad[i], 0.25 * before[k][i], 1e-14);
  // max_norm ≤ 0 only measures.
  EXPECT_NEAR(clip_grad_norm(net.params(), 0), max_norm, 1e-12);
}

TEST(Rnn, ShapesAndErrors) {
  Rnn<float> net({28, 128, 10});
  EXPECT_EQ(net.recurrent_kernel().shape(0), 128u);
  EXPECT_EQ(net.recurrent_kernel().shape(1), 128u);
  EXPECT_EQ(net.input_kernel().shape(1), 28u);
  EXPECT_EQ(net.readout().shape(0), 10u);
  EXPECT_EQ(net.num_params(), 128u * 128 + 128u * 28 + 128 + 10u * 128 + 10);
  EXPECT_THROW(Rnn<float>({0, 128, 10}), std::invalid_argument);
  EXPECT_THROW(net.backward(nullptr), std::logic_error);
  EXPECT_THROW(net.reserve(0, 5), std::invalid_argument);
  std::vector<float> x(2 * 3 * 28, 0.1f);
  net.forward(x.data(), 2, 3);
  EXPECT_THROW(net.hidden_state(3), std::out_of_range);
  EXPECT_NO_THROW(net.hidden_state(2));
}

// init: the recurrent kernel orthogonal with the gain, biases zero, U within Glorot's bound.
TEST(Rnn, InitAppliesEachSpecToItsMatrix) {
  const int F = 7, H = 16, K = 3;
  Rnn<double> net({F, H, K});
  net.bias().fill(3.0);
  Engine eng = make_engine("rnn-init", 0);
  net.init(InitSpec::orthogonal(1.25), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(), eng);
  const auto& w = net.recurrent_kernel();
  for (int i = 0; i < H; ++i)
    for (int j = 0; j < H; ++j) {
      double s = 0;
      for (int k = 0; k < H; ++k) s += w(k, i) * w(k, j);
      EXPECT_NEAR(s, i == j ? 1.25 * 1.25 : 0.0, 1e-12);
    }
  const double a = std::sqrt(6.0 / (F + H));
  for (double v : net.input_kernel()) EXPECT_LE(std::abs(v), a);
  for (double v : net.bias()) EXPECT_EQ(v, 0.0);
}

// Same seed → bit-identical training trajectories (float, Adam, several steps).
TEST(Rnn, DeterministicForSameSeed) {
  auto run = [] {
    const int F = 5, H = 16, K = 4, S = 10, B = 8;
    Rnn<float> net({F, H, K});
    Engine eng = make_engine("rnn-det", 3);
    net.init(InitSpec::orthogonal(1.1), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(),
             eng);
    std::vector<float> x(S * B * F), dy(B * K);
    std::vector<int> labels(B);
    for (auto& v : x) v = static_cast<float>(standard_normal(eng));
    for (int b = 0; b < B; ++b) labels[b] = b % K;
    Optimizer<float, AdamUpdate> opt(1e-2);
    const auto params = net.params();
    std::vector<float> trace;
    for (int step = 0; step < 5; ++step) {
      trace.push_back(softmax_xent(net.forward(x.data(), S, B), labels.data(), B, K, dy.data()));
      net.backward(dy.data());
      clip_grad_norm(net.params(), 1.0);
      opt.step(params);
    }
    trace.insert(trace.end(), net.recurrent_kernel().begin(), net.recurrent_kernel().end());
    return trace;
  };
  const auto a = run(), b = run();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << i;  // bit-identical
}

// Float forward/backward agree with double on the same weights.
TEST(Rnn, FloatMatchesDouble) {
  const int F = 6, H = 32, K = 5, S = 20, B = 4;
  RnnConfig cfg{F, H, K, Activation::Tanh, true};
  Rnn<double> d(cfg);
  Rnn<float> f(cfg);
  Engine eng = make_engine("rnn-fd", 0);
  d.init(InitSpec::orthogonal(1.0), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(), eng);
  auto pd = d.params();
  auto pf = f.params();
  for (std::size_t k = 0; k < pd.size(); ++k)
    std::copy(pd[k].value, pd[k].value + pd[k].size, pf[k].value);
  std::vector<double> x(S * B * F), dy(S * B * K);
  for (auto& v : x) v = standard_normal(eng);
  for (auto& v : dy) v = standard_normal(eng);
  std::vector<float> xf(x.begin(), x.end()), dyf(dy.begin(), dy.end());
  const double* yd = d.forward(x.data(), S, B);
  const float* yf = f.forward(xf.data(), S, B);
  for (int i = 0; i < S * B * K; ++i) EXPECT_NEAR(yd[i], yf[i], 1e-4);
  d.backward(dy.data());
  f.backward(dyf.data());
  for (std::size_t k = 0; k < pd.size(); ++k) {
    double scale = 0;
    for (std::size_t i = 0; i < pd[k].size; ++i) scale = std::max(scale, std::abs(pd[k].grad[i]));
    for (std::size_t i = 0; i < pd[k].size; ++i)
      EXPECT_NEAR(pd[k].grad[i], pf[k].grad[i], 1e-4 * std::max(1.0, scale)) << k;
  }
}

// A batch smaller than the reservation (the last batch of an epoch) gives the same numbers as a
// model that only ever saw that batch size.
TEST(Rnn, SmallerBatchAfterLargerReservation) {
  const int F = 3, H = 8, K = 2, S = 11;
  Rnn<double> a({F, H, K}), b({F, H, K});
  Engine e1 = make_engine("rnn-batch", 0), e2 = make_engine("rnn-batch", 0);
  a.init(InitSpec::orthogonal(1), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(), e1);
  b.init(InitSpec::orthogonal(1), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(), e2);
  a.reserve(S, 16);
  std::vector<double> big(S * 16 * F, 0.3), x(S * 3 * F), dy(3 * K, 0.5);
  for (auto& v : x) v = standard_normal(e1);
  a.forward(big.data(), S, 16);
  const double* ya = a.forward(x.data(), S, 3);
  const double* yb = b.forward(x.data(), S, 3);
  for (int i = 0; i < 3 * K; ++i) EXPECT_EQ(ya[i], yb[i]);
  a.backward(dy.data());
  b.backward(dy.data());
  for (int i = 0; i < H * H; ++i)
    EXPECT_EQ(a.recurrent_kernel_grad().data()[i], b.recurrent_kernel_grad().data()[i]);
}

// Training end to end: a tanh RNN learns to report the sign of its FIRST input after 10 steps of
// noise — only possible if the gradient reaches step 1 through time.
TEST(Rnn, LearnsToRememberTheFirstInput) {
  const int F = 1, H = 16, K = 2, S = 10, B = 64;
  Rnn<float> net({F, H, K});
  Engine eng = make_engine("rnn-memory", 0);
  net.init(InitSpec::orthogonal(1.0), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(), eng);
  Optimizer<float, AdamUpdate> opt(1e-2);
  const auto params = net.params();
  std::vector<float> x(S * B * F), dy(B * K);
  std::vector<int> labels(B);
  auto make_batch = [&] {
    for (int t = 0; t < S; ++t)
      for (int b = 0; b < B; ++b) x[t * B + b] = static_cast<float>(standard_normal(eng));
    for (int b = 0; b < B; ++b) labels[b] = x[b] > 0;
  };
  for (int step = 0; step < 300; ++step) {
    make_batch();
    softmax_xent(net.forward(x.data(), S, B), labels.data(), B, K, dy.data());
    net.backward(dy.data());
    opt.step(params);
  }
  int correct = 0;
  for (int rep = 0; rep < 4; ++rep) {
    make_batch();
    correct += count_correct(net.forward(x.data(), S, B), labels.data(), B, K);
  }
  EXPECT_GT(correct, 0.9 * 4 * B);
}

// The float tanh/σ of the recurrent hot loops (fast_tanh.hpp): accuracy against double, the
// SSE2 array form bit-identical to the scalar form at every position, NaN propagated.
TEST(FastTanh, AccurateAndPositionIndependent) {
  std::vector<float> x;
  for (int i = -200000; i <= 200000; ++i) x.push_back(static_cast<float>(i) * 1e-4f);
  for (float v : {1e-30f, -1e-8f, 7.9f, 7.91f, -8.0f, 50.0f, -1e30f}) x.push_back(v);
  std::vector<float> t(x.size()), s(x.size());
  tanh_fast(x.data(), t.data(), x.size());
  sigmoid_fast(x.data(), s.data(), x.size());
  double worst_t = 0, worst_s = 0, worst_rel_small = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double xd = x[i];
    worst_t = std::max(worst_t, std::abs(t[i] - std::tanh(xd)));
    worst_s = std::max(worst_s, std::abs(s[i] - 1 / (1 + std::exp(-xd))));
    if (std::abs(xd) < 0.1 && xd != 0)
      worst_rel_small = std::max(worst_rel_small, std::abs(t[i] / std::tanh(xd) - 1));
    ASSERT_EQ(t[i], tanh_fast(x[i])) << x[i];  // array (SSE2) == scalar, bit for bit
    ASSERT_EQ(s[i], sigmoid_fast(x[i])) << x[i];
  }
  EXPECT_LT(worst_t, 4e-7);
  EXPECT_LT(worst_s, 2.5e-7);
  std::printf("tanh max abs err %.3g, sigmoid %.3g, tanh rel err near 0 %.3g\n", worst_t, worst_s,
              worst_rel_small);
  EXPECT_LT(worst_rel_small, 1e-6);  // relative accuracy near 0, where tanh(x) ≈ x
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> n = {nan, nan, nan, nan, nan}, out(5);
  tanh_fast(n.data(), out.data(), 5);
  for (float v : out) EXPECT_TRUE(std::isnan(v));
  EXPECT_TRUE(std::isnan(tanh_fast(nan)));
  EXPECT_EQ(tanh_fast(1e30f), 1.0f);
  EXPECT_EQ(tanh_fast(0.0f), 0.0f);
}

TEST(Rnn, NoAllocationInForwardBackwardOrClipAfterReserve) {
  const int F = 5, H = 8, K = 3, S = 12, B = 6;
  Rnn<float> net({F, H, K, Activation::Tanh, true});
  Engine eng = make_engine("rnn-alloc", 0);
  net.init(InitSpec::orthogonal(1), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(), eng);
  net.reserve(S, B);
  std::vector<float> x(S * B * F, 0.5f), dy(S * B * K, 0.1f), dx(x.size());
  const auto params = net.params();  // the caller keeps the list; clipping then allocates nothing
  const std::size_t before = allocations();
  net.forward(x.data(), S, B);
  net.backward(dy.data(), dx.data());
  net.forward(x.data(), S / 2, B / 2);  // a shorter sequence and a smaller batch fit too
  net.backward(dy.data());
  clip_grad_norm(params, 1e-3);
  EXPECT_EQ(allocations(), before);
  net.reserve(S, 2 * B);  // growing the workspaces allocates: the counter does see them
  EXPECT_GT(allocations(), before);
}

// GEMM FLOPs of one step, counted by hand for S = 2, B = 1, F = 1, H = 2, K = 1 (many-to-one):
// forward X Uᵀ 2·2·1·2 = 8, H₁Wᵀ 2·1·2·2 = 8, read-out 2·1·2·1 = 4; backward dV 4, ∂h 4, δW 8,
// dW over steps 2..T only (h_0 = 0) 2·2·2·1 = 8, dU 2·2·1·2 = 8. Total 52.
TEST(Rnn, GemmFlopsCountsEveryCall) {
  EXPECT_EQ(Rnn<float>({1, 2, 1}).gemm_flops(2, 1), 52.0);
  // Many-to-many reads out both steps: read-out, dV and ∂h double (+4 + 4 + 4).
  EXPECT_EQ(Rnn<float>({1, 2, 1, Activation::Tanh, true}).gemm_flops(2, 1), 64.0);
}

// One step: W gets no gradient (h_0 = 0) and the others are still right.
TEST(Rnn, SingleStepSequence) {
  Rnn<double> net({2, 3, 2});
  Engine eng = make_engine("rnn-one-step", 0);
  net.init(InitSpec::orthogonal(1), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(), eng);
  net.recurrent_kernel_grad().fill(7.0);
  std::vector<double> x = {0.3, -0.8, 1.1, 0.2}, dy(4);
  std::vector<int> labels = {0, 1};
  auto loss = [&](double* g) {
    return softmax_xent(net.forward(x.data(), 1, 2), labels.data(), 2, 2, g);
  };
  loss(dy.data());
  net.backward(dy.data());
  for (double g : net.recurrent_kernel_grad()) EXPECT_EQ(g, 0.0);
  auto f = [&] { return loss(nullptr); };
  for (auto& pr : net.params()) {
    std::vector<double> analytic(pr.grad, pr.grad + pr.size);
    EXPECT_LT(gradcheck::max_rel_grad_error(pr.value, pr.size, analytic.data(), f), 1e-8);
  }
}
