// Hard orthogonality constraints: after the optimizer step (qr, polar, margin), or instead of it
// (cayley), W is put back on the scaled orthogonal (Stiefel) manifold {W : WᵀW = g² I} (tall or
// square W; wide W: WWᵀ = g² I), or into a spectral band around it. Every policy keeps the gain g
// and owns preallocated LAPACK workspaces, so apply() does not allocate.
//
//   qr      QrRetraction        W ← g·qf(W),  W = Q R thin QR (tall; wide: W = L Q) with the
//                               signs of diag(R) made positive, so the retraction is continuous
//                               (qf of Absil, Mahony & Sepulchre 2008; Wen & Yin 2013).
//                               O(r c²) (Householder, geqrf/gelqf + orgqr/orglq).
//   polar   SpectralProjection  W ← g·U Vᵀ for W = U Σ Vᵀ: the nearest scaled orthogonal matrix
//           band [g, g]         in Frobenius norm (Higham 1986). O(r c²) (gesdd + one GEMM).
//   margin  SpectralProjection  Vorontsov, Trabelsi, Kadoury & Pal 2017 ("On orthogonality and
//           band [g(1−m),       learning RNNs with long term dependencies") keep the singular
//                 g(1+m)]       values of W in [g(1−m), g(1+m)]. They parametrize W = U diag(s) Vᵀ;
//                               isobench instead PROJECTS: after each optimizer step the SVD of W
//                               is taken and its singular values are clipped into the band
//                               (W is untouched when they are all inside). m = 0 is the pure hard
//                               constraint (= polar). O(r c²) per step.
//   cayley  CayleyUpdate        replaces the optimizer step for W (Wisdom, Powers, Hershey, Le Roux
//                               & Atlas 2016; Vorontsov 2017):
//                                   W ← (I + η/2·A)⁻¹ (I − η/2·A) W,   A = G Wᵀ − W Gᵀ  (r × r)
//                               with G = ∂L/∂W and its own learning rate η (the rest of the network
//                               keeps its optimizer). A is skew-symmetric, so the factor is an
//                               orthogonal r × r matrix Q and W ← Q W keeps every singular value:
//                               W stays g·orthogonal — if it starts so (OrthogonalInit{g}):
//                               cayley preserves the spectrum, it does not restore it. Gain g ≠ 1:
//                               the update of V = W/g with ∂L/∂V = g·G has the same A (= gG·Vᵀ −
//                               V·gGᵀ), and g·(Q V) = Q W, so applying it to W directly IS "apply
//                               to W/g, then rescale". To first order L decreases by η/2·‖A‖_F² (a
//                               descent direction). O(r³ + r² c) (two GEMMs and an LU solve, gesv).
//
// Every constraint is a registered method (method_registry.hpp): a policy type with its name,
// formula, source, FLOP count, whether it replaces the optimizer step and its default rate — the
// built-in ones in constraint_methods.hpp, a user's in methods/NAME.hpp. OrthoConstraint runs any
// of them by name. m ≥ 1 makes `margin` the band [0, g(1 + m)] (Vorontsov's widest, m = 1: only
// the upper end binds).
//
// `ortho_err` (docs/CONTRACT.md) is isobench::orthogonality_error(W, g) (orthogonality.hpp).
//
// A NaN or Inf in W (or, for cayley, in its gradient) is never projected: apply() throws
// NonFiniteError (non_finite.hpp) naming "constraint:<kind>" before touching W (LAPACK's QR
// would map a W holding +Inf to an exact identity, ortho_err 0).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "isobench/core/tensor.hpp"

