// RQA — vanishing and exploding gradients at initialization (docs/RESEARCH.md §1–3).
//
// For every activation at its critical point (and tanh off criticality), Gaussian vs orthogonal
// weights, depth and width: the input-output Jacobian's squared singular values (mean, variance,
// max, smallest singular value, condition number) at one input at q*, and the ratio of the first
// to the last layer's gradient norm (docs/CONTRACT.md probe: MSE against N(0,1) targets, linear
// read-out, batch 16) — each next to its theory_* prediction (theory.hpp: mean field, Poole et al.
// 2016 / Schoenholz et al. 2017; free probability, Pennington et al. 2017, 2018).
//
// The theory_* counters (and the trace's chi, theory_*) need the init's weight ensemble (init.hpp
// InitEnsemble): an init that declares none (a user's, say) gets none of them, never a default;
// its inputs are still scaled to the mean field's q* at (σ_w², σ_b²).
//
// Grid (fixed at compile time from the type lists below), each seed its own entry:
//   quick  point × init {gaussian, orthogonal} × depth {1, 4, 16, 64} × width {256} × seed {1–5}
//   paper  … × depth {1, 4, 16, 64, 128, 256} × width {400, 1000} × seed {1–5}
// Points (σ_w², σ_b²): linear (1, 0); tanh critical (1.05, 2.01e-5), ordered (1.2, 0.1), chaotic
// (2, 0); hard-tanh on its critical line at σ_b² = 1e-3 (σ_w² = 1.00847); ReLU (2, 0).
// Orthogonal weights use the gain σ_w (W = σ_w Q), Gaussian weights variance σ_w²/N (a user's init
// from methods/: σ_w² if it reads it, the gain σ_w if it sets one — InitSpec::at_sw2); biases
// N(0, σ_b²); every layer φ(Wx + b), inputs scaled to the first pre-activation variance q*.
//
// Traces ($ISOBENCH_OUT/traces/NAME.jsonl): {"kind":"config",…}, {"kind":"jacobian_sv2","sv2":[…]}
// (descending, all N), {"kind":"grad_norms","layer":[1..L],"grad_norm":[…]}.
//
// One more entry, RQA/phase_diagram/act:tanh, writes $ISOBENCH_OUT/rqa_phase_diagram.json: χ and
// q* over a (σ_w², σ_b²) grid for tanh with the critical line χ = 1 (the seed study's Figure 1).
#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "bench_common.hpp"
#include "isobench/core/decompositions.hpp"
#include "isobench/measure/spectra.hpp"
#include "isobench/nn/mlp.hpp"
#include "isobench/ortho/init.hpp"
#include "isobench/theory/theory.hpp"
#include "probe.hpp"

