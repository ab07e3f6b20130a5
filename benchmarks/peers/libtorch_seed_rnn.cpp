// libtorch (C++) peer of PERF/rnn_epoch and PERF/lstm_epoch: the SEED network on the same data
// shape, so isobench's epoch can be compared with PyTorch's C++ front end without Python.
//
// Many-to-one tanh RNN (torch::nn::RNN) or LSTM (torch::nn::LSTM), 28 steps × 28 features →
// hidden 128 → Linear 10, softmax cross-entropy, torch::optim::Adam lr 1e-4 (eps 1e-7, as
// isobench's Adam), batch 128, 8,000 samples. Like benchmarks/family_perf_rnn.cpp: synthetic
// uniform [0, 1) pixels and random labels (speed does not depend on the values), orthogonal
// recurrent kernels, Glorot-uniform input kernels and read-out, zero biases. An epoch is what
// isobench times: shuffle, gather each batch, train (forward, loss, backward, Adam step); no
// evaluation. One untimed warm-up epoch, then --epochs timed epochs (the fastest is reported),
// at each thread count given (torch::set_num_threads; it does not bound Debian's OpenBLAS, which
// starts a thread per core unless OPENBLAS_NUM_THREADS is set: the line records it, and
// compare_peers.sh sets 1).
//
// Output: one JSON line per thread count, as benchmarks/peers/torch_seed_rnn.py prints:
//   {"peer": "libtorch", "torch_version": ..., "model": ..., "threads": ..., "epoch_seconds": ...}
//
// Optional, not part of the CMake build: benchmarks/peers/build_libtorch_peer.sh builds it with
// Debian's libtorch-dev into build/peers/libtorch_seed_rnn.
//
// usage: libtorch_seed_rnn [--model rnn|lstm] [--threads 1 2 ...] [--epochs N]
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr int64_t kSteps = 28, kFeatures = 28, kHidden = 128, kClasses = 10, kSamples = 8000,
                  kBatch = 128;

struct Options {
  std::string model = "rnn";
  std::vector<int> threads{1, 2};
  int epochs = 3;
};

[[noreturn]] void usage_error(const std::string& why) {
  std::cerr << "libtorch_seed_rnn: " << why
            << "\nusage: libtorch_seed_rnn [--model rnn|lstm] [--threads 1 2 ...] [--epochs N]\n";
  std::exit(2);
}

// A positive integer from argv, else a usage error naming the flag.
int positive(const std::string& flag, const char* text) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < 1 || v > 1024)
    usage_error(flag + " expects a positive integer, got '" + text + "'");
  return static_cast<int>(v);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--model" && i + 1 < argc) {
      o.model = argv[++i];
      if (o.model != "rnn" && o.model != "lstm")
        usage_error("--model expects rnn or lstm, got '" + o.model + "'");
    } else if (a == "--epochs" && i + 1 < argc) {
      o.epochs = positive(a, argv[++i]);
    } else if (a == "--threads" && i + 1 < argc) {
      o.threads.clear();
      while (i + 1 < argc && argv[i + 1][0] != '-') o.threads.push_back(positive(a, argv[++i]));
    } else {
      usage_error("unknown or incomplete argument '" + a + "'");
    }
  }
  return o;
}

// The recurrent layer (batch-first) and the read-out of its last state.
struct NetImpl : torch::nn::Module {
  explicit NetImpl(bool lstm) : lstm_(lstm) {
    if (lstm_)
      lstm_layer = register_module(
          "lstm", torch::nn::LSTM(torch::nn::LSTMOptions(kFeatures, kHidden).batch_first(true)));
    else
      rnn_layer = register_module("rnn", torch::nn::RNN(torch::nn::RNNOptions(kFeatures, kHidden)
                                                            .nonlinearity(torch::kTanh)
                                                            .batch_first(true)));
    out = register_module("out", torch::nn::Linear(kHidden, kClasses));
    // The SEED initialization (family_perf_rnn.cpp): orthogonal recurrent kernel (per gate
    // block for the LSTM), Glorot-uniform input kernel and read-out, zero biases.
    torch::NoGradGuard no_grad;
    for (auto& p : named_parameters()) {
      const std::string& n = p.key();
      torch::Tensor w = p.value();
      if (n.find("bias") != std::string::npos) {
        w.zero_();
      } else if (n.find("weight_hh") != std::string::npos) {
        for (int64_t g = 0; g < w.size(0) / kHidden; ++g)
          torch::nn::init::orthogonal_(w.narrow(0, g * kHidden, kHidden));
      } else {
        torch::nn::init::xavier_uniform_(w);
      }
    }
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor h =
        lstm_ ? std::get<0>(lstm_layer->forward(x)) : std::get<0>(rnn_layer->forward(x));
    return out->forward(h.select(1, kSteps - 1));
  }
  bool lstm_;
  torch::nn::RNN rnn_layer{nullptr};
  torch::nn::LSTM lstm_layer{nullptr};
  torch::nn::Linear out{nullptr};
};
TORCH_MODULE(Net);

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  torch::manual_seed(0);
  const torch::Tensor x_all = torch::rand({kSamples, kSteps, kFeatures});
  const torch::Tensor y_all = torch::randint(0, kClasses, {kSamples}, torch::kLong);
  for (const int threads : opt.threads) {
    torch::set_num_threads(threads);
    torch::manual_seed(0);
    Net net(opt.model == "lstm");
    torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(1e-4).eps(1e-7));
    // One epoch: shuffle, then per batch gather, forward, cross-entropy, backward, Adam step.
    auto epoch = [&] {
      const auto start = std::chrono::steady_clock::now();
      const torch::Tensor perm = torch::randperm(kSamples, torch::kLong);
      for (int64_t first = 0; first < kSamples; first += kBatch) {
        const torch::Tensor idx = perm.slice(0, first, std::min(first + kBatch, kSamples));
        adam.zero_grad();
        const torch::Tensor loss = torch::nn::functional::cross_entropy(
            net->forward(x_all.index_select(0, idx)), y_all.index_select(0, idx));
        loss.backward();
        adam.step();
      }
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    epoch();  // warm-up: allocator, Adam state, thread pool
    double best = 1e300;
    for (int e = 0; e < opt.epochs; ++e) best = std::min(best, epoch());
    const char* blas_env = std::getenv("OPENBLAS_NUM_THREADS");
    std::printf(
        "{\"peer\": \"libtorch\", \"torch_version\": \"%s\", \"model\": \"%s\", "
        "\"threads\": %d, \"epoch_seconds\": %.6f, \"timed_epochs\": %d, "
        "\"openblas_num_threads\": \"%s\", \"samples\": %lld, \"batch\": %lld, "
        "\"hidden\": %lld, \"data\": \"synthetic uniform [0, 1)\"}\n",
        TORCH_VERSION, opt.model.c_str(), threads, best, opt.epochs, blas_env ? blas_env : "unset",
        static_cast<long long>(kSamples), static_cast<long long>(kBatch),
        static_cast<long long>(kHidden));
    std::fflush(stdout);
  }
  return 0;
}
