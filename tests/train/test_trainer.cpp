#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "isobench/core/decompositions.hpp"
#include "isobench/ortho/constraint.hpp"
#include "isobench/train/sequence_workload.hpp"
#include "isobench/train/trainer.hpp"

using namespace isobench;

namespace {
// Loss 0.9^step; target when loss ≤ target; optional NaN at a given step; optional slow steps.
struct GeometricWorkload {
  double loss = 1.0, target = 0.5;
  long nan_at = -1;
  int spe = 10;
  int sleep_ms = 0;
  long steps = 0;
  std::vector<int> epochs_begun;
  int steps_per_epoch() const { return spe; }
  void begin_epoch(int e) { epochs_begun.push_back(e); }
  double step() {
    ++steps;
    if (sleep_ms) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
    if (steps == nan_at)
      loss = std::nan("");
    else
      loss *= 0.9;
    return loss;
  }
  void evaluate(EvalRecord& r) {
    r.loss = loss;
    r.val_acc = 1.0 - loss;
  }
  bool reached_target(const EvalRecord& r) const { return r.loss <= target; }
  bool diverged(const EvalRecord& r) const { return r.loss > 10.0; }
};

struct Recorder {
  std::vector<nlohmann::json> lines;
  void write(const nlohmann::json& j) { lines.push_back(j); }
};
}  // namespace

TEST(Trainer, TargetDetectedAtTheFirstEvaluationBelowIt) {
  GeometricWorkload workload;
  TrainConfig cfg;
  cfg.step_budget = 100;
  cfg.eval_every = 1;
  auto res = train(workload, cfg);
  // 0.9^6 = 0.531 > 0.5, 0.9^7 = 0.478 ≤ 0.5.
  EXPECT_TRUE(res.converged);
  EXPECT_EQ(res.steps_to_target, 7);
  EXPECT_EQ(res.steps_to_target_counter(), 7);
  EXPECT_EQ(res.steps, 100);  // no early stop requested
  EXPECT_FALSE(res.diverged);
}

TEST(Trainer, StopAtTarget) {
  GeometricWorkload workload;
  TrainConfig cfg;
  cfg.step_budget = 100;
  cfg.eval_every = 1;
  cfg.stop_at_target = true;
  auto res = train(workload, cfg);
  EXPECT_EQ(res.steps, 7);
  EXPECT_EQ(res.stop_reason, "target");
}

TEST(Trainer, NeverReachedGivesBudgetPlusOne) {
  GeometricWorkload workload;
  workload.target = -1;
  TrainConfig cfg;
  cfg.step_budget = 30;
  cfg.eval_every = 5;
  auto res = train(workload, cfg);
  EXPECT_FALSE(res.converged);
  EXPECT_EQ(res.steps_to_target_counter(), 31);
  EXPECT_EQ(res.epochs, 3);
}

TEST(Trainer, NanLossStopsTheRunAsDiverged) {
  GeometricWorkload workload;
  workload.target = -1;
  workload.nan_at = 13;
  TrainConfig cfg;
  cfg.step_budget = 100;
  auto res = train(workload, cfg);
  EXPECT_TRUE(res.diverged);
  EXPECT_FALSE(res.converged);
  EXPECT_EQ(res.steps, 13);
  EXPECT_EQ(res.stop_reason, "diverged");
}

TEST(Trainer, WorkloadDivergenceRuleApplies) {
  GeometricWorkload workload;
  workload.loss = 50;  // above the workload's divergence threshold at the first evaluation
  TrainConfig cfg;
  cfg.step_budget = 100;
  cfg.eval_every = 1;
  auto res = train(workload, cfg);
  EXPECT_TRUE(res.diverged);
  EXPECT_EQ(res.steps, 0);
}

