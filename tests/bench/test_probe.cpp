// The probe's classification and slice (benchmarks/common/probe.hpp): each class from evidence
// made to sit on either side of its criterion, the slice cut from a budget, and the finiteness
// check of RQA's outputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>

#include "probe.hpp"

namespace isobench::bench {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const ProbeCriteria kMnist{0.10, 0.1, 0.05};            // chance 0.1, no plateau class
const ProbeCriteria kPlateauFamily{0.10, -1, 0, 1e-4};  // copy / adding / RQB

ProbeEvidence evidence(double initial, double final_loss, double acc = -1, double grad = kNaN) {
  ProbeEvidence e;
  e.loss_initial = e.loss_reference = initial;
  e.loss_final = final_loss;
  e.acc_final = acc;
  e.grad_norm = grad;
  return e;
}

TEST(Probe, LearningByLossOnEitherSideOfTheDrop) {
  EXPECT_EQ(classify_probe(kMnist, evidence(2.0, 1.79)), ProbeClass::Learning);  // −10.5 %
  EXPECT_EQ(classify_probe(kMnist, evidence(2.0, 1.81)), ProbeClass::Flat);      // −9.5 %
}

TEST(Probe, LearningByAccuracyAboveChancePlusMargin) {
  EXPECT_EQ(classify_probe(kMnist, evidence(2.3, 2.25, 0.16)), ProbeClass::Learning);
  EXPECT_EQ(classify_probe(kMnist, evidence(2.3, 2.25, 0.14)), ProbeClass::Flat);
  // A family without an accuracy criterion ignores one.
  EXPECT_EQ(classify_probe(kPlateauFamily, evidence(2.3, 2.25, 0.9)), ProbeClass::Flat);
}

TEST(Probe, AClassifierFallingToTheMarginalIsNotLearning) {
  // A deep ReLU net starts above log 10 (large logits) and falls to log 10 by predicting the
  // class frequencies: not learning (the probe on RQC's paper runs, 2.735 → 2.303).
  ProbeCriteria c = kMnist;
  c.chance_loss = std::log(10.0);
  ProbeEvidence e = evidence(2.735, 2.303);
  e.loss_reference = probe_reference(c, 2.735, kNaN);
  EXPECT_EQ(e.loss_reference, std::log(10.0));
  EXPECT_EQ(classify_probe(c, e), ProbeClass::Flat);
  EXPECT_EQ(probe_reference(c, 1.9, kNaN), 1.9);           // below log 10: its own
  EXPECT_EQ(probe_reference(kMnist, 2.735, kNaN), 2.735);  // no cap without chance_loss
  EXPECT_EQ(probe_reference(kMnist, 2.4, 0.52), 0.52);     // the family's reference wins
  e.loss_final = 2.0;                                      // 13 % below log 10
  EXPECT_EQ(classify_probe(c, e), ProbeClass::Learning);
}

TEST(Probe, TheFloorIsSubtracted) {
  // RQB: E* = 0.2; from 1.0 to 0.9 closes 12.5 % of the gap (learning), to 0.93 only 8.75 %.
  ProbeEvidence e = evidence(1.0, 0.9);
  e.loss_floor = 0.2;
  EXPECT_EQ(classify_probe(kMnist, e), ProbeClass::Learning);
  e.loss_final = 0.93;
  EXPECT_EQ(classify_probe(kMnist, e), ProbeClass::Flat);
}

TEST(Probe, PlateauNeedsAGradientAndAMovedLoss) {
  // Copy: the reference is the baseline 0.52, reached from 2.47 but not beaten.
  ProbeEvidence e = evidence(2.47, 0.537, -1, 0.16);
  e.loss_reference = 0.52;
  EXPECT_EQ(classify_probe(kPlateauFamily, e), ProbeClass::Plateau);
  e.grad_norm = 5e-5;  // a vanishing gradient
  EXPECT_EQ(classify_probe(kPlateauFamily, e), ProbeClass::Flat);
  e.grad_norm = kNaN;  // not measured: not shown to be non-vanishing
  EXPECT_EQ(classify_probe(kPlateauFamily, e), ProbeClass::Flat);
  // A rate too small to move the loss: flat however large the gradient.
  ProbeEvidence still = evidence(2.47, 2.47 - 1e-6, -1, 0.5);
  EXPECT_EQ(classify_probe(kPlateauFamily, still), ProbeClass::Flat);
  // The same evidence in a family without a plateau class.
  EXPECT_EQ(classify_probe(kMnist, e), ProbeClass::Flat);
  // Below 0.9 × baseline: learning.
  e.loss_final = 0.46;
  EXPECT_EQ(classify_probe(kPlateauFamily, e), ProbeClass::Learning);
}

TEST(Probe, DivergedWinsOverEverything) {
  ProbeEvidence e = evidence(2.0, 0.1, 0.99, 1.0);
  e.diverged = true;
  EXPECT_EQ(classify_probe(kMnist, e), ProbeClass::Diverged);
  EXPECT_EQ(classify_probe(kMnist, evidence(2.0, kNaN)), ProbeClass::Diverged);
  EXPECT_EQ(classify_probe(kMnist, evidence(2.0, INFINITY)), ProbeClass::Diverged);
}

TEST(Probe, SliceOfTheBudget) {
  ::setenv("ISOBENCH_PROBE", "1", 1);
  TrainConfig tc;
  tc.step_budget = 5000;
  tc.epoch_budget = 15;
  tc.stop_at_target = true;
  EXPECT_EQ(apply_probe(tc), 5000);
  EXPECT_EQ(tc.step_budget, 250);
  EXPECT_EQ(tc.epoch_budget, 1);  // ⌈0.75⌉
  EXPECT_EQ(tc.wall_seconds, kProbeSeconds);
  ::setenv("ISOBENCH_PROBE_SECONDS", "300", 1);
  TrainConfig longer;
  longer.step_budget = 5000;
  apply_probe(longer);
  EXPECT_EQ(longer.wall_seconds, 300);
  ::setenv("ISOBENCH_PROBE_SECONDS", "0", 1);
  EXPECT_THROW(probe_seconds(), std::invalid_argument);
  ::unsetenv("ISOBENCH_PROBE_SECONDS");
  EXPECT_FALSE(tc.stop_at_target);
  TrainConfig tiny;
  tiny.step_budget = 3;
  tiny.wall_seconds = 10;  // a shorter cap of the family's stays
  apply_probe(tiny);
  EXPECT_EQ(tiny.step_budget, 1);
  EXPECT_EQ(tiny.wall_seconds, 10);
  ::setenv("ISOBENCH_PROBE", "yes", 1);
  EXPECT_THROW(probe_mode(), std::invalid_argument);
  ::unsetenv("ISOBENCH_PROBE");
  TrainConfig untouched;
  untouched.step_budget = 5000;
  EXPECT_EQ(apply_probe(untouched), 5000);
  EXPECT_EQ(untouched.step_budget, 5000);
  EXPECT_EQ(untouched.wall_seconds, 0);
}

TEST(Probe, JsonAllFinite) {
  EXPECT_TRUE(json_all_finite({{"chi", {{1.0, 2.0}, {0.5, 3}}}, {"label", "x"}}));
  EXPECT_FALSE(json_all_finite({{"chi", {{1.0, kNaN}}}}));
  EXPECT_FALSE(json_all_finite({{"chi", {1.0, INFINITY}}}));
  EXPECT_FALSE(json_all_finite({{"chi", nullptr}}));  // how nlohmann writes a NaN
}

}  // namespace
}  // namespace isobench::bench

// Own main: the library's bench_main.cpp has the benchmarks' main(), gtest_main is not linked.
int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
