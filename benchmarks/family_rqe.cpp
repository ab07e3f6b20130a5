// RQE — does a soft orthogonality penalty pay, and does depth decide when? (docs/RESEARCH.md §3)
// Bansal, Chen & Wang 2018 ("Can we gain more from orthogonality regularizations in training
// deep CNNs?") add to the loss, for every weight W,
//   so    λ‖WᵀW − I‖_F²                 dso   λ(‖WᵀW − I‖_F² + ‖WWᵀ − I‖_F²)
//   mc    λ‖WᵀW − I‖_∞ (max entry)      srip  λ·σ_max(WᵀW − I) (power iteration)
// (penalty.hpp; norm:sum, the papers' Frobenius sums) and decay λ during training. Here on MLPs:
// the benefit of each penalty against depth.
//
// Model: tanh MLP 784 → N → … → N → 10, `depth` weight matrices, softmax cross-entropy
// (MlpClassifierWorkload, float), σ_w² = 1 (Gaussian N(0, 1/fan_in), or orthogonal with gain 1),
// zero biases — tanh's critical point at σ_b² = 0, and the gain every penalty pulls towards.
// The penalty acts on the square hidden weights W_2..W_{L−1}. Inputs: pixels/255 standardized
// (global mean and std of the training set). Adam lr 0.001 in the quick profile, 3e-4 in the
// paper profile (Profile::lr_factor): at 0.001, 15 of the 30 depth-64 configurations probed
// flat, both unpenalized ones among them (their loss rose); at 3e-4 and 1e-4 those learn, and at
// 3e-4 all 90 configurations do — the largest rate of {1e-3, 3e-4, 1e-4} at which the
// unpenalized ones learn (docs/PAPER_PROFILE.md, RQE), one rate for every depth, init and
// penalty. Both × ISOBENCH_LR_SCALE. Batch 64.
// Data: MNIST, load_split("mnist", 0.2, seed 0) (the same validation split for every run).
//
// λ: constant (`lambda:V`), or Bansal's decay (`lambda:V-bansal`): V until 10 % of the step
// budget, then V·1e-3, V·1e-4 from 25 %, V·1e-6 from 35 %, 0 from 60 % — their released code's
// multipliers at epochs 20, 50, 70, 120 of 200 (StepDecayLambda::bansal2018), as fractions of
// this budget. reg:none has no norm or lambda key.
//
// Target (steps_to_target): validation accuracy ≥ 0.90.
//
// A user's init from methods/ runs untreated (reg:none) at σ_w² = 1 or gain 1, at depth 16 in the
// quick profile and at every depth in the paper profile.
//
// Probe (ISOBENCH_PROBE=1, benchmarks/common/probe.hpp): a run learns when the evaluation loss
// falls by 10 % of its initial value (of at most log 10, the loss of predicting the class
// frequencies: falling to it learns nothing) or the validation accuracy reaches chance
// (0.1) + 0.05 — within min(5 % of the budget, 60 s) a working configuration of this family
// does either; there is no plateau class (no initial plateau is part of what the family
// measures).
//
// Profiles (grids fixed at compile time; each seed its own entry):
//   quick  depth {4, 8, 16} (three: "more with depth" is a trend), width 128, 8,000 training
//          samples (CI's 10k MNIST digits after the split), 300 steps (2.4 epochs), evaluation
//          every 25 steps on 500 training and 1,000 validation samples, test_acc on the first
//          2,000 test images; λ = 0.01 constant (Bansal's decayed λ: paper profile); seeds 1–3.
//   paper  depth {4, 16, 64}, width 128, every training sample, 6,000 steps, evaluation every 250
//          steps on 5,000 training samples and the whole validation set, test_acc on all 10,000;
//          λ ∈ {1e-4, 0.01} constant and 0.1-bansal; seeds 1–5.
//
// Counters: best_val_acc, final_acc, test_acc, final_loss (data loss, no penalty),
// steps_to_target, step_budget, converged, diverged, train_seconds (the penalty's cost shows
// here), ortho_err (max over the square hidden weights of ‖WᵀW − I‖_F at the end; every run,
// reg:none included) and ortho_err_init (the same at initialization).
// Trace: one line per evaluation {step, epoch, seconds, loss, train_acc, val_acc, val_loss,
// ortho_err, lambda_scale}, then {"kind":"final", …}.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "bench_common.hpp"
#include "bench_train.hpp"
#include "checkpoints.hpp"
#include "data_cache.hpp"
#include "isobench/data/datasets.hpp"
#include "isobench/ortho/constraint_methods.hpp"
#include "isobench/ortho/init.hpp"
#include "isobench/ortho/penalty.hpp"
#include "isobench/ortho/penalty_methods.hpp"
#include "isobench/train/mlp_classifier.hpp"
#include "isobench/train/trainer.hpp"

