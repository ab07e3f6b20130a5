// MlpClassifierWorkload: the gradient of loss + penalty that one SGD step applies (finite
// differences in double), learning on separable synthetic data and on real MNIST digits,
// determinism, the penalty's pull towards orthogonality, the λ schedule, bad settings.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "blobs.hpp"
#include "data_test_util.hpp"
#include "gradcheck.hpp"
#include "isobench/data/datasets.hpp"
#include "isobench/train/mlp_classifier.hpp"
#include "isobench/train/trainer.hpp"

using namespace isobench;

namespace {

// n samples in `dim` features from `classes` Gaussian blobs: centres ~ N(0, 1)·sep, noise N(0,1).
Dataset blobs(int n, int dim, int classes, double sep, std::uint64_t seed) {
  return testutil::gaussian_blobs(n, dim, classes, sep, "test_mlp_classifier/blobs", seed);
}

ClassifierSpec small_spec() {
  ClassifierSpec s;
  s.depth = 4;
  s.width = 16;
  s.act = Activation::Tanh;
  s.init = InitSpec::gaussian(1.0);
  s.sb2 = 0.01;
  s.batch = 32;
  s.lr = 1e-2;
  s.eval_train = 0;
  s.eval_val = 0;
  s.target_val_acc = 0.9;
  return s;
}

// Every weight and bias, flattened in params() order.
std::vector<double> flat(Mlp<double>& net) {
  std::vector<double> v;
  for (const auto& p : net.params()) v.insert(v.end(), p.value, p.value + p.size);
  return v;
}

// One plain SGD step (no momentum) moves the weights by −η·∇(loss + penalty) of the batch; with
// the whole training set as the batch, that gradient must match central differences of
// loss(train) + penalty_value().
void check_step_gradient(const std::string& kind, double lambda) {
  const Dataset train = blobs(8, 5, 3, 2.0, 1);
  const Dataset none;
  ClassifierSpec s = small_spec();
  s.width = 6;
  s.batch = 8;
  s.lr = 1e-3;
  s.penalty.method = kind;
  s.penalty.lambda = lambda;
  MlpClassifierWorkload<double, SgdUpdate> stepped(s, train, none, SgdUpdate{0.0},
                                                   RunStreams("g", 1));
  MlpClassifierWorkload<double, SgdUpdate> probe(s, train, none, SgdUpdate{0.0},
                                                 RunStreams("g", 1));
  const std::vector<double> before = flat(stepped.net());
  const double f0 = probe.loss(train) + probe.penalty_value();
  stepped.begin_epoch(0);
  const double step_loss = stepped.step();
  EXPECT_NEAR(step_loss, f0, 1e-12);
  const std::vector<double> after = flat(stepped.net());
  std::vector<double> analytic(before.size());
  for (std::size_t i = 0; i < before.size(); ++i) analytic[i] = (before[i] - after[i]) / s.lr;
  std::vector<double> x = before;
  auto f = [&] {
    std::size_t k = 0;
    for (const auto& p : probe.net().params())
      for (std::size_t i = 0; i < p.size; ++i) p.value[i] = x[k++];
    return probe.loss(train) + probe.penalty_value();
  };
  EXPECT_LT(gradcheck::max_rel_grad_error(x.data(), x.size(), analytic.data(), f), 1e-6) << kind;
}

}  // namespace

TEST(MlpClassifier, StepAppliesTheGradientOfLossPlusPenalty) {
  check_step_gradient("none", 0.0);
  check_step_gradient("so", 0.05);
  check_step_gradient("dso", 0.05);
  check_step_gradient("mc", 0.05);
}

