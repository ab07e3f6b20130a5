#include "isobench/decompositions.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

extern "C" {
void sgeqrf_(const int* m, const int* n, float* a, const int* lda, float* tau, float* work,
             const int* lwork, int* info);
void dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work,
             const int* lwork, int* info);
void sorgqr_(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau,
             float* work, const int* lwork, int* info);
void dorgqr_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau,
             double* work, const int* lwork, int* info);
void sgelqf_(const int* m, const int* n, float* a, const int* lda, float* tau, float* work,
             const int* lwork, int* info);
void dgelqf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work,
             const int* lwork, int* info);
void sorglq_(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau,
             float* work, const int* lwork, int* info);
void dorglq_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau,
             double* work, const int* lwork, int* info);
void sgesdd_(const char* jobz, const int* m, const int* n, float* a, const int* lda, float* s,
             float* u, const int* ldu, float* vt, const int* ldvt, float* work, const int* lwork,
             int* iwork, int* info);
void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s,
             double* u, const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork,
             int* iwork, int* info);
void sgesv_(const int* n, const int* nrhs, float* a, const int* lda, int* ipiv, float* b,
            const int* ldb, int* info);
void dgesv_(const int* n, const int* nrhs, double* a, const int* lda, int* ipiv, double* b,
            const int* ldb, int* info);
}

