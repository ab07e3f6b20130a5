// PERF — the cost of keeping weights orthogonal (penalty.hpp, constraint.hpp), float, n × n:
//
//   PERF/penalty/reg:R/n:N          one OrthoPenalty::add_value_and_grad (λ = 1, norm:sum,
//                                   g = 1.1, srip with 2 warm-started power iterations);
//                                   `gflops` counts its GEMM FLOPs (penalty_flops: so 4n³, dso
//                                   8n³, mc 2n³, srip 10n²).
//   PERF/constraint/constraint:C/n:N one OrthoConstraint::apply (g = 1.1): qr and polar on a fresh
//                                   Gaussian W each iteration (an O(n²) copy, included), margin
//                                   likewise with m = 0.1 (so the clip-and-rebuild path runs),
//                                   cayley (η = 1e-3) on a g-orthogonal W with a fixed gradient.
//                                   No `gflops`: the Householder / SVD / LU FLOPs are not GEMMs.
//
// For scale: one training step of the seed study's RNN (hidden 128, batch 128, 28 steps) is about
// 28 · 3 · (2 · 2·128·128·128) ≈ 0.70 GFLOP of GEMMs; a 128 × 128 so penalty adds 4·128³ ≈
// 8.4 MFLOP (~1.2 %).
#include <algorithm>
#include <cmath>
#include <string>

#include "bench_common.hpp"
#include "isobench/core/rng.hpp"
#include "isobench/ortho/constraint.hpp"
#include "isobench/ortho/init.hpp"
#include "isobench/ortho/penalty.hpp"

namespace isobench::bench {
namespace {

constexpr double kGain = 1.1;

Matrix<float> gaussian(int n, Engine& eng, double sd) {
  Matrix<float> w({static_cast<std::size_t>(n), static_cast<std::size_t>(n)});
  for (auto& x : w) x = static_cast<float>(sd * standard_normal(eng));
  return w;
}

void register_penalty(const std::string& kind, int n) {
  const std::string name = Name("PERF", "penalty").kv("reg", kind).kv("n", n);
  add(
      name,
      [name, kind, n](benchmark::State& state) {
        Engine eng = make_engine(name, 0);
        const Matrix<float> w = gaussian(n, eng, kGain / std::sqrt(static_cast<double>(n)));
        Matrix<float> grad({static_cast<std::size_t>(n), static_cast<std::size_t>(n)});
        grad.fill(0.0f);
        const PenaltySpec spec{kind, PenaltyNorm::Sum, 1.0, kGain, 2};
        OrthoPenalty<float> pen(spec, n, n, 0);
        for (auto _ : state) {
          benchmark::DoNotOptimize(pen.add_value_and_grad(w, grad));
          benchmark::ClobberMemory();
        }
        state.counters["gflops"] = benchmark::Counter(
            penalty_flops(spec, n, n) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
      },
      [](benchmark::internal::Benchmark* b) { b->Unit(benchmark::kMicrosecond); });
}

void register_constraint(const std::string& kind, int n) {
  const std::string name = Name("PERF", "constraint").kv("constraint", kind).kv("n", n);
  add(
      name,
      [name, kind, n](benchmark::State& state) {
        Engine eng = make_engine(name, 0);
        // margin 0.1 for methods with a margin, rate 1e-3 for methods with their own rate
        const ConstraintMethod& m = constraint_method(kind);
        const ConstraintSpec spec{kind, kGain, m.uses_margin ? 0.1 : 0.0,
                                  m.default_rate > 0 ? 1e-3 : 0.0};
        OrthoConstraint<float> con(spec, n, n);
        const Matrix<float> w0 = gaussian(n, eng, 1.0 / std::sqrt(static_cast<double>(n)));
        const Matrix<float> g = gaussian(n, eng, 0.1);
        Matrix<float> w({static_cast<std::size_t>(n), static_cast<std::size_t>(n)});
        if (con.replaces_optimizer_step()) {
          OrthogonalInit{kGain}(w, eng);
          for (auto _ : state) {
            con.apply(w, &g);
            benchmark::ClobberMemory();
          }
        } else {
          for (auto _ : state) {
            std::copy(w0.begin(), w0.end(), w.begin());
            con.apply(w);
            benchmark::ClobberMemory();
          }
        }
      },
      [](benchmark::internal::Benchmark* b) { b->Unit(benchmark::kMicrosecond); });
}

const bool registered = [] {
  for (int n : {128, 512}) {
    for (const PenaltyMethod& m : penalty_methods()) register_penalty(m.name, n);  // user's too
    for (const ConstraintMethod& m : constraint_methods()) register_constraint(m.name, n);
  }
  return true;
}();

}  // namespace
}  // namespace isobench::bench
