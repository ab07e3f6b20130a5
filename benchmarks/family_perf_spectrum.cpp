// PERF/jacobian_spectrum — the cost of one RQA measurement: form the input-output Jacobian of a
// square tanh MLP (spectra.hpp: one forward at batch 1, then L − 1 GEMMs of N × N × N in double)
// and take its singular values (LAPACK dgesdd, no vectors).
//
// `gflops` counts the GEMMs only — (L − 1)·2N³ for the Jacobian plus L·2N² for the forward pass;
// the SVD (~(8/3)N³ more, in LAPACK) and the elementwise D_l scaling count 0, so the figure is
// comparable with PERF/dgemm's.
#include <cmath>
#include <vector>

#include "bench_common.hpp"
#include "isobench/core/decompositions.hpp"
#include "isobench/measure/spectra.hpp"
#include "isobench/nn/mlp.hpp"
#include "isobench/theory/theory.hpp"

namespace isobench::bench {
namespace {

template <int Depth, int Width>
struct SpectrumCfg {};

template <int Depth, int Width>
void register_spectrum(SpectrumCfg<Depth, Width>) {
  const std::string name = Name("PERF", "jacobian_spectrum").kv("depth", Depth).kv("width", Width);
  add(
      name,
      [name](benchmark::State& state) {
        // The RQA setting: orthogonal weights at tanh's isometric point, input at q*.
        const double sw2 = 1.05, sb2 = 2.01e-5;
        Mlp<double> net({Width, Width, Depth, Width, Activation::Tanh, true, true});
        Engine eng = make_engine(name, 0);
        net.init(InitSpec::orthogonal(std::sqrt(sw2)), sb2, eng);
        Matrix<double> x({1, static_cast<std::size_t>(Width)});
        fill_inputs_at_q(mean_field(Activation::Tanh, sw2, sb2).q_input, sw2, sb2, eng, x);
        Matrix<double> jac, work;
        std::vector<double> sv;
        for (auto _ : state) {
          input_output_jacobian(net, x.data(), jac, work);
          sv = singular_values(jac);
          benchmark::DoNotOptimize(sv.data());
        }
        const double n = Width;
        const double flops = (Depth - 1.0) * 2 * n * n * n + Depth * 2.0 * n * n;
        state.counters["gflops"] =
            benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
      },
      [](benchmark::internal::Benchmark* b) { b->Unit(benchmark::kMillisecond); });
}

using SpectrumGrid = std::tuple<SpectrumCfg<64, 400>>;

const bool registered = [] {
  for_each_type<SpectrumGrid>([](auto cfg) { register_spectrum(cfg); });
  return true;
}();

}  // namespace
}  // namespace isobench::bench