namespace isobench::lapack {
namespace {

// Overload sets so the templates below pick the s/d routine by argument type.
void geqrf(const int* m, const int* n, float* a, const int* lda, float* tau, float* w,
           const int* lw, int* info) {
  sgeqrf_(m, n, a, lda, tau, w, lw, info);
}
void geqrf(const int* m, const int* n, double* a, const int* lda, double* tau, double* w,
           const int* lw, int* info) {
  dgeqrf_(m, n, a, lda, tau, w, lw, info);
}
void orgqr(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau,
           float* w, const int* lw, int* info) {
  sorgqr_(m, n, k, a, lda, tau, w, lw, info);
}
void orgqr(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau,
           double* w, const int* lw, int* info) {
  dorgqr_(m, n, k, a, lda, tau, w, lw, info);
}
void gelqf(const int* m, const int* n, float* a, const int* lda, float* tau, float* w,
           const int* lw, int* info) {
  sgelqf_(m, n, a, lda, tau, w, lw, info);
}
void gelqf(const int* m, const int* n, double* a, const int* lda, double* tau, double* w,
           const int* lw, int* info) {
  dgelqf_(m, n, a, lda, tau, w, lw, info);
}
void orglq(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau,
           float* w, const int* lw, int* info) {
  sorglq_(m, n, k, a, lda, tau, w, lw, info);
}
void orglq(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau,
           double* w, const int* lw, int* info) {
  dorglq_(m, n, k, a, lda, tau, w, lw, info);
}
void gesdd(const char* jobz, const int* m, const int* n, float* a, const int* lda, float* s,
           float* u, const int* ldu, float* vt, const int* ldvt, float* w, const int* lw, int* iw,
           int* info) {
  sgesdd_(jobz, m, n, a, lda, s, u, ldu, vt, ldvt, w, lw, iw, info);
}
void gesdd(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s,
           double* u, const int* ldu, double* vt, const int* ldvt, double* w, const int* lw,
           int* iw, int* info) {
  dgesdd_(jobz, m, n, a, lda, s, u, ldu, vt, ldvt, w, lw, iw, info);
}
void gesv(const int* n, const int* nrhs, float* a, const int* lda, int* ipiv, float* b,
          const int* ldb, int* info) {
  sgesv_(n, nrhs, a, lda, ipiv, b, ldb, info);
}
void gesv(const int* n, const int* nrhs, double* a, const int* lda, int* ipiv, double* b,
          const int* ldb, int* info) {
  dgesv_(n, nrhs, a, lda, ipiv, b, ldb, info);
}

void check(int info, const char* routine) {
  if (info != 0)
    throw std::runtime_error(std::string("LAPACK ") + routine +
                             " failed, info = " + std::to_string(info) +
                             (info > 0 ? " (no convergence or a singular matrix: check the input "
                                         "for NaN/Inf or a too large step)"
                                       : " (bad argument)"));
}

template <class T>
int lwork_of(T query) {
  return std::max(1, static_cast<int>(query) + 1);
}

}  // namespace

template <class T>
int qr_work_size(int m, int n) {
  if (m < n) throw std::invalid_argument("lapack::qr_thin needs m >= n");
  int lda = std::max(1, m), lw = -1, info = 0;
  T q1 = 0, q2 = 0, dummy = 0;
  geqrf(&m, &n, &dummy, &lda, &dummy, &q1, &lw, &info);
  orgqr(&m, &n, &n, &dummy, &lda, &dummy, &q2, &lw, &info);
  return std::max(lwork_of(q1), lwork_of(q2));
}

template <class T>
void qr_thin(int m, int n, T* a, int lda, T* r_diag, T* tau, T* work, int lwork) {
  int info = 0;
  geqrf(&m, &n, a, &lda, tau, work, &lwork, &info);
  check(info, "geqrf");
  for (int j = 0; j < n; ++j) r_diag[j] = a[j + static_cast<long>(j) * lda];
  orgqr(&m, &n, &n, a, &lda, tau, work, &lwork, &info);
  check(info, "orgqr");
}

template <class T>
int lq_work_size(int m, int n) {
  if (m > n) throw std::invalid_argument("lapack::lq_thin needs m <= n");
  int lda = std::max(1, m), lw = -1, info = 0;
  T q1 = 0, q2 = 0, dummy = 0;
  gelqf(&m, &n, &dummy, &lda, &dummy, &q1, &lw, &info);
  orglq(&m, &n, &m, &dummy, &lda, &dummy, &q2, &lw, &info);
  return std::max(lwork_of(q1), lwork_of(q2));
}

template <class T>
void lq_thin(int m, int n, T* a, int lda, T* l_diag, T* tau, T* work, int lwork) {
  int info = 0;
  gelqf(&m, &n, a, &lda, tau, work, &lwork, &info);
  check(info, "gelqf");
  for (int i = 0; i < m; ++i) l_diag[i] = a[i + static_cast<long>(i) * lda];
  orglq(&m, &n, &m, a, &lda, tau, work, &lwork, &info);
  check(info, "orglq");
}

template <class T>
int svd_work_size(int m, int n) {
  const int k = std::min(m, n);
  int lda = std::max(1, m), ldu = std::max(1, m), ldvt = std::max(1, k), lw = -1, info = 0;
  T q = 0, dummy = 0;
  int idummy = 0;
  gesdd("S", &m, &n, &dummy, &lda, &dummy, &dummy, &ldu, &dummy, &ldvt, &q, &lw, &idummy, &info);
  return lwork_of(q);
}

template <class T>
void svd_thin(int m, int n, T* a, T* s, T* u, T* vt, T* work, int lwork, int* iwork) {
  const int k = std::min(m, n);
  int lda = std::max(1, m), ldu = std::max(1, m), ldvt = std::max(1, k), info = 0;
  gesdd("S", &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, iwork, &info);
  check(info, "gesdd");
}

template <class T>
void lu_solve(int n, int nrhs, T* a, T* b, int* ipiv) {
  int lda = std::max(1, n), ldb = std::max(1, n), info = 0;
  gesv(&n, &nrhs, a, &lda, ipiv, b, &ldb, &info);
  check(info, "gesv");
}

#define ISOBENCH_LAPACK_INSTANTIATE(T)                                \
  template int qr_work_size<T>(int, int);                             \
  template void qr_thin<T>(int, int, T*, int, T*, T*, T*, int);       \
  template int lq_work_size<T>(int, int);                             \
  template void lq_thin<T>(int, int, T*, int, T*, T*, T*, int);       \
  template int svd_work_size<T>(int, int);                            \
  template void svd_thin<T>(int, int, T*, T*, T*, T*, T*, int, int*); \
  template void lu_solve<T>(int, int, T*, T*, int*);
ISOBENCH_LAPACK_INSTANTIATE(float)
ISOBENCH_LAPACK_INSTANTIATE(double)
#undef ISOBENCH_LAPACK_INSTANTIATE

}  // namespace isobench::lapack
