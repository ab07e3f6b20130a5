// Counters of a training run, as CONTRACT.md names them. Only what applies is set; every value
// is finite (a run that diverged keeps its pre-divergence figures or omits them).
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "isobench/penalty.hpp"
#include "isobench/spectra.hpp"
#include "isobench/trainer.hpp"

namespace isobench::bench {

inline void set_counter(benchmark::State& state, const std::string& name, double v) {
  if (std::isfinite(v)) state.counters[name] = v;
}

// steps_to_target, step_budget, converged, diverged, train_seconds, epoch_seconds (when
// epochs completed and `epochs` is set), final_loss / final_acc / best_val_acc when measured;
// the label "diverged: <reason>" when a constraint, penalty or spectrum met a NaN/Inf.
inline void report_training(benchmark::State& state, const TrainResult& r, bool epochs = false) {
  set_counter(state, "steps_to_target", static_cast<double>(r.steps_to_target_counter()));
  set_counter(state, "step_budget", static_cast<double>(r.step_budget));
  set_counter(state, "converged", r.converged ? 1 : 0);
  set_counter(state, "diverged", r.diverged ? 1 : 0);
  set_counter(state, "time_capped", r.time_capped ? 1 : 0);
  set_counter(state, "train_seconds", r.train_seconds);
  if (epochs && r.epochs > 0) set_counter(state, "epoch_seconds", r.epoch_seconds);
  if (!r.diverged) set_counter(state, "final_loss", r.last.loss);
  if (r.last.train_acc >= 0) set_counter(state, "final_acc", r.last.train_acc);
  if (r.best_val_acc >= 0) set_counter(state, "best_val_acc", r.best_val_acc);
  // A kernel refused a NaN/Inf weight or gradient: the results entry's label says which.
  if (r.diverged && !r.diverged_reason.empty()) state.SetLabel("diverged: " + r.diverged_reason);
}

// kernel_sv_mean/std/min/max and ortho_err of a recurrent kernel; nothing when it holds NaN/Inf.
inline void report_kernel_spectrum(benchmark::State& state, const KernelSpectrum& ks) {
  if (!ks.finite) return;
  set_counter(state, "kernel_sv_mean", ks.mean);
  set_counter(state, "kernel_sv_std", ks.std);
  set_counter(state, "kernel_sv_min", ks.min);
  set_counter(state, "kernel_sv_max", ks.max);
  set_counter(state, "ortho_err", ks.ortho_err);
}

// The measurements a run's penalty method asks for (PenaltyMethod::measures, e.g. brock_offdiag's
// offdiag_energy), max over the penalized kernels: a counter and a field of the trace's final line.
// Nothing for "none" or a method without measurements; non-finite values are left out.
inline void report_penalty_measures(benchmark::State& state, nlohmann::json& final_line,
                                    const PenaltySpec& spec,
                                    const std::vector<const Matrix<float>*>& kernels) {
  if (!spec.active()) return;
  for (const std::string& ms : penalty_method(spec.method).measures) {
    double v = 0;
    for (const Matrix<float>* w : kernels) v = std::max(v, penalty_measure(ms, *w));
    if (!std::isfinite(v) || kernels.empty()) continue;
    set_counter(state, ms, v);
    final_line[ms] = v;
  }
}

}  // namespace isobench::bench
