// Synthetic data, generated from the run's Engine (no global randomness, no files).
//
// Gaussian inputs: x_bj ~ N(0, q) i.i.d. — the per-unit variance of the mean-field fixed point q*
// (Poole et al. 2016; Pennington et al. 2017), for spectra of input–output Jacobians.
//
// Copy-memory task (Arjovsky, Shah & Bengio 2016, "Unitary evolution RNNs", §4.1; after
// Hochreiter & Schmidhuber 1997). Categories a_0..a_9: a_0..a_7 are the symbols, a_8 the blank,
// a_9 the delimiter. The input has T + 20 steps: 10 symbols drawn uniformly with replacement from
// a_0..a_7, then T − 1 blanks, the delimiter, 10 blanks. The target is T + 10 blanks followed by
// the 10 symbols in order. Inputs are one-hot over the 10 categories; targets are class indices
// in [0, 9) (the delimiter is never a target). The memoryless baseline — blank for the first
// T + 10 steps, uniform over the 8 symbols for the last 10 — has mean cross-entropy per step
//     copy_task_baseline(T) = 10 · log 8 / (T + 20).
//
// Adding problem (Arjovsky et al. 2016, §4.2; Hochreiter & Schmidhuber 1997). T steps of two
// features: a value uniform in [0, 1) and a marker, 1 at exactly two steps — one uniform in the
// first half [0, ⌊T/2⌋), one uniform in the second half [⌊T/2⌋, T) — and 0 elsewhere. The target
// is the sum of the two marked values. Predicting the constant 1 (the target's mean) gives the
// target's variance as MSE: Var(u₁ + u₂) = 2/12, so
//     adding_task_baseline() = 1/6 ≈ 0.167.
//
// Sequences are TIME-MAJOR like the image views (batches.hpp): x is (steps × B × features),
// row t·B + b; per-step targets are (steps × B).
#pragma once

#include <cstdint>

#include "isobench/core/rng.hpp"

namespace isobench {

// out: (B × dim), entries N(0, q) i.i.d.; q ≥ 0.
template <class T>
void gaussian_inputs(Engine& eng, int B, int dim, double q, T* out);

struct CopyTask {
  static constexpr int kRemember = 10;  // symbols to reproduce
  static constexpr int kSymbols = 8;    // categories a_0..a_7
  static constexpr int kBlank = 8;      // a_8
  static constexpr int kDelimiter = 9;  // a_9
  static constexpr int kInputs = 10;    // one-hot width
  static constexpr int kClasses = 9;    // target classes: the 8 symbols and the blank

  explicit CopyTask(int delay);  // delay T ≥ 1
  int delay() const { return delay_; }
  int steps() const { return delay_ + 2 * kRemember; }  // T + 20

  // x: (steps × B × kInputs) one-hot; y: (steps × B) class indices in [0, kClasses).
  // symbols (optional): (B × kRemember) the categories drawn, for tests.
  template <class T>
  void generate(Engine& eng, int B, T* x, int* y, int* symbols = nullptr) const;

 private:
  int delay_;
};

// 10·log 8/(T + 20): the mean per-step cross-entropy (nats) of the memoryless predictor.
double copy_task_baseline(int delay);

struct AddingTask {
  static constexpr int kInputs = 2;  // feature 0: value in [0, 1); feature 1: marker in {0, 1}

  explicit AddingTask(int length);  // length T ≥ 2
  int steps() const { return length_; }

  // x: (steps × B × 2); target: (B) the sum of the two marked values.
  template <class T>
  void generate(Engine& eng, int B, T* x, T* target) const;

 private:
  int length_;
};

// 1/6: the MSE of always predicting 1 (Var of the sum of two U[0,1) values).
double adding_task_baseline();

}  // namespace isobench
