// tanh and σ for the recurrent models' hot loops.
//
// float: the rational minimax approximation Eigen and TensorFlow use (Eigen's
//   generic_fast_tanh_float): tanh(x) ≈ x·P(x²)/Q(x²), P of degree 6 and Q of degree 3 in x², on
//   [−7.905, 7.905] and clamped outside (where the approximation reaches ±1). Max abs error 3.3e-7
//   (measured on a grid over [−20, 20]; tests/nn/test_rnn.cpp checks it). σ(x) = (1 + tanh(x/2))/2,
//   abs error 2.3e-7.
//   glibc's tanhf cost ~25 ns per call and dominated a 28-step RNN training step; the array forms
//   below run four lanes at once with SSE2 (the x86-64 baseline; the compiler does not vectorize
//   the scalar loop by itself, since the clamp's comparisons may trap under -ftrapping-math).
//   The SSE2 and the scalar paths do the same IEEE operations in the same order, so a value
//   does not depend on its position in the array. NaN propagates (the clamp keeps it).
// double: std::tanh and 1/(1 + e^{−x}), so the double models (the gradient checks) are exact to
//   rounding.
#pragma once

#include <cmath>
#include <cstddef>
#include <type_traits>

#include "isobench/nn/activation.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace isobench {

namespace fast_tanh_detail {
constexpr float kClamp = 7.90531110763549805f;
constexpr float a1 = 4.89352455891786e-03f, a3 = 6.37261928875436e-04f, a5 = 1.48572235717979e-05f,
                a7 = 5.12229709037114e-08f, a9 = -8.60467152213735e-11f,
                a11 = 2.00018790482477e-13f, a13 = -2.76076847742355e-16f;
constexpr float b0 = 4.89352518554385e-03f, b2 = 2.26843463243900e-03f, b4 = 1.18534705686654e-04f,
                b6 = 1.19825839466702e-06f;
}  // namespace fast_tanh_detail

inline float tanh_fast(float x) {
  using namespace fast_tanh_detail;
  // max(−c, x) then min(c, ·), written so that a NaN x is returned unchanged (as SSE's maxps/minps
  // with the constant first).
  x = (-kClamp > x) ? -kClamp : x;
  x = (kClamp < x) ? kClamp : x;
  const float x2 = x * x;
  float p = a13;
  p = p * x2 + a11;
  p = p * x2 + a9;
  p = p * x2 + a7;
  p = p * x2 + a5;
  p = p * x2 + a3;
  p = p * x2 + a1;
  p = p * x;
  float q = b6;
  q = q * x2 + b4;
  q = q * x2 + b2;
  q = q * x2 + b0;
  return p / q;
}
inline double tanh_fast(double x) {
  return std::tanh(x);
}

inline float sigmoid_fast(float x) {
  return 0.5f + 0.5f * tanh_fast(0.5f * x);
}
inline double sigmoid_fast(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}

#if defined(__SSE2__)
namespace fast_tanh_detail {
inline __m128 tanh4(__m128 x) {
  // _mm_max_ps(a, b) returns b when either is NaN: the constant goes first so NaN survives.
  x = _mm_max_ps(_mm_set1_ps(-kClamp), x);
  x = _mm_min_ps(_mm_set1_ps(kClamp), x);
  const __m128 x2 = _mm_mul_ps(x, x);
  __m128 p = _mm_set1_ps(a13);
  p = _mm_add_ps(_mm_mul_ps(p, x2), _mm_set1_ps(a11));
  p = _mm_add_ps(_mm_mul_ps(p, x2), _mm_set1_ps(a9));
  p = _mm_add_ps(_mm_mul_ps(p, x2), _mm_set1_ps(a7));
  p = _mm_add_ps(_mm_mul_ps(p, x2), _mm_set1_ps(a5));
  p = _mm_add_ps(_mm_mul_ps(p, x2), _mm_set1_ps(a3));
  p = _mm_add_ps(_mm_mul_ps(p, x2), _mm_set1_ps(a1));
  p = _mm_mul_ps(p, x);
  __m128 q = _mm_set1_ps(b6);
  q = _mm_add_ps(_mm_mul_ps(q, x2), _mm_set1_ps(b4));
  q = _mm_add_ps(_mm_mul_ps(q, x2), _mm_set1_ps(b2));
  q = _mm_add_ps(_mm_mul_ps(q, x2), _mm_set1_ps(b0));
  return _mm_div_ps(p, q);
}
}  // namespace fast_tanh_detail
#endif

// y[i] = tanh(x[i]), i < n; y may be x.
inline void tanh_fast(const float* x, float* y, std::size_t n) {
  std::size_t i = 0;
#if defined(__SSE2__)
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(y + i, fast_tanh_detail::tanh4(_mm_loadu_ps(x + i)));
#endif
  for (; i < n; ++i) y[i] = tanh_fast(x[i]);
}
inline void tanh_fast(const double* x, double* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}

// y[i] = σ(x[i]), i < n; y may be x.
inline void sigmoid_fast(const float* x, float* y, std::size_t n) {
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128 half = _mm_set1_ps(0.5f);
  for (; i + 4 <= n; i += 4) {
    const __m128 t = fast_tanh_detail::tanh4(_mm_mul_ps(half, _mm_loadu_ps(x + i)));
    _mm_storeu_ps(y + i, _mm_add_ps(half, _mm_mul_ps(half, t)));
  }
#endif
  for (; i < n; ++i) y[i] = sigmoid_fast(x[i]);
}
inline void sigmoid_fast(const double* x, double* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = 1.0 / (1.0 + std::exp(-x[i]));
}

// TanhAct with tanh_fast; tanh' = 1 − a² from the output, as TanhAct. `apply` is the array form.
struct FastTanhAct {
  static constexpr Activation kind = Activation::Tanh;
  static constexpr const char* name = "tanh";
  template <class T>
  static T f(T h) {
    return tanh_fast(h);
  }
  template <class T>
  static T df(T /*h*/, T a) {
    return T(1) - a * a;
  }
};

// The policy the recurrent models run for a dispatched activation: FastTanhAct for TanhAct.
template <class Act>
struct RecurrentAct {
  using type = Act;
};
template <>
struct RecurrentAct<TanhAct> {
  using type = FastTanhAct;
};

// a[i] = Act::f(h[i]), i < n, with the array form for FastTanhAct.
template <class Act, class T>
void apply_recurrent_act(const T* h, T* a, std::size_t n) {
  if constexpr (std::is_same_v<Act, FastTanhAct>) {
    tanh_fast(h, a, n);
  } else {
    for (std::size_t i = 0; i < n; ++i) a[i] = Act::f(h[i]);
  }
}

}  // namespace isobench
