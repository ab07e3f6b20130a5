// RQB — does orthogonal initialization make convergence speed independent of depth?
// Saxe, McClelland & Ganguli 2013 ("Exact solutions to the nonlinear dynamics of learning in deep
// linear neural networks"), their MNIST experiment at a CPU-friendly scale.
//
// Deep linear MLP 784 → N → … → N → 10 (depth L weight matrices, no biases), centered MNIST
// pixels, one-hot targets, squared error E = 1/n Σ‖P x − y‖², full-batch gradient descent computed
// from the data's second moments (isobench::DeepLinearRegression — exact, O(L·10·N²) per step).
// Inputs are scaled by one constant so that λ_max(Σxx) = 1: a learning-rate grid then means the
// same thing on any dataset size. Inits: orthogonal and gaussian (σ_w² = 1, gain 1), then every
// user init from methods/ (at σ_w² = 1 or gain 1).
//
// Target: E ≤ E* + f·(E0 − E*), E* the least-squares optimum of one linear map on the same
// samples, E0 the initial loss, f = 0.2. Learning rate: the grid 2^(−k/2), k = 0…15, best of the
// grid per depth/init/seed (fewest steps to target, ties to the larger rate), as Saxe did; a run
// whose loss rises above E0 counts as diverged. Smaller rates are only run up to the best step
// count found so far (they cannot beat it), and the grid stops once two smaller rates in a row
// failed to beat the best (ties go to the larger rate): the best rate is then bracketed from
// below by two rates no faster (from above by a slower or diverging one, unless it is the grid's
// first). One miss is not enough — at the edge of stability GD oscillates,
// and a rate below a slow one can be faster (seen once in the quick profile's 40 grids); after two
// misses no rate in those grids or the paper probes' 28 ever beat the best, so the answer is the
// full grid's at about a third of its steps.
//
// Probe (ISOBENCH_PROBE=1, benchmarks/common/probe.hpp): every rate of the grid for
// min(5 % of the budget, the 60 s left of the probe's training time); the best rate's run (as
// above) learns when its gap to E* shrank by 10 %, E ≤ E* + 0.9·(E0 − E*); a deep linear net
// starting near a saddle sits on the plateau whose length Saxe et al. measure, so short of that
// it is `plateau` when ‖∇E‖_F (over every layer, at the last evaluation) ≥ 1e-6 and E moved,
// else flat.
//
// Profiles: quick  width 64, 1,000 samples, depths 2–32, 3,000 steps per rate, 4 seeds;
//           paper  Saxe's two widths on 10,000 samples, depths 2–100, 20,000 steps per rate:
//                  width 1000 and width 256, 5 seeds each.
// Both: the fixed-rate entries below.
//
// One entry per depth/init/seed at its best rate: steps_to_target (step_budget + 1 when no rate
// reached the target), lr_best, converged, diverged (every rate diverged), final_loss,
// loss_floor, loss_initial. Trace: the loss curve at the best rate, after one line per rate tried.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "bench_train.hpp"
#include "data_cache.hpp"
#include "isobench/core/decompositions.hpp"
#include "isobench/data/datasets.hpp"
#include "isobench/nn/deep_linear.hpp"
#include "isobench/ortho/init.hpp"

