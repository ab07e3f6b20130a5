// RQC — does dynamical isometry buy accuracy in deep non-linear networks? (docs/RESEARCH.md §3)
// Pennington, Schoenholz & Ganguli 2017 ("Resurrecting the sigmoid in deep learning through
// dynamical isometry"): depth-200, width-400 tanh networks at σ_w² = 1.05, σ_b² = 2.01e-5 with
// orthogonal weights (isometric: every singular value of J near 1) train fastest; the same with
// Gaussian weights, and ReLU networks (which cannot be isometric), train slower — under SGD with
// momentum, Adam, and others (their Figs. 4–5, CIFAR-10). Here: MNIST and Fashion-MNIST.
//
// Model: MLP 784 → N → … → N → 10, `depth` weight matrices, softmax cross-entropy
// (MlpClassifierWorkload, float). Points (act, σ_w², σ_b²): tanh (1.05, 2.01e-5), ReLU (2, 0).
// Weights: orthogonal W = σ_w·Q (Haar), or Gaussian N(0, σ_w²/fan_in); biases N(0, σ_b²). A user's
// init from methods/ runs too, with σ_w² or the gain σ_w when it declares one (InitSpec::at_sw2).
// Inputs: pixels/255 standardized with the training set's global mean and std (E x² = 1 over
// the training pixels), then scaled "at q*" as RQA does (docs/RESEARCH.md §2): by
// √((q − σ_b²)/σ_w²), q the mean-field fixed point q* (theory.hpp, q_input: tanh 0.0259; ReLU
// 1), so the first pre-activation has variance q (averaged over pixels and images) and the
// layers start near the fixed point where the isometry theory holds. (Unscaled standardized inputs
// put tanh at q ≈ 1, far from q*, where χ < 1 and the deep stack is not isometric.) Optimizers:
// `sgd` = SGD with momentum 0.9 (PyTorch convention), lr 0.01; `adam` lr 0.0003 (β = 0.9, 0.999, ε
// = 1e-7; at lr 0.001 Adam's depth-32 runs oscillated, losing up to half their accuracy between
// evaluations) — the quick profile's (depth 32); the paper profile's (depth 200) are a tenth,
// 0.001 and 3e-5 (Profile::lr_factor): at the quick rates 14 of the 16 depth-200 configurations
// probed flat (5 of the 8 tanh ones' loss rose), at a tenth every tanh configuration learns
// (docs/PAPER_PROFILE.md, RQC: the largest rate of the decade grid at which every tanh
// configuration learns, one rate for all inits so no init is favoured). Both ×
// ISOBENCH_LR_SCALE. Batch 64. Data: load_split(dataset, 0.2, seed 0): 20 % of the training file
// held out as validation (the same split for every run), the official test set for test_acc.
//
// Target (steps_to_target): validation accuracy ≥ 0.85 on MNIST, ≥ 0.75 on Fashion-MNIST
// (within reach of the quick budget for the better configurations, so the counter separates
// them; the paper budget reaches it early, measuring the early-training speed that isometry
// is about).
//
// Probe (ISOBENCH_PROBE=1, benchmarks/common/probe.hpp): a run learns when the evaluation loss
// falls by 10 % of its initial value (of at most log 10, the loss of predicting the class
// frequencies: falling to it learns nothing) or the validation accuracy reaches chance
// (0.1) + 0.05 — within min(5 % of the budget, 60 s) a working configuration of this family
// does either; there is no plateau class (no initial plateau is part of what the family
// measures).
//
// Profiles (grids fixed at compile time; each seed its own entry):
//   quick  depth 32, width 128, MNIST only; 8,000 training samples (CI's MNIST is the 10k
//          training digits: 8,000 after the split); 300 steps
//          (2.4 epochs); evaluation every 25 steps on 1,000 training and 1,000 validation
//          samples; test_acc on the first 2,000 official test images; seeds 1–5 (power 0.8 for
//          the isometry claim, issue 20).
//   paper  depth 200, width 400 (Pennington 2017); every training sample; 5,000 steps
//          (≈ 12 GFLOP per step: 1–2 hours per run on one core); evaluation every 500 steps
//          on 2,000 training and 5,000 validation samples; test_acc on all 10,000 test images;
//          seeds 1–5.
//   paper, Pennington's comparison (`steps:500` in the name): the paper profile's MNIST/SGD
//          configurations for 500 steps, evaluated every 50 steps on 1,000 training and 2,000
//          validation samples, seeds 1–3 — which configuration reaches the target first, in a
//          sitting (≈ 5 minutes per run; reports/reference/pennington).
//
// Counters: final_acc (training accuracy on the evaluation subset at the end), best_val_acc,
// test_acc, final_loss, steps_to_target, step_budget, converged, diverged, train_seconds; and at
// initialization, on the network that is then trained: the Jacobian of its L − 2 square hidden
// layers, J = ∂x_{L−1}/∂x_1 (N × N) at one training image, summarized as sv2_mean, sv2_var,
// sv2_max, sv_min, cond (spectra.hpp, as RQA), and grad_norm_ratio = ‖∂L/∂W_2‖_F /
// ‖∂L/∂W_{L−1}‖_F of docs/CONTRACT.md's probe (MSE against N(0,1) targets through a random linear
// read-out, batch 16) fed with the x_1 of 16 training images. (The input and read-out layers are
// not square, so isometry is a property of the hidden stack.) cond is absent when s_min is zero
// to machine precision — the rule for Gaussian and ReLU stacks at depth 32 (s_min ~ 1e-17).
//
// Trace ($ISOBENCH_OUT/traces/NAME.jsonl): {"kind":"init", the at-init figures}, then one line
// per evaluation {step, epoch, seconds, loss, train_acc, val_acc, val_loss}, then
// {"kind":"final", test_acc, …}.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "bench_common.hpp"
#include "bench_train.hpp"
#include "checkpoints.hpp"
#include "data_cache.hpp"
#include "isobench/core/decompositions.hpp"
#include "isobench/data/datasets.hpp"
#include "isobench/measure/spectra.hpp"
#include "isobench/ortho/init.hpp"
#include "isobench/theory/theory.hpp"
#include "isobench/train/mlp_classifier.hpp"
#include "isobench/train/trainer.hpp"

