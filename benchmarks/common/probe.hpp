// The probe (issue 22; docs/SWEEPS.md "The probe"): before CPU-days are spent on a profile,
// `./isobench bench --probe` runs one seed of every selected configuration for a slice of its
// budget and sorts it into one class by the criteria its family states in its header.
//
//   diverged   the run diverged (trainer.hpp's `diverged`), or its last loss is not finite
//   learning   (L_final − L_floor) ≤ (1 − loss_drop)·(L_ref − L_floor)         the loss fell
//              or, for families with an accuracy, acc_final ≥ chance + acc_margin
//   plateau    (families whose learning starts after a plateau whose length is the measurement:
//              RQB's deep linear nets, copy and adding) not learning, but ‖∇L‖ ≥ plateau_grad
//              and the loss moved: L_initial − L_final ≥ kPlateauMoved·(L_initial − L_floor)
//              (a rate too small to move anything is flat, however large the gradient)
//   flat       none of these
//   finite / not_finite   RQA, which does not train: every spectrum counter finite or not
//
// L_ref is the first evaluation's loss unless the family names another reference (TASK's
// copy and adding: the memoryless baseline, which the plateau sits at) — and for a classifier
// never above the loss of predicting the class frequencies (chance_loss: log K for K balanced
// classes), because an initial loss above it (large logits at init, e.g. deep ReLU nets) falls to
// it by learning nothing but the marginal; L_floor is 0 unless the family knows the optimum (RQB:
// the least-squares floor E*). The probe's counters
// (docs/CONTRACT.md): probe_class (ProbeClass's number), probe_loss_initial, probe_loss_final,
// probe_loss_reference, probe_loss_floor, probe_acc_initial, probe_acc_final, probe_grad_norm,
// probe_steps, probe_step_seconds, probe_full_steps and the criteria probe_need_loss_drop,
// probe_need_acc, probe_need_grad — so results.json says why a run got its class.
#pragma once

#include <benchmark/benchmark.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "isobench/train/trainer.hpp"

namespace isobench::bench {

// ISOBENCH_PROBE=1 (the driver sets it for --probe): every training run trains only a slice of
// its budget — min(kProbeFraction of its steps and epochs, probe_seconds() of training). Unset or
// empty: normal runs; any other value: std::invalid_argument naming the variable.
bool probe_mode();
constexpr double kProbeFraction = 0.05, kProbeSeconds = 60, kPlateauMoved = 1e-3;
// The slice's cap in seconds of training: ISOBENCH_PROBE_SECONDS (> 0), default kProbeSeconds —
// a longer cap looks further into a configuration whose slice the cap cut short (a diagnosis);
// anything but a positive number: std::invalid_argument naming the variable.
double probe_seconds();

// The numbers are part of the contract (results.json's probe_class); the driver names them.
enum class ProbeClass : int {
  Flat = 0,
  Learning = 1,
  Plateau = 2,
  Diverged = 3,
  Finite = 4,
  NotFinite = 5
};

// A family's criteria, stated (with their reasons) in its header.
struct ProbeCriteria {
  double loss_drop = 0.10;   // learning: the loss gap to L_floor shrank by this fraction
  double chance = -1;        // the accuracy of guessing (< 0: the family reports no accuracy)
  double acc_margin = 0.05;  // learning: final accuracy ≥ chance + acc_margin
  double plateau_grad = -1;  // ≥ 0: a plateau family; plateau when ‖∇L‖ ≥ this (< 0: none)
  double chance_loss = -1;   // ≥ 0: a classifier; the reference is at most this loss
};

// What one probe measured. acc_final < 0: not measured; grad_norm NaN: not measured.
struct ProbeEvidence {
  double loss_initial = std::numeric_limits<double>::quiet_NaN();
  double loss_reference = std::numeric_limits<double>::quiet_NaN();
  double loss_final = std::numeric_limits<double>::quiet_NaN();
  double loss_floor = 0;
  double acc_final = -1;
  double grad_norm = std::numeric_limits<double>::quiet_NaN();
  bool diverged = false;
};

// L_ref: the family's reference when it names one (finite), else the first evaluation's loss;
// capped at chance_loss for a classifier.
double probe_reference(const ProbeCriteria& c, double first_loss, double family_reference);

// The class of a probe (the rules above). A plateau family without a finite grad_norm is never
// `plateau`: a gradient that was not measured is not shown to be non-vanishing.
ProbeClass classify_probe(const ProbeCriteria& c, const ProbeEvidence& e);

// In probe mode: cuts tc to the probe's slice (min(kProbeFraction of step_budget and of
// epoch_budget, rounded up, at least 1; probe_seconds() of training) and lets no target stop it.
// Outside probe mode: nothing. Returns the step budget before the cut (the full run's steps),
// for report_probe.
long apply_probe(TrainConfig& tc);

// Where the family's reference differs from the first evaluation's loss (NaN: that loss), its
// known floor, and the gradient norm when the workload does not put `grad_norm` in its records.
// full_steps: the full run's step budget (apply_probe's value), for probe_full_steps.
struct ProbeReference {
  long full_steps = 0;
  double loss_reference = std::numeric_limits<double>::quiet_NaN();
  double loss_floor = 0;
  double grad_norm = std::numeric_limits<double>::quiet_NaN();
};

// In probe mode: classifies the run r (its first and last evaluation; loss and accuracy:
// validation when measured, else training; ‖∇L‖: ref.grad_norm, else the last record's extra
// "grad_norm") and sets the probe counters. Outside probe mode: nothing.
void report_probe(benchmark::State& state, const TrainResult& r, const ProbeCriteria& c,
                  const ProbeReference& ref = {});

// In probe mode, for a family that does not train (RQA): probe_class finite or not_finite.
void report_probe_finite(benchmark::State& state, bool all_finite);

// Whether every number in j (recursively) is finite; nlohmann writes NaN and ±Inf as null, so a
// null counts as not finite.
bool json_all_finite(const nlohmann::json& j);

}  // namespace isobench::bench
