// Tests of the LSTM (lstm.hpp): finite-difference BPTT gradients of every parameter (T ≥ 10,
// both read-out modes, with the sigmoid-BCE read-out too), a hand-computed two-step example,
// per-gate initialization, clipping, determinism, float vs double.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <new>
#include <vector>

#include "alloc_counter.hpp"
#include "gradcheck.hpp"
#include "isobench/nn/lstm.hpp"
#include "isobench/objective/loss.hpp"
#include "isobench/objective/loss_bce.hpp"
#include "isobench/optim/grad_clip.hpp"
#include "isobench/optim/optim.hpp"

using namespace isobench;

using isobench::testing_alloc::allocations;

namespace {

enum class Loss { Xent, Mse, Bce };

struct LstmCase {
  bool many_to_many;
  Loss loss;
  bool per_gate_init;
};

std::string case_name(const LstmCase& c) {
  return std::string(c.many_to_many ? "m2m" : "m2o") +
         (c.loss == Loss::Xent  ? "_xent"
          : c.loss == Loss::Mse ? "_mse"
                                : "_bce") +
         (c.per_gate_init ? "_pergate" : "_whole");
}

class LstmGradTest : public ::testing::TestWithParam<LstmCase> {};

// Every entry of W (all four gate blocks), U, b, V, c and of x against central differences,
// through T = 12 steps of a batch of 3.
TEST_P(LstmGradTest, EveryParameterMatchesFiniteDifferencesThroughTime) {
  const auto p = GetParam();
  const int F = 4, H = 5, S = 12, B = 3;
  const int K = p.loss == Loss::Bce ? 1 : 3;
  LstmConfig cfg{F, H, K, p.many_to_many, 1.0, p.per_gate_init};
  Lstm<double> net(cfg);
  Engine eng = make_engine("lstm-grad/" + case_name(p), 0);
  net.init(InitSpec::orthogonal(1.5), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(), eng);
  for (auto& v : net.bias()) v += 0.2 * standard_normal(eng);
  for (auto& v : net.readout_bias()) v = 0.1 * standard_normal(eng);
  const int out_rows = p.many_to_many ? S * B : B;
  std::vector<double> x(S * B * F), t(out_rows * K), dy(out_rows * K), dx(x.size());
  std::vector<int> labels(out_rows);
  for (auto& v : x) v = standard_normal(eng);
  for (auto& v : t)
    v = p.loss == Loss::Bce ? (uniform01(eng) < 0.5 ? 0.0 : 1.0) : standard_normal(eng);
  for (int i = 0; i < out_rows; ++i) labels[i] = i % K;
  auto loss = [&](double* grad) {
    const double* y = net.forward(x.data(), S, B);
    switch (p.loss) {
      case Loss::Xent:
        return softmax_xent(y, labels.data(), out_rows, K, grad);
      case Loss::Mse:
        return mse_loss(y, t.data(), out_rows, K, grad);
      case Loss::Bce:
        return sigmoid_bce(y, t.data(), out_rows, grad);
    }
    return 0.0;
  };
  loss(dy.data());
  net.backward(dy.data(), dx.data());
  auto f = [&] { return loss(nullptr); };
  const auto params = net.params();
  ASSERT_EQ(params.size(), 5u);
  for (std::size_t k = 0; k < params.size(); ++k) {
    const auto& pr = params[k];
    std::vector<double> analytic(pr.grad, pr.grad + pr.size);
    double norm = 0;
    for (double g : analytic) norm += g * g;
    EXPECT_GT(std::sqrt(norm), 1e-4) << "parameter " << k;  // no vacuous pass on a zero gradient
    EXPECT_LT(gradcheck::max_rel_grad_error(pr.value, pr.size, analytic.data(), f), 1e-7)
        << "parameter " << k;
  }
  // Each gate's recurrent block gets its own nonzero gradient.
  for (auto g : {LstmGate::Input, LstmGate::Forget, LstmGate::Cell, LstmGate::Output}) {
    const double* gg = net.recurrent_gate_grad(g);
    double s = 0;
    for (int i = 0; i < H * H; ++i) s += gg[i] * gg[i];
    EXPECT_GT(s, 1e-12) << "gate " << static_cast<int>(g);
  }
  double dx1 = 0;  // the first step reaches the loss only through the carried state
  for (int i = 0; i < B * F; ++i) dx1 = std::max(dx1, std::abs(dx[i]));
  EXPECT_GT(dx1, 1e-6);
  EXPECT_LT(gradcheck::max_rel_grad_error(x.data(), x.size(), dx.data(), f), 1e-7);
}

INSTANTIATE_TEST_SUITE_P(Readouts, LstmGradTest,
                         ::testing::Values(LstmCase{false, Loss::Xent, true},
                                           LstmCase{true, Loss::Xent, true},
                                           LstmCase{false, Loss::Mse, false},
                                           LstmCase{true, Loss::Mse, true},
                                           LstmCase{false, Loss::Bce, true}),
                         [](const auto& info) { return case_name(info.param); });

// H = F = K = 1: W = [0.5, −0.4, 0.3, 0.2] (i, f, g, o), U = [1, 0.5, −1, 0.8],
// b = [0, 1, 0.1, −0.2], V = 1.5, c = −0.25.
void set_two_step_weights(Lstm<double>& net) {
  net.recurrent_kernel() = {{0.5}, {-0.4}, {0.3}, {0.2}};
  net.input_kernel() = {{1.0}, {0.5}, {-1.0}, {0.8}};
  net.bias() = {0.0, 1.0, 0.1, -0.2};
  net.readout() = {{1.5}};
  net.readout_bias() = {-0.25};
}

}  // namespace

