// SequenceWorkload: the composed objective's gradient (data loss + penalty) against central
// differences, the constraints' invariants during training, the baselines, determinism, errors,
// and that a small workload actually learns.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradcheck.hpp"
#include "isobench/core/decompositions.hpp"
#include "isobench/train/rnn_classifier.hpp"
#include "isobench/train/sequence_workload.hpp"
#include "isobench/train/trainer.hpp"

using namespace isobench;

namespace {

// n random 28×28 "digits" in [0, 1) with labels in [0, 10).
Dataset fake_mnist(int n, std::uint64_t seed) {
  Engine eng = make_engine("fake_mnist", seed);
  Dataset d;
  d.n = n;
  d.rows = d.cols = 28;
  d.x.resize(static_cast<std::size_t>(n) * 784);
  for (auto& v : d.x) v = static_cast<float>(uniform01(eng));
  for (int i = 0; i < n; ++i) d.y.push_back(static_cast<int>(uniform01(eng) * 10));
  d.source = "fake";
  return d;
}

SequenceWorkloadSpec small_spec(RecurrentModel model, SequenceProblem problem) {
  SequenceWorkloadSpec s;
  s.model = model;
  s.problem = problem;
  s.length = problem == SequenceProblem::Copy ? 3 : 6;
  s.hidden = 5;
  s.batch = 4;
  s.eval_samples = 8;
  s.eval_train = 8;
  return s;
}

// max relative error of kernel_grad() against central differences of objective_and_gradient().
double kernel_grad_error(SequenceWorkload<double>& workload) {
  workload.draw_batch();
  workload.objective_and_gradient();
  const Matrix<double> analytic = workload.kernel_grad();
  Matrix<double>& w = workload.recurrent_kernel();
  return gradcheck::max_rel_grad_error(w.data(), w.size(), analytic.data(),
                                       [&] { return workload.objective_and_gradient(); });
}

}  // namespace

class ObjectiveGradient
    : public ::testing::TestWithParam<std::tuple<RecurrentModel, SequenceProblem, bool>> {};

TEST_P(ObjectiveGradient, KernelGradientMatchesFiniteDifferences) {
  const auto [model, problem, penalized] = GetParam();
  SequenceWorkloadSpec s = small_spec(model, problem);
  if (penalized) {
    s.penalty.method = "so";
    s.penalty.lambda = 0.3;
  }
  // Off the manifold, so that the penalty's gradient is not zero.
  s.recurrent_init = InitSpec::glorot_uniform();
  const Dataset mnist = fake_mnist(12, 1);
  const bool is_mnist = is_mnist_problem(problem);
  SequenceWorkload<double> workload(s, is_mnist ? &mnist : nullptr, nullptr, RunStreams("grad", 1));
  EXPECT_LT(kernel_grad_error(workload), 1e-6);
}

INSTANTIATE_TEST_SUITE_P(
    Problems, ObjectiveGradient,
    ::testing::Combine(::testing::Values(RecurrentModel::Rnn, RecurrentModel::Lstm),
                       ::testing::Values(SequenceProblem::RowMnist, SequenceProblem::Copy,
                                         SequenceProblem::Adding),
                       ::testing::Bool()));

