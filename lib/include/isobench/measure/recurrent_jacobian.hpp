// The Jacobian through time of a recurrent network, measured so that its tiny singular values are
// not rounding noise (docs/RESEARCH.md §6, recurrent dynamical isometry).
//
// clang-format off
//   J_L = ∂s_L/∂s_0 = F_L ⋯ F_1,   F_t = ∂s_t/∂s_{t−1}                       (n × n each)
//   tanh RNN  s = h:  h_t = φ(a_t), a_t = W h_{t−1} + U x_t + b,  F_t = D_t W,  D_t = diag φ′(a_t)
// clang-format on
//
// After 28 steps the singular values of J span more than double's 1e-16 relative precision
// (s_min/s_max reaches 1e-15 … 1e-22), so the explicit product's SVD returns the small ones as
// rounding noise. JacobianProduct carries two products:
//
// clang-format off
//   explicit  J_t = F_t J_{t−1}; its SVD gives sv2_mean, sv2_var, sv2_max (dominated by the large
//             values, accurate); s_min and cond only when s_min > 1e3·ε·s_max, else absent
//   QR        F_t Q_{t−1} = Q_t R_t (Q_0 = I), so J_L = Q_L R_L ⋯ R_1 and
//             log det(JᵀJ) = 2 Σ_t Σ_i log|(R_t)_ii|,   log_sv2_mean = log det(JᵀJ)/n
// clang-format on
//
// — the mean log squared singular value exact to rounding in each factor, whatever the spread of
// the spectrum (the QR method of Lyapunov exponents: Benettin, Galgani, Giorgilli & Strelcyn 1980;
// Eckmann & Ruelle 1985). A QR step costs five (n × n × n) GEMMs (geqrf + orgqr, which LAPACK runs
// unblocked at n = 128), so consecutive factors whose condition numbers the caller bounds are
// multiplied into one group P = F_t ⋯ F_s while the product of the bounds stays ≤ kMaxGroupCond
// = 1e6, and the QR step runs once per group (F_t Q becomes P Q): Householder QR's backward error
// then moves each small r_ii by at most ~n·ε·1e6 relatively (≈ 3e-8 at n = 128: a log-det error
// of at most ~1e-5 per group, in practice far less — the tests hold it to 1e-9 of the closed
// form). A factor without a bound is its own group: the per-step algorithm. The explicit product
// is kept within 2^±64 by exact powers of 2, so J over hundreds of steps neither overflows nor
// underflows; values double cannot hold come out NaN (JacobianSpectrum::representable).
// Everything is double; nothing is drawn from any random engine.
#pragma once

#include <optional>
#include <vector>

#include "isobench/core/tensor.hpp"
#include "isobench/nn/activation.hpp"

namespace isobench {

// The spectrum of one Jacobian product. sv2: every squared singular value of the explicit product,
// descending (those below the threshold are what the SVD returned: rounding noise).
struct JacobianSpectrum {
  std::vector<double> sv2;
  double sv2_mean = 0, sv2_var = 0, sv2_max = 0;  // mean, population variance, max of s_i²
  // s_min and s_max/s_min, only when s_min > kResolvedFactor·ε·s_max (ε the double epsilon).
  std::optional<double> sv_min, cond;
  int resolved = 0;  // how many s_i lie above that threshold
  // false: J's singular values lie outside double's range (hundreds of steps): sv2, sv2_mean,
  // sv2_var and sv2_max are NaN and sv_min is absent; cond, resolved and the log-det stay.
  bool representable = true;
  double log_sv2_mean = 0;  // (1/n) log det(JᵀJ), from the QR product (exact)
  double log_det = 0;       // log det(JᵀJ)
  static constexpr double kResolvedFactor = 1e3;
};

class JacobianProduct {
 public:
  // n ≥ 1: the state size. Allocates every buffer; push() allocates nothing. with_qr = false
  // carries only the explicit product (sv2_mean, spectrum() without log_det: NaN there).
  explicit JacobianProduct(int n, bool with_qr = true);

