#include "isobench/init.hpp"

#include <cmath>
#include <vector>

#include "isobench/linalg.hpp"

namespace isobench {
namespace {
template <class T>
void fill_normal(Matrix<T>& w, double stddev, Engine& eng) {
  for (auto& x : w) x = static_cast<T>(stddev * standard_normal(eng));
}
}  // namespace

template <class T>
void GaussianInit::operator()(Matrix<T>& w, Engine& eng) const {
  fill_normal(w, std::sqrt(sw2 / static_cast<double>(w.shape(1))), eng);
}

template <class T>
void GlorotUniformInit::operator()(Matrix<T>& w, Engine& eng) const {
  const double a = std::sqrt(6.0 / static_cast<double>(w.shape(0) + w.shape(1)));
  for (auto& x : w) x = static_cast<T>(a * (2.0 * uniform01(eng) - 1.0));
}

template <class T>
void GlorotNormalInit::operator()(Matrix<T>& w, Engine& eng) const {
  fill_normal(w, std::sqrt(2.0 / static_cast<double>(w.shape(0) + w.shape(1))), eng);
}

template <class T>
void HeInit::operator()(Matrix<T>& w, Engine& eng) const {
  fill_normal(w, std::sqrt(2.0 / static_cast<double>(w.shape(1))), eng);
}

template <class T>
void OrthogonalInit::operator()(Matrix<T>& w, Engine& eng) const {
  const int rows = static_cast<int>(w.shape(0)), cols = static_cast<int>(w.shape(1));
  const bool tall = rows >= cols;
  const int m = tall ? rows : cols, n = tall ? cols : rows;  // QR of an (m × n) Gaussian, m ≥ n
  std::vector<double> g(static_cast<std::size_t>(m) * n), r_diag;
  for (auto& x : g) x = standard_normal(eng);
  qr_colmajor(g.data(), m, n, r_diag);
  // Q·diag(sign(R_jj)) is Haar-distributed (Mezzadri 2007); plain Q is not.
  for (int j = 0; j < n; ++j) {
    const double s = (fix_signs && r_diag[j] < 0 ? -1.0 : 1.0) * gain;
    for (int i = 0; i < m; ++i) {
      const double q = g[i + static_cast<std::size_t>(j) * m] * s;  // Q(i, j), column-major
      if (tall)
        w(i, j) = static_cast<T>(q);  // columns orthonormal
      else
        w(j, i) = static_cast<T>(q);  // rows orthonormal (Qᵀ)
    }
  }
}

template <class T>
void IdentityInit::operator()(Matrix<T>& w, Engine& /*eng*/) const {
  w.fill(T(0));
  const std::size_t n = std::min(w.shape(0), w.shape(1));
  for (std::size_t i = 0; i < n; ++i) w(i, i) = static_cast<T>(gain);
}

template <class T>
void initialize(const InitSpec& spec, Matrix<T>& w, Engine& eng) {
  switch (spec.kind) {
    case InitKind::Gaussian:
      return GaussianInit{spec.scale}(w, eng);
    case InitKind::Orthogonal:
      return OrthogonalInit{spec.scale}(w, eng);
    case InitKind::GlorotUniform:
      return GlorotUniformInit{}(w, eng);
    case InitKind::GlorotNormal:
      return GlorotNormalInit{}(w, eng);
    case InitKind::He:
      return HeInit{}(w, eng);
    case InitKind::Identity:
      return IdentityInit{spec.scale}(w, eng);
  }
  throw std::logic_error("unknown initializer");
}

#define ISOBENCH_INSTANTIATE_INIT(T)                                         \
  template void GaussianInit::operator()<T>(Matrix<T>&, Engine&) const;      \
  template void GlorotUniformInit::operator()<T>(Matrix<T>&, Engine&) const; \
  template void GlorotNormalInit::operator()<T>(Matrix<T>&, Engine&) const;  \
  template void HeInit::operator()<T>(Matrix<T>&, Engine&) const;            \
  template void OrthogonalInit::operator()<T>(Matrix<T>&, Engine&) const;    \
  template void IdentityInit::operator()<T>(Matrix<T>&, Engine&) const;      \
  template void initialize<T>(const InitSpec&, Matrix<T>&, Engine&);
ISOBENCH_INSTANTIATE_INIT(float)
ISOBENCH_INSTANTIATE_INIT(double)
#undef ISOBENCH_INSTANTIATE_INIT

const char* init_name(InitKind k) {
  switch (k) {
    case InitKind::Gaussian:
      return "gaussian";
    case InitKind::Orthogonal:
      return "orthogonal";
    case InitKind::GlorotUniform:
      return "glorot_uniform";
    case InitKind::GlorotNormal:
      return "glorot_normal";
    case InitKind::He:
      return "he";
    case InitKind::Identity:
      return "identity";
  }
  return "?";
}

InitKind parse_init(std::string_view s) {
  for (InitKind k : {InitKind::Gaussian, InitKind::Orthogonal, InitKind::GlorotUniform,
                     InitKind::GlorotNormal, InitKind::He, InitKind::Identity})
    if (s == init_name(k)) return k;
  throw std::invalid_argument("unknown init '" + std::string(s) +
                              "' (expected gaussian, orthogonal, glorot_uniform, glorot_normal, "
                              "he or identity)");
}

}  // namespace isobench
