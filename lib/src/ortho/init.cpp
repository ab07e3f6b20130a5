#include "isobench/ortho/init.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "isobench/core/decompositions.hpp"

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
  const std::size_t nn = static_cast<std::size_t>(n);
  std::vector<double> g(static_cast<std::size_t>(m) * nn), r_diag(nn), tau(nn);
  for (auto& x : g) x = standard_normal(eng);
  // Init time, once per matrix: the preallocating QR of the constraints, with its work arrays here.
  std::vector<double> work(static_cast<std::size_t>(lapack::qr_work_size<double>(m, n)));
  lapack::qr_thin<double>(m, n, g.data(), std::max(1, m), r_diag.data(), tau.data(), work.data(),
                          static_cast<int>(work.size()));
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

InitSpec InitSpec::at_sw2(std::string method, double sw2) {
  const InitMethod& m = init_method(method);
  InitSpec s{std::move(method), 1.0, 1.0};
  if (m.reads_sw2) s.sw2 = sw2;
  if (m.sets_gain) s.gain = std::sqrt(sw2);
  return s;
}

const InitMethod& checked_init(const InitSpec& spec) {
  const InitMethod& m = init_method(spec.method);
  auto bad = [&](const std::string& what) {
    throw std::invalid_argument("init '" + spec.method + "': " + what);
  };
  if (!(std::isfinite(spec.sw2) && spec.sw2 > 0))
    bad("sw2 (σ_w²) must be > 0 and finite, got " + std::to_string(spec.sw2));
  if (!(std::isfinite(spec.gain) && spec.gain > 0))
    bad("gain must be > 0 and finite, got " + std::to_string(spec.gain));
  if (!m.reads_sw2 && spec.sw2 != 1.0)
    bad("does not read sw2 (σ_w²), got sw2 = " + std::to_string(spec.sw2) +
        (m.sets_gain ? "; it sets a gain: give gain (InitSpec::at_sw2 uses √σ_w²)" : ""));
  if (!m.sets_gain && spec.gain != 1.0)
    bad("sets no gain, got gain = " + std::to_string(spec.gain) +
        (m.reads_sw2 ? "; it reads sw2 (σ_w²): give sw2" : ""));
  return m;
}

template <class T>
void initialize(const InitSpec& spec, Matrix<T>& w, Engine& eng) {
  const InitMethod& m = checked_init(spec);
  if constexpr (std::is_same_v<T, float>)
    m.fill_float(spec, w, eng);
  else
    m.fill_double(spec, w, eng);
}

template <class T>
void initialize(const InitSpec& spec, Matrix<T>& w, const RunStreams& streams,
                std::string_view role) {
  Engine eng = streams.weights(role, spec.method, w.shape(0), w.shape(1));
  initialize(spec, w, eng);
}

#define ISOBENCH_INSTANTIATE_INIT(T)                                         \
  template void GaussianInit::operator()<T>(Matrix<T>&, Engine&) const;      \
  template void GlorotUniformInit::operator()<T>(Matrix<T>&, Engine&) const; \
  template void GlorotNormalInit::operator()<T>(Matrix<T>&, Engine&) const;  \
  template void HeInit::operator()<T>(Matrix<T>&, Engine&) const;            \
  template void OrthogonalInit::operator()<T>(Matrix<T>&, Engine&) const;    \
  template void IdentityInit::operator()<T>(Matrix<T>&, Engine&) const;      \
  template void initialize<T>(const InitSpec&, Matrix<T>&, Engine&);         \
  template void initialize<T>(const InitSpec&, Matrix<T>&, const RunStreams&, std::string_view);
ISOBENCH_INSTANTIATE_INIT(float)
ISOBENCH_INSTANTIATE_INIT(double)
#undef ISOBENCH_INSTANTIATE_INIT

const char* init_ensemble_name(InitEnsemble e) {
  switch (e) {
    case InitEnsemble::None:
      return "none";
    case InitEnsemble::Gaussian:
      return "gaussian";
    case InitEnsemble::Haar:
      return "haar";
  }
  return "?";
}

std::string parse_init(std::string_view name) {
  return init_method(name).name;
}

}  // namespace isobench
