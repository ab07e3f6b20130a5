#include "isobench/core/linalg.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "isobench/core/blas.hpp"
#include "isobench/core/decompositions.hpp"
#include "isobench/core/non_finite.hpp"

extern "C" {
void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s,
             double* u, const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork,
             int* iwork, int* info);
void dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work,
             const int* lwork, int* info);
void dorgqr_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau,
             double* work, const int* lwork, int* info);
void dgeev_(const char* jobvl, const char* jobvr, const int* n, double* a, const int* lda,
            double* wr, double* wi, double* vl, const int* ldvl, double* vr, const int* ldvr,
            double* work, const int* lwork, int* info);
}

namespace isobench {

template <class T>
std::vector<double> singular_values(const Matrix<T>& a) {
  // Row-major (r × c) is column-major (c × r) = Aᵀ: same singular values.
  const int m = static_cast<int>(a.shape(1)), n = static_cast<int>(a.shape(0));
  check_finite("singular_values", "the matrix", a);
  std::vector<double> buf(a.begin(), a.end());
  std::vector<double> s(static_cast<std::size_t>(std::min(m, n)));
  if (s.empty()) return s;
  std::vector<int> iwork(8 * static_cast<std::size_t>(std::min(m, n)));
  int lda = std::max(1, m), ldu = 1, ldvt = 1, lwork = -1, info = 0;
  double wq = 0, dummy = 0;
  dgesdd_("N", &m, &n, buf.data(), &lda, s.data(), &dummy, &ldu, &dummy, &ldvt, &wq, &lwork,
          iwork.data(), &info);
  lwork = static_cast<int>(wq) + 1;
  std::vector<double> work(static_cast<std::size_t>(lwork));
  dgesdd_("N", &m, &n, buf.data(), &lda, s.data(), &dummy, &ldu, &dummy, &ldvt, work.data(), &lwork,
          iwork.data(), &info);
  lapack::check_info("dgesdd", info);
  return s;
}
template std::vector<double> singular_values<float>(const Matrix<float>&);
template std::vector<double> singular_values<double>(const Matrix<double>&);

std::vector<std::complex<double>> eigenvalues(const Matrix<double>& a) {
  const int n = static_cast<int>(a.shape(0));
  if (a.shape(1) != a.shape(0)) throw std::invalid_argument("eigenvalues: matrix is not square");
  check_finite("eigenvalues", "the matrix", a);
  // Column-major copy of a row-major matrix is Aᵀ: same eigenvalues.
  std::vector<double> buf(a.begin(), a.end()), wr(n), wi(n);
  int lda = std::max(1, n), ld1 = 1, lwork = -1, info = 0;
  double wq = 0, dummy = 0;
  dgeev_("N", "N", &n, buf.data(), &lda, wr.data(), wi.data(), &dummy, &ld1, &dummy, &ld1, &wq,
         &lwork, &info);
  lwork = static_cast<int>(wq) + 1;
  std::vector<double> work(static_cast<std::size_t>(lwork));
  dgeev_("N", "N", &n, buf.data(), &lda, wr.data(), wi.data(), &dummy, &ld1, &dummy, &ld1,
         work.data(), &lwork, &info);
  lapack::check_info("dgeev", info);
  std::vector<std::complex<double>> ev(n);
  for (int i = 0; i < n; ++i) ev[i] = {wr[i], wi[i]};
  return ev;
}

void qr_colmajor(double* a, int m, int n, std::vector<double>& r_diag) {
  if (m < n) throw std::invalid_argument("qr_colmajor: needs m >= n");
  // Column-major (m × n) is the row-major (n × m) matrix.
  check_finite("qr_colmajor", "the matrix", a, static_cast<std::size_t>(n),
               static_cast<std::size_t>(m), static_cast<std::size_t>(m));
  std::vector<double> tau(static_cast<std::size_t>(n));
  int lda = std::max(1, m), lwork = -1, info = 0;
  double wq = 0;
  dgeqrf_(&m, &n, a, &lda, tau.data(), &wq, &lwork, &info);
  lwork = std::max(1, static_cast<int>(wq));
  std::vector<double> work(static_cast<std::size_t>(lwork));
  dgeqrf_(&m, &n, a, &lda, tau.data(), work.data(), &lwork, &info);
  lapack::check_info("dgeqrf", info);
  r_diag.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) r_diag[i] = a[i + static_cast<std::size_t>(i) * m];
  lwork = -1;
  dorgqr_(&m, &n, &n, a, &lda, tau.data(), &wq, &lwork, &info);
  lwork = std::max(1, static_cast<int>(wq));
  work.resize(static_cast<std::size_t>(lwork));
  dorgqr_(&m, &n, &n, a, &lda, tau.data(), work.data(), &lwork, &info);
  lapack::check_info("dorgqr", info);
}

template <class T>
double orthogonality_error(const Matrix<T>& a, double gain) {
  const int r = static_cast<int>(a.shape(0)), c = static_cast<int>(a.shape(1));
  Matrix<double> ad(a.shape());
  std::copy(a.begin(), a.end(), ad.begin());
  const bool tall = r >= c;
  const int n = tall ? c : r;
  Matrix<double> g({static_cast<std::size_t>(n), static_cast<std::size_t>(n)});
  // tall: AᵀA (c × c); wide: AAᵀ (r × r)
  if (tall)
    gemm(Op::T, Op::N, 1.0, ad, ad, 0.0, g);
  else
    gemm(Op::N, Op::T, 1.0, ad, ad, 0.0, g);
  const double inv = 1.0 / (gain * gain);
  double s = 0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const double d = g(i, j) * inv - (i == j ? 1.0 : 0.0);
      s += d * d;
    }
  return std::sqrt(s);
}
template double orthogonality_error<float>(const Matrix<float>&, double);
template double orthogonality_error<double>(const Matrix<double>&, double);

}  // namespace isobench
