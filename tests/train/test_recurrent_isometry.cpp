// SEED's Jacobian probe (recurrent_isometry.hpp): its figures are recurrent_jacobian.hpp's on the
// fixed validation digits, it changes no weight, a failed measurement is recorded and does not
// throw, the final measurement and its trace line; and the trainer runs on_measure after the
// workload's evaluation and before on_evaluation, whose record carries the fields.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "isobench/core/rng.hpp"
#include "isobench/measure/recurrent_jacobian.hpp"
#include "isobench/train/recurrent_isometry.hpp"
#include "isobench/train/trainer.hpp"

namespace isobench {
namespace {

std::size_t sz(int v) {
  return static_cast<std::size_t>(v);
}

constexpr int kRows = 5, kCols = 3, kHidden = 6, kClasses = 3, kSamples = 8;

// Images of kRows × kCols, read row by row: T = 5 steps of F = 3 features.
Dataset images() {
  Dataset d;
  d.n = kSamples;
  d.rows = kRows;
  d.cols = kCols;
  d.classes = kClasses;
  d.source = "test images";
  for (int i = 0; i < kSamples; ++i) {
    for (int p = 0; p < kRows * kCols; ++p)
      d.x.push_back(static_cast<float>(((7 * i + 3 * p) % 11) / 10.0));
    d.y.push_back(i % kClasses);
  }
  return d;
}

Rnn<float> model() {
  RnnConfig cfg{kCols, kHidden, kClasses};
  Rnn<float> m(cfg);
  Engine eng(3);
  m.init(InitSpec::orthogonal(1.1), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(), eng);
  for (auto& v : m.bias()) v += 0.1f;
  return m;
}

TEST(RnnIsometryProbe, EvaluationFiguresAreTheMeasurementsOnTheValidationDigits) {
  Rnn<float> m = model();
  const Dataset val = images();
  RnnIsometryProbe<float> probe(m, val, SeqView::Rows, 2, 3, 4);
  const std::vector<float> w0(m.recurrent_kernel().begin(), m.recurrent_kernel().end());
  EvalRecord r;
  probe.on_measure(r);
  ASSERT_FALSE(r.extra.contains("jac_error")) << r.extra.dump();
  // By hand, in double: digits 0 and 1 (rows as steps), and the gradient batch 0..3.
  Matrix<double> w({sz(kHidden), sz(kHidden)}), u({sz(kHidden), sz(kCols)}),
      v({sz(kClasses), sz(kHidden)});
  std::copy(m.recurrent_kernel().begin(), m.recurrent_kernel().end(), w.begin());
  std::copy(m.input_kernel().begin(), m.input_kernel().end(), u.begin());
  std::copy(m.readout().begin(), m.readout().end(), v.begin());
  const std::vector<double> b(m.bias().begin(), m.bias().end()),
      c(m.readout_bias().begin(), m.readout_bias().end());
  double sv2 = 0, logdet = 0;
  for (int s = 0; s < 2; ++s) {
    std::vector<double> x(val.sample(s), val.sample(s) + kRows * kCols);
    JacobianProduct jp(kHidden);
    rnn_jacobian_through_time(Activation::Tanh, w, u, b.data(), x.data(), kRows, jp);
    const JacobianSpectrum sp = jp.spectrum();
    sv2 += sp.sv2_mean / 2;
    logdet += sp.log_sv2_mean / 2;
  }
  EXPECT_NEAR(r.extra["jac_sv2_mean"].get<double>(), sv2, 1e-12 * sv2);
  EXPECT_NEAR(r.extra["jac_log_sv2_mean"].get<double>(), logdet, 1e-12 * std::abs(logdet));
  EXPECT_TRUE(r.extra.contains("jac_log_sv2_dist"));  // 5 steps: every s_i resolved
  // The gradient batch, time-major (T × B × F).
  std::vector<double> xb(sz(kRows) * 4 * kCols);
  for (int t = 0; t < kRows; ++t)
    for (int s = 0; s < 4; ++s)
      for (int j = 0; j < kCols; ++j)
        xb[(sz(t) * 4 + sz(s)) * kCols + sz(j)] = val.sample(s)[t * kCols + j];
  const int labels[4] = {0, 1, 2, 0};
  const auto want = rnn_hidden_grad_norms(Activation::Tanh, w, u, b.data(), v, c.data(), xb.data(),
                                          kRows, 4, labels);
  const auto got = r.extra["hidden_grad_norm"].get<std::vector<double>>();
  ASSERT_EQ(got.size(), sz(kRows + 1));
  for (std::size_t t = 0; t < got.size(); ++t) EXPECT_NEAR(got[t], want[t], 1e-12 * want[t]);
  // Nothing changed in the model.
  EXPECT_EQ(std::vector<float>(m.recurrent_kernel().begin(), m.recurrent_kernel().end()), w0);
  // The final measurement: 3 digits, every spectrum in its trace line.
  const RecurrentIsometry fin = probe.final_measure();
  ASSERT_EQ(fin.sv2.size(), 3u);
  EXPECT_EQ(fin.sv2[0].size(), sz(kHidden));
  const nlohmann::json line = RnnIsometryProbe<float>::trace_line(fin, kRows);
  EXPECT_EQ(line["kind"], "jacobian_final");
  EXPECT_EQ(line["steps"], kRows);
  EXPECT_EQ(line["sequences"], 3);
  EXPECT_EQ(line["log_sv2_mean"].size(), 3u);
}

TEST(RnnIsometryProbe, AFailedMeasurementIsRecordedNotThrown) {
  Rnn<float> m = model();
  const Dataset val = images();
  RnnIsometryProbe<float> probe(m, val, SeqView::Rows, 1, 1, 2);
  m.recurrent_kernel()(0, 0) = std::numeric_limits<float>::quiet_NaN();
  EvalRecord r;
  EXPECT_NO_THROW(probe.on_measure(r));
  ASSERT_TRUE(r.extra.contains("jac_error"));
  EXPECT_FALSE(r.extra.contains("jac_sv2_mean"));
  EXPECT_THROW(probe.final_measure(), NonFiniteError);
}

TEST(RnnIsometryProbe, RefusesBadArguments) {
  Rnn<float> m = model();
  const Dataset val = images();
  EXPECT_THROW(RnnIsometryProbe<float>(m, val, SeqView::Rows, 0, 1, 1), std::invalid_argument);
  EXPECT_THROW(RnnIsometryProbe<float>(m, val, SeqView::Rows, 2, 1, 1), std::invalid_argument);
  EXPECT_THROW(RnnIsometryProbe<float>(m, val, SeqView::Rows, 1, 1, kSamples + 1),
               std::invalid_argument);
  EXPECT_THROW(RnnIsometryProbe<float>(m, val, SeqView::Pixels, 1, 1, 1), std::invalid_argument);
}

// The trainer's hook order: evaluate → on_measure (may add fields) → on_evaluation (sees them).
struct OneStep {
  int steps_per_epoch() const { return 1; }
  void begin_epoch(int) {}
  double step() { return 1.0; }
  void evaluate(EvalRecord& r) {
    r.loss = 1.0;
    r.extra["order"] = "evaluate";
  }
  bool reached_target(const EvalRecord&) const { return false; }
  bool diverged(const EvalRecord&) const { return false; }
};
struct Measure {
  void on_measure(EvalRecord& r) {
    r.extra["order"] = r.extra["order"].get<std::string>() + ">measure";
  }
};
struct Watch {
  std::vector<std::string> seen;
  void on_evaluation(const EvalRecord& r) { seen.push_back(r.extra["order"]); }
};

TEST(TrainerHooks, OnMeasureRunsAfterEvaluateAndBeforeOnEvaluation) {
  OneStep w;
  Measure m;
  Watch watch;
  TrainConfig tc;
  tc.step_budget = 2;
  tc.eval_every = 1;
  const TrainResult res = train(w, tc, m, watch);
  ASSERT_EQ(watch.seen.size(), 3u);  // step 0, 1, 2
  for (const auto& s : watch.seen) EXPECT_EQ(s, "evaluate>measure");
  EXPECT_EQ(res.last.extra["order"], "evaluate>measure");
}

}  // namespace
}  // namespace isobench
