#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "isobench/trainer.hpp"

using namespace isobench;

namespace {
// Loss 0.9^step; target when loss ≤ target; optional NaN at a given step; optional slow steps.
struct GeometricTask {
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
  GeometricTask task;
  TrainConfig cfg;
  cfg.step_budget = 100;
  cfg.eval_every = 1;
  auto res = train(task, cfg);
  // 0.9^6 = 0.531 > 0.5, 0.9^7 = 0.478 ≤ 0.5.
  EXPECT_TRUE(res.converged);
  EXPECT_EQ(res.steps_to_target, 7);
  EXPECT_EQ(res.steps_to_target_counter(), 7);
  EXPECT_EQ(res.steps, 100);  // no early stop requested
  EXPECT_FALSE(res.diverged);
}

TEST(Trainer, StopAtTarget) {
  GeometricTask task;
  TrainConfig cfg;
  cfg.step_budget = 100;
  cfg.eval_every = 1;
  cfg.stop_at_target = true;
  auto res = train(task, cfg);
  EXPECT_EQ(res.steps, 7);
  EXPECT_EQ(res.stop_reason, "target");
}

TEST(Trainer, NeverReachedGivesBudgetPlusOne) {
  GeometricTask task;
  task.target = -1;
  TrainConfig cfg;
  cfg.step_budget = 30;
  cfg.eval_every = 5;
  auto res = train(task, cfg);
  EXPECT_FALSE(res.converged);
  EXPECT_EQ(res.steps_to_target_counter(), 31);
  EXPECT_EQ(res.epochs, 3);
}

TEST(Trainer, NanLossStopsTheRunAsDiverged) {
  GeometricTask task;
  task.target = -1;
  task.nan_at = 13;
  TrainConfig cfg;
  cfg.step_budget = 100;
  auto res = train(task, cfg);
  EXPECT_TRUE(res.diverged);
  EXPECT_FALSE(res.converged);
  EXPECT_EQ(res.steps, 13);
  EXPECT_EQ(res.stop_reason, "diverged");
}

TEST(Trainer, TaskDivergenceRuleApplies) {
  GeometricTask task;
  task.loss = 50;  // above the task's divergence threshold at the first evaluation
  TrainConfig cfg;
  cfg.step_budget = 100;
  cfg.eval_every = 1;
  auto res = train(task, cfg);
  EXPECT_TRUE(res.diverged);
  EXPECT_EQ(res.steps, 0);
}

TEST(Trainer, WallTimeCapKeepsTheFiguresSoFar) {
  GeometricTask task;
  task.target = -1;
  task.sleep_ms = 5;
  TrainConfig cfg;
  cfg.step_budget = 100000;
  cfg.wall_seconds = 0.05;
  auto res = train(task, cfg);
  EXPECT_TRUE(res.time_capped);
  EXPECT_LT(res.steps, 1000);
  EXPECT_GE(res.train_seconds, 0.05);
  EXPECT_EQ(res.last.step, res.steps);  // evaluated where it stopped
  EXPECT_NEAR(res.last.loss, std::pow(0.9, static_cast<double>(res.steps)), 1e-12);
}

TEST(Trainer, EpochBudgetAndEpochCallbacks) {
  GeometricTask task;
  task.target = -1;
  TrainConfig cfg;
  cfg.step_budget = 1000;
  cfg.epoch_budget = 3;
  auto res = train(task, cfg);
  EXPECT_EQ(res.epochs, 3);
  EXPECT_EQ(res.steps, 30);
  EXPECT_EQ(task.epochs_begun, (std::vector<int>{0, 1, 2}));
}

TEST(Trainer, TracesOneLinePerEvaluation) {
  GeometricTask task;
  task.target = -1;
  Recorder rec;
  TraceCallback<Recorder> trace{rec};
  TrainConfig cfg;
  cfg.step_budget = 20;
  cfg.eval_every = 5;
  train(task, cfg, trace);
  ASSERT_EQ(rec.lines.size(), 5u);  // steps 0, 5, 10, 15, 20
  EXPECT_EQ(rec.lines[0]["step"], 0);
  EXPECT_EQ(rec.lines[4]["step"], 20);
  EXPECT_NEAR(rec.lines[4]["loss"].get<double>(), std::pow(0.9, 20), 1e-12);
  EXPECT_TRUE(rec.lines[4].contains("val_acc"));
}

TEST(Trainer, Deterministic) {
  GeometricTask a, b;
  TrainConfig cfg;
  cfg.eval_every = 3;
  auto ra = train(a, cfg), rb = train(b, cfg);
  EXPECT_EQ(ra.steps_to_target, rb.steps_to_target);
  EXPECT_EQ(ra.last.loss, rb.last.loss);
}
