// The one training loop of every isobench family, readable top to bottom.
//
// A *workload* owns the model, data and optimizer and knows how to take one optimizer step and how
// to evaluate itself (a workload, not a "task": `task` is the run key of docs/CONTRACT.md, the
// problem a run learns — data/tasks.hpp's synthetic ones, MNIST read as a sequence, ...); the
// trainer owns budgets, the wall-time cap, evaluation cadence, target detection, divergence
// detection and callbacks. Callbacks are plain objects with any subset of
//
//   void on_measure(EvalRecord&)               after the workload's evaluate, before
//                                              on_evaluation: adds measurements of the current
//                                              weights to the record (e.g. the Jacobian through
//                                              time, measure/recurrent_jacobian.hpp)
//   void on_evaluation(const EvalRecord&)      after every evaluation
//   void on_epoch_end(int epoch, long step)    after every epoch
//   void on_finish(const TrainResult&)         once, at the end
//
// detected at compile time, so an absent hook costs nothing (ensmallen's callback design).
//
// Workload interface (duck-typed):
//   int    steps_per_epoch()            optimizer steps in one pass over the training data
//   void   begin_epoch(int epoch)       e.g. reshuffle
//   double step()                       one optimizer step on the next batch; returns its loss
//   void   evaluate(EvalRecord&)        fill loss / accuracies / extra of the current weights
//   bool   reached_target(const EvalRecord&) const
//   bool   diverged(const EvalRecord&) const    (a non-finite loss is always divergence)
//
// Divergence (docs/CONTRACT.md `diverged`): a NaN or Inf loss, weight or gradient. A non-finite
// step loss, a non-finite evaluation loss or workload.diverged() stop the run; so does a
// NonFiniteError (non_finite.hpp) thrown by step(), evaluate() or a callback — a constraint,
// penalty or spectrum that met a NaN/Inf weight or gradient — and its message, naming the kernel,
// is kept in TrainResult::diverged_reason. Any other exception propagates.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "isobench/core/non_finite.hpp"

