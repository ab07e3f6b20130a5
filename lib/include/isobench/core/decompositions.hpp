// The one place for dense matrix decompositions through LAPACK (OpenBLAS).
//
// isobench::lapack: thin wrappers for float and double on COLUMN-MAJOR buffers, allocation-free:
// every routine works in caller-provided workspaces, and a `*_work_size` query tells how large
// they must be (LAPACK's lwork = −1 query), so a caller allocates once and reuses — what the
// per-step constraints need, and the one QR of the library (qr_thin; OrthogonalInit uses it too).
// isobench::singular_values: an allocating convenience on a row-major isobench matrix, for
// measurements (spectra at evaluations, never per step); symmetric_eigen and
// tridiagonal_eigenvalues: allocating, for setup and theory.
//
// Setup, theory and test code may use xtensor-blas (xt::linalg) instead; the per-step calls keep
// these wrappers, because xtensor-blas's LAPACK allocates its work arrays on every call and copies
// its input to column-major first. Outputs keep the routine they were computed with (xt::linalg
// calls e.g. syevd where the library calls syev, which changes the last bits).
//
// Row-major isobench matrices meet these as their transposes: a row-major (r × c) buffer is the
// column-major (c × r) matrix Wᵀ. The constraint code (constraint.cpp) uses that to avoid copies:
//   - Householder QR  (geqrf + orgqr)  Wᵀ = Q R      → the rows of W are made orthonormal;
//   - Householder LQ  (gelqf + orglq)  Wᵀ = L Q      → W = Qᵀ Lᵀ, the columns of W orthonormal;
//   - SVD, divide and conquer (gesdd, thin 'S')      Wᵀ = U Σ Vᵀ;
//   - LU solve (gesv)                                A X = B.
// Each routine first checks its input matrices (NonFiniteError, non_finite.hpp, on a NaN or Inf:
// LAPACK's QR maps +Inf to a finite Q, and its SVD rejects only NaN) and throws
// std::runtime_error saying what LAPACK's info means when info ≠ 0 (check_info).
#pragma once

#include <string>
#include <vector>

#include "isobench/core/tensor.hpp"

namespace isobench {

// Singular values of A (any shape), descending. dgesdd without vectors. A holding NaN or Inf:
// NonFiniteError (non_finite.hpp) naming singular_values; a LAPACK failure: std::runtime_error
// saying what info means.
template <class T>
std::vector<double> singular_values(const Matrix<T>& a);

// Setup-time eigen-decompositions (allocating, double only):
// symmetric_eigen: the symmetric (n × n) matrix `a` (lda = n, upper triangle read; symmetric, so
// the layout does not matter) → its eigenvalues in `w` (n, ascending) and its orthonormal
// eigenvectors as the columns of `a` (dsyev 'V', 'U' — RQB's input covariance; docs/ARCHITECTURE.md
// says why it stays syev). tridiagonal_eigenvalues: the symmetric tridiagonal matrix with diagonal
// `d` (n; overwritten by the eigenvalues, ascending) and off-diagonal `e` (n − 1; destroyed)
// (dstev 'N' — the Gauss–Hermite nodes). A LAPACK failure: std::runtime_error (check_info).
void symmetric_eigen(int n, double* a, double* w);
void tridiagonal_eigenvalues(int n, double* d, double* e);

}  // namespace isobench

namespace isobench::lapack {

// What LAPACK's info of `routine` (e.g. "dgesdd", "sgeqrf") means: info < 0 names the illegal
// argument (-info, with its LAPACK name; gesdd's -4 is its NaN check: "the matrix holds NaN or
// Inf"), info > 0 the routine's own failure (no convergence, an exactly singular matrix, ...).
std::string info_message(const char* routine, int info);
// Throws std::runtime_error("LAPACK <routine> failed: <info_message>") when info ≠ 0.
void check_info(const char* routine, int info);

// QR of the (m × n) matrix `a` (lda ≥ m), m ≥ n: on return the first n columns of `a` hold Q
// with orthonormal columns and `r_diag[0..n)` the diagonal of R. tau: n entries.
template <class T>
int qr_work_size(int m, int n);
template <class T>
void qr_thin(int m, int n, T* a, int lda, T* r_diag, T* tau, T* work, int lwork);

// LQ of the (m × n) matrix `a` (lda ≥ m), m ≤ n: on return the first m rows of `a` hold Q with
// orthonormal rows and `l_diag[0..m)` the diagonal of L. tau: m entries.
template <class T>
int lq_work_size(int m, int n);
template <class T>
void lq_thin(int m, int n, T* a, int lda, T* l_diag, T* tau, T* work, int lwork);

// Thin SVD of the (m × n) matrix `a` (destroyed), k = min(m, n): s (k, descending),
// u (m × k, ldu = m), vt (k × n, ldvt = k). iwork: 8k ints.
template <class T>
int svd_work_size(int m, int n);
template <class T>
void svd_thin(int m, int n, T* a, T* s, T* u, T* vt, T* work, int lwork, int* iwork);

// Solves A X = B for the (n × n) matrix `a` (overwritten by its LU factors) and the (n × nrhs)
// right-hand side `b` (overwritten by X); ipiv: n ints.
template <class T>
void lu_solve(int n, int nrhs, T* a, T* b, int* ipiv);

}  // namespace isobench::lapack
