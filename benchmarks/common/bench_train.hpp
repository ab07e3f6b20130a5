// Counters of a training run, as docs/CONTRACT.md names them. Only what applies is set; every value
// is finite (a run that diverged keeps its pre-divergence figures or omits them).
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "isobench/measure/spectra.hpp"
#include "isobench/ortho/penalty.hpp"
#include "isobench/train/trainer.hpp"
#include "probe.hpp"

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
inline void report_kernel_spectrum(benchmark::State& state, const SpectrumSummary& ks) {
  if (!ks.finite) return;
  set_counter(state, "kernel_sv_mean", ks.mean);
  set_counter(state, "kernel_sv_std", ks.std);
  set_counter(state, "kernel_sv_min", ks.min);
  set_counter(state, "kernel_sv_max", ks.max);
  set_counter(state, "ortho_err", ks.ortho_err);
}

// The run's penalty method's own measurement (PenaltyMethod::measure, e.g. brock_offdiag's
// offdiag_energy), max over the penalized kernels: a counter, and a field of `final_line` when
// given. Nothing for "none", a method without one, or a kernel holding NaN/Inf.
inline void report_penalty_measure(benchmark::State& state, const PenaltySpec& spec,
                                   const std::vector<const Matrix<float>*>& kernels,
                                   nlohmann::json* final_line = nullptr) {
  if (!spec.active() || kernels.empty()) return;
  const PenaltyMethod& m = penalty_method(spec.method);
  if (!m.measure) return;
  double v = 0;
  for (const Matrix<float>* w : kernels) {
    const double x =
        m.measure(w->data(), static_cast<int>(w->shape(0)), static_cast<int>(w->shape(1)));
    if (!std::isfinite(x)) return;
    v = std::max(v, x);
  }
  set_counter(state, m.measure_name, v);
  if (final_line) (*final_line)[m.measure_name] = v;
}

}  // namespace isobench::bench
