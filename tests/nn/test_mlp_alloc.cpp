// The MLP's training step allocates nothing on the C++ heap after reserve(): forward, loss,
// backward and the optimizer step reuse their workspaces (issue: "no allocation inside a step").
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <vector>

#include "alloc_counter.hpp"
#include "isobench/nn/mlp.hpp"
#include "isobench/objective/loss.hpp"
#include "isobench/optim/optim.hpp"

using isobench::testing_alloc::allocations;

using namespace isobench;

TEST(MlpAllocation, TrainingStepAllocatesNothingAfterWarmup) {
  for (Activation act : {Activation::Tanh, Activation::ReLU, Activation::Linear}) {
    Mlp<float> net({64, 128, 4, 10, act});
    Engine eng = make_engine("alloc", 0);
    net.init(InitSpec::orthogonal(1.0), 0.0, eng);
    net.reserve(32);
    std::vector<float> x(32 * 64, 0.5f), dy(32 * 10);
    std::vector<int> labels(32, 3);
    Optimizer<float, AdamUpdate> opt(1e-3);
    const auto params = net.params();
    auto step = [&] {
      softmax_xent(net.forward(x.data(), 32), labels.data(), 32, 10, dy.data());
      net.backward(dy.data());
      opt.step(params);
    };
    step();  // the optimizer allocates its state on the first step
    const std::size_t before = allocations();
    for (int i = 0; i < 5; ++i) step();
    EXPECT_EQ(allocations(), before) << activation_name(act);
  }
}
