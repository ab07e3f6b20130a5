// RecurrentClassifierWorkload (rnn_classifier.hpp): the gradient of loss + penalty against central
// differences, the evaluation record (kernel spectrum, Keras running figures), learning on a
// separable synthetic task, determinism, divergence reporting and input errors.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradcheck.hpp"
#include "isobench/core/decompositions.hpp"
#include "isobench/train/rnn_classifier.hpp"
#include "isobench/train/trainer.hpp"

using namespace isobench;

namespace {

// n images of rows × cols: class c has row (c mod rows) bright (0.6 … 1), every other pixel in
// [0, 0.3). A classifier must remember which step was bright: rows − 1 − c steps of memory.
Dataset bright_row_data(int n, int rows, int cols, int classes, std::uint64_t seed) {
  Engine eng = make_engine("test/bright_row", seed);
  Dataset d;
  d.n = n;
  d.rows = rows;
  d.cols = cols;
  d.classes = classes;
  d.source = "synthetic bright-row digits";
  d.x.resize(static_cast<std::size_t>(n) * rows * cols);
  d.y.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const int c = i % classes;
    d.y[static_cast<std::size_t>(i)] = c;
    for (int r = 0; r < rows; ++r)
      for (int k = 0; k < cols; ++k)
        d.x[(static_cast<std::size_t>(i) * rows + r) * cols + k] =
            static_cast<float>(r == c % rows ? 0.6 + 0.4 * uniform01(eng) : 0.3 * uniform01(eng));
  }
  return d;
}

template <class T>
Rnn<T> make_rnn(int features, int hidden, int classes) {
  RnnConfig c{features, hidden, classes};
  c.act = Activation::Tanh;
  return Rnn<T>(c);
}

using DoubleWorkload = RecurrentClassifierWorkload<Rnn<double>, AdamUpdate>;

// Every parameter's gradient of loss + λP against central differences of the same function.
double max_workload_grad_error(const PenaltySpec& pen, double gain) {
  const Dataset data = bright_row_data(12, 4, 3, 3, 1);
  RecurrentClassifierSpec spec;
  spec.recurrent = InitSpec::orthogonal(gain);
  spec.batch = 5;
  spec.penalty = pen;
  DoubleWorkload workload(spec, make_rnn<double>(3, 6, 3), data, Dataset{}, AdamUpdate{},
                          RunStreams("test/rnn_classifier/grad", 3));
  // Random biases, and W moved off g·Q (where so_gain_adjusted's gradient vanishes), so that
  // every gradient is generic.
  Engine eng = make_engine("test/rnn_classifier/bias", 1);
  for (auto& v : workload.model().recurrent_kernel()) v += 0.1 * standard_normal(eng);
  for (auto& v : workload.model().bias()) v = 0.3 * standard_normal(eng);
  for (auto& v : workload.model().readout_bias()) v = 0.3 * standard_normal(eng);
  std::vector<int> idx{0, 4, 7, 2, 9}, labels(5);
  std::vector<double> x(4 * 5 * 3);
  BatchGatherer(SeqView::Rows, 4, 3).gather(data, idx.data(), 5, x.data());
  gather_labels(data, idx.data(), 5, labels.data());
  workload.loss_and_grad(x.data(), labels.data(), 5);
  double worst = 0;
  for (const auto& p : workload.model().params()) {
    const std::vector<double> analytic(p.grad, p.grad + p.size);
    // f() re-runs loss_and_grad (which overwrites the gradients, not the copy above).
    auto f = [&] { return workload.loss_and_grad(x.data(), labels.data(), 5); };
    worst = std::max(worst, gradcheck::max_rel_grad_error(p.value, p.size, analytic.data(), f));
  }
  return worst;
}

}  // namespace

