#include "isobench/ortho/orthogonality.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

#include "isobench/core/blas.hpp"
#include "isobench/core/decompositions.hpp"
#include "isobench/core/non_finite.hpp"

namespace isobench {

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

double orthogonality_gain(const InitSpec& init) {
  return checked_init(init).sets_gain ? init.gain : 1.0;
}

SpectrumSummary summarize_spectrum(std::vector<double> sv) {
  if (sv.empty()) throw std::invalid_argument("summarize_spectrum: no singular values");
  check_finite("summarize_spectrum", "the singular values", sv.data(), 1, sv.size(), sv.size());
  SpectrumSummary s;
  const double n = static_cast<double>(sv.size());
  // s_i: mean and population standard deviation.
  double sum = 0;
  for (double v : sv) sum += v;
  s.mean = sum / n;
  double var = 0;
  for (double v : sv) var += (v - s.mean) * (v - s.mean);
  s.std = std::sqrt(var / n);
  // s_i²: mean and population variance.
  double sum2 = 0;
  for (double v : sv) sum2 += v * v;
  s.sv2_mean = sum2 / n;
  double var2 = 0;
  for (double v : sv) var2 += (v * v - s.sv2_mean) * (v * v - s.sv2_mean);
  s.sv2_var = var2 / n;
  const auto [mn, mx] = std::minmax_element(sv.begin(), sv.end());
  s.min = *mn;
  s.max = *mx;
  s.sv2_max = s.max * s.max;
  const double tol = n * std::numeric_limits<double>::epsilon() * s.max;
  if (s.min > tol && std::isfinite(s.max / s.min)) s.cond = s.max / s.min;
  // Below n·ε·s_max the smallest singular value is rounding noise (1e-17, 1e-116, …): J is
  // singular to machine precision, so report 0, consistent with cond's absence.
  s.sv_min = s.min <= tol ? 0.0 : s.min;
  s.sv = std::move(sv);
  return s;
}

template <class T>
SpectrumSummary summarize_spectrum(const Matrix<T>& w) {
  return summarize_spectrum(singular_values(w));
}
template SpectrumSummary summarize_spectrum<float>(const Matrix<float>&);
template SpectrumSummary summarize_spectrum<double>(const Matrix<double>&);

template <class T>
SpectrumSummary kernel_spectrum(const Matrix<T>& w, double gain) {
  if (!std::all_of(w.begin(), w.end(), [](T v) { return std::isfinite(v); })) {
    SpectrumSummary s;
    s.finite = false;
    return s;
  }
  SpectrumSummary s = summarize_spectrum(w);
  s.ortho_err = orthogonality_error(w, gain);
  return s;
}
template SpectrumSummary kernel_spectrum<float>(const Matrix<float>&, double);
template SpectrumSummary kernel_spectrum<double>(const Matrix<double>&, double);

}  // namespace isobench
