#include "isobench/ortho/constraint.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "isobench/core/blas.hpp"
#include "isobench/core/decompositions.hpp"
#include "isobench/core/non_finite.hpp"

namespace isobench {

namespace {
void check_shape(const char* who, int rows, int cols, std::size_t r, std::size_t c,
                 const char* what) {
  if (static_cast<int>(r) != rows || static_cast<int>(c) != cols)
    throw std::invalid_argument(std::string(who) + ": " + what + " is " + std::to_string(r) + "x" +
                                std::to_string(c) + ", but the constraint was built for " +
                                std::to_string(rows) + "x" + std::to_string(cols));
}
void check_dims(const char* who, int rows, int cols) {
  if (rows < 1 || cols < 1)
    throw std::invalid_argument(std::string(who) + ": the weight shape " + std::to_string(rows) +
                                "x" + std::to_string(cols) + " is empty");
}
}  // namespace

// ---- QR retraction ---------------------------------------------------------------------------
// The row-major (r × c) buffer of W is the column-major (c × r) matrix Wᵀ, so both cases work in
// place: tall W: Wᵀ = L Q' (LQ), W = Q'ᵀ Lᵀ and the buffer then holds Q'ᵀ (orthonormal
// columns), R = Lᵀ; wide W: Wᵀ = Q' R (QR), W = Rᵀ Q'ᵀ and the buffer holds Q'ᵀ (orthonormal
// rows). Either way diag(R) is the returned diagonal.

template <class T>
QrRetraction<T>::QrRetraction(int rows, int cols, double gain)
    : rows_(rows), cols_(cols), gain_(gain) {
  check_dims("QrRetraction", rows, cols);
  const int k = std::min(rows, cols);
  diag_.resize(k);
  tau_.resize(k);
  work_.resize(rows >= cols ? lapack::lq_work_size<T>(cols, rows)
                            : lapack::qr_work_size<T>(cols, rows));
}

template <class T>
void QrRetraction<T>::apply(Matrix<T>& w) {
  check_shape("QrRetraction", rows_, cols_, w.shape(0), w.shape(1), "W");
  check_finite("constraint:qr", "W", w);  // LAPACK would turn +Inf into an exact identity
  const int r = rows_, c = cols_, lw = static_cast<int>(work_.size());
  T* a = w.data();
  if (r >= c) {
    lapack::lq_thin<T>(c, r, a, c, diag_.data(), tau_.data(), work_.data(), lw);
    // column j of Q gets sign(R_jj)·g
    for (int j = 0; j < c; ++j) diag_[j] = static_cast<T>(diag_[j] < 0 ? -gain_ : gain_);
    for (int i = 0; i < r; ++i) {
      T* row = a + static_cast<std::size_t>(i) * c;
      for (int j = 0; j < c; ++j) row[j] *= diag_[j];
    }
  } else {
    lapack::qr_thin<T>(c, r, a, c, diag_.data(), tau_.data(), work_.data(), lw);
    // row i of Q gets sign(L_ii)·g
    for (int i = 0; i < r; ++i) {
      const T s = static_cast<T>(diag_[i] < 0 ? -gain_ : gain_);
      T* row = a + static_cast<std::size_t>(i) * c;
      for (int j = 0; j < c; ++j) row[j] *= s;
    }
  }
}

// ---- SVD projection (polar, margin) ----------------------------------------------------------
// On the column-major view Wᵀ (c × r) = U Σ Vᵀ, the new Wᵀ is U diag(s') Vᵀ; its column-major
// (c × r) buffer is the row-major new W, computed as the row-major product (Vᵀ)ᵀ-view · U-view:
// the vt buffer (k × r, column-major) read row-major is (r × k), the scaled u buffer (c × k,
// column-major) read row-major is (k × c).

template <class T>
SpectralProjection<T>::SpectralProjection(int rows, int cols, double lo, double hi)
    : rows_(rows), cols_(cols), lo_(lo), hi_(hi) {
  check_dims("SpectralProjection", rows, cols);
  if (!(lo >= 0) || !(hi >= lo) || !std::isfinite(hi))
    throw std::invalid_argument("SpectralProjection: the band [" + std::to_string(lo) + ", " +
                                std::to_string(hi) + "] is not a finite interval in [0, inf)");
  const std::size_t r = rows, c = cols, k = std::min(r, c);
  a_.resize(r * c);
  s_.resize(k);
  u_.resize(c * k);
  vt_.resize(k * r);
  work_.resize(lapack::svd_work_size<T>(cols, rows));
  iwork_.resize(8 * k);
}

template <class T>
void SpectralProjection<T>::apply(Matrix<T>& w) {
  check_shape("SpectralProjection", rows_, cols_, w.shape(0), w.shape(1), "W");
  check_finite(lo_ == hi_ ? "constraint:polar" : "constraint:margin", "W", w);
  const int r = rows_, c = cols_, k = std::min(r, c);
  std::copy(w.begin(), w.end(), a_.begin());
  lapack::svd_thin<T>(c, r, a_.data(), s_.data(), u_.data(), vt_.data(), work_.data(),
                      static_cast<int>(work_.size()), iwork_.data());
  const T lo = static_cast<T>(lo_), hi = static_cast<T>(hi_);
  bool inside = true;
  for (int j = 0; j < k; ++j) inside = inside && s_[j] >= lo && s_[j] <= hi;
  if (inside && lo_ != hi_) return;  // a margin band W already satisfies: nothing to project
  for (int j = 0; j < k; ++j) {
    const T s = std::clamp(s_[j], lo, hi);
    T* col = u_.data() + static_cast<std::size_t>(j) * c;
    for (int i = 0; i < c; ++i) col[i] *= s;
  }
  gemm(Op::N, Op::N, r, c, k, T(1), vt_.data(), k, u_.data(), c, T(0), w.data(), c);
}

// ---- Cayley update ---------------------------------------------------------------------------
// LAPACK is column-major: the row-major buffer of N = I − η/2 A read column-major is
// Nᵀ = I + η/2 A = M (A skew), the matrix to invert; the right-hand side N W must be column-major
// (r × c), i.e. the row-major (c × r) matrix (N W)ᵀ = Wᵀ Nᵀ.

template <class T>
CayleyUpdate<T>::CayleyUpdate(int rows, int cols, double lr) : rows_(rows), cols_(cols) {
  check_dims("CayleyUpdate", rows, cols);
  set_lr(lr);
  const std::size_t r = rows, c = cols;
  a_.resize(r * r);
  lu_.resize(r * r);
  rhs_.resize(r * c);
  ipiv_.resize(r);
}

template <class T>
void CayleyUpdate<T>::set_lr(double lr) {
  if (!(lr > 0) || !std::isfinite(lr))
    throw std::invalid_argument("CayleyUpdate: the learning rate " + std::to_string(lr) +
                                " must be finite and > 0");
  lr_ = lr;
}

template <class T>
void CayleyUpdate<T>::step(Matrix<T>& w, const Matrix<T>& g) {
  check_shape("CayleyUpdate", rows_, cols_, w.shape(0), w.shape(1), "W");
  check_shape("CayleyUpdate", rows_, cols_, g.shape(0), g.shape(1), "the gradient");
  check_finite("constraint:cayley", "W", w);
  check_finite("constraint:cayley", "the gradient of W", g);
  const int r = rows_, c = cols_;
  // B = G Wᵀ (r × r); A = B − Bᵀ
  gemm(Op::N, Op::T, r, r, c, T(1), g.data(), c, w.data(), c, T(0), a_.data(), r);
  const T h = static_cast<T>(0.5 * lr_);
  for (int i = 0; i < r; ++i)
    for (int j = 0; j < r; ++j) {
      const T aij =
          a_[static_cast<std::size_t>(i) * r + j] - a_[static_cast<std::size_t>(j) * r + i];
      lu_[static_cast<std::size_t>(i) * r + j] = (i == j ? T(1) : T(0)) - h * aij;  // N
    }
  // rhs (c × r, row-major) = Wᵀ Nᵀ
  gemm(Op::T, Op::T, c, r, r, T(1), w.data(), c, lu_.data(), r, T(0), rhs_.data(), r);
  lapack::lu_solve<T>(r, c, lu_.data(), rhs_.data(), ipiv_.data());
  // rhs now holds X = M⁻¹ N W column-major (r × c): W(i, j) = rhs[i + j r]
  for (int i = 0; i < r; ++i) {
    T* row = w.data() + static_cast<std::size_t>(i) * c;
    for (int j = 0; j < c; ++j) row[j] = rhs_[i + static_cast<std::size_t>(j) * r];
  }
}

// ---- runtime dispatch ------------------------------------------------------------------------

double constraint_rate(const ConstraintSpec& spec) {
  if (spec.rate != 0.0 || !spec.active()) return spec.rate;
  return constraint_method(spec.method).default_rate;
}

std::string parse_constraint(std::string_view name) {
  if (name != "none") constraint_method(name);  // throws listing the registered names
  return std::string(name);
}

template <class T>
OrthoConstraint<T>::OrthoConstraint(ConstraintSpec spec, int rows, int cols)
    : spec_(std::move(spec)), rows_(rows), cols_(cols) {
  const std::string who = "constraint:" + spec_.method;
  if (!(spec_.gain > 0) || !std::isfinite(spec_.gain))
    throw std::invalid_argument(who + ": gain = " + std::to_string(spec_.gain) +
                                " must be finite and > 0");
  if (!spec_.active()) return;
  const ConstraintMethod& m = constraint_method(spec_.method);
  if (m.uses_margin && (!(spec_.margin >= 0) || !std::isfinite(spec_.margin)))
    throw std::invalid_argument(who + ": margin = " + std::to_string(spec_.margin) +
                                " must be finite and >= 0");
  // A setting the method does not read would be ignored silently (and could still reach a name).
  if (!m.uses_margin && spec_.margin != 0.0)
    throw std::invalid_argument(
        who + " has no margin (got margin = " + std::to_string(spec_.margin) + "); leave it 0");
  if (!(m.default_rate > 0) && spec_.rate != 0.0)
    throw std::invalid_argument(who + " has no learning rate of its own (got rate = " +
                                std::to_string(spec_.rate) + "); leave it 0");
  spec_.rate = constraint_rate(spec_);
  if (m.default_rate > 0 && (!(spec_.rate > 0) || !std::isfinite(spec_.rate)))
    throw std::invalid_argument(who + ": the learning rate " + std::to_string(spec_.rate) +
                                " must be finite and > 0");
  replaces_ = m.replaces_step;
  if constexpr (std::is_same_v<T, float>)
    step_ = m.make_float(spec_, rows, cols);
  else
    step_ = m.make_double(spec_, rows, cols);
}

template <class T>
void OrthoConstraint<T>::apply(Matrix<T>& w, const Matrix<T>* grad) {
  if (step_) step_->apply(w, grad);
}

template class QrRetraction<float>;
template class QrRetraction<double>;
template class SpectralProjection<float>;
template class SpectralProjection<double>;
template class CayleyUpdate<float>;
template class CayleyUpdate<double>;
template class OrthoConstraint<float>;
template class OrthoConstraint<double>;

}  // namespace isobench
