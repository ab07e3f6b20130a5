// PERF — speed of isobench's building blocks against the machine's practical limit (the same
// run's sgemm/dgemm at the sizes the steps use). `gflops` counts 2·m·n·k per GEMM; elementwise
// work counts 0, so a step's GFLOP/s next to sgemm's is its GEMM efficiency.
#include <vector>

#include "bench_common.hpp"
#include "isobench/core/blas.hpp"
#include "isobench/nn/mlp.hpp"
#include "isobench/objective/loss.hpp"
#include "isobench/optim/optim.hpp"
#include "isobench/ortho/init.hpp"

namespace isobench::bench {
namespace {

template <class T, int M, int N, int K>
struct GemmCfg {};

template <class T>
const char* gemm_model() {
  return sizeof(T) == 4 ? "sgemm" : "dgemm";
}

template <class T, int M, int N, int K>
void register_gemm(GemmCfg<T, M, N, K>) {
  const std::string name = Name("PERF", gemm_model<T>()).kv("m", M).kv("n", N).kv("k", K);
  add(name, [](benchmark::State& state) {
    Engine eng = make_engine("PERF/gemm", 0);
    std::vector<T> a(static_cast<std::size_t>(M) * K), b(static_cast<std::size_t>(K) * N),
        c(static_cast<std::size_t>(M) * N);
    for (auto& x : a) x = static_cast<T>(standard_normal(eng));
    for (auto& x : b) x = static_cast<T>(standard_normal(eng));
    for (auto _ : state) {
      gemm(Op::N, Op::N, M, N, K, T(1), a.data(), K, b.data(), N, T(0), c.data(), N);
      benchmark::DoNotOptimize(c.data());
      benchmark::ClobberMemory();
    }
    state.counters["gflops"] =
        benchmark::Counter(2.0 * M * N * K / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  });
}

// One SGD training step of a square tanh MLP (input = output = width, so every GEMM has the
// same size): forward, MSE loss, backward, update. 3L − 1 GEMMs of 2·B·N² FLOPs each.
template <int Depth, int Width, int Batch>
struct MlpStepCfg {};

template <int Depth, int Width, int Batch>
void register_mlp_step(MlpStepCfg<Depth, Width, Batch>) {
  const std::string name = Name("PERF", "mlp_step")
                               .kv("act", "tanh")
                               .kv("depth", Depth)
                               .kv("width", Width)
                               .kv("batch", Batch);
  add(name, [name](benchmark::State& state) {
    Mlp<float> net({Width, Width, Depth, Width, Activation::Tanh});
    Engine eng = make_engine(name, 0);
    net.init(InitSpec::orthogonal(1.0), 0.0, eng);
    net.reserve(Batch);
    std::vector<float> x(static_cast<std::size_t>(Batch) * Width), t(x.size()), dy(x.size());
    for (auto& v : x) v = static_cast<float>(standard_normal(eng));
    for (auto& v : t) v = static_cast<float>(standard_normal(eng));
    Optimizer<float, SgdUpdate> opt(1e-3, SgdUpdate{0.9, false});
    const auto params = net.params();
    for (auto _ : state) {
      const float* y = net.forward(x.data(), Batch);
      benchmark::DoNotOptimize(mse_loss(y, t.data(), Batch, Width, dy.data()));
      net.backward(dy.data());
      opt.step(params);
    }
    const double flops = 2.0 * Batch * double(Width) * Width * (3.0 * Depth - 1.0);
    state.counters["gflops"] =
        benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  });
}

// The GEMM sizes of the MLP steps below: forward and dX are (B × W)·(W × W), the weight
// gradient (W × B)·(B × W); plus the RQA Jacobian's double GEMM (400³).
// A Haar-orthogonal n × n matrix: Gaussian draw, Householder QR, sign fix (time only: the
// factorization is not a GEMM, so no gflops).
template <int N>
struct OrthoInitCfg {};

template <int N>
void register_orthogonal_init(OrthoInitCfg<N>) {
  const std::string name = Name("PERF", "orthogonal_init").kv("n", N);
  add(
      name,
      [name](benchmark::State& state) {
        Engine eng = make_engine(name, 0);
        Matrix<float> w({static_cast<std::size_t>(N), static_cast<std::size_t>(N)});
        for (auto _ : state) {
          OrthogonalInit{1.0}(w, eng);
          benchmark::DoNotOptimize(w.data());
        }
      },
      [](benchmark::internal::Benchmark* b) { b->Unit(benchmark::kMillisecond); });
}
using OrthoInitGrid = std::tuple<OrthoInitCfg<128>, OrthoInitCfg<256>, OrthoInitCfg<512>,
                                 OrthoInitCfg<1024>, OrthoInitCfg<2048>>;

using GemmGrid = std::tuple<GemmCfg<float, 128, 128, 128>, GemmCfg<float, 256, 128, 128>,
                            GemmCfg<float, 128, 512, 512>, GemmCfg<float, 256, 512, 512>,
                            GemmCfg<float, 512, 512, 256>, GemmCfg<float, 128, 1024, 1024>,
                            GemmCfg<float, 256, 1024, 1024>, GemmCfg<float, 1024, 1024, 256>,
                            GemmCfg<double, 400, 400, 400>>;
// Issue grid: depth 8 and 32 × width 128, 512, 1024 × batch 128 and 256.
using MlpStepGrid =
    std::tuple<MlpStepCfg<8, 128, 128>, MlpStepCfg<8, 128, 256>, MlpStepCfg<8, 512, 128>,
               MlpStepCfg<8, 512, 256>, MlpStepCfg<8, 1024, 128>, MlpStepCfg<8, 1024, 256>,
               MlpStepCfg<32, 128, 128>, MlpStepCfg<32, 128, 256>, MlpStepCfg<32, 512, 128>,
               MlpStepCfg<32, 512, 256>, MlpStepCfg<32, 1024, 128>, MlpStepCfg<32, 1024, 256>>;

const bool registered = [] {
  for_each_type<GemmGrid>([](auto cfg) { register_gemm(cfg); });
  for_each_type<MlpStepGrid>([](auto cfg) { register_mlp_step(cfg); });
  for_each_type<OrthoInitGrid>([](auto cfg) { register_orthogonal_init(cfg); });
  return true;
}();

}  // namespace
}  // namespace isobench::bench