TEST(SequenceWorkload, PenaltyChangesTheGradientByItsOwnGradient) {
  // The test above could pass with the penalty ignored in both value and gradient; this one
  // cannot: the difference of the two kernel gradients is exactly ∂(λP)/∂W.
  SequenceWorkloadSpec s = small_spec(RecurrentModel::Rnn, SequenceProblem::Adding);
  s.recurrent_init = InitSpec::glorot_uniform();
  SequenceWorkload<double> plain(s, nullptr, nullptr, RunStreams("pen", 1));
  s.penalty.method = "so";
  s.penalty.lambda = 0.5;
  SequenceWorkload<double> pen(s, nullptr, nullptr, RunStreams("pen", 1));
  plain.draw_batch();
  pen.draw_batch();
  const double l0 = plain.objective_and_gradient(), l1 = pen.objective_and_gradient();
  Matrix<double> expected = xt::zeros<double>(plain.kernel_grad().shape());
  OrthoPenalty<double> p(s.penalty, 5, 5);
  const double pv = p.add_value_and_grad(pen.recurrent_kernel(), expected);
  EXPECT_GT(pv, 1e-3);
  EXPECT_NEAR(l1 - l0, pv, 1e-12);
  for (std::size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(pen.kernel_grad().data()[i] - plain.kernel_grad().data()[i], expected.data()[i],
                1e-12);
}

class ConstraintDuringTraining : public ::testing::TestWithParam<std::string> {};

TEST_P(ConstraintDuringTraining, KernelStaysOnTheScaledManifold) {
  SequenceWorkloadSpec s = small_spec(RecurrentModel::Rnn, SequenceProblem::Copy);
  s.hidden = 8;
  s.lr = 1e-2;
  s.recurrent_init = InitSpec::orthogonal(1.1);
  s.constraint.method = GetParam();
  if (constraint_method(s.constraint.method).default_rate > 0) s.constraint.rate = 0.5;
  SequenceWorkload<double> workload(s, nullptr, nullptr, RunStreams("constraint", 2));
  const Matrix<double> w0 = workload.recurrent_kernel();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(std::isfinite(workload.step()));
  EXPECT_DOUBLE_EQ(orthogonality_gain(workload.spec().recurrent_init), 1.1);
  // W moved (the constraint did not freeze it) and is still 1.1 × orthogonal.
  EXPECT_GT(xt::amax(xt::abs(workload.recurrent_kernel() - w0))(), 1e-3);
  EXPECT_LT(workload.orthogonality_error(), 1e-10);
  const auto sv = workload.kernel_singular_values();
  EXPECT_NEAR(sv.min, 1.1, 1e-10);
  EXPECT_NEAR(sv.max, 1.1, 1e-10);
}

INSTANTIATE_TEST_SUITE_P(Kinds, ConstraintDuringTraining,
                         ::testing::Values("qr", "polar", "cayley"));

TEST(SequenceWorkload, WithoutConstraintTheKernelLeavesTheManifold) {
  // The control of the test above: the same run unconstrained is measurably non-orthogonal.
  SequenceWorkloadSpec s = small_spec(RecurrentModel::Rnn, SequenceProblem::Copy);
  s.hidden = 8;
  s.lr = 1e-2;
  s.recurrent_init = InitSpec::orthogonal(1.1);
  SequenceWorkload<double> workload(s, nullptr, nullptr, RunStreams("constraint", 2));
  for (int i = 0; i < 20; ++i) workload.step();
  EXPECT_GT(workload.orthogonality_error(), 1e-3);
}

TEST(SequenceWorkload, MarginKeepsSingularValuesInTheBand) {
  SequenceWorkloadSpec s = small_spec(RecurrentModel::Rnn, SequenceProblem::Adding);
  s.hidden = 8;
  s.lr = 5e-2;  // large steps push singular values out of the band
  s.constraint.method = "margin";
  s.constraint.margin = 0.1;
  SequenceWorkload<double> workload(s, nullptr, nullptr, RunStreams("margin", 3));
  for (int i = 0; i < 30; ++i) workload.step();
  const auto sv = workload.kernel_singular_values();
  EXPECT_GE(sv.min, 0.9 - 1e-10);
  EXPECT_LE(sv.max, 1.1 + 1e-10);
  EXPECT_GT(sv.max - sv.min, 1e-3);  // inside the band, not collapsed onto the manifold
}

TEST(SequenceWorkload, Baselines) {
  SequenceWorkloadSpec s = small_spec(RecurrentModel::Rnn, SequenceProblem::Copy);
  s.length = 30;
  SequenceWorkload<float> copy(s, nullptr, nullptr, RunStreams("b", 1));
  EXPECT_NEAR(copy.baseline_loss(), 10 * std::log(8.0) / 50, 1e-12);
  EXPECT_EQ(copy.seq_steps(), 50);
  s.problem = SequenceProblem::Adding;
  SequenceWorkload<float> adding(s, nullptr, nullptr, RunStreams("b", 1));
  EXPECT_NEAR(adding.baseline_loss(), 1.0 / 6, 1e-12);
  const Dataset mnist = fake_mnist(12, 1);
  s.problem = SequenceProblem::PixelMnist;
  SequenceWorkload<float> pix(s, &mnist, nullptr, RunStreams("b", 1));
  EXPECT_TRUE(std::isnan(pix.baseline_loss()));
  EXPECT_EQ(pix.seq_steps(), 784);
  EXPECT_EQ(pix.features(), 1);
}

TEST(SequenceWorkload, SameEngineSameRun) {
  SequenceWorkloadSpec s = small_spec(RecurrentModel::Lstm, SequenceProblem::Copy);
  SequenceWorkload<float> a(s, nullptr, nullptr, RunStreams("det", 7));
  SequenceWorkload<float> b(s, nullptr, nullptr, RunStreams("det", 7));
  SequenceWorkload<float> c(s, nullptr, nullptr, RunStreams("det", 8));
  double la = 0, lb = 0, lc = 0;
  for (int i = 0; i < 5; ++i) {
    la = a.step();
    lb = b.step();
    lc = c.step();
  }
  EXPECT_EQ(la, lb);
  EXPECT_NE(la, lc);
}

TEST(SequenceWorkload, BadSettingsAreNamed) {
  auto throws_with = [](SequenceWorkloadSpec s, const Dataset* d, const char* what) {
    try {
      SequenceWorkload<float> t(s, d, nullptr, RunStreams("bad", 1));
      ADD_FAILURE() << "no exception for " << what;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  SequenceWorkloadSpec s = small_spec(RecurrentModel::Rnn, SequenceProblem::Copy);
  s.length = 0;
  throws_with(s, nullptr, "delay");
  s = small_spec(RecurrentModel::Rnn, SequenceProblem::RowMnist);
  throws_with(s, nullptr, "training set");
  const Dataset tiny = fake_mnist(2, 1);
  throws_with(s, &tiny, "batch 4 exceeds");
  s = small_spec(RecurrentModel::Lstm, SequenceProblem::Adding);
  s.constraint.method = "cayley";
  s.constraint_scope = KernelScope::WholeKernel;  // cayley cannot rotate the stacked gates' space
  throws_with(s, nullptr, "cayley");
  s = small_spec(RecurrentModel::Rnn, SequenceProblem::Adding);
  s.hidden = 0;
  throws_with(s, nullptr, "hidden");
}

TEST(SequenceWorkload, LearnsTheAddingProblemAndReportsTheTarget) {
  // T = 10 is short enough for a small orthogonal RNN to beat the 1/6 baseline by far in a few
  // hundred Adam steps; the trainer must see the target reached.
  SequenceWorkloadSpec s;
  s.problem = SequenceProblem::Adding;
  s.length = 10;
  s.hidden = 16;
  s.batch = 32;
  s.lr = 1e-2;
  s.clip_norm = 1.0;
  s.synthetic_steps_per_epoch = 50;
  s.eval_samples = 128;
  s.target_fraction = 0.2;
  SequenceWorkload<float> workload(s, nullptr, nullptr, RunStreams("learn", 1));
  TrainConfig cfg;
  cfg.step_budget = 1500;
  const TrainResult r = train(workload, cfg);
  EXPECT_FALSE(r.diverged);
  EXPECT_TRUE(r.converged) << "final loss " << r.last.loss;
  EXPECT_LT(r.last.loss, 0.2 / 6);
  EXPECT_EQ(r.last.extra.at("baseline_loss").get<double>(), 1.0 / 6);
}

TEST(SequenceWorkload, MarginOneBoundsOnlyTheLargestSingularValue) {
  // m = 1: the band [0, 2g], g = 1.5. A large rate pushes singular values above 2g = 3 unless
  // the projection clips them; the control run without the constraint shows they would be.
  SequenceWorkloadSpec s = small_spec(RecurrentModel::Rnn, SequenceProblem::Adding);
  s.hidden = 8;
  s.lr = 0.3;
  s.recurrent_init = InitSpec::orthogonal(1.5);
  SequenceWorkload<double> free_run(s, nullptr, nullptr, RunStreams("m1", 4));
  s.constraint.method = "margin";
  s.constraint.margin = 1.0;
  SequenceWorkload<double> workload(s, nullptr, nullptr, RunStreams("m1", 4));
  for (int i = 0; i < 10; ++i) {
    free_run.step();
    workload.step();
  }
  EXPECT_GT(free_run.kernel_singular_values().max, 3.0 + 1e-6);
  const auto sv = workload.kernel_singular_values();
  EXPECT_LE(sv.max, 3.0 + 1e-10);
  EXPECT_LT(sv.min, 1.5 - 1e-3);  // the lower end does not bind
}

TEST(SequenceWorkload, ABlownUpRunStopsAsDiverged) {
  // Adam at rate 10 without clipping throws the read-out far off: the held-out MSE passes
  // 1000 × baseline and the trainer stops the run there. The same run at 1e-3 does not.
  SequenceWorkloadSpec s = small_spec(RecurrentModel::Rnn, SequenceProblem::Adding);
  s.synthetic_steps_per_epoch = 5;
  TrainConfig cfg;
  cfg.step_budget = 200;
  s.lr = 10;
  SequenceWorkload<float> wild(s, nullptr, nullptr, RunStreams("div", 1));
  const TrainResult r = train(wild, cfg);
  EXPECT_TRUE(r.diverged);
  EXPECT_EQ(r.stop_reason, "diverged");
  EXPECT_LT(r.steps, 200);
  s.lr = 1e-3;
  SequenceWorkload<float> calm(s, nullptr, nullptr, RunStreams("div", 1));
  EXPECT_FALSE(train(calm, cfg).diverged);
}

// --- the protocols: one implementation, each family's differences as options -------------------

TEST(SequenceProtocol, KerasProtocolReproducesTheRecurrentClassifierBitForBit) {
  // SEED's RecurrentClassifierWorkload is SequenceWorkload under SequenceProtocol::keras(): a
  // spec-built SequenceWorkload with that protocol (same model, inits, engine) must give identical
  // evaluations.
  const Dataset train = fake_mnist(70, 1), val = fake_mnist(30, 2);
  SequenceWorkloadSpec s;
  s.problem = SequenceProblem::RowMnist;
  s.hidden = 6;
  s.batch = 16;  // 70 = 4·16 + 6: the last partial batch is trained on
  s.lr = 1e-3;
  s.penalty.method = "srip";
  s.penalty.lambda = 0.1;
  s.protocol = SequenceProtocol::keras();
  s.eval_train = RecurrentClassifierWorkload<Rnn<float>, AdamUpdate>::kInitialTrainSamples;
  RecurrentClassifierSpec rs;
  rs.recurrent = s.recurrent_init;
  rs.batch = s.batch;
  rs.lr = s.lr;
  rs.penalty = s.penalty;
  RecurrentClassifierWorkload<Rnn<float>, AdamUpdate> seed(
      rs, Rnn<float>(RnnConfig{28, 6, 10}), train, val, AdamUpdate{}, RunStreams("p", 1));
  SequenceWorkload<float> workload(s, &train, &val, RunStreams("p", 1));
  EXPECT_EQ(workload.steps_per_epoch(), 5);
  EXPECT_EQ(seed.steps_per_epoch(), 5);
  TrainConfig cfg;
  cfg.epoch_budget = 2;
  cfg.step_budget = 10;
  std::vector<EvalRecord> ra, rb;
  struct Keep {
    std::vector<EvalRecord>& out;
    void on_evaluation(const EvalRecord& r) { out.push_back(r); }
  } ka{ra}, kb{rb};
  isobench::train(seed, cfg, ka);
  isobench::train(workload, cfg, kb);
  ASSERT_EQ(ra.size(), 3u);
  ASSERT_EQ(rb.size(), ra.size());
  for (std::size_t i = 0; i < ra.size(); ++i) {
    EXPECT_EQ(ra[i].loss, rb[i].loss) << i;
    EXPECT_EQ(ra[i].train_acc, rb[i].train_acc) << i;
    EXPECT_EQ(ra[i].val_loss, rb[i].val_loss) << i;
    EXPECT_EQ(ra[i].val_acc, rb[i].val_acc) << i;
    EXPECT_EQ(ra[i].extra, rb[i].extra) << i;  // train_data_loss, penalty, the whole spectrum
  }
  EXPECT_TRUE(rb.back().extra.contains("kernel_sv"));
  EXPECT_TRUE(rb.back().extra.contains("train_data_loss"));
}

TEST(SequenceProtocol, EachOptionTakesEffect) {
  const Dataset train = fake_mnist(70, 1), val = fake_mnist(30, 2);
  SequenceWorkloadSpec s;
  s.hidden = 6;
  s.batch = 16;
  s.penalty.method = "srip";
  s.penalty.lambda = 0.1;
  SequenceWorkloadSpec k = s;
  k.protocol = SequenceProtocol::keras();
  SequenceWorkload<float> measured(s, &train, &val, RunStreams("p", 1));
  SequenceWorkload<float> keras(k, &train, &val, RunStreams("p", 1));
  // last_batch: Drop 70/16 → 4 steps, Keep → 5.
  EXPECT_EQ(measured.steps_per_epoch(), 4);
  EXPECT_EQ(keras.steps_per_epoch(), 5);
  // srip_seed_from_streams: 0, or the run's srip stream seed.
  EXPECT_EQ(measured.treatment().spec().penalty_seed, 0u);
  EXPECT_EQ(keras.treatment().spec().penalty_seed, RunStreams("p", 1).seed_of("srip/start_vector"));
  // clip_readout_before_biases: the clipping's order W, U, V, b, c instead of W, U, b, V, c.
  EXPECT_EQ(measured.params()[2].size, 6u);     // b (H)
  EXPECT_EQ(keras.params()[2].size, 6u * 10u);  // V (H × K)
  // train_figures and kernel_spectrum: what an evaluation writes.
  EvalRecord rm, rk;
  measured.evaluate(rm);
  keras.evaluate(rk);
  EXPECT_TRUE(rm.extra.contains("grad_norm"));
  EXPECT_FALSE(rm.extra.contains("kernel_sv_mean"));
  EXPECT_FALSE(rk.extra.contains("grad_norm"));
  EXPECT_TRUE(rk.extra.contains("train_data_loss"));
  EXPECT_TRUE(rk.extra.contains("kernel_sv"));
  // reshuffle_when_exhausted: past the epoch's last batch outside the trainer, keras starts a new
  // (reshuffled) epoch, measured wraps around to the same first batch. (Data losses: srip's
  // power-iteration vector moves on every call.)
  for (auto* t : {&measured, &keras}) {
    t->draw_batch();
    const double first = t->objective_and_gradient() - t->last_penalty();
    for (int b = 1; b < t->steps_per_epoch(); ++b) t->draw_batch();
    t->draw_batch();
    const double again = t->objective_and_gradient() - t->last_penalty();
    if (t == &measured)
      EXPECT_EQ(again, first);
    else
      EXPECT_NE(again, first);
  }
}

TEST(SequenceProtocol, NonFiniteStepIsAppliedOnlyUnderKeras) {
  // A NaN pixel makes every loss NaN: RQD/TASK's protocol stops before the update (W stays
  // finite), SEED's applies it (W turns NaN, and an evaluation reports kernel_finite = false).
  Dataset train = fake_mnist(32, 1);
  for (int i = 0; i < train.n; ++i) train.x[static_cast<std::size_t>(i) * 784] = std::nanf("");
  SequenceWorkloadSpec s;
  s.hidden = 4;
  s.batch = 16;
  SequenceWorkloadSpec k = s;
  k.protocol = SequenceProtocol::keras();
  SequenceWorkload<float> measured(s, &train, nullptr, RunStreams("nan", 1));
  SequenceWorkload<float> keras(k, &train, nullptr, RunStreams("nan", 1));
  EXPECT_TRUE(std::isnan(measured.step()));
  EXPECT_TRUE(std::isnan(keras.step()));
  EXPECT_TRUE(std::isfinite(measured.recurrent_kernel().data()[0]));
  EXPECT_TRUE(std::isnan(keras.recurrent_kernel().data()[0]));
  EvalRecord r;
  r.loss = 1.0;  // diverged() on the kernel alone
  r.extra["kernel_finite"] = false;
  EXPECT_TRUE(keras.diverged(r));
}

TEST(SequenceProtocol, CallerBuiltModelsAreChecked) {
  const Dataset train = fake_mnist(40, 1);
  SequenceWorkloadSpec s;
  s.batch = 8;
  auto update = [](const std::vector<ParamRef<float>>&) {};
  try {
    SequenceWorkload<float>(s, Rnn<float>(RnnConfig{5, 4, 10}), SeqView::Rows, train, Dataset{},
                            update, RunStreams("m", 1), "Owner");
    ADD_FAILURE() << "no exception for input_dim";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("Owner: the model's input_dim 5"), std::string::npos)
        << e.what();
  }
  s.batch = 41;
  EXPECT_THROW(SequenceWorkload<float>(s, Rnn<float>(RnnConfig{28, 4, 10}), SeqView::Rows, train,
                                       Dataset{}, update, RunStreams("m", 1)),
               std::invalid_argument);
}
