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
//   void state(StateArchive&)                  its part of a checkpoint (e.g. a trace's byte
//                                              offset), saved and loaded with the workload's
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
// Checkpoints (TrainConfig::checkpoint; docs/SWEEPS.md "Checkpoints"): a workload with
//   void   state(StateArchive&)         every member a step changes (state_archive.hpp)
// can be saved at a step boundary and resumed there: the trainer's own state (step, epoch, the
// position in the epoch, training time, the figures so far), the workload's and the callbacks'
// go into one archive, and a run resumed from it takes the same steps, draws and evaluations as
// the run that was not interrupted (tests/train/test_checkpoint.cpp).
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
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "isobench/core/non_finite.hpp"
#include "isobench/core/state_archive.hpp"

namespace isobench {

// Checkpoints of one run. The trainer makes and reads the bytes; where they are kept is the
// caller's (the benchmarks: files under $ISOBENCH_OUT/checkpoints/, written atomically).
struct CheckpointConfig {
  // Called with a checkpoint's bytes at a step boundary when one is due; null: no checkpoints.
  std::function<void(const std::string&)> save;
  double every_seconds = 0;   // > 0: due once this much wall time passed since the start or the
                              // last checkpoint
  long every_steps = 0;       // > 0: due every this many steps (tests)
  std::string resume;         // non-empty: a checkpoint's bytes to go on from (resume_source
  std::string resume_source;  // names them in errors)
  int halt_after = 0;    // > 0: return after this many checkpoints, stop_reason "halted" (tests:
                         // an interruption)
  std::string identity;  // the run's name: the first record, checked on loading
};

struct TrainConfig {
  long step_budget = 1000;      // optimizer steps allowed
  int epoch_budget = 0;         // 0: no epoch limit (the step budget rules)
  double wall_seconds = 0;      // 0: no cap; else stop after this much training time
  long eval_every = 0;          // evaluate every k steps; 0: at the end of every epoch
  bool eval_at_start = true;    // an evaluation at step 0 (the initial loss)
  bool stop_at_target = false;  // stop once the target is reached (families that time speed)
  CheckpointConfig checkpoint;  // none unless save is set or resume is given
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
  long resumed_at = -1;  // the step a checkpoint resumed the run at (-1: it was not)
  int checkpoints_saved = 0;
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
template <class C>
auto cb_state(C& c, StateArchive& ar, int) -> decltype(c.state(ar), void()) {
  c.state(ar);
}
template <class C>
void cb_state(C&, StateArchive&, long) {}
template <class W>
auto workload_state(W& w, StateArchive& ar, int) -> decltype(w.state(ar), void()) {
  w.state(ar);
}
template <class W>
void workload_state(W&, StateArchive&, long) {
  throw std::invalid_argument(
      "train: checkpoints need a workload with state(StateArchive&); this one has none");
}
inline void eval_state(StateArchive& ar, const std::string& key, EvalRecord& r) {
  ar.io((key + ".step").c_str(), r.step);
  ar.io((key + ".epoch").c_str(), r.epoch);
  ar.io((key + ".seconds").c_str(), r.seconds);
  ar.io((key + ".loss").c_str(), r.loss);
  ar.io((key + ".train_acc").c_str(), r.train_acc);
  ar.io((key + ".val_acc").c_str(), r.val_acc);
  ar.io((key + ".val_loss").c_str(), r.val_loss);
  ar.io((key + ".extra").c_str(), r.extra);
}
}  // namespace detail

template <class Workload, class... Callbacks>
TrainResult train(Workload& workload, const TrainConfig& cfg, Callbacks&... callbacks) {
  using Clock = std::chrono::steady_clock;
  TrainResult res;
  res.step_budget = cfg.step_budget;
  double train_time = 0;  // seconds spent in steps only
  long step = 0;
  int epoch = 0;
  int b = 0;                // the next batch of this epoch
  bool begin_epoch = true;  // false once after a resume: the epoch's order is restored
  bool stop = false;

  // A kernel met a NaN/Inf weight or gradient: stop here as diverged, saying which.
  auto non_finite = [&](const NonFiniteError& e) {
    res.diverged = true;
    res.stop_reason = "diverged";
    res.diverged_reason = e.what();
    stop = true;
  };

  bool evaluated = false;
  // The trainer's part of a checkpoint, then the workload's and the callbacks'.
  auto run_state = [&](StateArchive& ar) {
    std::string id = cfg.checkpoint.identity;
    ar.io("run", id);
    if (ar.loading() && id != cfg.checkpoint.identity)
      throw StateError(cfg.checkpoint.resume_source + ": a checkpoint of the run '" + id +
                       "', not of '" + cfg.checkpoint.identity +
                       "' (remove it to start the run afresh)");
    ar.io("trainer.step", step);
    ar.io("trainer.epoch", epoch);
    ar.io("trainer.batch", b);
    ar.io("trainer.train_time", train_time);
    ar.io("trainer.evaluated", evaluated);
    ar.io("trainer.converged", res.converged);
    ar.io("trainer.steps_to_target", res.steps_to_target);
    ar.io("trainer.best_val_acc", res.best_val_acc);
    detail::eval_state(ar, "trainer.first", res.first);
    detail::eval_state(ar, "trainer.last", res.last);
    detail::workload_state(workload, ar, 0);
    (detail::cb_state(callbacks, ar, 0), ...);
  };
  const CheckpointConfig& ck = cfg.checkpoint;
  auto last_save = Clock::now();
  long last_save_step = 0;
  // Saves a checkpoint when one is due (at the top of a step); true when the run should halt.
  auto checkpoint = [&]() -> bool {
    if (!ck.save || step == last_save_step) return false;
    const bool due =
        (ck.every_steps > 0 && step % ck.every_steps == 0) ||
        (ck.every_seconds > 0 &&
         std::chrono::duration<double>(Clock::now() - last_save).count() >= ck.every_seconds);
    if (!due) return false;
    StateArchive ar = StateArchive::saver();
    run_state(ar);
    ck.save(ar.bytes());
    ++res.checkpoints_saved;
    last_save = Clock::now();
    last_save_step = step;
    return ck.halt_after > 0 && res.checkpoints_saved >= ck.halt_after;
  };

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
  if (!ck.resume.empty()) {  // go on from a checkpoint: no evaluation at the start again
    StateArchive ar = StateArchive::loader(ck.resume, ck.resume_source);
    run_state(ar);
    ar.finish();
    res.resumed_at = last_save_step = step;
    res.epochs = epoch;
    begin_epoch = false;
  } else {
    // A run that will checkpoint writes its state once before the first step, so a piece that
    // cannot (e.g. a user's stateful penalty without state(StateArchive&)) fails now, not at the
    // first checkpoint minutes in. Writing reads the state and changes nothing.
    if (ck.save) {
      StateArchive trial = StateArchive::saver();
      run_state(trial);
    }
    if (cfg.eval_at_start) evaluate();
  }
  while (!stop && step < cfg.step_budget && (cfg.epoch_budget == 0 || epoch < cfg.epoch_budget)) {
    if (begin_epoch) workload.begin_epoch(epoch);
    begin_epoch = true;
    for (; b < spe && !stop && step < cfg.step_budget; ++b) {
      if (checkpoint()) {  // halted (tests): the run ends here, as if interrupted
        res.stop_reason = "halted";
        res.steps = step;
        res.train_seconds = train_time;
        return res;
      }
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
    b = 0;
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
  void state(StateArchive& ar) { detail::cb_state(sink, ar, 0); }  // the sink's, if it has one
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
