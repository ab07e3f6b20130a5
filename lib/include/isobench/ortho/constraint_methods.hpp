// The built-in hard orthogonality constraints as method policy types (formulas: constraint.hpp).
//
// A constraint method is a type with
//   static constexpr const char* name, formula, source;   `constraint:` value, one line each
//   static constexpr bool replaces_step;      true: it IS the update of W (given ∂L/∂W), instead
//                                             of the optimizer step; false: it acts right after it
//   static constexpr double default_rate;     its own learning rate (0: it has none)
//   static constexpr bool uses_margin;        reads ConstraintSpec::margin (`margin:m`)
//   [static constexpr bool whole_kernel;]     optional: an LSTM's stacked (4H × H) kernel as one
//                                             (default: each H × H gate block)
//   static double flops(int r, int c);        FLOPs of one application (LAPACK counted as O(·))
//   template <class T> struct Step {          per-kernel workspace, allocated once
//     Step(const ConstraintSpec&, int r, int c);   // spec.gain = g; spec.rate resolved (> 0)
//     void operator()(Matrix<T>& w, const Matrix<T>* grad);
//   };
// registered by listing it: the built-in ones in BuiltinConstraints below, a user's with
// ISOBENCH_REGISTER_CONSTRAINT(Type) in its file in methods/ (method_registry.hpp).
// Each Step does exactly what OrthoConstraint did before methods were types.
#pragma once

#include <algorithm>
#include <stdexcept>
#include <string>
#include <tuple>

#include "isobench/ortho/constraint.hpp"

namespace isobench {

struct QrConstraint {
  static constexpr const char* name = "qr";
  static constexpr const char* formula =
      "W ← g·qf(W), thin QR with diag(R) > 0 (a continuous retraction), after the optimizer step";
  static constexpr const char* source = "Absil, Mahony & Sepulchre 2008; Wen & Yin 2013";
  static constexpr bool replaces_step = false;
  static constexpr double default_rate = 0.0;
  static constexpr bool uses_margin = false;
  static double flops(int r, int c) {
    const double k = std::min(r, c), n = std::max(r, c);
    return 4.0 * n * k * k;  // Householder QR and forming Q
  }
  template <class T>
  struct Step {
    QrRetraction<T> q;
    Step(const ConstraintSpec& s, int r, int c) : q(r, c, s.gain) {}
    void operator()(Matrix<T>& w, const Matrix<T>*) { q.apply(w); }
  };
};

struct PolarConstraint {
  static constexpr const char* name = "polar";
  static constexpr const char* formula =
      "W ← g·U Vᵀ for W = U Σ Vᵀ, the nearest scaled orthogonal matrix, after the optimizer step";
  static constexpr const char* source = "Higham 1986";
  static constexpr bool replaces_step = false;
  static constexpr double default_rate = 0.0;
  static constexpr bool uses_margin = false;
  static double flops(int r, int c) {
    const double k = std::min(r, c), n = std::max(r, c);
    return 4.0 * n * k * k + 8.0 * k * k * k + 2.0 * r * c * k;  // SVD (order) + one GEMM
  }
  template <class T>
  struct Step {
    SpectralProjection<T> p;
    Step(const ConstraintSpec& s, int r, int c) : p(r, c, s.gain, s.gain) {}
    void operator()(Matrix<T>& w, const Matrix<T>*) { p.apply(w); }
  };
};

struct MarginConstraint {
  static constexpr const char* name = "margin";
  static constexpr const char* formula =
      "singular values of W clipped into [g(1−m), g(1+m)] (m ≥ 1: [0, g(1+m)]) by projection "
      "through the SVD, after the optimizer step";
  static constexpr const char* source =
      "Vorontsov, Trabelsi, Kadoury & Pal 2017 (projected, not their U·diag(s)·Vᵀ "
      "parametrization)";
  static constexpr bool replaces_step = false;
  static constexpr double default_rate = 0.0;
  static constexpr bool uses_margin = true;
  static double flops(int r, int c) { return PolarConstraint::flops(r, c); }
  template <class T>
  struct Step {
    SpectralProjection<T> p;
    // m < 1: [g(1 − m), g(1 + m)]; m ≥ 1 (Vorontsov's widest, m = 1): [0, g(1 + m)].
    Step(const ConstraintSpec& s, int r, int c)
        : p(r, c, s.margin >= 1 ? 0.0 : s.gain * (1 - s.margin), s.gain * (1 + s.margin)) {}
    void operator()(Matrix<T>& w, const Matrix<T>*) { p.apply(w); }
  };
};

struct CayleyConstraint {
  static constexpr const char* name = "cayley";
  static constexpr const char* formula =
      "W ← (I + η/2·A)⁻¹ (I − η/2·A) W, A = G Wᵀ − W Gᵀ, instead of the optimizer step for W";
  static constexpr const char* source =
      "Wisdom, Powers, Hershey, Le Roux & Atlas 2016; Vorontsov et al. 2017";
  static constexpr bool replaces_step = true;
  // η: picked from {0.001, 0.01, 0.03, 0.1, 1, 10} on row MNIST, seed 1 (RQD's header).
  static constexpr double default_rate = 0.03;
  static constexpr bool uses_margin = false;
  static double flops(int r, int c) {
    const double rr = r;
    return 4.0 * rr * rr * c + (2.0 / 3.0) * rr * rr * rr + 2.0 * rr * rr * c;  // GEMMs + LU
  }
  template <class T>
  struct Step {
    CayleyUpdate<T> u;
    Step(const ConstraintSpec& s, int r, int c) : u(r, c, s.rate) {}
    void operator()(Matrix<T>& w, const Matrix<T>* grad) {
      if (!grad)
        throw std::invalid_argument(
            "constraint:cayley needs the gradient of W: call apply(W, &grad) instead of the "
            "optimizer step");
      u.step(w, *grad);
    }
  };
};

using BuiltinConstraints =
    std::tuple<QrConstraint, PolarConstraint, CayleyConstraint, MarginConstraint>;

// The "no constraint" setting of a grid (not a method).
struct NoConstraint {
  static constexpr const char* name = "none";
};

}  // namespace isobench
