// Thin, allocation-free wrappers over CBLAS (OpenBLAS) for row-major float and double.
//
// gemm computes C = alpha·op(A)·op(B) + beta·C into an existing buffer; transposes are BLAS
// flags, never copies. Shapes: op(A) is (m × k), op(B) is (k × n), C is (m × n).
#pragma once

#include <cstddef>

#include "isobench/core/tensor.hpp"

namespace isobench {

enum class Op { N, T };

void gemm(Op opa, Op opb, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
          int ldb, float beta, float* c, int ldc);
void gemm(Op opa, Op opb, int m, int n, int k, double alpha, const double* a, int lda,
          const double* b, int ldb, double beta, double* c, int ldc);

// Matrix form with shape checks (throws std::invalid_argument on mismatch); C must be sized.
template <class T>
void gemm(Op opa, Op opb, T alpha, const Matrix<T>& a, const Matrix<T>& b, T beta, Matrix<T>& c);

// OpenBLAS thread count (process-wide). isobench sets it once from ISOBENCH_BLAS_THREADS.
void set_blas_threads(int n);
int blas_threads();
// Applies ISOBENCH_BLAS_THREADS if set (else 1: on 2 cores, 128-sized GEMMs run faster on one
// thread); returns the count in force.
int configure_blas_threads_from_env();

}  // namespace isobench
