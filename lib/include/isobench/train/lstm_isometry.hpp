// How close a training LSTM stays to dynamical isometry: a trainer callback (trainer.hpp
// on_measure) that measures, at every evaluation, the Jacobian through time of the whole state
// s = [h; c] for the CURRENT weights on fixed validation sequences, and the state-gradient decay
// through time — SENT's counterpart of RnnIsometryProbe (recurrent_isometry.hpp; docs/RESEARCH.md
// §6). measure/lstm_jacobian.hpp does the measuring, in double.
//
// clang-format off
//   J_T = ∂(h_T, c_T)/∂(h_0, c_0) = ∏_t F_t   (2H × 2H), T = the padded length (SENT: 50)
//   per evaluation, on the first `sequences` validation snippets (means over them)
//     jac_sv2_mean      mean s_i² = ‖J‖_F²/(2H) of the explicit product (exact, no SVD)
//     jac_log_sv2_mean  (1/2H) log det(JᵀJ), closed form (lstm_jacobian.hpp): exact; absent
//                       when a factor is singular (log det = −∞)
//     state_grad_norm   ‖∂L/∂(h_t, c_t)‖_F, t = 0..T, of the mean BCE on the first `grad_batch`
//                       validation snippets (a list of T + 1 values)
//   final_measure(), on the first `final_sequences`: the SVD of each explicit product
//     sv2_mean, sv2_var, log_sv2_mean (closed form), log_sv2_dist = mean_i |log s_i²| (only
//     when every s_i is resolved, s_min > 1e3·ε·s_max)
// clang-format on
//
// The input is each snippet as the model sees it: its padded token ids (padding in front, zero
// embedding rows) embedded by the CURRENT embedding table (it trains), x_t = E[id_t], in double.
// No QR accumulation: for the LSTM's square J the log-det has a closed form (det F_t =
// det W_o ∏ f·tanh(c')·σ′(z_o), lstm_jacobian.hpp), as exact and without the 2H × 2H QR per
// step that would cost ≈ 5 ms × 50 steps per sequence at H = 128.
// It reads the weights and the data; it draws no random numbers and changes nothing, so the
// run's other counters and traces are the same with or without it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "isobench/core/tensor.hpp"
#include "isobench/data/text.hpp"
#include "isobench/measure/recurrent_jacobian.hpp"
#include "isobench/nn/embedding.hpp"
#include "isobench/nn/lstm.hpp"
#include "isobench/train/recurrent_isometry.hpp"
#include "isobench/train/trainer.hpp"

namespace isobench {

template <class T>
class LstmIsometryProbe {
 public:
  // model: the trained many-to-one Lstm with one logit; emb: its embedding (read at every
  // measurement; both outlive the probe); val: the validation snippets (copied). sequences ≥ 1,
  // final_sequences ≥ 1, grad_batch ≥ 1 (0: no state_grad_norm). Throws std::invalid_argument
  // when val holds fewer snippets than any of them, or the model is not many-to-one with one
  // output and input size = the embedding's dimension.
  LstmIsometryProbe(Lstm<T>& model, const Embedding<T>& emb, const TextSet& val, int sequences,
                    int final_sequences, int grad_batch);

  // trainer.hpp hook: adds jac_sv2_mean, jac_log_sv2_mean (when finite) and state_grad_norm
  // to the evaluation record; a measurement that fails (non-finite weights) adds jac_error, its
  // message, instead and throws nothing.
  void on_measure(EvalRecord& r);

  // The final measurement on `final_sequences` sequences with every spectrum (throws what the
  // measurement throws: NonFiniteError for non-finite weights); trace_line gives
  // {"kind":"jacobian_final","steps":T,"sequences":n,"sv2":[[…]…],"log_sv2_mean":[…]}.
  RecurrentIsometry final_measure();
  static nlohmann::json trace_line(const RecurrentIsometry& m, int steps);
  int steps() const { return steps_; }

 private:
  void copy_weights();
  // (count × T × D) row-major per snippet: sample k at x + k·T·D, step t at row t.
  void embed(const std::int32_t* ids, int count, std::vector<double>& x) const;

  Lstm<T>& model_;
  const Embedding<T>& emb_;
  int steps_, sequences_, final_sequences_, grad_batch_;
  std::vector<std::int32_t> ids_;  // the first max(final_sequences, grad_batch) snippets (n × T)
  std::vector<double> labels_, x_, xg_;
  Matrix<double> w_, u_;
  std::vector<double> b_, v_;
  double c0_ = 0;
  JacobianProduct jp_;  // the explicit product only: the log-det is in closed form
};

extern template class LstmIsometryProbe<float>;
extern template class LstmIsometryProbe<double>;

}  // namespace isobench
