// PERF — speed of the recurrent models at the seed study's shape (docs/RESEARCH.md, SEED): row-wise
// MNIST, 28 steps × 28 features, hidden 128, batch 128, softmax read-out of the last state over
// 10 classes, Adam. Synthetic inputs (uniform pixels, random labels) of that shape stand in for
// the data: speed does not depend on the values.
//
//   PERF/rnn_step/hidden:H/batch:B    one training step (forward, cross-entropy, BPTT, Adam)
//   PERF/rnn_epoch/hidden:H/batch:B   one epoch over 8,000 samples (the training digits available
//   PERF/lstm_epoch/hidden:H/batch:B  here): shuffle, gather each batch time-major, train
//
// `gflops` counts the models' GEMM FLOPs only (gemm_flops(): 2·m·n·k per call), so next to
// PERF/sgemm it reads as GEMM efficiency; `epoch_seconds` is the wall time of one epoch.
#include <algorithm>
#include <chrono>
#include <numeric>
#include <vector>

#include "bench_common.hpp"
#include "isobench/nn/lstm.hpp"
#include "isobench/nn/rnn.hpp"
#include "isobench/objective/loss.hpp"
#include "isobench/optim/optim.hpp"

namespace isobench::bench {
namespace {

constexpr int kSteps = 28, kFeatures = 28, kClasses = 10, kSamples = 8000;

// kSamples images (sample-major, 28·28 each, values in [0, 1)) and labels.
struct SyntheticDigits {
  std::vector<float> pixels;
  std::vector<int> labels;
  explicit SyntheticDigits(Engine& eng)
      : pixels(static_cast<std::size_t>(kSamples) * kSteps * kFeatures), labels(kSamples) {
    for (auto& v : pixels) v = static_cast<float>(uniform01(eng));
    for (auto& l : labels) l = static_cast<int>(uniform01(eng) * kClasses);
  }
  // Samples idx[0..B) into x (T × B × F), time-major: row t·B + b is row t of image idx[b].
  void gather(const int* idx, int batch, float* x, int* y) const {
    for (int b = 0; b < batch; ++b) {
      const float* img = pixels.data() + static_cast<std::size_t>(idx[b]) * kSteps * kFeatures;
      for (int t = 0; t < kSteps; ++t)
        std::copy(img + t * kFeatures, img + (t + 1) * kFeatures,
                  x + (static_cast<std::size_t>(t) * batch + b) * kFeatures);
      y[b] = labels[static_cast<std::size_t>(idx[b])];
    }
  }
};

template <class Model>
Model make_model(int hidden);
template <>
Rnn<float> make_model<Rnn<float>>(int hidden) {
  return Rnn<float>({kFeatures, hidden, kClasses});
}
template <>
Lstm<float> make_model<Lstm<float>>(int hidden) {
  return Lstm<float>({kFeatures, hidden, kClasses});
}

// The SEED initialization: orthogonal recurrent kernel, Glorot-uniform input kernel and read-out.
template <class Model>
void init_model(Model& net, Engine& eng) {
  net.init(InitSpec::orthogonal(1.0), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(), eng);
}

template <class Model>
float train_batch(Model& net, Optimizer<float, AdamUpdate>& opt,
                  const std::vector<ParamRef<float>>& params, const float* x, const int* y,
                  int batch, float* dy) {
  const float loss = softmax_xent(net.forward(x, kSteps, batch), y, batch, kClasses, dy);
  net.backward(dy);
  opt.step(params);
  return loss;
}

template <int Hidden, int Batch>
void register_rnn_step() {
  const std::string name = Name("PERF", "rnn_step").kv("hidden", Hidden).kv("batch", Batch);
  add(name, [name](benchmark::State& state) {
    Engine eng = make_engine(name, 0);
    auto net = make_model<Rnn<float>>(Hidden);
    init_model(net, eng);
    net.reserve(kSteps, Batch);
    std::vector<float> x(static_cast<std::size_t>(kSteps) * Batch * kFeatures),
        dy(Batch * kClasses);
    std::vector<int> y(Batch);
    for (auto& v : x) v = static_cast<float>(uniform01(eng));
    for (auto& l : y) l = static_cast<int>(uniform01(eng) * kClasses);
    Optimizer<float, AdamUpdate> opt(1e-4);
    const auto params = net.params();
    for (auto _ : state)
      benchmark::DoNotOptimize(train_batch(net, opt, params, x.data(), y.data(), Batch, dy.data()));
    state.counters["gflops"] = benchmark::Counter(net.gemm_flops(kSteps, Batch) / 1e9,
                                                  benchmark::Counter::kIsIterationInvariantRate);
  });
}

template <class Model, int Hidden, int Batch>
void register_epoch(const char* model) {
  const std::string name = Name("PERF", model).kv("hidden", Hidden).kv("batch", Batch);
  add_run(name, [name](benchmark::State& state) {
    Engine eng = make_engine(name, 0);
    const SyntheticDigits data(eng);
    auto net = make_model<Model>(Hidden);
    init_model(net, eng);
    net.reserve(kSteps, Batch);
    std::vector<float> x(static_cast<std::size_t>(kSteps) * Batch * kFeatures),
        dy(Batch * kClasses);
    std::vector<int> y(Batch), order(kSamples);
    std::iota(order.begin(), order.end(), 0);
    Optimizer<float, AdamUpdate> opt(1e-4);
    const auto params = net.params();
    // One batch outside the timing: the optimizer allocates its state on its first step.
    data.gather(order.data(), Batch, x.data(), y.data());
    train_batch(net, opt, params, x.data(), y.data(), Batch, dy.data());
    // One timed epoch (quick profile) or the mean of three (paper profile).
    const int epochs = paper_profile() ? 3 : 1;
    double seconds = 0, flops = 0;
    for (auto _ : state) {
      for (int e = 0; e < epochs; ++e) {
        const auto start = std::chrono::steady_clock::now();
        std::shuffle(order.begin(), order.end(), eng);
        for (int first = 0; first < kSamples; first += Batch) {
          const int b = std::min(Batch, kSamples - first);  // the last batch is smaller
          data.gather(order.data() + first, b, x.data(), y.data());
          benchmark::DoNotOptimize(train_batch(net, opt, params, x.data(), y.data(), b, dy.data()));
          flops += net.gemm_flops(kSteps, b);
        }
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      }
    }
    state.counters["epoch_seconds"] = seconds / (epochs * static_cast<double>(state.iterations()));
    state.counters["gflops"] = flops / seconds / 1e9;
  });
}

const bool registered = [] {
  register_rnn_step<128, 128>();
  register_epoch<Rnn<float>, 128, 128>("rnn_epoch");
  register_epoch<Lstm<float>, 128, 128>("lstm_epoch");
  return true;
}();

}  // namespace
}  // namespace isobench::bench