// z = W h_{t−1} + U x_t + b; c_t = σ(z_f) c_{t−1} + σ(z_i) tanh(z_g); h_t = σ(z_o) tanh(c_t);
// x = (0.5, −1). Reference values computed by hand (Python, math) from those formulas.
TEST(Lstm, TwoStepStateIsCarriedAcrossSteps) {
  Lstm<double> net({1, 1, 1});
  set_two_step_weights(net);
  const std::vector<double> x = {0.5, -1.0};
  const double* y = net.forward(x.data(), 2, 1);
  EXPECT_EQ(net.cell_state(0)[0], 0.0);
  EXPECT_EQ(net.hidden_state(0)[0], 0.0);
  EXPECT_NEAR(net.cell_state(1)[0], -0.23650277693622598, 1e-15);
  EXPECT_NEAR(net.hidden_state(1)[0], -0.12766582776424612, 1e-15);
  EXPECT_NEAR(net.cell_state(2)[0], 0.051717208508297335, 1e-15);
  EXPECT_NEAR(net.hidden_state(2)[0], 0.013638651915276282, 1e-15);
  EXPECT_NEAR(y[0], -0.22954202212708558, 1e-15);
  // The same sequence as the second sample of a time-major batch gives the same state.
  const std::vector<double> x2 = {3.0, 0.5, 2.0, -1.0};  // (T=2 × B=2 × F=1)
  net.forward(x2.data(), 2, 2);
  EXPECT_NEAR(net.cell_state(2)[1], 0.051717208508297335, 1e-15);
  EXPECT_NEAR(net.hidden_state(2)[1], 0.013638651915276282, 1e-15);
}

TEST(Lstm, PerGateOrthogonalInitAndForgetBias) {
  const int F = 6, H = 8, K = 2;
  auto gram = [&](const Lstm<double>& n, int bi, int bj) {  // W_biᵀ W_bj  (H × H)
    std::vector<double> g(H * H, 0.0);
    auto& w = const_cast<Lstm<double>&>(n).recurrent_kernel();
    for (int i = 0; i < H; ++i)
      for (int j = 0; j < H; ++j)
        for (int k = 0; k < H; ++k) g[i * H + j] += w(bi * H + k, i) * w(bj * H + k, j);
    return g;
  };
  Lstm<double> per({F, H, K, false, 1.0, true});
  Engine e1 = make_engine("lstm-init", 0);
  per.init(InitSpec::orthogonal(1.1), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(), e1);
  for (int blk = 0; blk < 4; ++blk) {
    const auto g = gram(per, blk, blk);  // each gate block is 1.1 × orthogonal
    for (int i = 0; i < H; ++i)
      for (int j = 0; j < H; ++j) EXPECT_NEAR(g[i * H + j], i == j ? 1.21 : 0.0, 1e-12);
  }
  // The gate blocks are drawn independently: W_iᵀ W_f is not zero (it is for the whole-matrix
  // draw, whose columns are orthonormal over all 4H rows).
  double cross = 0;
  for (double v : gram(per, 0, 1)) cross = std::max(cross, std::abs(v));
  EXPECT_GT(cross, 0.05);
  for (int j = 0; j < 4 * H; ++j) EXPECT_EQ(per.bias()(j), (j >= H && j < 2 * H) ? 1.0 : 0.0);
  const double a = std::sqrt(6.0 / (F + 4 * H));  // Glorot on the whole (4H × F) input kernel
  for (double v : per.input_kernel()) EXPECT_LE(std::abs(v), a);

  Lstm<double> whole({F, H, K, false, 0.0, false});
  Engine e2 = make_engine("lstm-init", 0);
  whole.init(InitSpec::orthogonal(1.0), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(), e2);
  std::vector<double> wtw(H * H, 0.0);  // WᵀW over all 4H rows = I
  for (int b1 = 0; b1 < 4; ++b1) {
    const auto g = gram(whole, b1, b1);
    for (int i = 0; i < H * H; ++i) wtw[i] += g[i];
  }
  for (int i = 0; i < H; ++i)
    for (int j = 0; j < H; ++j) EXPECT_NEAR(wtw[i * H + j], i == j ? 1.0 : 0.0, 1e-12);
  for (double v : whole.bias()) EXPECT_EQ(v, 0.0);
  // recurrent_gate points into the matrix: row block g, leading dimension H.
  EXPECT_EQ(whole.recurrent_gate(LstmGate::Cell), whole.recurrent_kernel().data() + 2 * H * H);
  EXPECT_EQ(whole.recurrent_gate(LstmGate::Output)[H + 1], whole.recurrent_kernel()(3 * H + 1, 1));
}