namespace isobench::bench {
namespace {

// Operating points: activation and (σ_w², σ_b²).
struct LinearCritical {
  static constexpr Activation act = Activation::Linear;
  static double sw2() { return 1.0; }
  static constexpr double sb2 = 0.0;
};
struct TanhCritical {  // Pennington et al. 2017's isometric point
  static constexpr Activation act = Activation::Tanh;
  static double sw2() { return 1.05; }
  static constexpr double sb2 = 2.01e-5;
};
struct TanhOrdered {
  static constexpr Activation act = Activation::Tanh;
  static double sw2() { return 1.2; }
  static constexpr double sb2 = 0.1;
};
struct TanhChaotic {
  static constexpr Activation act = Activation::Tanh;
  static double sw2() { return 2.0; }
  static constexpr double sb2 = 0.0;
};
struct HardTanhCritical {
  static constexpr Activation act = Activation::HardTanh;
  static constexpr double sb2 = 1e-3;
  // On the critical line, rounded to the 6 significant digits the name shows, so the name
  // reproduces the run exactly (χ − 1 ≈ 1e-6).
  static double sw2() { return std::stod(fmt(critical_sw2(Activation::HardTanh, sb2))); }
};
struct ReluCritical {
  static constexpr Activation act = Activation::ReLU;
  static double sw2() { return 2.0; }
  static constexpr double sb2 = 0.0;
};

template <int... V>
struct Ints {};

using Points = std::tuple<LinearCritical, TanhCritical, TanhOrdered, TanhChaotic, HardTanhCritical,
                          ReluCritical>;
using Inits = std::tuple<GaussianInit, OrthogonalInit>;  // then the user's inits (methods/)
using QuickDepths = Ints<1, 4, 16, 64>;
using PaperDepths = Ints<1, 4, 16, 64, 128, 256>;
using QuickWidths = Ints<256>;
using PaperWidths = Ints<400, 1000>;
// 5 seeds: RQA's equivalence claims (measured ≈ theory) need df ≥ 4 under Holm (issue 20).
using Seeds = Ints<1, 2, 3, 4, 5>;

// The theory's weight ensemble for an init's declared one; none: no theory_* prediction.
std::optional<WeightEnsemble> theory_ensemble(InitEnsemble e) {
  switch (e) {
    case InitEnsemble::Gaussian:
      return WeightEnsemble::Gaussian;
    case InitEnsemble::Haar:
      return WeightEnsemble::Orthogonal;
    case InitEnsemble::None:
      return std::nullopt;
  }
  return std::nullopt;
}

// Sets a counter only when it is a finite number (docs/CONTRACT.md: never NaN or Inf).
void set_counter(benchmark::State& state, const char* name, double v) {
  if (std::isfinite(v)) state.counters[name] = v;
}

struct RunConfig {
  Activation act;
  std::string init;  // a registered init
  double sw2, sb2;
  int depth, width, seed;
};

// The run's name, from the fields of its configuration the run uses (docs/CONTRACT.md key order).
Name name_of(const RunConfig& c) {
  Name n("RQA", "mlp");
  n.kv("act", activation_name(c.act))
      .kv("init", c.init)
      .kv("sw2", c.sw2)
      .kv("sb2", c.sb2)
      .kv("depth", c.depth)
      .kv("width", c.width)
      .kv("seed", c.seed);
  return n;
}

void run_rqa(benchmark::State& state, const std::string& name, const RunConfig& c) {
  MeanField mf;
  std::optional<FreeSpectrum> theory;  // none for an init whose ensemble is none
  Mlp<double> net({c.width, c.width, c.depth, c.width, c.act, true, true});
  Matrix<double> x(
      {static_cast<std::size_t>(GradientProbe::kBatch), static_cast<std::size_t>(c.width)});
  Engine eng = make_engine(name, static_cast<std::uint64_t>(c.seed));
  try {
    mf = mean_field(c.act, c.sw2, c.sb2);
    if (const auto ens = theory_ensemble(init_method(c.init).ensemble))
      theory = jjt_spectrum(mf, c.depth, *ens);
  } catch (const std::exception& e) {
    state.SkipWithError((name + ": theory failed: " + e.what()).c_str());
    return;
  }
  SpectrumSummary spec;
  std::vector<double> sv, norms;
  for (auto _ : state) {
    // Draw order: weights and biases (Mlp::init), inputs, read-out and targets.
    net.init(InitSpec::at_sw2(c.init, c.sw2), c.sb2, eng);
    fill_inputs_at_q(mf.q_input, c.sw2, c.sb2, eng, x);
    sv = singular_values(input_output_jacobian(net, x.data()));
    spec = summarize_spectrum(sv);
    GradientProbe probe(c.width, GradientProbe::kBatch, eng);
    probe.loss_and_backward(net, x.data());
    norms = layer_grad_norms(net);
  }
  set_counter(state, "sv2_mean", spec.sv2_mean);
  set_counter(state, "sv2_var", spec.sv2_var);
  set_counter(state, "sv2_max", spec.sv2_max);
  set_counter(state, "sv_min", spec.sv_min);
  if (spec.cond) set_counter(state, "cond", *spec.cond);
  const auto ratio = grad_norm_ratio(norms);
  if (ratio) set_counter(state, "grad_norm_ratio", *ratio);
  report_probe_finite(state, std::isfinite(spec.sv2_mean) && std::isfinite(spec.sv2_var) &&
                                 std::isfinite(spec.sv2_max) && ratio && std::isfinite(*ratio));
  if (theory) {
    set_counter(state, "theory_sv2_mean", theory->mean);
    set_counter(state, "theory_sv2_var", theory->var);
    set_counter(state, "theory_sv2_max", theory->max);
    set_counter(state, "theory_chi", mf.chi);
  }

  TraceWriter trace(name);
  std::vector<double> sv2(sv.size()), layers(norms.size());
  for (std::size_t i = 0; i < sv.size(); ++i) sv2[i] = sv[i] * sv[i];
  for (std::size_t l = 0; l < norms.size(); ++l) layers[l] = static_cast<double>(l + 1);
  nlohmann::json config = {{"kind", "config"},     {"act", activation_name(c.act)},
                           {"init", c.init},       {"sw2", c.sw2},
                           {"sb2", c.sb2},         {"depth", c.depth},
                           {"width", c.width},     {"seed", c.seed},
                           {"q_input", mf.q_input}};
  if (theory) {
    config["chi"] = mf.chi;
    config["theory_sv2_mean"] = theory->mean;
    config["theory_sv2_var"] = theory->var;
    config["theory_sv2_max"] = theory->max;
  }
  trace.write(config);
  trace.write({{"kind", "jacobian_sv2"}, {"sv2", sv2}});
  trace.write({{"kind", "grad_norms"}, {"layer", layers}, {"grad_norm", norms}});
}

template <class Point, int... Depth, int... Width, int... Seed>
void register_point(const std::string& init, Ints<Depth...>, Ints<Width...>, Ints<Seed...>) {
  const double sw2 = Point::sw2();
  auto one = [&](int depth, int width, int seed) {
    const RunConfig cfg{Point::act, init, sw2, Point::sb2, depth, width, seed};
    const std::string name = name_of(cfg);
    add_run(name, [name, cfg](benchmark::State& state) { run_rqa(state, name, cfg); });
  };
  // Listing order: depth, width, seed.
  for (int depth : {Depth...})
    for (int width : {Width...})
      for (int seed : {Seed...}) one(depth, width, seed);
}

template <class DepthList, class WidthList>
void register_grid() {
  for_each_type<Points>([](auto point) {
    for_each_type<Inits>([](auto init) {
      register_point<decltype(point)>(decltype(init)::name, DepthList{}, WidthList{}, Seeds{});
    });
    for (const InitMethod& m : user_inits())
      register_point<decltype(point)>(m.name, DepthList{}, WidthList{}, Seeds{});
  });
}

// χ and q* of tanh over a (σ_w², σ_b²) grid, with the critical line.
void run_phase_diagram(benchmark::State& state) {
  nlohmann::json out;
  for (auto _ : state) {
    std::vector<double> sw2s, sb2s;
    for (int j = 0; j <= 70; ++j) sw2s.push_back(0.5 + 0.05 * j);  // 0.5 … 4.0
    for (int i = 0; i <= 50; ++i) sb2s.push_back(0.01 * i);        // 0 … 0.5
    std::vector<std::vector<double>> chi, q;
    for (double sb2 : sb2s) {
      std::vector<double> chi_row, q_row;
      for (double sw2 : sw2s) {
        const MeanField mf = mean_field(Activation::Tanh, sw2, sb2);
        chi_row.push_back(mf.chi);
        q_row.push_back(mf.q_star);
      }
      chi.push_back(std::move(chi_row));
      q.push_back(std::move(q_row));
    }
    std::vector<double> line_sb2, line_sw2;
    for (int i = 0; i <= 100; ++i) {
      const double sb2 = 0.005 * i;
      line_sb2.push_back(sb2);
      line_sw2.push_back(critical_sw2(Activation::Tanh, sb2));
    }
    nlohmann::json points = nlohmann::json::array();
    const std::tuple<const char*, double, double> pts[] = {
        {"critical", 1.05, 2.01e-5}, {"ordered", 1.2, 0.1}, {"chaotic", 2.0, 0.0}};
    for (const auto& [label, sw2, sb2] : pts) {
      const MeanField mf = mean_field(Activation::Tanh, sw2, sb2);
      points.push_back(
          {{"label", label}, {"sw2", sw2}, {"sb2", sb2}, {"chi", mf.chi}, {"q_star", mf.q_star}});
    }
    out = {{"activation", "tanh"},
           {"source",
            "mean field (Poole et al. 2016; Schoenholz et al. 2017), Gauss-Hermite quadrature "
            "with " +
                std::to_string(kGaussHermiteNodes) + " nodes"},
           {"sw2", sw2s},
           {"sb2", sb2s},
           {"chi", chi},
           {"q_star", q},
           {"critical_line", {{"sb2", line_sb2}, {"sw2", line_sw2}}},
           {"points", points}};
  }
  std::error_code ec;
  std::filesystem::create_directories(out_dir(), ec);
  const std::string path = (std::filesystem::path(out_dir()) / "rqa_phase_diagram.json").string();
  std::ofstream f(path);
  if (!(f << out.dump() << '\n'))
    state.SkipWithError(("cannot write " + path + " (check ISOBENCH_OUT)").c_str());
  report_probe_finite(state, json_all_finite(out));
}

const bool registered = [] {
  if (paper_profile())
    register_grid<PaperDepths, PaperWidths>();
  else
    register_grid<QuickDepths, QuickWidths>();
  add_run(Name("RQA", "phase_diagram").kv("act", "tanh"), run_phase_diagram);
  return true;
}();

}  // namespace
}  // namespace isobench::bench
