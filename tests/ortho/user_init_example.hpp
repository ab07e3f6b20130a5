// Test-only initialization methods, written as a user's methods/NAME.hpp would be, but kept out of
// methods/ (a file there would add runs to every family with an init axis). test_init_methods.cpp
// builds their registry entries with init_method_of<T> — what the registry does for UserInits —
// and runs the distribution checks every registered init gets.
//
//   GramSchmidtOrthogonalInit  W = g·Q, Q from modified Gram–Schmidt of a Gaussian matrix (tall:
//                              columns, wide: rows). Gram–Schmidt gives the QR factor with
//                              diag(R) > 0, so Q is Haar (Mezzadri 2007, §4) — a second,
//                              independent implementation the Haar checks must accept.
//   PlainQrInit                Q of a plain Householder QR (no sign fix), declared Haar: it is
//                              not (Mezzadri 2007), so the Haar checks must reject it.
//   WideGaussianInit           N(0, 1.2·σ_w²/fan_in) declared Gaussian: the variance check must
//                              reject it.
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

#include "isobench/ortho/init.hpp"
#include "isobench/ortho/method_registry.hpp"

namespace isobench_test {

struct GramSchmidtOrthogonalInit {
  static constexpr const char* name = "test_gram_schmidt_orthogonal";
  static constexpr const char* formula = "W = g·Q, Q = modified Gram–Schmidt of a Gaussian";
  static constexpr const char* source = "Mezzadri 2007 (diag(R) > 0 makes Q Haar)";
  static constexpr isobench::InitEnsemble ensemble = isobench::InitEnsemble::Haar;
  static constexpr bool reads_sw2 = false, sets_gain = true;
  template <class T>
  static void fill(const isobench::InitSpec& s, isobench::Matrix<T>& w, isobench::Engine& eng) {
    const std::size_t r = w.shape(0), c = w.shape(1);
    const bool tall = r >= c;
    const std::size_t m = tall ? r : c, n = tall ? c : r;  // n vectors of length m
    std::vector<double> v(m * n);                          // vector j at v[j*m .. j*m + m)
    for (auto& x : v) x = isobench::standard_normal(eng);
    for (std::size_t j = 0; j < n; ++j) {
      double* vj = v.data() + j * m;
      for (std::size_t k = 0; k < j; ++k) {
        const double* vk = v.data() + k * m;
        double dot = 0;
        for (std::size_t i = 0; i < m; ++i) dot += vk[i] * vj[i];
        for (std::size_t i = 0; i < m; ++i) vj[i] -= dot * vk[i];
      }
      double nrm = 0;
      for (std::size_t i = 0; i < m; ++i) nrm += vj[i] * vj[i];
      nrm = std::sqrt(nrm);
      for (std::size_t i = 0; i < m; ++i) vj[i] /= nrm;
    }
    for (std::size_t j = 0; j < n; ++j)
      for (std::size_t i = 0; i < m; ++i) {
        const T q = static_cast<T>(s.gain * v[j * m + i]);
        if (tall)
          w(i, j) = q;
        else
          w(j, i) = q;
      }
  }
};
ISOBENCH_REGISTER_INIT(GramSchmidtOrthogonalInit);

struct PlainQrInit {
  static constexpr const char* name = "test_plain_qr";
  static constexpr const char* formula = "W = g·Q, Q of a plain QR (not Haar)";
  static constexpr const char* source = "the common bug (Mezzadri 2007)";
  static constexpr isobench::InitEnsemble ensemble = isobench::InitEnsemble::Haar;  // wrongly
  static constexpr bool reads_sw2 = false, sets_gain = true;
  template <class T>
  static void fill(const isobench::InitSpec& s, isobench::Matrix<T>& w, isobench::Engine& eng) {
    isobench::OrthogonalInit{s.gain, /*fix_signs=*/false}(w, eng);
  }
};

struct WideGaussianInit {
  static constexpr const char* name = "test_wide_gaussian";
  static constexpr const char* formula = "W_ij ~ N(0, 1.2·σ_w²/fan_in)";
  static constexpr const char* source = "a wrong variance";
  static constexpr isobench::InitEnsemble ensemble = isobench::InitEnsemble::Gaussian;  // wrongly
  static constexpr bool reads_sw2 = true, sets_gain = false;
  template <class T>
  static void fill(const isobench::InitSpec& s, isobench::Matrix<T>& w, isobench::Engine& eng) {
    isobench::GaussianInit{1.2 * s.sw2}(w, eng);
  }
};

// Not init methods: no fill; an ensemble its parameters do not set.
struct NoFill {
  static constexpr const char* name = "x";
  static constexpr const char* formula = "x";
  static constexpr const char* source = "x";
  static constexpr isobench::InitEnsemble ensemble = isobench::InitEnsemble::None;
  static constexpr bool reads_sw2 = false, sets_gain = false;
};
struct HaarWithoutGain : PlainQrInit {
  static constexpr bool sets_gain = false;
};

}  // namespace isobench_test
