#include "isobench/core/blas.hpp"

#include <cblas.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

extern "C" {
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
}

namespace isobench {
namespace {
CBLAS_TRANSPOSE op(Op o) {
  return o == Op::N ? CblasNoTrans : CblasTrans;
}
}  // namespace

void gemm(Op opa, Op opb, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
          int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, op(opa), op(opb), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemm(Op opa, Op opb, int m, int n, int k, double alpha, const double* a, int lda,
          const double* b, int ldb, double beta, double* c, int ldc) {
  cblas_dgemm(CblasRowMajor, op(opa), op(opb), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

template <class T>
void gemm(Op opa, Op opb, T alpha, const Matrix<T>& a, const Matrix<T>& b, T beta, Matrix<T>& c) {
  const int am = static_cast<int>(a.shape(0)), an = static_cast<int>(a.shape(1));
  const int bm = static_cast<int>(b.shape(0)), bn = static_cast<int>(b.shape(1));
  const int m = opa == Op::N ? am : an, k = opa == Op::N ? an : am;
  const int kb = opb == Op::N ? bm : bn, n = opb == Op::N ? bn : bm;
  if (k != kb || static_cast<int>(c.shape(0)) != m || static_cast<int>(c.shape(1)) != n)
    throw std::invalid_argument("gemm: shape mismatch (" + std::to_string(m) + "x" +
                                std::to_string(k) + " times " + std::to_string(kb) + "x" +
                                std::to_string(n) + " into " + std::to_string(c.shape(0)) + "x" +
                                std::to_string(c.shape(1)) + ")");
  gemm(opa, opb, m, n, k, alpha, a.data(), an, b.data(), bn, beta, c.data(), n);
}

template void gemm<float>(Op, Op, float, const Matrix<float>&, const Matrix<float>&, float,
                          Matrix<float>&);
template void gemm<double>(Op, Op, double, const Matrix<double>&, const Matrix<double>&, double,
                           Matrix<double>&);

void set_blas_threads(int n) {
  openblas_set_num_threads(n < 1 ? 1 : n);
}
int blas_threads() {
  return openblas_get_num_threads();
}

int configure_blas_threads_from_env() {
  int n = 1;
  if (const char* s = std::getenv("ISOBENCH_BLAS_THREADS")) {
    char* end = nullptr;
    long v = std::strtol(s, &end, 10);
    if (end == s || *end != '\0' || v < 1 || v > 256)
      throw std::invalid_argument(std::string("ISOBENCH_BLAS_THREADS='") + s +
                                  "' is not a thread count (expected an integer 1..256)");
    n = static_cast<int>(v);
  }
  set_blas_threads(n);
  return blas_threads();
}

}  // namespace isobench