TEST(RnnClassifier, GradientOfLossPlusPenaltyMatchesFiniteDifferences) {
  EXPECT_LT(max_workload_grad_error(PenaltySpec{}, 1.0), 1e-6);
  for (const char* k : {"so", "so_gain_adjusted", "seed_notebook"})
    for (PenaltyNorm nm : {PenaltyNorm::Sum, PenaltyNorm::Mean}) {
      PenaltySpec pen;
      pen.method = k;
      pen.norm = nm;
      pen.lambda = 0.7;
      pen.gain = 1.25;
      EXPECT_LT(max_workload_grad_error(pen, 1.25), 1e-6) << k << " " << penalty_norm_name(nm);
    }
}

TEST(RnnClassifier, PenaltyIsAddedToLossAndKernelGradient) {
  const Dataset data = bright_row_data(12, 4, 3, 3, 1);
  RecurrentClassifierSpec spec;
  spec.recurrent = InitSpec::orthogonal(1.25);
  spec.batch = 4;
  RecurrentClassifierSpec pen_spec = spec;
  pen_spec.penalty.method = "so";  // pulls g = 1.25 towards 1: non-zero at init
  pen_spec.penalty.lambda = 0.5;
  const RunStreams eng("test/rnn_classifier/pen", 1);
  DoubleWorkload plain(spec, make_rnn<double>(3, 5, 3), data, Dataset{}, AdamUpdate{}, eng);
  DoubleWorkload pen(pen_spec, make_rnn<double>(3, 5, 3), data, Dataset{}, AdamUpdate{}, eng);
  std::vector<int> idx{0, 1, 2, 3}, labels(4);
  std::vector<double> x(4 * 4 * 3);
  BatchGatherer(SeqView::Rows, 4, 3).gather(data, idx.data(), 4, x.data());
  gather_labels(data, idx.data(), 4, labels.data());
  const double a = plain.loss_and_grad(x.data(), labels.data(), 4);
  const double b = pen.loss_and_grad(x.data(), labels.data(), 4);
  // ‖WᵀW − I‖² at W = 1.25 Q: 5 · (1.25² − 1)².
  const double p = 0.5 * 5 * std::pow(1.25 * 1.25 - 1, 2);
  EXPECT_NEAR(b - a, p, 1e-9);
  // ∂/∂W = 4λ W (WᵀW − I) = 4λ (g² − 1) W.
  const auto& w = pen.model().recurrent_kernel();
  const auto& g0 = plain.model().recurrent_kernel_grad();
  const auto& g1 = pen.model().recurrent_kernel_grad();
  for (std::size_t i = 0; i < w.size(); ++i)
    EXPECT_NEAR(g1.data()[i] - g0.data()[i], 4 * 0.5 * (1.25 * 1.25 - 1) * w.data()[i], 1e-9);
}

TEST(RnnClassifier, InitialEvaluationReportsTheGainedOrthogonalKernel) {
  const Dataset train = bright_row_data(40, 4, 3, 3, 1), val = bright_row_data(20, 4, 3, 3, 2);
  RecurrentClassifierSpec spec;
  spec.recurrent = InitSpec::orthogonal(1.25);
  spec.batch = 8;
  RecurrentClassifierWorkload<Rnn<float>, AdamUpdate> workload(
      spec, make_rnn<float>(3, 16, 3), train, val, AdamUpdate{},
      RunStreams("test/rnn_classifier/eval", 1));
  EvalRecord r;
  workload.evaluate(r);
  ASSERT_EQ(r.extra["kernel_sv"].size(), 16u);
  for (double s : r.extra["kernel_sv"]) EXPECT_NEAR(s, 1.25, 1e-5);
  EXPECT_NEAR(r.extra["kernel_sv_mean"].get<double>(), 1.25, 1e-5);
  EXPECT_NEAR(r.extra["kernel_sv_std"].get<double>(), 0.0, 1e-5);
  EXPECT_LT(r.extra["ortho_err"].get<double>(), 1e-5);  // measured against g = 1.25
  EXPECT_GE(r.val_acc, 0.0);
  EXPECT_LE(r.val_acc, 1.0);
  EXPECT_TRUE(std::isfinite(r.loss));
  // Glorot kernels are measured against g = 1 and are far from orthogonal.
  spec.recurrent = InitSpec::glorot_uniform();
  RecurrentClassifierWorkload<Rnn<float>, AdamUpdate> glorot(
      spec, make_rnn<float>(3, 16, 3), train, val, AdamUpdate{},
      RunStreams("test/rnn_classifier/eval", 1));
  EXPECT_EQ(orthogonality_gain(glorot.spec().recurrent), 1.0);
  EXPECT_GT(glorot.kernel_spectrum().ortho_err, 1.0);
  EXPECT_GT(glorot.kernel_spectrum().std, 0.1);
}

