// The Jacobian through time of an LSTM's whole state s = [h; c] (2H), measured as the RNN's
// (recurrent_jacobian.hpp: JacobianProduct carries the explicit product and the QR log-det),
// and the gradient-norm decay through time of a many-to-one LSTM with one logit.
//
// The LSTM of lstm.hpp (Hochreiter & Schmidhuber 1997; forget gate of Gers, Schmidhuber &
// Cummins 2000; gate order and equations of Keras' LSTMCell):
//
// clang-format off
//   z = W h + U x_t + b  (4H), row blocks [i; f; g; o]     W (4H × H), U (4H × F), b (4H)
//   i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o)
//   c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c'),   s_0 = [h_0; c_0] = 0
//
// The per-step factor F_t = ∂(h_t, c_t)/∂(h_{t−1}, c_{t−1}) (2H × 2H), with W_k the gate's
// H × H row block of W, σ′ = σ(1 − σ), tanh′ = 1 − tanh²:
//   ∂c'/∂c = diag(f)
//   ∂c'/∂h = diag(c ⊙ σ′(z_f)) W_f + diag(g ⊙ σ′(z_i)) W_i + diag(i ⊙ tanh′(z_g)) W_g
//   ∂h'/∂c = diag(o ⊙ tanh′(c') ⊙ f)
//   ∂h'/∂h = diag(tanh(c') ⊙ σ′(z_o)) W_o + diag(o ⊙ tanh′(c')) ∂c'/∂h
//   F_t = [ ∂h'/∂h  ∂h'/∂c ]
//         [ ∂c'/∂h  ∂c'/∂c ]          J_T = ∂s_T/∂s_0 = F_T ⋯ F_1
// clang-format on
//
// The c → c path, diag(f), is the constant error carousel: with the forget gate open (f = 1)
// the cell state carries gradients unchanged, whatever W (Gers et al. 2000).
//
// The log-det in closed form. With the Schur complement of the invertible block diag(f),
// ∂h'/∂h − diag(o ⊙ tanh′(c') ⊙ f) diag(f)⁻¹ ∂c'/∂h = diag(tanh(c') ⊙ σ′(z_o)) W_o, so
//
// clang-format off
//   det F_t = det W_o · ∏_r f_r · tanh(c'_r) · σ′(z_o,r)
//   log det(J_TᵀJ_T) = 2 Σ_t log|det F_t|        (J_T square: det J_T = ∏_t det F_t)
// clang-format on
//
// — exact to rounding in each term, whatever the spread of the spectrum, like the QR
// accumulation (JacobianProduct's log_det, which the tests check it against) at the price of
// one H × H QR (for det W_o) instead of one 2H × 2H QR per step. A zero tanh(c') (the state
// at exactly 0, e.g. padding steps from s_0 = 0 with b_g = 0) makes F_t singular: log det = −∞.
// Everything runs in double; in the factor σ′ is σ(z)σ(−z) and tanh′ is 1/cosh², which stay
// positive where 1 − σ and 1 − tanh² round to 0 (the gradient norms take σ(1 − σ) and 1 − tanh²
// of stored activations: absolute error ~1e-16). Nothing is drawn from any random engine.
#pragma once

#include <vector>

#include "isobench/core/tensor.hpp"
#include "isobench/measure/recurrent_jacobian.hpp"

namespace isobench {

// One sequence through the LSTM from s_0 = 0, t = 1..steps: resets `jp` and pushes F_t for
// every step (state order [h; c]); returns log det(J_TᵀJ_T) by the closed form above (−∞ when a
// factor is singular). jp may carry the QR product or not (JacobianProduct(2H, false): only
// the explicit product, the cost of one (2H)³ GEMM a step).
// Shapes: W (4H × H), U (4H × F), b (4H) or nullptr (no bias), x (steps × F) row-major,
// jp.size() = 2H. Throws std::invalid_argument for other shapes or steps < 1; NonFiniteError
// (JacobianProduct::push) when a factor is not finite.
double lstm_jacobian_through_time(const Matrix<double>& w, const Matrix<double>& u, const double* b,
                                  const double* x, int steps, JacobianProduct& jp);

// ‖∂L/∂s_t‖_F of the whole state s_t = (h_t, c_t), t = 0..T (T + 1 values), over the batch,
// of a many-to-one LSTM with one logit z = v·h_T + c0 and L = the batch's mean sigmoid binary
// cross-entropy (loss_bce.hpp; SENT's loss), by backpropagation through time in double.
// The whole state, not h alone: its gradient is what the state Jacobian carries,
// ∂L/∂s_{t−1} = F_tᵀ ∂L/∂s_t, so the decay of these norms is the Jacobian's through time
// (Bengio, Simard & Frasconi 1994; Pascanu, Mikolov & Bengio 2013); ∂L/∂h_t alone would miss
// the gradient the cell state carries past it. At t = T the c part is 0 (the read-out sees h_T).
// Shapes: W (4H × H), U (4H × F), b (4H) or nullptr, v (H), x (T × B × F) time-major (row t·B + b
// is sample b at step t + 1), targets01 B labels in {0, 1}. std::invalid_argument for steps or
// batch < 1 or other shapes.
std::vector<double> lstm_state_grad_norms(const Matrix<double>& w, const Matrix<double>& u,
                                          const double* b, const double* v, double c0,
                                          const double* x, int steps, int batch,
                                          const double* targets01);

}  // namespace isobench