namespace isobench {

struct TrainConfig {
  long step_budget = 1000;      // optimizer steps allowed
  int epoch_budget = 0;         // 0: no epoch limit (the step budget rules)
  double wall_seconds = 0;      // 0: no cap; else stop after this much training time
  long eval_every = 0;          // evaluate every k steps; 0: at the end of every epoch
  bool eval_at_start = true;    // an evaluation at step 0 (the initial loss)
  bool stop_at_target = false;  // stop once the target is reached (families that time speed)
};

struct EvalRecord {
  long step = 0;
  int epoch = 0;
  double seconds = 0;  // training time so far (evaluation excluded)
  double loss = std::numeric_limits<double>::quiet_NaN();
  double train_acc = -1, val_acc = -1, val_loss = -1;  // < 0: not measured
  nlohmann::json extra = nlohmann::json::object();     // per-layer grad norms, spectra, ...
  nlohmann::json to_json() const {
    nlohmann::json j = extra;
    j["step"] = step;
    j["epoch"] = epoch;
    j["seconds"] = seconds;
    if (std::isfinite(loss)) j["loss"] = loss;
    if (train_acc >= 0) j["train_acc"] = train_acc;
    if (val_acc >= 0) j["val_acc"] = val_acc;
    if (val_loss >= 0) j["val_loss"] = val_loss;
    return j;
  }
};

struct TrainResult {
  long steps = 0;
  int epochs = 0;  // completed epochs
  long step_budget = 0;
  long steps_to_target = -1;  // -1 while not reached; see steps_to_target_counter()
  bool converged = false, diverged = false, time_capped = false;
  double train_seconds = 0, epoch_seconds = 0;  // epoch_seconds: per steps_per_epoch steps
  EvalRecord first;                             // the first evaluation (step 0 with eval_at_start)
  EvalRecord last;                              // the last evaluation
  double best_val_acc = -1;
  std::string stop_reason = "budget";
  // Why it diverged when a kernel refused a NaN/Inf weight or gradient (NonFiniteError's
  // message, naming the kernel); empty otherwise (e.g. a non-finite loss).
  std::string diverged_reason;
  // docs/CONTRACT.md: steps until the target was first reached, step_budget + 1 when never.
  long steps_to_target_counter() const { return converged ? steps_to_target : step_budget + 1; }
};

namespace detail {
template <class C>
auto cb_measure(C& c, EvalRecord& r, int) -> decltype(c.on_measure(r), void()) {
  c.on_measure(r);
}
template <class C>
void cb_measure(C&, EvalRecord&, long) {}
template <class C>
auto cb_eval(C& c, const EvalRecord& r, int) -> decltype(c.on_evaluation(r), void()) {
  c.on_evaluation(r);
}
template <class C>
void cb_eval(C&, const EvalRecord&, long) {}
template <class C>
auto cb_epoch(C& c, int e, long s, int) -> decltype(c.on_epoch_end(e, s), void()) {
  c.on_epoch_end(e, s);
}
template <class C>
void cb_epoch(C&, int, long, long) {}
template <class C>
auto cb_finish(C& c, const TrainResult& r, int) -> decltype(c.on_finish(r), void()) {
  c.on_finish(r);
}
template <class C>
void cb_finish(C&, const TrainResult&, long) {}
}  // namespace detail

template <class Workload, class... Callbacks>
TrainResult train(Workload& workload, const TrainConfig& cfg, Callbacks&... callbacks) {
  using Clock = std::chrono::steady_clock;
  TrainResult res;
  res.step_budget = cfg.step_budget;
  double train_time = 0;  // seconds spent in steps only
  long step = 0;
  int epoch = 0;
  bool stop = false;

  // A kernel met a NaN/Inf weight or gradient: stop here as diverged, saying which.
  auto non_finite = [&](const NonFiniteError& e) {
    res.diverged = true;
    res.stop_reason = "diverged";
    res.diverged_reason = e.what();
    stop = true;
  };

  bool evaluated = false;
  // Evaluates the current weights, records target / divergence, runs the callbacks.
  auto evaluate = [&] {
    EvalRecord r;
    r.step = step;
    r.epoch = epoch;
    r.seconds = train_time;
    // A kernel that refuses NaN/Inf mid-evaluation ends the run, but what was measured before it
    // is kept and reported, as a NaN result was before kernels refused them.
    std::optional<NonFiniteError> refused;
    try {
      workload.evaluate(r);
      (detail::cb_measure(callbacks, r, 0), ...);
    } catch (const NonFiniteError& e) {
      refused.emplace(e);
    }
    if (!evaluated) res.first = r;
    evaluated = true;
    res.last = r;
    if (r.val_acc > res.best_val_acc) res.best_val_acc = r.val_acc;
    try {
      (detail::cb_eval(callbacks, r, 0), ...);
    } catch (const NonFiniteError& e) {
      if (!refused) refused.emplace(e);
    }
    if (refused) {  // res.last keeps the step and whatever loss was measured
      non_finite(*refused);
      return;
    }
    if (!std::isfinite(r.loss) || workload.diverged(r)) {
      res.diverged = true;
      res.stop_reason = "diverged";
      stop = true;
      return;
    }
    if (!res.converged && workload.reached_target(r)) {
      res.converged = true;
      res.steps_to_target = step;
      if (cfg.stop_at_target) {
        res.stop_reason = "target";
        stop = true;
      }
    }
  };

  const int spe = workload.steps_per_epoch();
  if (spe < 1)
    throw std::invalid_argument("train: the workload has no steps per epoch (empty data?)");
  if (cfg.eval_at_start) evaluate();
  while (!stop && step < cfg.step_budget && (cfg.epoch_budget == 0 || epoch < cfg.epoch_budget)) {
    workload.begin_epoch(epoch);
    for (int b = 0; b < spe && !stop && step < cfg.step_budget; ++b) {
      const auto t0 = Clock::now();
      double loss = std::numeric_limits<double>::quiet_NaN();
      std::optional<NonFiniteError> caught;  // handled after the step is timed and counted
      try {
        loss = workload.step();
      } catch (const NonFiniteError& e) {
        caught.emplace(e);
      }
      train_time += std::chrono::duration<double>(Clock::now() - t0).count();
      ++step;
      if (caught) {  // no loss of this step exists
        non_finite(*caught);
        res.last.step = step;
        res.last.loss = std::numeric_limits<double>::quiet_NaN();
        break;
      }
      if (!std::isfinite(loss)) {  // stop at once: the weights are no longer numbers
        res.diverged = true;
        res.stop_reason = "diverged";
        res.last.step = step;
        res.last.loss = loss;
        stop = true;
        break;
      }
      if (cfg.eval_every > 0 && step % cfg.eval_every == 0) evaluate();
      if (!stop && cfg.wall_seconds > 0 && train_time > cfg.wall_seconds) {
        res.time_capped = true;
        res.stop_reason = "time cap";
        stop = true;
      }
    }
    if (res.diverged) break;
    const bool epoch_done = step % spe == 0;
    if (epoch_done) {
      ++epoch;
      res.epochs = epoch;
      if (cfg.eval_every == 0) evaluate();
      (detail::cb_epoch(callbacks, epoch, step, 0), ...);
    } else if (cfg.eval_every == 0 && !res.diverged) {
      evaluate();  // budget or cap hit mid-epoch: still report the figures so far
    }
  }
  if (cfg.eval_every > 0 && !res.diverged && res.last.step != step) evaluate();
  res.steps = step;
  res.train_seconds = train_time;
  // Per epoch of training, a partial last epoch counted as its fraction.
  res.epoch_seconds = step > 0 ? train_time * spe / static_cast<double>(step) : 0;
  // A run that reached its target and diverged later keeps converged = 1 and its steps_to_target
  // (CONTRACT: "until the target was first reached"); diverged = 1 says what happened next.
  (detail::cb_finish(callbacks, res, 0), ...);
  return res;
}

// Writes every evaluation as one JSON line through any sink with write(const json&).
template <class Sink>
struct TraceCallback {
  Sink& sink;
  void on_evaluation(const EvalRecord& r) { sink.write(r.to_json()); }
};

// Whether ProgressCallback prints (default yes). A process whose output is collected and shown
// only after it ends (isobench bench --jobs N > 1) turns it off: live progress is noise there.
inline bool& progress_lines_enabled() {
  static bool enabled = true;
  return enabled;
}

// Progress on stderr for long runs: at most one line every `interval` seconds.
struct ProgressCallback {
  std::string run;
  long step_budget = 0;
  double interval = 10;
  double last_print = -1e9;
  void on_evaluation(const EvalRecord& r) {
    if (!progress_lines_enabled() || r.seconds - last_print < interval) return;
    last_print = r.seconds;
    const double eta =
        (r.step > 0 && step_budget > 0) ? r.seconds * (step_budget - r.step) / r.step : 0;
    std::fprintf(stderr, "  [%s] epoch %d step %ld loss %.4g", run.c_str(), r.epoch, r.step,
                 r.loss);
    if (r.val_acc >= 0) std::fprintf(stderr, " val_acc %.4f", r.val_acc);
    std::fprintf(stderr, " elapsed %.0fs eta<=%.0fs\n", r.seconds, eta);
  }
};

}  // namespace isobench