namespace isobench::bench {
namespace {

// The probe's criteria (see the header).
constexpr ProbeCriteria kProbe{/*loss_drop=*/0.10, /*chance=*/0.1, /*acc_margin=*/0.05,
                               /*plateau_grad=*/-1, /*chance_loss=*/2.302585092994046};  // log 10

// ---- profile ----
struct Quick {
  static constexpr int depth = 32, width = 128, max_train = 8000, batch = 64;
  static constexpr double lr_factor = 1;  // × each optimizer's rate
  static constexpr long budget = 300, eval_every = 25;
  static constexpr int eval_train = 1000, eval_val = 1000, test_samples = 2000, seeds = 5;
  static constexpr bool steps_in_name = false;
};
struct Paper {
  static constexpr int depth = 200, width = 400, max_train = -1, batch = 64;
  static constexpr double lr_factor = 0.1;  // depth 200: a tenth of the quick rates (header)
  static constexpr long budget = 5000, eval_every = 500;
  static constexpr int eval_train = 2000, eval_val = 5000, test_samples = 0, seeds = 5;
  static constexpr bool steps_in_name = false;
};
// Pennington et al.'s comparison at the paper's depth within a sitting (built with the paper
// profile; header, "Profiles"): MNIST, SGD, the paper's rates, 500 steps evaluated every 50.
struct Reproduction {
  static constexpr int depth = Paper::depth, width = Paper::width, max_train = -1, batch = 64;
  static constexpr double lr_factor = Paper::lr_factor;
  static constexpr long budget = 500, eval_every = 50;
  static constexpr int eval_train = 1000, eval_val = 2000, test_samples = 0, seeds = 3;
  static constexpr bool steps_in_name = true;  // `steps:500` tells its runs from the paper's
};

// ---- grid ----
struct TanhIsometric {
  static constexpr Activation act = Activation::Tanh;
  static constexpr double sw2 = 1.05, sb2 = 2.01e-5;
};
struct ReluCritical {
  static constexpr Activation act = Activation::ReLU;
  static constexpr double sw2 = 2.0, sb2 = 0.0;
};
struct Mnist {
  static constexpr const char* name = "mnist";
  static constexpr double target = 0.85;
};
struct Fashion {
  static constexpr const char* name = "fashion-mnist";
  static constexpr double target = 0.75;
};
struct Sgd {
  static constexpr const char* name = "sgd";
  static constexpr double lr = 0.01;
  static SgdUpdate update() { return SgdUpdate{0.9, false}; }
};
struct Adam {
  static constexpr const char* name = "adam";
  static constexpr double lr = 0.0003;
  static AdamUpdate update() { return AdamUpdate{}; }
};

// The quick profile trains on MNIST only (issue 20: 5 seeds for power 0.8 within ~10 minutes of
// the whole quick suite); the paper profile on both.
template <class Profile>
struct DatasetsOf {
  using type = std::tuple<Mnist, Fashion>;
};
template <>
struct DatasetsOf<Quick> {
  using type = std::tuple<Mnist>;
};
template <>
struct DatasetsOf<Reproduction> {
  using type = std::tuple<Mnist>;
};
using Points = std::tuple<TanhIsometric, ReluCritical>;
using Inits = std::tuple<OrthogonalInit, GaussianInit>;  // then the user's inits (methods/)
template <class Profile>
struct OptimizersOf {
  using type = std::tuple<Sgd, Adam>;
};
template <>
struct OptimizersOf<Reproduction> {  // Pennington et al.'s Fig. 4: SGD
  using type = std::tuple<Sgd>;
};

// ---- data: 80/20 (split seed 0), standardized; loaded once per process (data_cache.hpp) ----
template <class Profile>
SplitKey data_key(const std::string& dataset) {
  return {dataset, 0.2, /*seed=*/0, Profile::max_train, Standardize::Global};
}

// ---- at-init isometry of the hidden stack ----
struct InitFigures {
  bool measured = false;  // false: fewer than two square layers, or LAPACK failed
  SpectrumSummary spec;
  double ratio = NAN;  // NaN when not a finite number
};

template <class Workload>
InitFigures hidden_stack_figures(Workload& workload, const Dataset& train,
                                 const RunStreams& streams) {
  Mlp<float>& net = workload.net();
  const int L = net.depth(), N = net.dim(1);
  if (L < 4) return {};  // fewer than two square layers
  MlpConfig c;
  c.input_dim = c.width = c.output_dim = N;
  c.depth = L - 2;
  c.act = net.config().act;
  c.activate_output = true;
  Mlp<double> stack(c);
  for (int l = 2; l <= L - 1; ++l) {
    std::copy(net.weight(l).begin(), net.weight(l).end(), stack.weight(l - 1).begin());
    std::copy(net.bias(l).begin(), net.bias(l).end(), stack.bias(l - 1).begin());
  }
  // x_1 = φ(W_1 x + b_1) of the first 16 training images.
  const int B = GradientProbe::kBatch;
  std::vector<float> x(static_cast<std::size_t>(B) * train.dim());
  const float a = static_cast<float>(workload.spec().input_scale);
  std::transform(train.sample(0), train.sample(0) + x.size(), x.begin(),
                 [a](float v) { return a * v; });
  net.forward(x.data(), B);
  Matrix<double> x1({static_cast<std::size_t>(B), static_cast<std::size_t>(N)});
  std::copy(net.activation_out(1), net.activation_out(1) + x1.size(), x1.begin());
  InitFigures f;
  f.measured = true;
  f.spec = summarize_spectrum(singular_values(input_output_jacobian(stack, x1.data())));
  // The probe's random read-out and targets: its own stream, keyed by its sizes (streams.hpp).
  Engine eng =
      streams.engine("gradient_probe/n:" + std::to_string(N) + "/batch:" + std::to_string(B));
  GradientProbe probe(N, B, eng);
  probe.loss_and_backward(stack, x1.data());
  f.ratio = grad_norm_ratio(layer_grad_norms(stack)).value_or(NAN);
  return f;
}

struct RunConfig {
  std::string dataset;
  double target;
  Activation act;
  std::string init;  // a registered init, at σ_w² (InitSpec::at_sw2)
  double sw2, sb2;
  double lr;
  int seed;
};

// The run's name, from the fields of its configuration that the run uses (docs/CONTRACT.md key
// order); depth and width are the profile's, the optimizer Opt.
template <class Profile, class Opt>
Name name_of(const RunConfig& c) {
  Name n("RQC", "mlp");
  n.kv("dataset", c.dataset)
      .kv("act", activation_name(c.act))
      .kv("init", c.init)
      .kv("sw2", c.sw2)
      .kv("sb2", c.sb2)
      .kv("depth", Profile::depth)
      .kv("width", Profile::width)
      .kv("opt", Opt::name)
      .kv("lr", c.lr);
  if (Profile::steps_in_name) n.kv("steps", static_cast<int>(Profile::budget));
  n.kv("seed", c.seed);
  return n;
}

template <class Profile, class Opt>
void run_rqc(benchmark::State& state, const std::string& name, const RunConfig& c) {
  for (auto _ : state) {
    using Workload = MlpClassifierWorkload<float, decltype(Opt::update())>;
    const DataSplit* data = nullptr;
    std::optional<Workload> workload;
    const RunStreams streams(split_identity(data_key<Profile>(c.dataset)),
                             static_cast<std::uint64_t>(c.seed));
    try {
      data = &cached_split(data_key<Profile>(c.dataset));
      ClassifierSpec spec;
      spec.lr = c.lr * lr_scale();
      spec.depth = Profile::depth;
      spec.width = Profile::width;
      spec.act = c.act;
      spec.init = InitSpec::at_sw2(c.init, c.sw2);
      spec.sb2 = c.sb2;
      const MeanField mf = mean_field(c.act, c.sw2, c.sb2);
      spec.input_scale = std::sqrt((mf.q_input - c.sb2) / c.sw2);
      spec.batch = Profile::batch;
      spec.eval_train = Profile::eval_train;
      spec.eval_val = Profile::eval_val;
      spec.target_val_acc = c.target;
      workload.emplace(spec, data->train, data->val, Opt::update(), streams);
    } catch (const std::exception& e) {
      state.SkipWithError(("RQC " + c.dataset + ": " + e.what()).c_str());
      return;
    }

    TraceWriter trace(name);
    InitFigures init;
    try {
      init = hidden_stack_figures(*workload, data->train, streams);
    } catch (const std::exception& e) {  // a LAPACK failure costs the at-init figures only
      trace.write({{"kind", "warning"}, {"message", e.what()}});
    }
    nlohmann::json init_line = {{"kind", "init"}, {"input_scale", workload->spec().input_scale}};
    if (init.measured) {
      set_counter(state, "sv2_mean", init.spec.sv2_mean);
      set_counter(state, "sv2_var", init.spec.sv2_var);
      set_counter(state, "sv2_max", init.spec.sv2_max);
      set_counter(state, "sv_min", init.spec.sv_min);
      if (init.spec.cond) set_counter(state, "cond", *init.spec.cond);
      set_counter(state, "grad_norm_ratio", init.ratio);
      init_line["sv2_mean"] = init.spec.sv2_mean;
      init_line["sv2_var"] = init.spec.sv2_var;
      init_line["sv2_max"] = init.spec.sv2_max;
      init_line["sv_min"] = init.spec.sv_min;
      if (init.spec.cond) init_line["cond"] = *init.spec.cond;
      if (std::isfinite(init.ratio)) init_line["grad_norm_ratio"] = init.ratio;
    }
    trace.write(init_line);

    TrainConfig tc;
    tc.step_budget = Profile::budget;
    tc.eval_every = Profile::eval_every;
    TraceCallback<TraceWriter> tcb{trace};
    tc.checkpoint = checkpoint_config(name);  // long runs: saved, resumable (checkpoints.hpp)
    const long full_steps = apply_probe(tc);  // ISOBENCH_PROBE=1: a slice of the budget (probe.hpp)
    ProgressCallback progress{name, tc.step_budget, 30.0, 0.0};  // first line after 30 s
    const TrainResult r = train(*workload, tc, tcb, progress);
    report_training(state, r);
    report_probe(state, r, kProbe, {full_steps});
    nlohmann::json final_line = {{"kind", "final"}, {"stop_reason", r.stop_reason}};
    if (!r.diverged_reason.empty()) final_line["diverged_reason"] = r.diverged_reason;
    if (!r.diverged && !probe_mode()) {  // the probe measures no test accuracy
      const double test_acc = workload->accuracy(data->test, Profile::test_samples);
      set_counter(state, "test_acc", test_acc);
      final_line["test_acc"] = test_acc;
    }
    final_line["steps_to_target"] = r.steps_to_target_counter();
    trace.write(final_line);
  }
}

template <class Profile>
void register_grid() {
  for_each_type<typename DatasetsOf<Profile>::type>([](auto ds) {
    using D = decltype(ds);
    for_each_type<Points>([](auto pt) {
      using P = decltype(pt);
      std::vector<std::string> inits;
      for_each_type<Inits>([&](auto in) { inits.push_back(decltype(in)::name); });
      for (const InitMethod& m : user_inits()) inits.push_back(m.name);
      for (const std::string& init : inits) {
        for_each_type<typename OptimizersOf<Profile>::type>([&](auto op) {
          using O = decltype(op);
          for (int seed = 1; seed <= Profile::seeds; ++seed) {
            const RunConfig c{
                D::name, D::target, P::act, init, P::sw2, P::sb2, O::lr * Profile::lr_factor, seed};
            const std::string name = name_of<Profile, O>(c);
            add_run(name, [name, c](benchmark::State& st) { run_rqc<Profile, O>(st, name, c); });
          }
        });
      }
    });
  });
}

const bool registered = [] {
  if (paper_profile()) {
    register_grid<Paper>();
    register_grid<Reproduction>();
  } else
    register_grid<Quick>();
  return true;
}();

}  // namespace
}  // namespace isobench::bench
