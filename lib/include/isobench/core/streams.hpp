// A training run's random streams, one per thing drawn, for common random numbers (CRN): two runs
// that differ only in the treatment under test (penalty, λ, norm, constraint, margin, learning
// rate, optimizer, the init's gain or σ_w²) draw the same numbers, so seed s of the two is a true
// pair and their difference is the treatment's effect, not the luck of the draw (Glasserman & Yao
// 1992, "Some guidelines and guarantees for common random numbers"; paired designs in ML:
// Bouthillier et al. 2021, "Accounting for variance in machine learning benchmarks").
//
// Every stream is an Engine seeded by derive_seed(KEY, seed) (rng.hpp), KEY naming what it draws:
//   weights(role, init, rows, cols)  "weights/ROLE/INIT/ROWSxCOLS"  one matrix's initial values:
//                 ROLE its place in the model ("rnn/recurrent", "mlp/weight3", "embedding", …),
//                 INIT the init method's name, the shape (rows × cols; a bias is n × 1).
//                 NOT the gain nor σ_w²: every built-in init draws gain-free numbers and scales
//                 them (gaussian √(σ_w²/fan_in)·z, orthogonal g·Q with Q from the QR of a
//                 standard Gaussian, glorot/he fixed scales, identity no draw; ortho/init.cpp),
//                 so orthogonal g = 1 and g = 1.25 at one seed share Q (W ∝ g) and gaussian
//                 σ_w² = 1 and 2 share z. A user init (methods/) keeps that pairing only if it,
//                 too, scales gain-free draws.
//   batch_order(n)   "batch_order/DATA/n:N"   the per-epoch shuffles of a training set of n
//                 samples from the data split DATA (the constructor's `data`: the data set's name
//                 and everything that decides its split). A shuffle permutes all n indices, so
//                 the order does not depend on the batch size either.
//   synthetic(task, params, part)  "synthetic/TASK/PARAMS/PART"  generated sequences (copy,
//                 adding): PARAMS their length/size parameters, PART "train" (the training
//                 batches) or "heldout" (the fixed evaluation set), two separate streams.
//   engine(purpose) / seed_of(purpose)  "draw/PURPOSE"  anything else, PURPOSE naming what it
//                 draws and its sizes (srip's power-iteration start, a gradient probe).
// The keys hold neither the family nor the run's name: a stream depends only on what it draws and
// the seed, never on the process, the shard or what else runs (docs/CONTRACT.md, Randomness).
// Different keys give unrelated streams (derive_seed mixes the key's hash through splitmix64).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "isobench/core/rng.hpp"

namespace isobench {

class RunStreams {
 public:
  // data: the identity of the data split the run trains on, e.g. "mnist/val:0.2/split_seed:0/
  // max_train:-1/standardize:none" (any text; "" for runs on generated data). seed: the run's
  // seed number (the name's /seed:N).
  RunStreams(std::string data, std::uint64_t seed) : data_(std::move(data)), seed_(seed) {}

  std::uint64_t seed() const { return seed_; }
  const std::string& data() const { return data_; }

  // One matrix's initial values (header). rows, cols ≥ 1 (a vector: cols = 1).
  Engine weights(std::string_view role, std::string_view init, std::size_t rows,
                 std::size_t cols) const;
  // The shuffles of a training set of n samples of this run's data split.
  Engine batch_order(long n) const;
  // Generated data of a synthetic task; part "train" or "heldout".
  Engine synthetic(std::string_view task, std::string_view params, std::string_view part) const;
  // Any other draw, named by what it draws; seed_of gives the seed for code that takes one.
  Engine engine(std::string_view purpose) const;
  std::uint64_t seed_of(std::string_view purpose) const;

  // The text a stream is keyed by (for tests and error messages).
  std::string weights_key(std::string_view role, std::string_view init, std::size_t rows,
                          std::size_t cols) const;
  std::string batch_order_key(long n) const;

 private:
  std::string data_;
  std::uint64_t seed_;
};

}  // namespace isobench