TEST(Trainer, WallTimeCapKeepsTheFiguresSoFar) {
  GeometricWorkload workload;
  workload.target = -1;
  workload.sleep_ms = 5;
  TrainConfig cfg;
  cfg.step_budget = 100000;
  cfg.wall_seconds = 0.05;
  auto res = train(workload, cfg);
  EXPECT_TRUE(res.time_capped);
  EXPECT_LT(res.steps, 1000);
  EXPECT_GE(res.train_seconds, 0.05);
  EXPECT_EQ(res.last.step, res.steps);  // evaluated where it stopped
  EXPECT_NEAR(res.last.loss, std::pow(0.9, static_cast<double>(res.steps)), 1e-12);
}

TEST(Trainer, EpochBudgetAndEpochCallbacks) {
  GeometricWorkload workload;
  workload.target = -1;
  TrainConfig cfg;
  cfg.step_budget = 1000;
  cfg.epoch_budget = 3;
  auto res = train(workload, cfg);
  EXPECT_EQ(res.epochs, 3);
  EXPECT_EQ(res.steps, 30);
  EXPECT_EQ(workload.epochs_begun, (std::vector<int>{0, 1, 2}));
}

TEST(Trainer, TracesOneLinePerEvaluation) {
  GeometricWorkload workload;
  workload.target = -1;
  Recorder rec;
  TraceCallback<Recorder> trace{rec};
  TrainConfig cfg;
  cfg.step_budget = 20;
  cfg.eval_every = 5;
  train(workload, cfg, trace);
  ASSERT_EQ(rec.lines.size(), 5u);  // steps 0, 5, 10, 15, 20
  EXPECT_EQ(rec.lines[0]["step"], 0);
  EXPECT_EQ(rec.lines[4]["step"], 20);
  EXPECT_NEAR(rec.lines[4]["loss"].get<double>(), std::pow(0.9, 20), 1e-12);
  EXPECT_TRUE(rec.lines[4].contains("val_acc"));
}

TEST(Trainer, Deterministic) {
  GeometricWorkload a, b;
  TrainConfig cfg;
  cfg.eval_every = 3;
  auto ra = train(a, cfg), rb = train(b, cfg);
  EXPECT_EQ(ra.steps_to_target, rb.steps_to_target);
  EXPECT_EQ(ra.last.loss, rb.last.loss);
}

namespace {
// A callback that measures the weights at every evaluation, as RQD/TASK's kernel traces do: with
// non-finite weights its spectrum function throws NonFiniteError.
struct SpectrumAt {
  long bad_from = -1;
  void on_evaluation(const EvalRecord& r) {
    Matrix<double> w({3, 3}, 0.5);
    if (bad_from >= 0 && r.step >= bad_from) w(1, 1) = std::nan("");
    singular_values(w);
  }
};
}  // namespace

