// The built-in soft orthogonality penalties as method policy types (formulas: penalty.hpp).
//
// A penalty method is a type with
//   static constexpr const char* name, formula, source;   `reg:` value, one line each
//   static constexpr bool reads_gain;                     uses PenaltySpec::gain
//   static double flops(const PenaltySpec&, int r, int c);      GEMM FLOPs of value + gradient
//   static std::size_t workspace(int r, int c);                 scratch entries of T
//   template <class T> struct Term {                            per-kernel state (may be empty)
//     Term(const PenaltySpec&, int r, int c, std::uint64_t seed);
//     double operator()(const T* w, T* grad, double lam, T* work);  // lam·P(W); grad += lam·∂P/∂W
//   };                                                               // (grad may be null)
// and `static std::vector<double> lambda_grid()` — the λ values the families run it at; required
// for a user's method (finite, > 0, no repeats), absent for the built-in ones, which run at each
// family's own λ — and optionally Term::save_state() / restore_state() (state kept across calls,
// with Term::state(StateArchive&) to carry it through a checkpoint,
// as srip's vector) and `static constexpr const char* measure_name` with
// `static double measure(const float* w, int r, int c)` (a number its runs report beside
// ortho_err, e.g. brock_offdiag's offdiag_energy). A stateless Term can derive from
// PenaltyTermShape (it keeps s, r, c). It is registered by listing it: built-in ones in
// BuiltinPenalties below, a user's with ISOBENCH_REGISTER_PENALTY(Type) in its file in methods/
// (method_registry.hpp).
//
// Each Term computes exactly what OrthoPenalty computed before methods were types (same
// operations, same order), so no run's numbers changed.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <vector>

#include "isobench/ortho/penalty.hpp"