namespace isobench {

struct ConstraintSpec {
  // A registered constraint's name (`constraint:` in run names; `./isobench methods`), or "none".
  std::string method = "none";
  double gain = 1.0;    // g: the target singular value
  double margin = 0.0;  // m of `margin`, ≥ 0 (m ≥ 1: the band [0, g(1 + m)])
  double rate = 0.0;    // the method's own learning rate (cayley's η); 0: its default_rate
  // Whether a constraint is set (callers test this, not the name).
  bool active() const { return method != "none"; }
};

// What one constraint method does to one (rows × cols) kernel, made by the registry from the
// method's policy type. grad: ∂L/∂W, required by methods that replace the optimizer step.
template <class T>
class ConstraintStep {
 public:
  virtual ~ConstraintStep() = default;
  virtual void apply(Matrix<T>& w, const Matrix<T>* grad) = 0;
};

// The registry entry of a constraint (built from the policy type, method_registry.hpp).
struct ConstraintMethod {
  std::string name, formula, source;
  bool builtin = true;
  bool replaces_step = false;  // true: apply() INSTEAD of the optimizer step for W (cayley)
  double default_rate = 0.0;   // its own learning rate when ConstraintSpec::rate is 0 (0: none)
  bool uses_margin = false;    // reads ConstraintSpec::margin (`margin:m` in run names)
  bool whole_kernel = false;   // an LSTM's stacked (4H × H) kernel as one; else each H × H gate
  double (*flops)(int rows, int cols) = nullptr;
  std::unique_ptr<ConstraintStep<float>> (*make_float)(const ConstraintSpec&, int rows,
                                                       int cols) = nullptr;
  std::unique_ptr<ConstraintStep<double>> (*make_double)(const ConstraintSpec&, int rows,
                                                         int cols) = nullptr;
};

// Every registered constraint: the built-in ones, then the user's (methods/).
const std::vector<ConstraintMethod>& constraint_methods();
// The entry named `name`; std::invalid_argument listing the valid names otherwise.
const ConstraintMethod& constraint_method(std::string_view name);
// `name` when it is "none" or a registered constraint; else std::invalid_argument.
std::string parse_constraint(std::string_view name);
// The registered constraints that are not built in (methods/), in registry order.
std::vector<ConstraintMethod> user_constraints();
// The rate a spec runs at: spec.rate, or the method's default_rate when spec.rate is 0.
double constraint_rate(const ConstraintSpec& spec);

// W (rows × cols) ← g·qf(W).
template <class T>
class QrRetraction {
 public:
  QrRetraction(int rows, int cols, double gain);
  void apply(Matrix<T>& w);

 private:
  int rows_, cols_;
  double gain_;
  std::vector<T> diag_, tau_, work_;
};

// W (rows × cols) ← U diag(clip(σ, lo, hi)) Vᵀ; lo = hi = g is the polar retraction.
template <class T>
class SpectralProjection {
 public:
  SpectralProjection(int rows, int cols, double lo, double hi);
  void apply(Matrix<T>& w);
  // Singular values of W before the last apply(), descending.
  const std::vector<T>& last_singular_values() const { return s_; }

 private:
  int rows_, cols_;
  double lo_, hi_;
  std::vector<T> a_, s_, u_, vt_, work_;
  std::vector<int> iwork_;
};

// W (rows × cols) ← (I + η/2 A)⁻¹ (I − η/2 A) W, A = G Wᵀ − W Gᵀ.
template <class T>
class CayleyUpdate {
 public:
  CayleyUpdate(int rows, int cols, double lr);
  // G: (rows × cols), the loss gradient at W.
  void step(Matrix<T>& w, const Matrix<T>& g);
  void set_lr(double lr);
  double lr() const { return lr_; }

 private:
  int rows_, cols_;
  double lr_;
  std::vector<T> a_, lu_, rhs_;  // G Wᵀ (r × r), I − η/2 A (r × r), (I − η/2 A) W transposed
  std::vector<int> ipiv_;
};

// Runtime choice of a registered constraint from a ConstraintSpec.
template <class T>
class OrthoConstraint {
 public:
  // Validates the spec (a registered method or none, g > 0, m ≥ 0 and finite, rate > 0 and
  // finite for methods with a rate) and allocates the workspaces.
  OrthoConstraint(ConstraintSpec spec, int rows, int cols);

  // true for methods like cayley: call apply() with the gradient INSTEAD of the optimizer step for
  // W. Otherwise call apply() right AFTER the optimizer step (the gradient is not needed).
  bool replaces_optimizer_step() const { return replaces_; }

  // W: (rows × cols). grad: (rows × cols), required by cayley, ignored by the others.
  void apply(Matrix<T>& w, const Matrix<T>* grad = nullptr);

  const ConstraintSpec& spec() const { return spec_; }
  int rows() const { return rows_; }
  int cols() const { return cols_; }

 private:
  ConstraintSpec spec_;
  int rows_, cols_;
  bool replaces_ = false;
  std::unique_ptr<ConstraintStep<T>> step_;  // null for none
};

}  // namespace isobench