TEST(Trainer, ANonFiniteErrorInAStepOrEvaluationStopsTheRunAsDivergedWithItsMessage) {
  // In a step: as a constraint refusing W after the optimizer made it Inf.
  struct Refusing : GeometricWorkload {
    double step() {
      GeometricWorkload::step();
      if (steps == 7) {
        Matrix<double> w({2, 2}, 1.0);
        w(0, 1) = std::numeric_limits<double>::infinity();
        OrthoConstraint<double>({"qr", 1.0}, 2, 2).apply(w);
      }
      return loss;
    }
  } workload;
  workload.target = -1;
  TrainConfig cfg;
  cfg.step_budget = 100;
  auto res = train(workload, cfg);
  EXPECT_TRUE(res.diverged);
  EXPECT_EQ(res.stop_reason, "diverged");
  EXPECT_EQ(res.steps, 7);  // the step that met it counts, nothing after it runs
  EXPECT_EQ(workload.steps, 7);
  EXPECT_EQ(res.last.step, 7);
  EXPECT_FALSE(std::isfinite(res.last.loss));
  EXPECT_EQ(res.diverged_reason.rfind("constraint:qr: W (2 x 2) holds +Inf at row 0, column 1", 0),
            0u)
      << res.diverged_reason;

  // In an evaluation callback (a spectrum of NaN weights).
  GeometricWorkload t2;
  t2.target = -1;
  SpectrumAt spectrum{10};
  Recorder rec;
  TraceCallback<Recorder> trace{rec};
  cfg.eval_every = 5;
  auto r2 = train(t2, cfg, spectrum, trace);
  EXPECT_TRUE(r2.diverged);
  EXPECT_EQ(r2.steps, 10);
  EXPECT_EQ(r2.diverged_reason.rfind("singular_values: the matrix", 0), 0u) << r2.diverged_reason;
  EXPECT_EQ(rec.lines.size(), 2u);  // steps 0 and 5; the callbacks stop at the refusal

  // In the workload's own evaluation, after it measured the loss (a penalty term of NaN weights, as
  // SequenceWorkload computes last): what was measured is the run's last evaluation, and the trace
  // keeps that line, as when the NaN penalty was simply recorded.
  struct RefusingEvaluation : GeometricWorkload {
    void evaluate(EvalRecord& r) {
      GeometricWorkload::evaluate(r);
      if (steps >= 10) throw NonFiniteError("reg:so", "reg:so: W holds NaN");
    }
  } t4;
  t4.target = -1;
  Recorder rec4;
  TraceCallback<Recorder> trace4{rec4};
  auto r4 = train(t4, cfg, trace4);
  EXPECT_TRUE(r4.diverged);
  EXPECT_EQ(r4.steps, 10);
  EXPECT_EQ(r4.last.step, 10);
  EXPECT_DOUBLE_EQ(r4.last.loss, std::pow(0.9, 10));
  EXPECT_DOUBLE_EQ(r4.best_val_acc, 1.0 - std::pow(0.9, 10));
  EXPECT_EQ(r4.diverged_reason, "reg:so: W holds NaN");
  EXPECT_EQ(rec4.lines.size(), 3u);  // steps 0, 5 and 10

  // A finite run has no reason, and a NaN loss keeps today's behaviour (no reason).
  GeometricWorkload t3;
  t3.target = -1;
  t3.nan_at = 4;
  auto r3 = train(t3, cfg, spectrum);
  EXPECT_TRUE(r3.diverged);
  EXPECT_TRUE(r3.diverged_reason.empty());
}

// The real shape of the fault: a float RNN on the copy task whose learning rate overflows to Inf,
// so one Adam step makes the recurrent kernel non-finite. Before, qr turned it into g·I and the
// run went on with a finite loss and ortho_err 0 (polar/margin: "LAPACK gesdd failed, info =
// -4"); now the run stops at that step as diverged, naming the parameter and the constraint.
TEST(Trainer, AWorkloadWhoseKernelGoesNonFiniteStopsAsDivergedNamingTheKernel) {
  for (const std::string kind : {"qr", "polar", "margin"}) {
    SequenceWorkloadSpec s;
    s.model = RecurrentModel::Rnn;
    s.problem = SequenceProblem::Copy;
    s.length = 3;
    s.hidden = 6;
    s.batch = 4;
    s.eval_samples = 8;
    s.eval_train = 8;
    s.lr = 1e300;  // finite in double, +Inf once cast to float
    s.constraint.method = kind;
    if (constraint_method(kind).uses_margin) s.constraint.margin = 0.1;
    SequenceWorkload<float> workload(s, nullptr, nullptr, RunStreams("diverge", 1));
    TrainConfig cfg;
    cfg.step_budget = 50;
    cfg.eval_every = 10;
    const TrainResult r = train(workload, cfg);
    const std::string expect = std::string("the recurrent kernel: constraint:") + kind + ": W (";
    EXPECT_TRUE(r.diverged) << kind;
    EXPECT_EQ(r.steps, 1) << kind;
    EXPECT_EQ(r.diverged_reason.rfind(expect, 0), 0u) << r.diverged_reason;
  }
}