TEST(RnnClassifier, LearnsTheBrightRowTaskAndReportsKerasRunningFigures) {
  const Dataset train = bright_row_data(600, 5, 4, 4, 1), val = bright_row_data(200, 5, 4, 4, 2);
  RecurrentClassifierSpec spec;
  spec.recurrent = InitSpec::orthogonal(1.0);
  spec.batch = 32;
  spec.lr = 1e-2;
  spec.target_val_acc = 0.95;
  RecurrentClassifierWorkload<Rnn<float>, AdamUpdate> workload(
      spec, make_rnn<float>(4, 32, 4), train, val, AdamUpdate{},
      RunStreams("test/rnn_classifier/learn", 1));
  EXPECT_EQ(workload.steps_per_epoch(), 19);  // 600 / 32 = 18.75: the partial batch is kept
  TrainConfig cfg;
  cfg.step_budget = 100000;
  cfg.epoch_budget = 10;
  std::vector<EvalRecord> recs;
  struct Keep {
    std::vector<EvalRecord>& r;
    void on_evaluation(const EvalRecord& e) { r.push_back(e); }
  } keep{recs};
  const TrainResult res = isobench::train(workload, cfg, keep);
  EXPECT_FALSE(res.diverged);
  EXPECT_TRUE(res.converged) << "best val acc " << res.best_val_acc;
  EXPECT_GE(res.best_val_acc, 0.95);
  ASSERT_EQ(recs.size(), 11u);  // step 0 + 10 epochs
  EXPECT_LT(recs.back().loss, recs.front().loss);
  // The running figures: loss = data + penalty parts (no penalty here), acc in [0, 1].
  for (const auto& r : recs) {
    EXPECT_NEAR(r.loss, r.extra["train_data_loss"].get<double>() + r.extra["penalty"].get<double>(),
                1e-12);
    EXPECT_GE(r.train_acc, 0.0);
    EXPECT_LE(r.train_acc, 1.0);
  }
  const auto test = workload.measure(val);
  EXPECT_EQ(test.samples, 200);
  EXPECT_NEAR(test.acc, recs.back().val_acc, 1e-12);  // the same weights, the same samples
}

TEST(RnnClassifier, DeterministicGivenTheEngine) {
  const Dataset train = bright_row_data(64, 4, 3, 3, 1), val = bright_row_data(30, 4, 3, 3, 2);
  RecurrentClassifierSpec spec;
  spec.batch = 16;
  spec.lr = 1e-2;
  auto run = [&](std::uint64_t seed) {
    RecurrentClassifierWorkload<Rnn<float>, AdamUpdate> workload(
        spec, make_rnn<float>(3, 8, 3), train, val, AdamUpdate{}, RunStreams("test/det", seed));
    TrainConfig cfg;
    cfg.step_budget = 12;
    return isobench::train(workload, cfg).last;
  };
  const EvalRecord a = run(1), b = run(1), c = run(2);
  EXPECT_EQ(a.loss, b.loss);
  EXPECT_EQ(a.val_loss, b.val_loss);
  EXPECT_EQ(a.extra["kernel_sv"], b.extra["kernel_sv"]);
  EXPECT_NE(a.loss, c.loss);
}

