// brock_offdiag — off-diagonal orthogonal regularization (Brock, Donahue & Simonyan 2018,
// "Large Scale GAN Training for High Fidelity Natural Image Synthesis" (BigGAN), §3.1):
//
//   R(W) = λ‖G ⊙ (1 − I)‖_F²,   G the smaller Gram of W (WᵀW for tall or square W, WWᵀ for wide)
//   ∂R/∂W = 4λ·W (G ⊙ (1 − I))        for G = WᵀW
//         = 4λ·(G ⊙ (1 − I)) W        for G = WWᵀ
//
// It penalizes only the cosines between filters and leaves their norms free, so besides
// `ortho_err` its runs report the off-diagonal energy ‖G ⊙ (1 − I)‖_F (`offdiag_energy`, the
// measure() below). BigGAN's released code adds 2β(G ⊙ (1 − I))W with β = 1e-4 to the gradient,
// always with G = WWᵀ of the (out × in) weight: for wide W (out < in), where isobench's smaller
// Gram is the same WWᵀ, λ = β/2 = 5e-5 reproduces its step exactly; for tall or square W isobench
// uses WᵀW, as for its other penalties (for square W both Grams give the same value, not the same
// gradient). norm:mean divides by the n² entries of G, as for the other penalties.
// Cost: the Gram (2·r·c·n) and one GEMM (2·r·c·n), n = min(r, c).
//
// The worked example of a user method: this file (the type and its registration line) is all
// isobench needs; it then runs in every family with a penalty axis (`./isobench bench --method
// brock_offdiag --list`), has its gradient checked by tests/ortho/test_penalty.cpp (as every
// registered penalty) and its value and BigGAN's step by tests/ortho/test_methods.cpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "isobench/core/blas.hpp"
#include "isobench/ortho/method_registry.hpp"
#include "isobench/ortho/penalty.hpp"
#include "isobench/ortho/penalty_methods.hpp"

namespace isobench {

struct BrockOffdiagPenalty {
  static constexpr const char* name = "brock_offdiag";
  static constexpr const char* formula =
      "λ‖G ⊙ (1 − I)‖_F², G = WᵀW (wide: WWᵀ);  ∂/∂W = 4λ W (G ⊙ (1 − I))  (wide: 4λ (G ⊙ (1 − I)) "
      "W)";
  static constexpr const char* source =
      "Brock, Donahue & Simonyan 2018 (BigGAN), §3.1; λ = β/2 = 5e-5 is its released code's step";
  static constexpr bool reads_gain = false;
  // λ values a method comparison tries: BigGAN's, and the λ isobench's SO runs use.
  static std::vector<double> lambda_grid() { return {5e-5, 0.01}; }
  // Reported beside ortho_err in its runs: ‖G ⊙ (1 − I)‖_F of a (r × c) kernel, in double.
  static constexpr const char* measure_name = "offdiag_energy";
  static double measure(const float* w, int r, int c) {
    const bool tall = r >= c;
    const int n = tall ? c : r, k = tall ? r : c;
    double off2 = 0;
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j) {
        double g = 0;  // G_ij = Σ_t W_ti W_tj (tall) or Σ_t W_it W_jt (wide)
        for (int t = 0; t < k; ++t)
          g += tall ? double(w[std::size_t(t) * c + i]) * w[std::size_t(t) * c + j]
                    : double(w[std::size_t(i) * c + t]) * w[std::size_t(j) * c + t];
        off2 += 2 * g * g;  // G is symmetric: (i, j) and (j, i)
      }
    return std::sqrt(off2);
  }
  static double flops(const PenaltySpec&, int r, int c) { return 4.0 * r * c * std::min(r, c); }
  static std::size_t workspace(int r, int c) {
    const std::size_t n = std::min(r, c);
    return n * n;
  }
  template <class T>
  struct Term : PenaltyTermShape {  // keeps s (the spec), r and c
    using PenaltyTermShape::PenaltyTermShape;
    double operator()(const T* w, T* grad, double lam, T* gram) {
      const int n = smaller_gram(w, r, c, gram);  // G (n × n)
      double off2 = 0;
      for (int i = 0; i < n; ++i) {
        T* row = gram + static_cast<std::size_t>(i) * n;
        row[i] = T(0);  // G ⊙ (1 − I)
        for (int j = 0; j < n; ++j) off2 += static_cast<double>(row[j]) * row[j];
      }
      const double scale = lam * (s.norm == PenaltyNorm::Mean ? 1.0 / (double(n) * n) : 1.0);
      if (grad) {
        const T coef = static_cast<T>(4.0 * scale);
        if (r >= c)  // grad (r × c) += coef · W (r × c) · Goff (c × c)
          gemm(Op::N, Op::N, r, c, c, coef, w, c, gram, c, T(1), grad, c);
        else  // grad (r × c) += coef · Goff (r × r) · W (r × c)
          gemm(Op::N, Op::N, r, c, r, coef, gram, r, w, c, T(1), grad, c);
      }
      return scale * off2;
    }
  };
};

ISOBENCH_REGISTER_PENALTY(BrockOffdiagPenalty);

}  // namespace isobench