namespace isobench {

// Building blocks of mc and srip (penalty.cpp). tall = r ≥ c; gram: n × n; v: n (unit, updated in
// place by k power iterations); wv: max(r, c) − … = W v (tall, r) or Wᵀ v (wide, c); ev: n.
template <class T>
double mutual_coherence_term(const T* w, T* grad, int r, int c, double scale, T* gram);
template <class T>
double srip_term(const T* w, T* grad, int r, int c, int iterations, double scale, T* v, T* wv,
                 T* ev);
// A random unit vector of length n from make_engine("OrthoPenalty/srip", seed).
template <class T>
void srip_start_vector(std::uint64_t seed, T* v, int n);

// The spec and kernel shape a stateless Term keeps (its constructor ignores the seed).
struct PenaltyTermShape {
  PenaltySpec s;
  int r, c;
  PenaltyTermShape(const PenaltySpec& spec, int rows, int cols, std::uint64_t = 0)
      : s(spec), r(rows), c(cols) {}
};

namespace penalty_detail {
inline double gram_side(int r, int c) {
  return r >= c ? c : r;
}
// PenaltyNorm::Mean divides by the n² entries of a Gram of side n.
inline double per_entry(const PenaltySpec& s, double n) {
  return s.norm == PenaltyNorm::Mean ? 1.0 / (n * n) : 1.0;
}
}  // namespace penalty_detail

struct SoPenalty {
  static constexpr const char* name = "so";
  static constexpr const char* formula = "λ‖WᵀW − I‖_F²;  ∂/∂W = 4λ W (WᵀW − I)  (wide W: WWᵀ)";
  static constexpr const char* source = "Bansal, Chen & Wang 2018, NeurIPS (SO)";
  static constexpr bool reads_gain = false;
  static double flops(const PenaltySpec&, int r, int c) {
    return 4.0 * r * c * std::min(r, c);  // Gram + W·E
  }
  static std::size_t workspace(int r, int c) {
    const std::size_t n = std::min(r, c);
    return n * n;
  }
  template <class T>
  struct Term : PenaltyTermShape {
    using PenaltyTermShape::PenaltyTermShape;
    double operator()(const T* w, T* grad, double lam, T* work) {
      const double n = penalty_detail::gram_side(r, c);
      return gram_frobenius_term(w, grad, r, c, r >= c, 1.0, false,
                                 lam * penalty_detail::per_entry(s, n), work);
    }
  };
};

struct SoGainAdjustedPenalty {
  static constexpr const char* name = "so_gain_adjusted";
  static constexpr const char* formula =
      "λ‖WᵀW/g² − I‖_F²;  ∂/∂W = (4λ/g⁴) W (WᵀW − g² I)  (zero at W = g·Q)";
  static constexpr const char* source = "the seed study (Hlav 2019), gain-adjusted SO";
  static constexpr bool reads_gain = true;
  static double flops(const PenaltySpec& s, int r, int c) { return SoPenalty::flops(s, r, c); }
  static std::size_t workspace(int r, int c) { return SoPenalty::workspace(r, c); }
  template <class T>
  struct Term : PenaltyTermShape {
    using PenaltyTermShape::PenaltyTermShape;
    double operator()(const T* w, T* grad, double lam, T* work) {
      const double n = penalty_detail::gram_side(r, c);
      const double inv_g2 = 1.0 / (s.gain * s.gain);
      return gram_frobenius_term(w, grad, r, c, r >= c, inv_g2, false,
                                 lam * penalty_detail::per_entry(s, n), work);
    }
  };
};

struct DsoPenalty {
  static constexpr const char* name = "dso";
  static constexpr const char* formula =
      "λ(‖WᵀW − I‖_F² + ‖WWᵀ − I‖_F²);  ∂/∂W = 4λ [W (WᵀW − I) + (WWᵀ − I) W]";
  static constexpr const char* source = "Bansal, Chen & Wang 2018, NeurIPS (DSO)";
  static constexpr bool reads_gain = false;
  static double flops(const PenaltySpec&, int r, int c) { return 4.0 * r * c * (double(r) + c); }
  static std::size_t workspace(int r, int c) {
    const std::size_t n = std::max(r, c);
    return n * n;
  }
  template <class T>
  struct Term : PenaltyTermShape {
    using PenaltyTermShape::PenaltyTermShape;
    double operator()(const T* w, T* grad, double lam, T* work) {
      const bool mean = s.norm == PenaltyNorm::Mean;
      const double rr = r, cc = c;
      return gram_frobenius_term(w, grad, r, c, true, 1.0, false,
                                 lam * (mean ? 1.0 / (cc * cc) : 1.0), work) +
             gram_frobenius_term(w, grad, r, c, false, 1.0, false,
                                 lam * (mean ? 1.0 / (rr * rr) : 1.0), work);
    }
  };
};

struct McPenalty {
  static constexpr const char* name = "mc";
  static constexpr const char* formula =
      "λ max_ij |(WᵀW − I)_ij|;  subgradient at the arg-max entry";
  static constexpr const char* source = "Bansal, Chen & Wang 2018, NeurIPS (MC)";
  static constexpr bool reads_gain = false;
  static double flops(const PenaltySpec&, int r, int c) {
    return 2.0 * r * c * std::min(r, c);  // Gram only
  }
  static std::size_t workspace(int r, int c) { return SoPenalty::workspace(r, c); }
  template <class T>
  struct Term : PenaltyTermShape {
    using PenaltyTermShape::PenaltyTermShape;
    double operator()(const T* w, T* grad, double lam, T* work) {
      const double n = penalty_detail::gram_side(r, c);
      return mutual_coherence_term(w, grad, r, c, lam * penalty_detail::per_entry(s, n), work);
    }
  };
};

struct SripPenalty {
  static constexpr const char* name = "srip";
  static constexpr const char* formula =
      "λ σ_max(WᵀW − I) by k warm-started power iterations;  ∂/∂W = 2λ·sign·(W v) vᵀ";
  static constexpr const char* source = "Bansal, Chen & Wang 2018, NeurIPS (SRIP)";
  static constexpr bool reads_gain = false;
  static double flops(const PenaltySpec& s, int r, int c) {
    return (4.0 * s.srip_iterations + 2.0) * r * c;
  }
  static std::size_t workspace(int r, int c) {
    return static_cast<std::size_t>(std::max(r, c)) + static_cast<std::size_t>(std::min(r, c));
  }
  template <class T>
  struct Term {
    PenaltySpec s;
    int r, c;
    std::vector<T> v, v_saved;  // the eigenvector estimate (n), kept across calls
    Term(const PenaltySpec& spec, int rows, int cols, std::uint64_t seed)
        : s(spec), r(rows), c(cols) {
      const int n = std::min(r, c);
      v.resize(static_cast<std::size_t>(n));
      v_saved.resize(static_cast<std::size_t>(n));
      srip_start_vector(seed, v.data(), n);
    }
    double operator()(const T* w, T* grad, double lam, T* work) {
      const double n = penalty_detail::gram_side(r, c);
      T* wv = work;                                             // max(r, c)
      T* ev = work + static_cast<std::size_t>(std::max(r, c));  // n
      return srip_term(w, grad, r, c, s.srip_iterations, lam * penalty_detail::per_entry(s, n),
                       v.data(), wv, ev);
    }
    void save_state() { std::copy(v.begin(), v.end(), v_saved.begin()); }
    void restore_state() { std::copy(v_saved.begin(), v_saved.end(), v.begin()); }
    void state(StateArchive& ar) { ar.io_buffer("srip.v", v.data(), v.size()); }  // checkpoints
  };
};

struct SeedNotebookPenalty {
  static constexpr const char* name = "seed_notebook";
  static constexpr const char* formula =
      "λ·mean((KᵀK/g² − 1)²), K = Wᵀ the Keras kernel, − 1 on every entry;  "
      "∂/∂W = (4λ/(g² r²)) (WWᵀ/g² − 11ᵀ) W";
  static constexpr const char* source = "the seed study's Keras code (Hlav 2019)";
  static constexpr bool reads_gain = true;
  static double flops(const PenaltySpec&, int r, int c) {
    return 4.0 * r * r * c;  // WWᵀ + E·W
  }
  static std::size_t workspace(int r, int) { return static_cast<std::size_t>(r) * r; }
  template <class T>
  struct Term : PenaltyTermShape {
    using PenaltyTermShape::PenaltyTermShape;
    double operator()(const T* w, T* grad, double lam, T* work) {
      const double rr = r;
      const double inv_g2 = 1.0 / (s.gain * s.gain);
      return gram_frobenius_term(w, grad, r, c, false, inv_g2, true,
                                 lam * (s.norm == PenaltyNorm::Mean ? 1.0 / (rr * rr) : 1.0), work);
    }
  };
};

using BuiltinPenalties = std::tuple<SoPenalty, SoGainAdjustedPenalty, DsoPenalty, McPenalty,
                                    SripPenalty, SeedNotebookPenalty>;

// The "no penalty" setting of a grid (not a method: OrthoPenalty does nothing for it).
struct NoPenalty {
  static constexpr const char* name = "none";
};

}  // namespace isobench