// An exploding configuration: gain 3 under the plain SO penalty (sum) with SGD at lr 1. The step
// W ← W − 4ηλ W(WᵀW − I) maps 3Q to (3 − 96)Q, then cubes: W overflows within a few steps. The
// trainer must report divergence (not crash) and every figure a family would report stays finite
// or is flagged absent.
TEST(RnnClassifier, ExplodingGainIsReportedAsDiverged) {
  const Dataset train = bright_row_data(64, 4, 3, 3, 1), val = bright_row_data(30, 4, 3, 3, 2);
  RecurrentClassifierSpec spec;
  spec.recurrent = InitSpec::orthogonal(3.0);
  spec.batch = 16;
  spec.lr = 1.0;
  spec.penalty.method = "so";
  spec.penalty.norm = PenaltyNorm::Sum;
  spec.penalty.lambda = 1.0;
  RecurrentClassifierWorkload<Rnn<float>, SgdUpdate> workload(
      spec, make_rnn<float>(3, 8, 3), train, val, SgdUpdate{}, RunStreams("test/explode", 1));
  TrainConfig cfg;
  cfg.step_budget = 200;
  std::vector<nlohmann::json> lines;
  struct Sink {
    std::vector<nlohmann::json>& l;
    void write(const nlohmann::json& j) { l.push_back(j); }
  } sink{lines};
  TraceCallback<Sink> trace{sink};
  TrainResult res;
  ASSERT_NO_THROW(res = isobench::train(workload, cfg, trace));
  EXPECT_TRUE(res.diverged);
  EXPECT_FALSE(res.converged);
  EXPECT_EQ(res.stop_reason, "diverged");
  EXPECT_LT(res.steps, 20);
  EXPECT_EQ(res.steps_to_target_counter(), cfg.step_budget + 1);
  EXPECT_TRUE(std::isfinite(res.train_seconds));
  EXPECT_TRUE(std::isfinite(res.best_val_acc));     // from the step-0 evaluation
  EXPECT_FALSE(workload.kernel_spectrum().finite);  // a family omits the kernel counters
  for (const auto& l : lines) EXPECT_NO_THROW(l.dump());
  // The same gain without the runaway penalty trains without diverging.
  spec.penalty.method = "none";
  spec.lr = 1e-2;
  RecurrentClassifierWorkload<Rnn<float>, SgdUpdate> calm(
      spec, make_rnn<float>(3, 8, 3), train, val, SgdUpdate{}, RunStreams("test/explode", 1));
  EXPECT_FALSE(isobench::train(calm, cfg).diverged);
}

TEST(RnnClassifier, BadConfigurationsNameTheSetting) {
  const Dataset train = bright_row_data(20, 4, 3, 3, 1);
  RecurrentClassifierSpec spec;
  spec.batch = 64;
  auto msg = [&](const RecurrentClassifierSpec& s, int features, int classes) -> std::string {
    try {
      DoubleWorkload t(s, make_rnn<double>(features, 4, classes), train, Dataset{}, AdamUpdate{},
                       RunStreams("x", 1));
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(msg(spec, 3, 3).find("batch 64"), std::string::npos);
  spec.batch = 4;
  EXPECT_NE(msg(spec, 5, 3).find("input_dim"), std::string::npos);
  EXPECT_NE(msg(spec, 3, 7).find("output_dim"), std::string::npos);
  spec.lr = -1;
  EXPECT_NE(msg(spec, 3, 3).find("lr"), std::string::npos);
  spec.lr = 1e-3;
  EXPECT_EQ(msg(spec, 3, 3), "");
}

TEST(RnnClassifier, LstmModelTrains) {
  const Dataset train = bright_row_data(64, 4, 3, 3, 1), val = bright_row_data(30, 4, 3, 3, 2);
  RecurrentClassifierSpec spec;
  spec.batch = 16;
  spec.lr = 1e-2;
  spec.penalty.method = "so_gain_adjusted";
  spec.penalty.lambda = 0.1;
  RecurrentClassifierWorkload<Lstm<float>, AdamUpdate> workload(
      spec, Lstm<float>(LstmConfig{3, 8, 3}), train, val, AdamUpdate{}, RunStreams("lstm", 1));
  TrainConfig cfg;
  cfg.step_budget = 8;
  const TrainResult res = isobench::train(workload, cfg);
  EXPECT_FALSE(res.diverged);
  EXPECT_EQ(res.last.extra["kernel_sv"].size(), 8u);  // (4H × H) kernel: H singular values
}