TEST(MlpClassifier, TheGradientCheckCatchesAWrongPenaltyWeight) {
  // The stepped workload's penalty differs from the probe's: the check must fail.
  const Dataset train = blobs(8, 5, 3, 2.0, 1);
  const Dataset none;
  ClassifierSpec s = small_spec();
  s.width = 6;
  s.batch = 8;
  s.lr = 1e-3;
  s.penalty = {"so", PenaltyNorm::Sum, 0.05};
  ClassifierSpec wrong = s;
  wrong.penalty.lambda = 0.1;
  MlpClassifierWorkload<double, SgdUpdate> stepped(wrong, train, none, SgdUpdate{},
                                                   RunStreams("g", 1));
  MlpClassifierWorkload<double, SgdUpdate> probe(s, train, none, SgdUpdate{}, RunStreams("g", 1));
  std::vector<double> before = flat(stepped.net());
  stepped.begin_epoch(0);
  stepped.step();
  const std::vector<double> after = flat(stepped.net());
  std::vector<double> analytic(before.size());
  for (std::size_t i = 0; i < before.size(); ++i) analytic[i] = (before[i] - after[i]) / s.lr;
  auto f = [&] {
    std::size_t k = 0;
    for (const auto& p : probe.net().params())
      for (std::size_t i = 0; i < p.size; ++i) p.value[i] = before[k++];
    return probe.loss(train) + probe.penalty_value();
  };
  EXPECT_GT(gradcheck::max_rel_grad_error(before.data(), before.size(), analytic.data(), f), 1e-3);
}

TEST(MlpClassifier, LearnsSeparableBlobs) {
  const Dataset train = blobs(600, 20, 4, 1.0, 2), val = blobs(400, 20, 4, 1.0, 2);
  for (const char* init : {"gaussian", "orthogonal"}) {
    ClassifierSpec s = small_spec();
    s.init = InitSpec{init};
    MlpClassifierWorkload<float, AdamUpdate> workload(s, train, val, AdamUpdate{},
                                                      RunStreams("l", 1));
    TrainConfig cfg;
    cfg.step_budget = 300;
    cfg.eval_every = 50;
    const TrainResult r = isobench::train(workload, cfg);
    EXPECT_FALSE(r.diverged);
    EXPECT_GT(r.last.train_acc, 0.9) << init;
    EXPECT_GT(r.best_val_acc, 0.9) << init;
    EXPECT_TRUE(r.converged);
    EXPECT_LE(r.steps_to_target, 300);
  }
}

TEST(MlpClassifier, LearnsRealMnistDigits) {
  ISOBENCH_PIN_DATA("mnist");
  const DataSplit split = load_split("mnist", 0.2, 0, 2000);
  ClassifierSpec s = small_spec();
  s.depth = 3;
  s.width = 64;
  s.lr = 1e-3;
  s.eval_train = 500;
  s.eval_val = 1000;
  MlpClassifierWorkload<float, AdamUpdate> workload(s, split.train, split.val, AdamUpdate{},
                                                    RunStreams("m", 1));
  TrainConfig cfg;
  cfg.step_budget = 300;
  cfg.eval_every = 100;
  const TrainResult r = isobench::train(workload, cfg);
  EXPECT_GT(r.best_val_acc, 0.8);  // chance: 0.1
  EXPECT_GT(workload.accuracy(split.test, 1000), 0.8);
}

