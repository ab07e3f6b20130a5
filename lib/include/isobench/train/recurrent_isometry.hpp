// How close a training RNN stays to dynamical isometry: a trainer callback (trainer.hpp
// on_measure) that measures, at every evaluation, the Jacobian through time of the CURRENT
// weights on fixed validation sequences and the gradient-norm decay through time
// (docs/RESEARCH.md §6; measure/recurrent_jacobian.hpp does the measuring, in double).
//
// clang-format off
//   J_T = ∂h_T/∂h_0 = ∏_t D_t W         on each of the first `sequences` validation samples
//   jac_sv2_mean      mean s_i² (‖J‖_F²/H)                           ┐ means over those
//   jac_log_sv2_mean  (1/H) log det(JᵀJ)  (QR accumulation: exact)   │ sequences
//   jac_log_sv2_dist  mean_i |log s_i²|  — the distance from isometry┘ (only when every s_i is
//                     resolved, s_min > 1e3·ε·s_max; absent otherwise)
//   hidden_grad_norm  ‖∂L/∂h_t‖_F, t = 0..T, of the mean cross-entropy on the first
//                     `grad_batch` validation samples (a list of T + 1 values)
// clang-format on
//
// It reads the model's weights (W, U, b, V, c of an Rnn<float|double>, rnn.hpp) and the data; it
// draws no random numbers and changes nothing, so the run's other counters and traces are the
// same with or without it. The measurements run between training steps; the trainer excludes
// evaluation from `seconds`/train_seconds.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "isobench/core/tensor.hpp"
#include "isobench/data/batches.hpp"
#include "isobench/data/datasets.hpp"
#include "isobench/measure/recurrent_jacobian.hpp"
#include "isobench/nn/rnn.hpp"
#include "isobench/train/trainer.hpp"

namespace isobench {

// The Jacobian figures of one set of sequences (means over them) and, for the final measurement,
// each sequence's squared singular values.
struct RecurrentIsometry {
  double sv2_mean = 0, sv2_var = 0, log_sv2_mean = 0;
  bool resolved = true;                  // every s_i of every sequence above the threshold
  double log_sv2_dist = 0;               // mean |log s_i²| (meaningful only when resolved)
  std::vector<std::vector<double>> sv2;  // per sequence, descending (final measurement only)
  std::vector<double> sequence_log_sv2_mean;

  // Adds one sequence's spectrum to the means over `of` sequences; log_sv2_mean is its exact
  // (1/n) log det(JᵀJ) (the QR accumulation's, or a closed form's); keeps the spectrum in sv2 when
  // keep_spectrum.
  void add(const JacobianSpectrum& sp, double log_sv2_mean, int of, bool keep_spectrum);
  // The final measurement's trace line
  // {"kind":"jacobian_final","steps":T,"sequences":n,"sv2":[[…]…],"log_sv2_mean":[…]}.
  nlohmann::json trace_line(int steps) const;
};

template <class T>
class RnnIsometryProbe {
 public:
  // model: the trained Rnn (many-to-one, tanh or linear), read at every measurement. val: the
  // validation set (outlives the probe), viewed as the model's sequences by `view`. sequences:
  // validation samples whose J_T is measured at every evaluation (≥ 1); final_sequences: at
  // the end (≥ sequences); grad_batch: samples of the gradient-norm batch (≥ 1). Throws
  // std::invalid_argument when val holds fewer samples than any of them.
  RnnIsometryProbe(Rnn<T>& model, const Dataset& val, SeqView view, int sequences,
                   int final_sequences, int grad_batch);

  // trainer.hpp hook: adds jac_sv2_mean, jac_log_sv2_mean, jac_log_sv2_dist (when resolved) and
  // hidden_grad_norm to the evaluation record; a measurement that fails (non-finite weights) adds
  // jac_error, its message, instead and throws nothing.
  void on_measure(EvalRecord& r);

  // The final measurement on `final_sequences` sequences with every spectrum (throws what the
  // measurement throws: NonFiniteError for non-finite weights); its trace line
  // {"kind":"jacobian_final","steps":T,"sequences":n,"sv2":[[…]…],"log_sv2_mean":[…]}.
  RecurrentIsometry final_measure();
  static nlohmann::json trace_line(const RecurrentIsometry& m, int steps);

 private:
  RecurrentIsometry measure(int sequences, bool keep_spectra);
  void copy_weights();

  Rnn<T>& model_;
  int steps_, features_, sequences_, final_sequences_, grad_batch_;
  std::vector<std::vector<double>> xs_;  // each (T × F), the first final_sequences samples
  std::vector<double> grad_x_;           // (T × grad_batch × F) time-major
  std::vector<int> grad_labels_;
  Matrix<double> w_, u_, v_;
  std::vector<double> b_, c_;
  JacobianProduct jp_;
};

extern template class RnnIsometryProbe<float>;
extern template class RnnIsometryProbe<double>;

}  // namespace isobench