namespace isobench::bench {
namespace {

constexpr double kTargetFraction = 0.2;
constexpr int kBracket = 2;  // smaller rates that must fail to beat the best before the grid stops
constexpr ProbeCriteria kProbe{/*loss_drop=*/0.10, /*chance=*/-1, /*acc_margin=*/0,
                               /*plateau_grad=*/1e-6};

struct RqbData {
  SecondMoments moments;
  double floor = 0;  // E*
  double scale = 1;  // input scale applied so that λ_max(Σxx) = 1
  std::string description;
};

constexpr const char* kDataset = "mnist";
constexpr Activation kAct = Activation::Linear;  // the model (DeepLinearRegression) is linear
constexpr const char* kOptimizer = "gd";         // full-batch gradient descent

// Centered, scaled MNIST training samples → second moments; cached per sample count
// (data_cache.hpp).
RqbData make_rqb_data(int samples) {
  const DataSplit& split = cached_split({kDataset, 0.0, /*seed=*/0, samples});
  const Dataset& tr = split.train;
  if (tr.n < samples)
    throw std::runtime_error("RQB needs " + std::to_string(samples) + " MNIST training samples, " +
                             tr.source + " has " + std::to_string(tr.n));
  const int n = samples, d = tr.dim(), k = 10;
  std::vector<double> x(static_cast<std::size_t>(n) * d), y(static_cast<std::size_t>(n) * k, 0.0);
  std::vector<double> mean(static_cast<std::size_t>(d), 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) mean[static_cast<std::size_t>(j)] += tr.sample(i)[j];
  for (auto& v : mean) v /= n;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < d; ++j)
      x[static_cast<std::size_t>(i) * d + j] = tr.sample(i)[j] - mean[static_cast<std::size_t>(j)];
    y[static_cast<std::size_t>(i) * k + tr.y[static_cast<std::size_t>(i)]] = 1.0;
  }
  RqbData data;
  SecondMoments raw = second_moments(x.data(), y.data(), n, d, k);
  double lmax = 1;
  least_squares_floor(raw, &lmax);
  data.scale = 1.0 / std::sqrt(lmax);
  for (auto& v : x) v *= data.scale;
  data.moments = second_moments(x.data(), y.data(), n, d, k);
  data.floor = least_squares_floor(data.moments);
  data.description = split.description;
  return data;
}
const RqbData& rqb_data(int samples) {
  return cached<RqbData>(samples, [samples] { return make_rqb_data(samples); });
}

// The trainer's task: one full-batch GD step per "epoch". The evaluation after each step
// computes the loss *and* gradient of the new weights, which the next step then uses: one pass
// per step instead of two.
struct DeepLinearWorkload {
  DeepLinearRegression& dl;
  double lr, target, initial;
  std::vector<std::pair<long, double>>* curve;
  bool measure_grad = false;  // probe mode: ‖∇E‖_F of every evaluation in its extra "grad_norm"
  bool grad_fresh = false;
  int steps_per_epoch() const { return 1; }
  void begin_epoch(int) {}
  double step() {
    const double e = grad_fresh ? last_loss : dl.loss_and_grad();
    dl.gd_update(lr);
    grad_fresh = false;
    return e;
  }
  void evaluate(EvalRecord& r) {
    r.loss = last_loss = dl.loss_and_grad();
    grad_fresh = true;
    if (curve) curve->emplace_back(r.step, r.loss);
    if (measure_grad) {
      double s = 0;
      for (int l = 1; l <= dl.net().depth(); ++l)
        for (double g : dl.grad(l)) s += g * g;
      r.extra["grad_norm"] = std::sqrt(s);
    }
  }
  double last_loss = 0;
  bool reached_target(const EvalRecord& r) const { return r.loss <= target; }
  bool diverged(const EvalRecord& r) const { return r.loss > initial; }
};

struct Config {
  InitSpec init;  // a registered init, at σ_w² = 1 or gain 1
  int depth, width, seed;
  double fixed_lr = 0;  // > 0: this rate only (× ISOBENCH_LR_SCALE), no grid
  int samples;          // MNIST training samples
  long budget;          // steps per rate
};

// The run's name, from the fields of its configuration that the run uses (docs/CONTRACT.md key
// order); `lr` only for a fixed rate (the grid's best rate is a counter).
Name name_of(const Config& c) {
  Name n("RQB", "mlp");
  n.kv("dataset", kDataset)
      .kv("act", activation_name(kAct))
      .kv("init", c.init.method)
      .kv("depth", c.depth)
      .kv("width", c.width)
      .kv("opt", kOptimizer);
  if (c.fixed_lr > 0) n.kv("lr", c.fixed_lr);
  n.kv("seed", c.seed);
  return n;
}

