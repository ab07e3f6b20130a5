// Dense linear algebra through LAPACK (OpenBLAS), in double unless stated. Inputs are row-major
// isobench matrices; the wrappers handle LAPACK's column-major layout.
#pragma once

#include <complex>
#include <vector>

#include "isobench/core/tensor.hpp"

namespace isobench {

// Singular values of A (any shape), descending. dgesdd without vectors. A holding NaN or Inf:
// NonFiniteError (non_finite.hpp); a LAPACK failure: std::runtime_error saying what info means.
template <class T>
std::vector<double> singular_values(const Matrix<T>& a);

// Eigenvalues of a square real matrix (dgeev, no vectors). NaN/Inf: NonFiniteError.
std::vector<std::complex<double>> eigenvalues(const Matrix<double>& a);

// Householder QR of the column-major (m × n) buffer `a` (m ≥ n) in place: on return `a` holds
// the m × n factor Q and `r_diag` the n diagonal entries of R. NaN/Inf: NonFiniteError.
void qr_colmajor(double* a, int m, int n, std::vector<double>& r_diag);

// Frobenius norm of AᵀA/g² − I (A tall or square) or AAᵀ/g² − I (A wide) — the orthogonality
// error `ortho_err` of docs/CONTRACT.md.
template <class T>
double orthogonality_error(const Matrix<T>& a, double gain = 1.0);

}  // namespace isobench
