// The probe's classification and counters (probe.hpp).
#include "probe.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "bench_common.hpp"

namespace isobench::bench {

bool probe_mode() {
  const char* s = std::getenv("ISOBENCH_PROBE");
  if (!s || !*s) return false;
  if (std::string(s) == "1") return true;
  throw std::invalid_argument(std::string("ISOBENCH_PROBE='") + s +
                              "' is not 1 (set it to 1 for a probe, unset it for normal runs)");
}

double probe_reference(const ProbeCriteria& c, double first_loss, double family_reference) {
  double ref = std::isfinite(family_reference) ? family_reference : first_loss;
  if (c.chance_loss >= 0 && !(ref <= c.chance_loss)) ref = c.chance_loss;
  return ref;
}

double probe_seconds() {
  return env_number("ISOBENCH_PROBE_SECONDS", kProbeSeconds, false,
                    "a positive number of seconds (unset: 60)");
}

ProbeClass classify_probe(const ProbeCriteria& c, const ProbeEvidence& e) {
  if (e.diverged || !std::isfinite(e.loss_final)) return ProbeClass::Diverged;
  if (std::isfinite(e.loss_reference) &&
      e.loss_final - e.loss_floor <= (1 - c.loss_drop) * (e.loss_reference - e.loss_floor))
    return ProbeClass::Learning;
  if (c.chance >= 0 && e.acc_final >= 0 && e.acc_final >= c.chance + c.acc_margin)
    return ProbeClass::Learning;
  const bool moved =
      std::isfinite(e.loss_initial) &&
      e.loss_initial - e.loss_final >= kPlateauMoved * (e.loss_initial - e.loss_floor);
  if (c.plateau_grad >= 0 && std::isfinite(e.grad_norm) && e.grad_norm >= c.plateau_grad && moved)
    return ProbeClass::Plateau;
  return ProbeClass::Flat;
}

long apply_probe(TrainConfig& tc) {
  const long full = tc.step_budget;
  if (!probe_mode()) return full;
  tc.step_budget = std::max(1L, static_cast<long>(std::ceil(kProbeFraction * tc.step_budget)));
  if (tc.epoch_budget > 0)
    tc.epoch_budget = std::max(1, static_cast<int>(std::ceil(kProbeFraction * tc.epoch_budget)));
  const double cap = probe_seconds();
  tc.wall_seconds = tc.wall_seconds > 0 ? std::min(tc.wall_seconds, cap) : cap;
  tc.stop_at_target = false;
  return full;
}

namespace {
// The counter when v is finite (as bench_train.hpp's, which includes this file's header).
void set_counter(benchmark::State& state, const char* name, double v) {
  if (std::isfinite(v)) state.counters[name] = v;
}
}  // namespace

void report_probe(benchmark::State& state, const TrainResult& r, const ProbeCriteria& c,
                  const ProbeReference& ref) {
  if (!probe_mode()) return;
  // Validation figures when measured: a training loss can be a running mean over the batches
  // since the last evaluation (SEED/SENT's Keras protocol), which lags over a short slice.
  auto acc = [](const EvalRecord& e) { return e.val_acc >= 0 ? e.val_acc : e.train_acc; };
  auto loss = [](const EvalRecord& e) { return e.val_loss >= 0 ? e.val_loss : e.loss; };
  ProbeEvidence e;
  e.loss_initial = loss(r.first);
  e.loss_reference = probe_reference(c, e.loss_initial, ref.loss_reference);
  e.loss_final = loss(r.last);
  e.loss_floor = ref.loss_floor;
  e.acc_final = acc(r.last);
  e.grad_norm = ref.grad_norm;
  if (!std::isfinite(e.grad_norm) && r.last.extra.contains("grad_norm") &&
      r.last.extra["grad_norm"].is_number())
    e.grad_norm = r.last.extra["grad_norm"].get<double>();
  e.diverged = r.diverged;
  state.counters["probe_class"] = static_cast<int>(classify_probe(c, e));
  set_counter(state, "probe_loss_initial", e.loss_initial);
  set_counter(state, "probe_loss_final", e.loss_final);
  set_counter(state, "probe_loss_reference", e.loss_reference);
  set_counter(state, "probe_loss_floor", e.loss_floor);
  if (acc(r.first) >= 0) set_counter(state, "probe_acc_initial", acc(r.first));
  if (e.acc_final >= 0) set_counter(state, "probe_acc_final", e.acc_final);
  set_counter(state, "probe_grad_norm", e.grad_norm);
  state.counters["probe_steps"] = static_cast<double>(r.steps);
  if (r.steps > 0) set_counter(state, "probe_step_seconds", r.train_seconds / r.steps);
  if (ref.full_steps > 0) state.counters["probe_full_steps"] = static_cast<double>(ref.full_steps);
  state.counters["probe_need_loss_drop"] = c.loss_drop;
  if (c.chance >= 0) state.counters["probe_need_acc"] = c.chance + c.acc_margin;
  if (c.plateau_grad >= 0) state.counters["probe_need_grad"] = c.plateau_grad;
}

void report_probe_finite(benchmark::State& state, bool all_finite) {
  if (!probe_mode()) return;
  state.counters["probe_class"] =
      static_cast<int>(all_finite ? ProbeClass::Finite : ProbeClass::NotFinite);
}

bool json_all_finite(const nlohmann::json& j) {
  if (j.is_null()) return false;
  if (j.is_number_float()) return std::isfinite(j.get<double>());
  if (j.is_structured())
    for (const auto& v : j)
      if (!json_all_finite(v)) return false;
  return true;
}

}  // namespace isobench::bench