std::vector<double> lr_grid() {
  std::vector<double> g;
  for (int k = 0; k <= 15; ++k) g.push_back(std::pow(2.0, -k / 2.0));
  return g;
}

void run_rqb(benchmark::State& state, const std::string& name, const Config& c) {
  const int samples = c.samples;
  const bool probe = probe_mode();
  const long budget =
      probe ? std::max(1L, static_cast<long>(std::ceil(kProbeFraction * c.budget))) : c.budget;
  for (auto _ : state) {
    const RqbData* data = nullptr;
    std::vector<double> grid = lr_grid();
    try {
      data = &rqb_data(samples);
      if (c.fixed_lr > 0) grid = {c.fixed_lr * lr_scale()};
    } catch (const std::exception& e) {
      state.SkipWithError(("RQB: " + std::string(e.what())).c_str());
      return;
    }
    DeepLinearRegression dl(data->moments, c.width, c.depth);
    // The initial weights: each matrix from its stream, keyed by its layer, the init, its shape
    // and the seed (core/streams.hpp) — the same for every rate, and depths share their layers.
    std::vector<Matrix<double>> w0;
    {
      dl.net().init(c.init, 0.0, RunStreams("", static_cast<std::uint64_t>(c.seed)));
      for (int l = 1; l <= c.depth; ++l) w0.push_back(dl.net().weight(l));
    }
    const double e0 = dl.loss();
    const double target = data->floor + kTargetFraction * (e0 - data->floor);

    struct Attempt {
      double lr;
      TrainResult res;
    };
    std::vector<Attempt> attempts;
    std::vector<std::pair<long, double>> best_curve, curve;
    long best_steps = budget + 1;
    int best = -1;
    int misses = 0;  // smaller rates in a row that did not beat the best (header: bracketing)
    double train_seconds = 0;
    for (double lr : grid) {
      if (probe && train_seconds >= probe_seconds()) break;  // the probe's time is spent
      if (misses == kBracket) break;  // the best rate is bracketed from below
      for (int l = 1; l <= c.depth; ++l) dl.net().weight(l) = w0[static_cast<std::size_t>(l - 1)];
      curve.clear();
      DeepLinearWorkload workload{dl, lr, target, e0, &curve, probe};
      TrainConfig tc;
      tc.step_budget = std::min(budget, best_steps);  // a smaller rate must beat the best so far
      tc.eval_every = 1;
      tc.stop_at_target = true;
      if (probe) tc.wall_seconds = probe_seconds() - train_seconds;
      TrainResult r = train(workload, tc);
      train_seconds += r.train_seconds;
      r.step_budget = budget;
      attempts.push_back({lr, r});
      if (r.converged && r.steps_to_target < best_steps) {
        best_steps = r.steps_to_target;
        best = static_cast<int>(attempts.size()) - 1;
        best_curve = curve;
        misses = 0;
      } else if (best >= 0) {
        ++misses;
      }
    }
    // No rate reached the target: report the non-diverged rate with the lowest final loss.
    if (best < 0) {
      double lowest = INFINITY;
      for (std::size_t i = 0; i < attempts.size(); ++i)
        if (!attempts[i].res.diverged && attempts[i].res.last.loss < lowest) {
          lowest = attempts[i].res.last.loss;
          best = static_cast<int>(i);
        }
    }
    TraceWriter trace(name);
    for (const auto& a : attempts)
      trace.write({{"lr", a.lr},
                   {"steps_to_target", a.res.steps_to_target_counter()},
                   {"converged", a.res.converged},
                   {"diverged", a.res.diverged},
                   {"steps_run", a.res.steps}});
    if (best >= 0) {
      const auto& r = attempts[static_cast<std::size_t>(best)].res;
      if (best_curve.empty()) {  // re-run the chosen rate to record its curve
        for (int l = 1; l <= c.depth; ++l) dl.net().weight(l) = w0[static_cast<std::size_t>(l - 1)];
        DeepLinearWorkload workload{
            dl, attempts[static_cast<std::size_t>(best)].lr, target, e0, &best_curve, probe};
        TrainConfig tc;
        tc.step_budget = r.steps;  // replays the chosen rate's steps (the probe's may be capped)
        tc.eval_every = 1;
        train(workload, tc);
      }
      for (const auto& [s, e] : best_curve) trace.write({{"step", s}, {"loss", e}});
      report_training(state, r);
      // No full_steps: the full run's steps depend on the rates the grid tries.
      report_probe(state, r, kProbe, {0, /*loss_reference=*/e0, /*loss_floor=*/data->floor});
      state.counters["lr_best"] = attempts[static_cast<std::size_t>(best)].lr;
    } else {  // every rate diverged
      set_counter(state, "steps_to_target", static_cast<double>(budget + 1));
      set_counter(state, "step_budget", static_cast<double>(budget));
      set_counter(state, "converged", 0);
      set_counter(state, "diverged", 1);
      TrainResult every_rate_diverged;
      every_rate_diverged.diverged = true;
      report_probe(state, every_rate_diverged, kProbe);
    }
    set_counter(state, "train_seconds", train_seconds);
    set_counter(state, "loss_initial", e0);
    set_counter(state, "loss_floor", data->floor);
    set_counter(state, "loss_target", target);
  }
}