  int size() const { return n_; }
  int steps() const { return steps_; }
  int qr_steps() const { return qr_steps_; }  // QR steps run so far (groups closed, with_qr)
  // J = Q = I, log det = 0, no steps.
  void reset();
  // f: the next factor F_t, (n × n) row-major; J ← F J. cond_bound ≥ 1: an upper bound on
  // cond(F_t) that lets the factor join the open group (header); 0 (or not finite): none, the
  // QR step runs now. A NaN or Inf in f: NonFiniteError (non_finite.hpp) naming JacobianProduct.
  void push(const double* f, double cond_bound = 0);
  static constexpr double kMaxGroupCond = 1e6;

  // Each accessor first closes the open group (its QR step).
  // log det(JᵀJ) = 2 Σ log|r_ii| so far (−∞ when a factor was exactly singular).
  double log_det();
  double log_sv2_mean() { return log_det() / n_; }
  // The explicit product J (n × n, row-major). std::overflow_error when its entries lie outside
  // double's range.
  const Matrix<double>& product();
  // ‖J‖_F²/n = the mean of s_i², without an SVD (+∞ or 0 outside double's range).
  double sv2_mean();
  // The SVD of the explicit product with the QR log-det (one dgesdd, O(n³)). Throws
  // std::logic_error before the first push.
  JacobianSpectrum spectrum();

 private:
  void flush();  // closes the open group: J ← P J and its QR step
  static constexpr int kExp2Range = 64;
  int j_exp2_ = 0;  // J = j_ · 2^j_exp2_

  int n_, steps_ = 0, group_steps_ = 0, qr_steps_ = 0;
  bool with_qr_;
  double log_det_ = 0, group_cond_ = 1;
  Matrix<double> j_, tmp_, p_;  // p_: the open group's product P
  // qt_ holds Q in column-major order (= Qᵀ row-major), as LAPACK's QR writes it.
  std::vector<double> qt_, rdiag_, tau_, work_;
};

// One sequence through a vanilla RNN h_t = φ(W h_{t−1} + U x_t + b), h_0 = 0, t = 1..steps:
// resets `jp` and pushes F_t = D_t W for every step, with the bound cond(F_t) ≤ cond(D_t)·cond(W)
// (one SVD of W per call). Returns the drive σ_t² = mean_i (U x_t)_i²
// of every step (what the mean-field theory takes, theory.hpp driven_rnn_chi).
// Shapes: W (H × H), U (H × F), b (H) or nullptr (no bias), x (steps × F) row-major, jp.size() = H.
// act: Tanh or Linear (std::invalid_argument otherwise). φ′ of tanh is 1/cosh²(a), which stays
// positive until |a| ≈ 355 (1 − tanh² rounds to 0 from |a| ≈ 19).
std::vector<double> rnn_jacobian_through_time(Activation act, const Matrix<double>& w,
                                              const Matrix<double>& u, const double* b,
                                              const double* x, int steps, JacobianProduct& jp);
// The same, also taking jp.spectrum() after each step count in `at` (ascending, each in
// [1, steps]): spectra[i] is J_{at[i]}'s — the prefixes of one pass, as separate runs of length
// at[i] would measure them up to rounding (a recorded step closes a group of factors).
// std::invalid_argument for an `at` out of order or range.
std::vector<double> rnn_jacobian_through_time(Activation act, const Matrix<double>& w,
                                              const Matrix<double>& u, const double* b,
                                              const double* x, int steps, JacobianProduct& jp,
                                              const std::vector<int>& at,
                                              std::vector<JacobianSpectrum>& spectra);

// ‖∂L/∂h_t‖_F for t = 0..T (T + 1 values) of a many-to-one RNN with logits = V h_T + c and
// L = the batch's mean softmax cross-entropy (loss.hpp), by backpropagation through time in double:
// the gradient-norm decay of the RNN (Bengio, Simard & Frasconi 1994; Pascanu et al. 2013).
// Shapes: W (H × H), U (H × F), b (H) or nullptr, V (K × H), c (K) or nullptr, x (T × B × F)
// time-major (row t·B + b is sample b at step t + 1), labels B class indices in [0, K).
// act: Tanh or Linear.
std::vector<double> rnn_hidden_grad_norms(Activation act, const Matrix<double>& w,
                                          const Matrix<double>& u, const double* b,
                                          const Matrix<double>& v, const double* c, const double* x,
                                          int steps, int batch, const int* labels);

}  // namespace isobench