TEST(Lstm, GateBlocksCopyInAndOut) {
  const int H = 3;
  Lstm<double> net({2, H, 1});
  Engine eng = make_engine("lstm-gates", 0);
  net.init(InitSpec::gaussian(1), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(), eng);
  Matrix<double> w;
  net.copy_gate(LstmGate::Forget, w);
  ASSERT_EQ(w.shape(0), 3u);
  for (int i = 0; i < H; ++i)
    for (int j = 0; j < H; ++j) EXPECT_EQ(w(i, j), net.recurrent_kernel()(H + i, j));
  w(2, 1) = 42.0;
  net.assign_gate(LstmGate::Forget, w);
  EXPECT_EQ(net.recurrent_kernel()(H + 2, 1), 42.0);
  EXPECT_NE(net.recurrent_kernel()(2, 1), 42.0);  // the other blocks are untouched
  net.assign_gate_grad(LstmGate::Output, w);
  Matrix<double> g;
  net.copy_gate_grad(LstmGate::Output, g);
  EXPECT_EQ(g(2, 1), 42.0);
  EXPECT_EQ(net.recurrent_kernel_grad()(3 * H + 2, 1), 42.0);
  Matrix<double> bad({2, 3}, 0.0);
  EXPECT_THROW(net.assign_gate(LstmGate::Input, bad), std::invalid_argument);
}

TEST(Lstm, ClipGradNorm) {
  const int F = 3, H = 4, K = 2, S = 10, B = 2;
  Lstm<double> net({F, H, K});
  Engine eng = make_engine("lstm-clip", 0);
  net.init(InitSpec::orthogonal(1), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(), eng);
  std::vector<double> x(S * B * F), dy(B * K);
  for (auto& v : x) v = standard_normal(eng);
  for (auto& v : dy) v = standard_normal(eng);
  net.forward(x.data(), S, B);
  net.backward(dy.data());
  const double norm = grad_norm(net.params());
  const double w0 = net.recurrent_kernel_grad()(0, 0);
  EXPECT_NEAR(clip_grad_norm(net.params(), norm / 3), norm, 1e-12);
  EXPECT_NEAR(grad_norm(net.params()), norm / 3, 1e-12);
  EXPECT_NEAR(net.recurrent_kernel_grad()(0, 0), w0 / 3, 1e-15);
}

TEST(Lstm, DeterministicForSameSeed) {
  auto run = [] {
    const int F = 5, H = 12, S = 10, B = 8;
    Lstm<float> net({F, H, 1});
    Engine eng = make_engine("lstm-det", 5);
    net.init(InitSpec::orthogonal(1.1), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(),
             eng);
    std::vector<float> x(S * B * F), t(B), dy(B);
    for (auto& v : x) v = static_cast<float>(standard_normal(eng));
    for (int b = 0; b < B; ++b) t[b] = static_cast<float>(b % 2);
    Optimizer<float, AdamUpdate> opt(1e-2);
    const auto params = net.params();
    std::vector<float> trace;
    for (int step = 0; step < 5; ++step) {
      trace.push_back(sigmoid_bce(net.forward(x.data(), S, B), t.data(), B, dy.data()));
      net.backward(dy.data());
      opt.step(params);
    }
    trace.insert(trace.end(), net.recurrent_kernel().begin(), net.recurrent_kernel().end());
    return trace;
  };
  const auto a = run(), b = run();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << i;
}

