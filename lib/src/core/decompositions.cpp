#include "isobench/core/decompositions.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "isobench/core/non_finite.hpp"

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
void dsyev_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
            double* work, const int* lwork, int* info);
void dstev_(const char* jobz, const int* n, double* d, double* e, double* z, const int* ldz,
            double* work, int* info);
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

template <class T>
constexpr const char* prefix() {
  return sizeof(T) == sizeof(float) ? "s" : "d";
}

// LAPACK's routine names without the s/d prefix, and each one's argument list in order.
struct RoutineArgs {
  const char* name;
  const char* args[14];
};
constexpr RoutineArgs kArgs[] = {
    {"geqrf", {"M", "N", "A", "LDA", "TAU", "WORK", "LWORK", "INFO"}},
    {"gelqf", {"M", "N", "A", "LDA", "TAU", "WORK", "LWORK", "INFO"}},
    {"orgqr", {"M", "N", "K", "A", "LDA", "TAU", "WORK", "LWORK", "INFO"}},
    {"orglq", {"M", "N", "K", "A", "LDA", "TAU", "WORK", "LWORK", "INFO"}},
    {"gesdd",
     {"JOBZ", "M", "N", "A", "LDA", "S", "U", "LDU", "VT", "LDVT", "WORK", "LWORK", "IWORK",
      "INFO"}},
    {"gesv", {"N", "NRHS", "A", "LDA", "IPIV", "B", "LDB", "INFO"}},
    {"syev", {"JOBZ", "UPLO", "N", "A", "LDA", "W", "WORK", "LWORK", "INFO"}},
    {"stev", {"JOBZ", "N", "D", "E", "Z", "LDZ", "WORK", "INFO"}},
};

// Checks the column-major (m × n) matrix a (leading dimension lda) before LAPACK sees it.
template <class T>
void check_input(const char* routine, const T* a, int m, int n, int lda, const char* what) {
  // Column-major (m × n) is the row-major (n × m) matrix with row stride lda.
  const std::string who = std::string("LAPACK ") + prefix<T>() + routine;
  check_finite(who.c_str(), what, a, static_cast<std::size_t>(n), static_cast<std::size_t>(m),
               static_cast<std::size_t>(lda));
}

template <class T>
void check(int info, const char* routine) {
  if (info != 0) check_info((std::string(prefix<T>()) + routine).c_str(), info);
}

template <class T>
int lwork_of(T query) {
  return std::max(1, static_cast<int>(query) + 1);
}

}  // namespace

std::string info_message(const char* routine, int info) {
  const std::string r(routine);
  const std::string base = r.size() > 1 ? r.substr(1) : r;  // without the s/d/c/z prefix
  const RoutineArgs* ra = nullptr;
  for (const auto& x : kArgs)
    if (base == x.name) ra = &x;
  const std::string code = "info = " + std::to_string(info);
  if (info == 0) return code + ": success";
  if (info < 0) {
    const int i = -info;
    if (base == "gesdd" && i == 4)  // LAPACK >= 3.10 rejects a NaN in A with info = -4
      return code + ": the matrix holds NaN or Inf (LAPACK's NaN check of argument 4, A)";
    std::string arg = "argument " + std::to_string(i);
    if (ra && i <= 14 && ra->args[i - 1]) arg += std::string(" (") + ra->args[i - 1] + ")";
    return code + ": " + arg + " has an illegal value (a bug in the caller: please report it)";
  }
  std::string what;
  if (base == "gesdd")
    what = "the divide-and-conquer SVD (bdsdc) did not converge";
  else if (base == "gesv")
    what = "U(" + std::to_string(info) + "," + std::to_string(info) +
           ") is exactly zero: the matrix is singular and no solution was computed";
  else if (base == "syev" || base == "stev")
    what = "did not converge: " + std::to_string(info) +
           " off-diagonal elements of the tridiagonal form did not reach zero";
  else
    what = "an unexpected failure";
  return code + ": " + what + " (a NaN, Inf or extremely large entry can cause this)";
}

void check_info(const char* routine, int info) {
  if (info != 0)
    throw std::runtime_error(std::string("LAPACK ") + routine +
                             " failed: " + info_message(routine, info));
}

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
  check_input("geqrf", a, m, n, lda, "the matrix");
  int info = 0;
  geqrf(&m, &n, a, &lda, tau, work, &lwork, &info);
  check<T>(info, "geqrf");
  for (int j = 0; j < n; ++j) r_diag[j] = a[j + static_cast<long>(j) * lda];
  orgqr(&m, &n, &n, a, &lda, tau, work, &lwork, &info);
  check<T>(info, "orgqr");
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
  check_input("gelqf", a, m, n, lda, "the matrix");
  int info = 0;
  gelqf(&m, &n, a, &lda, tau, work, &lwork, &info);
  check<T>(info, "gelqf");
  for (int i = 0; i < m; ++i) l_diag[i] = a[i + static_cast<long>(i) * lda];
  orglq(&m, &n, &m, a, &lda, tau, work, &lwork, &info);
  check<T>(info, "orglq");
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
  check_input("gesdd", a, m, n, lda, "the matrix");
  gesdd("S", &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, iwork, &info);
  check<T>(info, "gesdd");
}

template <class T>
void lu_solve(int n, int nrhs, T* a, T* b, int* ipiv) {
  int lda = std::max(1, n), ldb = std::max(1, n), info = 0;
  check_input("gesv", a, n, n, lda, "the matrix");
  check_input("gesv", b, n, nrhs, ldb, "the right-hand side");
  gesv(&n, &nrhs, a, &lda, ipiv, b, &ldb, &info);
  check<T>(info, "gesv");
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

void symmetric_eigen(int n, double* a, double* w) {
  int lwork = -1, info = 0;
  double wq = 0;
  dsyev_("V", "U", &n, a, &n, w, &wq, &lwork, &info);
  lwork = static_cast<int>(wq) + 1;
  std::vector<double> work(static_cast<std::size_t>(lwork));
  dsyev_("V", "U", &n, a, &n, w, work.data(), &lwork, &info);
  lapack::check_info("dsyev", info);
}

void tridiagonal_eigenvalues(int n, double* d, double* e) {
  const char jobz = 'N';
  int ldz = 1, info = 0;
  double dummy = 0, work = 0;  // jobz = 'N': neither Z nor WORK is referenced
  dstev_(&jobz, &n, d, e, &dummy, &ldz, &work, &info);
  lapack::check_info("dstev", info);
}

}  // namespace isobench