template <int Depth>
struct DepthTag {
  static constexpr int value = Depth;
};
using QuickDepths = std::tuple<DepthTag<2>, DepthTag<4>, DepthTag<8>, DepthTag<16>, DepthTag<32>>;
using PaperDepths = std::tuple<DepthTag<2>, DepthTag<4>, DepthTag<8>, DepthTag<16>, DepthTag<32>,
                               DepthTag<64>, DepthTag<100>>;

// Saxe's two inits, then the user's (methods/), each at σ_w² = 1 or gain 1.
std::vector<std::string> rqb_inits() {
  std::vector<std::string> out = {OrthogonalInit::name, GaussianInit::name};
  for (const InitMethod& m : user_inits()) out.push_back(m.name);
  return out;
}

void add_config(const Config& c) {
  const std::string name = name_of(c);
  add_run(name, [name, c](benchmark::State& st) { run_rqb(st, name, c); });
}

template <class Depths>
void register_grid(int width, int samples, long budget, int seeds) {
  for_each_type<Depths>([&](auto depth_tag) {
    constexpr int depth = decltype(depth_tag)::value;
    for (const std::string& init : rqb_inits())
      for (int seed = 1; seed <= seeds; ++seed)
        add_config({InitSpec{init}, depth, width, seed, /*fixed_lr=*/0, samples, budget});
  });
}

// Fixed-rate runs: the fast, deterministic set of the convergence regression check
// (tests/regression), and Saxe's observation at one rate for every depth.
void register_fixed_rate(int width, int samples, long budget) {
  constexpr double kFixedLr = 0.125;
  for (int depth : {2, 8})
    for (const std::string& init : rqb_inits())
      add_config({InitSpec{init}, depth, width, /*seed=*/1, kFixedLr, samples, budget});
}

const bool registered = [] {
  register_fixed_rate(/*width=*/64, /*samples=*/1000, /*budget=*/3000);
  if (paper_profile()) {
    register_grid<PaperDepths>(/*width=*/1000, /*samples=*/10000, /*budget=*/20000, /*seeds=*/5);
    register_grid<PaperDepths>(/*width=*/256, /*samples=*/10000, /*budget=*/20000, /*seeds=*/5);
  } else
    register_grid<QuickDepths>(/*width=*/64, /*samples=*/1000, /*budget=*/3000, /*seeds=*/4);
  return true;
}();

}  // namespace
}  // namespace isobench::bench