TEST(Lstm, FloatMatchesDouble) {
  const int F = 6, H = 24, K = 3, S = 20, B = 4;
  LstmConfig cfg{F, H, K, true};
  Lstm<double> d(cfg);
  Lstm<float> f(cfg);
  Engine eng = make_engine("lstm-fd", 0);
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
  for (int i = 0; i < S * B * K; ++i) EXPECT_NEAR(yd[i], yf[i], 1e-5);
  d.backward(dy.data());
  f.backward(dyf.data());
  for (std::size_t k = 0; k < pd.size(); ++k) {
    double scale = 0;
    for (std::size_t i = 0; i < pd[k].size; ++i) scale = std::max(scale, std::abs(pd[k].grad[i]));
    for (std::size_t i = 0; i < pd[k].size; ++i)
      EXPECT_NEAR(pd[k].grad[i], pf[k].grad[i], 1e-4 * std::max(1.0, scale)) << k;
  }
}

TEST(Lstm, ShapesAndErrors) {
  Lstm<float> net({300, 128, 1});
  EXPECT_EQ(net.recurrent_kernel().shape(0), 512u);
  EXPECT_EQ(net.recurrent_kernel().shape(1), 128u);
  EXPECT_EQ(net.input_kernel().shape(1), 300u);
  EXPECT_EQ(net.num_params(), 512u * 128 + 512u * 300 + 512 + 128 + 1);
  EXPECT_THROW(Lstm<float>({1, 0, 1}), std::invalid_argument);
  EXPECT_THROW(net.backward(nullptr), std::logic_error);
  EXPECT_THROW(net.cell_state(1), std::out_of_range);
}

// An LSTM learns to report the sign of its first input after 20 steps of noise (BCE read-out).
// Feature 0 is the signal, feature 1 marks step 1, so the gates can tell when to write and then
// hold the cell: only learnable if the gradient reaches step 1 through the carried state.
TEST(Lstm, LearnsToRememberTheFirstInput) {
  const int F = 2, H = 16, S = 20, B = 64;
  Lstm<float> net({F, H, 1});
  Engine eng = make_engine("lstm-memory", 0);
  net.init(InitSpec::orthogonal(1.0), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(), eng);
  Optimizer<float, AdamUpdate> opt(1e-2);
  const auto params = net.params();
  std::vector<float> x(S * B * F), t(B), dy(B);
  auto make_batch = [&] {
    for (int r = 0; r < S * B; ++r) {
      x[r * F] = static_cast<float>(standard_normal(eng));
      x[r * F + 1] = r < B ? 1.0f : 0.0f;  // rows 0..B−1 are step 1
    }
    for (int b = 0; b < B; ++b) t[b] = x[b * F] > 0 ? 1.0f : 0.0f;
  };
  for (int step = 0; step < 300; ++step) {
    make_batch();
    sigmoid_bce(net.forward(x.data(), S, B), t.data(), B, dy.data());
    net.backward(dy.data());
    opt.step(params);
  }
  int correct = 0;
  for (int rep = 0; rep < 4; ++rep) {
    make_batch();
    correct += count_correct_binary(net.forward(x.data(), S, B), t.data(), B);
  }
  EXPECT_GT(correct, 0.9 * 4 * B);
}

TEST(Lstm, NoAllocationInForwardBackwardOrClipAfterReserve) {
  const int F = 5, H = 8, K = 3, S = 12, B = 6;
  Lstm<float> net({F, H, K, true});
  Engine eng = make_engine("lstm-alloc", 0);
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

// GEMM FLOPs for S = 2, B = 1, F = 1, H = 2, K = 1 (4H = 8 gate rows), counted by hand:
// forward X Uᵀ 2·2·1·8 = 32, H₁Wᵀ 2·1·8·2 = 32, read-out 4; backward dV 4, ∂h 4,
// ∂z W 2·1·2·8 = 32, dW over steps 2..T (h_0 = 0) 2·8·2·1 = 32, dU 2·8·1·2 = 32. Total 172.
TEST(Lstm, GemmFlopsCountsEveryCall) {
  EXPECT_EQ(Lstm<float>({1, 2, 1}).gemm_flops(2, 1), 172.0);
}

// One step: W gets no gradient (h_0 = 0) and the others are still right.
TEST(Lstm, SingleStepSequence) {
  Lstm<double> net({2, 3, 2});
  Engine eng = make_engine("lstm-one-step", 0);
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