TEST(MlpClassifier, DeterministicGivenTheEngineSeed) {
  const Dataset train = blobs(200, 10, 3, 1.0, 3), val = blobs(100, 10, 3, 1.0, 4);
  auto run = [&](std::uint64_t seed) {
    ClassifierSpec s = small_spec();
    s.penalty = {"srip", PenaltyNorm::Sum, 0.01};
    MlpClassifierWorkload<float, SgdUpdate> workload(s, train, val, SgdUpdate{0.9},
                                                     RunStreams("d", seed));
    std::vector<double> losses;
    for (int e = 0; e < 3; ++e) {
      workload.begin_epoch(e);
      for (int b = 0; b < workload.steps_per_epoch(); ++b) losses.push_back(workload.step());
    }
    losses.push_back(workload.accuracy(val));
    return losses;
  };
  const auto a = run(1), b = run(1), c = run(2);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(MlpClassifier, PenaltyPullsSquareWeightsTowardsOrthogonality) {
  const Dataset train = blobs(256, 10, 3, 1.0, 5), none;
  auto ortho_err_after = [&](const std::string& kind, std::optional<StepDecayLambda> schedule) {
    ClassifierSpec s = small_spec();
    s.depth = 5;
    s.lr = 1e-2;
    s.penalty = {kind, PenaltyNorm::Sum, 1.0};
    s.lambda_schedule = std::move(schedule);
    MlpClassifierWorkload<double, AdamUpdate> workload(s, train, none, AdamUpdate{},
                                                       RunStreams("o", 1));
    EXPECT_EQ(workload.square_layers(), (std::vector<int>{2, 3, 4}));
    const double e0 = workload.max_orthogonality_error();
    for (int e = 0; e < 25; ++e) {
      workload.begin_epoch(e);
      for (int b = 0; b < workload.steps_per_epoch(); ++b) workload.step();
    }
    return std::pair{e0, workload.max_orthogonality_error()};
  };
  const auto [e0, none_err] = ortho_err_after("none", std::nullopt);
  const auto [e0_so, so_err] = ortho_err_after("so", std::nullopt);
  const auto [e0_off, off_err] =
      ortho_err_after("so", StepDecayLambda({1}, {0.0}));  // λ = 0 from step 1
  EXPECT_GT(e0, 1.0);  // Gaussian 16 × 16: ‖WᵀW − I‖_F ≈ 4
  EXPECT_EQ(e0, e0_so);
  EXPECT_LT(so_err, 0.25 * none_err);
  EXPECT_LT(so_err, 0.25 * e0);
  EXPECT_DOUBLE_EQ(off_err, none_err);  // a zero multiplier is no penalty at all
}

TEST(MlpClassifier, OrthogonalInitHasZeroOrthoErrAtItsGain) {
  const Dataset train = blobs(64, 10, 3, 1.0, 6), none;
  ClassifierSpec s = small_spec();
  s.init = InitSpec::orthogonal(std::sqrt(1.05));
  MlpClassifierWorkload<double, AdamUpdate> workload(s, train, none, AdamUpdate{},
                                                     RunStreams("z", 1));
  EXPECT_LT(workload.max_orthogonality_error(), 1e-12);
  s.depth = 2;  // no square hidden weight
  MlpClassifierWorkload<double, AdamUpdate> shallow(s, train, none, AdamUpdate{},
                                                    RunStreams("z", 1));
  EXPECT_TRUE(shallow.square_layers().empty());
  EXPECT_EQ(shallow.max_orthogonality_error(), 0.0);
}

TEST(MlpClassifier, BadSettingsNameTheSetting) {
  const Dataset train = blobs(16, 4, 2, 1.0, 7), none;
  auto message = [&](ClassifierSpec s) {
    try {
      MlpClassifierWorkload<float, AdamUpdate> t(s, train, none, AdamUpdate{}, RunStreams("b", 1));
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  ClassifierSpec s = small_spec();
  s.batch = 17;
  EXPECT_NE(message(s).find("batch 17"), std::string::npos) << message(s);
  s = small_spec();
  s.batch = 8;
  s.depth = 0;
  EXPECT_NE(message(s).find("depth"), std::string::npos);
  s.depth = 2;
  s.lr = -1;
  EXPECT_NE(message(s).find("lr"), std::string::npos);
}

TEST(MlpClassifier, InputScaleActsLikeScaledData) {
  const Dataset base = blobs(64, 6, 3, 1.0, 8);
  Dataset doubled = base;
  for (auto& v : doubled.x) v *= 2.0f;
  ClassifierSpec s = small_spec();
  s.input_scale = 2.0;
  MlpClassifierWorkload<double, SgdUpdate> scaled(s, base, base, SgdUpdate{0.9},
                                                  RunStreams("s", 1));
  s.input_scale = 1.0;
  MlpClassifierWorkload<double, SgdUpdate> plain(s, doubled, doubled, SgdUpdate{0.9},
                                                 RunStreams("s", 1));
  scaled.begin_epoch(0);
  plain.begin_epoch(0);
  for (int b = 0; b < scaled.steps_per_epoch(); ++b) EXPECT_DOUBLE_EQ(scaled.step(), plain.step());
  EXPECT_DOUBLE_EQ(scaled.loss(base), plain.loss(doubled));
  EXPECT_NE(scaled.loss(base), plain.loss(base));  // the scale is applied, not ignored
}
