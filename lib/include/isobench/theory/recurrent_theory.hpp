// Mean-field theory of a driven recurrent network at initialization: how far the Jacobian through
// time J_L = ∏_t D_t W (measure/recurrent_jacobian.hpp) is from isometry, given the gain g of the
// recurrent kernel and the drive that the input adds at each step (docs/RESEARCH.md §6).
//
// Chen, Pennington & Schoenholz 2018 ("Dynamical isometry and a mean field theory of RNNs"), in
// the untied-weights approximation (each step's W treated as a fresh draw — exact for an MLP,
// an approximation for an RNN, whose W is the same at every step), h_0 = 0, W = g·Q or entries
// N(0, g²/H), φ = tanh:
//
// clang-format off
//   q_1 = σ_1²,   q_t = g² E_z[φ(√q_{t−1} z)²] + σ_t²            (variance of a_t)
//   χ_t = g² E_z[φ′(√q_t z)²]                                      (one step's stretch)
//   E[sv²(J_L)] ≈ ∏_{t=1}^{L} χ_t
// clang-format on
//
// σ_t² = mean_i (U x_t)_i² is the drive of step t — realized per sequence, not averaged (the
// average of ∏χ over sequences is not ∏χ of the averaged drive: Jensen; and row MNIST's drive is
// 0 on its blank top rows). For a constant drive σ² the recursion is the MLP's length map with
// σ_w² = g² and σ_b² = σ² (theory.hpp), so the stationary critical gain is g* = √(critical σ_w²
// at σ_b² = σ²).
#pragma once

#include <optional>
#include <vector>

#include "isobench/theory/theory.hpp"

namespace isobench {

// χ_t for t = 1..drive.size() at gain g > 0 and per-step drives σ_t² ≥ 0 (std::invalid_argument
// otherwise, or for an activation the theory does not cover).
std::vector<double> driven_rnn_chi(const ActivationTheory& act, double gain,
                                   const std::vector<double>& drive);
std::vector<double> driven_rnn_chi(Activation act, double gain, const std::vector<double>& drive);

// log ∏_{t≤L} χ_t, L = min(steps, drive.size()).
double driven_rnn_log_chi_product(Activation act, double gain, const std::vector<double>& drive,
                                  int steps);

// The predicted E[sv²(J_L)] for a set of sequences: the mean over them of ∏_{t≤L} χ_t, each from
// its own drive (drives[s] = σ_t² of sequence s). drives must not be empty. Over hundreds of
// steps it leaves double's range (0 or +∞): its log, by log-sum-exp, stays finite.
double driven_rnn_sv2_mean(Activation act, double gain,
                           const std::vector<std::vector<double>>& drives, int steps);
double driven_rnn_log_sv2_mean(Activation act, double gain,
                               const std::vector<std::vector<double>>& drives, int steps);

// The stationary critical gain: χ = 1 at the fixed point of a constant drive σ² ≥ 0,
// √critical_sw2(act, σ²).
double critical_gain(Activation act, double drive);

// The gain at which driven_rnn_sv2_mean(act, g, drives, steps) = 1 (to ~1e-13 relative), by
// regula falsi (Illinois) in log g over [lo, hi]; std::nullopt when it does not cross 1 there
// (e.g. a drive so large that no g in the range reaches it).
std::optional<double> critical_gain_through_time(Activation act,
                                                 const std::vector<std::vector<double>>& drives,
                                                 int steps, double lo = 0.25, double hi = 8.0);

}  // namespace isobench