namespace isobench::bench {
namespace {

// The probe's criteria (see the header).
constexpr ProbeCriteria kProbe{/*loss_drop=*/0.10, /*chance=*/0.1, /*acc_margin=*/0.05,
                               /*plateau_grad=*/-1, /*chance_loss=*/2.302585092994046};  // log 10

constexpr double kTarget = 0.90;
constexpr double kLr = 0.001;  // × the profile's lr_factor

// One λ setting: a value, constant or with Bansal's decay.
struct LambdaSetting {
  double value;
  bool bansal;
};

struct Quick {
  static constexpr int width = 128, max_train = 8000, batch = 64;
  static constexpr double lr_factor = 1;
  static constexpr long budget = 300, eval_every = 25;
  static constexpr int eval_train = 500, eval_val = 1000, test_samples = 2000, seeds = 3;
  static std::vector<int> depths() { return {4, 8, 16}; }
  static std::vector<LambdaSetting> lambdas() { return {{0.01, false}}; }
  static bool user_methods_at(int depth, std::string_view init) {
    return depth == 16 && init == OrthogonalInit::name;
  }
  static bool user_inits_at(int depth) { return depth == 16; }
};
struct Paper {
  static constexpr int width = 128, max_train = -1, batch = 64;
  static constexpr double lr_factor = 0.3;  // depth 64 (header)
  static constexpr long budget = 6000, eval_every = 250;
  static constexpr int eval_train = 5000, eval_val = 0, test_samples = 0, seeds = 5;
  static std::vector<int> depths() { return {4, 16, 64}; }
  static std::vector<LambdaSetting> lambdas() {
    return {{1e-4, false}, {0.01, false}, {0.1, true}};
  }
  static bool user_methods_at(int, std::string_view) { return true; }
  static bool user_inits_at(int) { return true; }
};

using Inits = std::tuple<GaussianInit, OrthogonalInit>;  // σ_w² = 1, gain 1
using Regs = std::tuple<NoPenalty, SoPenalty, DsoPenalty, McPenalty, SripPenalty>;

// Bansal's multipliers at fractions of the budget (see the header).
StepDecayLambda bansal_schedule(long budget) {
  std::vector<long> at;
  long prev = 1;
  for (double f : {0.10, 0.25, 0.35, 0.60}) {
    prev = std::max(prev + 1, static_cast<long>(std::lround(f * static_cast<double>(budget))));
    at.push_back(prev);
  }
  return StepDecayLambda(at, {1e-3, 1e-4, 1e-6, 0.0});
}

// MNIST 80/20 (split seed 0), the first max_train training samples, standardized (global mean
// and std of the training part); loaded once per process (data_cache.hpp).
template <class Profile>
SplitKey data_key() {
  return {"mnist", 0.2, /*seed=*/0, Profile::max_train, Standardize::Global};
}

constexpr const char* kOptimizer = "adam";  // the workload's update (AdamUpdate)

// One run: the workload's spec (everything the run trains with, before ISOBENCH_LR_SCALE) and the
// seed.
struct RunConfig {
  ClassifierSpec spec;
  int seed;
};

// The run's name, from the fields of its configuration the run uses (docs/CONTRACT.md key order).
// λ is `V` (constant) or `V-bansal` (with Bansal's decay, the only schedule of this family).
template <class Profile>
Name name_of(const RunConfig& c) {
  const ClassifierSpec& s = c.spec;
  Name n("RQE", "mlp");
  n.kv("dataset", data_key<Profile>().dataset)
      .kv("act", activation_name(s.act))
      .kv("init", s.init.method)
      .kv("depth", s.depth)
      .kv("width", s.width)
      .kv("reg", s.penalty.method);
  if (s.penalty.active())
    n.kv("norm", penalty_norm_name(s.penalty.norm))
        .kv("lambda", fmt(s.penalty.lambda) + (s.lambda_schedule ? "-bansal" : ""));
  if (s.constraint.active()) add_constraint_keys(n, s.constraint);
  n.kv("opt", kOptimizer).kv("lr", s.lr).kv("seed", c.seed);
  return n;
}

// Adds the current ortho_err and λ multiplier to every evaluation line.
template <class Workload>
struct OrthoTrace {
  Workload& workload;
  TraceWriter& trace;
  void on_evaluation(const EvalRecord& r) {
    nlohmann::json j = r.to_json();
    j["ortho_err"] = workload.max_orthogonality_error();
    if (workload.spec().penalty.active())
      j["lambda_scale"] = workload.lambda_multiplier(std::max(1L, r.step));
    trace.write(j);
  }
  void state(StateArchive& ar) { trace.state(ar); }  // checkpoints: the trace's offset
};

template <class Profile>
void run_rqe(benchmark::State& state, const std::string& name, const RunConfig& c) {
  for (auto _ : state) {
    using Workload = MlpClassifierWorkload<float, AdamUpdate>;
    const DataSplit* data = nullptr;
    std::optional<Workload> workload;
    try {
      data = &cached_split(data_key<Profile>());
      ClassifierSpec spec = c.spec;  // ISOBENCH_LR_SCALE (the regression check's knob)
      spec.lr *= lr_scale();
      if (spec.constraint.active())
        spec.constraint.rate = constraint_rate(spec.constraint) * lr_scale();
      workload.emplace(
          spec, data->train, data->val, AdamUpdate{},
          RunStreams(split_identity(data_key<Profile>()), static_cast<std::uint64_t>(c.seed)));
    } catch (const std::exception& e) {
      state.SkipWithError(("RQE mnist: " + std::string(e.what())).c_str());
      return;
    }
    const double ortho_init = workload->max_orthogonality_error();
    TraceWriter trace(name);
    OrthoTrace<Workload> otrace{*workload, trace};
    ProgressCallback progress{name, Profile::budget, 30.0, 0.0};  // first line after 30 s
    TrainConfig tc;
    tc.step_budget = Profile::budget;
    tc.eval_every = Profile::eval_every;
    tc.checkpoint = checkpoint_config(name);  // long runs: saved, resumable (checkpoints.hpp)
    const long full_steps = apply_probe(tc);  // ISOBENCH_PROBE=1: a slice of the budget (probe.hpp)
    const TrainResult r = train(*workload, tc, otrace, progress);
    report_training(state, r);
    report_probe(state, r, kProbe, {full_steps});
    set_counter(state, "ortho_err_init", ortho_init);
    nlohmann::json final_line = {{"kind", "final"},
                                 {"stop_reason", r.stop_reason},
                                 {"steps_to_target", r.steps_to_target_counter()},
                                 {"ortho_err_init", ortho_init}};
    if (!r.diverged_reason.empty()) final_line["diverged_reason"] = r.diverged_reason;
    const double ortho = workload->max_orthogonality_error();  // NaN weights: no counter
    set_counter(state, "ortho_err", ortho);
    if (std::isfinite(ortho)) final_line["ortho_err"] = ortho;
    std::vector<const Matrix<float>*> kernels;
    for (int l : workload->square_layers()) kernels.push_back(&workload->net().weight(l));
    report_penalty_measure(state, workload->spec().penalty, kernels, &final_line);
    if (!r.diverged && !probe_mode()) {  // the probe measures no test accuracy
      const double test_acc = workload->accuracy(data->test, Profile::test_samples);
      set_counter(state, "test_acc", test_acc);
      final_line["test_acc"] = test_acc;
    }
    trace.write(final_line);
  }
}

template <class Profile>
void register_run(int depth, const std::string& init, const std::string& reg,
                  const LambdaSetting& lam, int seed,
                  const std::string& constraint = NoConstraint::name) {
  RunConfig c{{}, seed};
  ClassifierSpec& spec = c.spec;
  spec.depth = depth;
  spec.width = Profile::width;
  spec.act = Activation::Tanh;
  spec.init = InitSpec{init};  // σ_w² 1, gain 1
  spec.sb2 = 0.0;
  spec.batch = Profile::batch;
  spec.lr = kLr * Profile::lr_factor;
  spec.penalty.method = reg;
  spec.constraint.method = constraint;  // its default rate
  spec.penalty.norm = PenaltyNorm::Sum;
  spec.penalty.lambda = spec.penalty.active() ? lam.value : 0.0;
  if (spec.penalty.active() && lam.bansal) spec.lambda_schedule = bansal_schedule(Profile::budget);
  spec.eval_train = Profile::eval_train;
  spec.eval_val = Profile::eval_val;
  spec.target_val_acc = kTarget;
  const std::string name = name_of<Profile>(c);
  add_run(name, [name, c](benchmark::State& st) { run_rqe<Profile>(st, name, c); });
}

template <class Profile>
void register_grid() {
  for (int depth : Profile::depths())
    for_each_type<Inits>([&](auto in) {
      using I = decltype(in);
      for_each_type<Regs>([&](auto rg) {
        using R = decltype(rg);
        std::vector<LambdaSetting> lambdas = Profile::lambdas();
        if (std::string_view(R::name) == NoPenalty::name) lambdas = {{0.0, false}};
        for (const LambdaSetting& lam : lambdas)
          for (int seed = 1; seed <= Profile::seeds; ++seed)
            register_run<Profile>(depth, I::name, R::name, lam, seed);
      });
      // The user's penalties (methods/) at their own λ grid, constant λ; the quick profile at
      // depth 16 with orthogonal init only (its cost budget).
      if (!Profile::user_methods_at(depth, I::name)) return;
      for (const PenaltyMethod& m : user_penalties())
        for (double lam : m.lambda_grid)
          for (int seed = 1; seed <= Profile::seeds; ++seed)
            register_run<Profile>(depth, I::name, m.name, {lam, false}, seed);
      // The user's constraints (methods/) on the square hidden weights, default rate.
      for (const ConstraintMethod& m : user_constraints())
        for (int seed = 1; seed <= Profile::seeds; ++seed)
          register_run<Profile>(depth, I::name, NoPenalty::name, {0.0, false}, seed, m.name);
    });
  // The user's inits (methods/), untreated (reg:none), at σ_w² = 1 or gain 1; the quick profile
  // at depth 16 only (its cost budget).
  for (int depth : Profile::depths()) {
    if (!Profile::user_inits_at(depth)) continue;
    for (const InitMethod& m : user_inits())
      for (int seed = 1; seed <= Profile::seeds; ++seed)
        register_run<Profile>(depth, m.name, NoPenalty::name, {0.0, false}, seed);
  }
}

const bool registered = [] {
  if (paper_profile())
    register_grid<Paper>();
  else
    register_grid<Quick>();
  return true;
}();

}  // namespace
}  // namespace isobench::bench
