// Activation policies: plain classes with f(h) and its derivative, inlined into the fused loops
// of the layers. `df` gets the pre-activation h and the output a = f(h) so each policy uses the
// cheaper one (tanh' = 1 − a², sigmoid' = a(1 − a)).
//
// hard-tanh(h) = clamp(h, −1, 1); its derivative is 1 on (−1, 1) and 0 outside (the subgradient
// 0 at |h| = 1). ReLU'(0) = 0.
//
// Each policy also carries what the mean-field theory needs (activation_moments.hpp): its
// `length_map`, and E[φ(√q h)²], μ_k = E[φ'(√q h)^{2k}] and the D² moment generating function —
// by Gauss–Hermite quadrature from GaussianMoments unless the policy states a closed form.
//
// Adding an activation: a value in `Activation` (before Count), a policy here deriving from
// GaussianMoments with kind, name, length_map, f, df, and the policy in `Activations`. The
// static_asserts below and theory.cpp's table make a missing piece a compile error.
#pragma once

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "isobench/nn/activation_moments.hpp"

namespace isobench {

// Count is not an activation: the number of them (keep it last).
enum class Activation { Linear, Tanh, HardTanh, ReLU, Sigmoid, Count };

struct LinearAct : GaussianMoments<LinearAct> {
  static constexpr Activation kind = Activation::Linear;
  static constexpr const char* name = "linear";
  static constexpr const char* formula = "φ(h) = h";
  static constexpr const char* source = "identity (deep linear networks, Saxe et al. 2013)";
  static constexpr LengthMap length_map = LengthMap::Homogeneous;
  static double mean_square(double q) { return q; }
  static double derivative_moment(double /*q*/, int /*k*/) { return 1; }
  static double d2_moment_generating(double q, double eps) {  // d ≡ 1
    const double x = 1 - eps;
    return derivative_moment(q, 1) * x / eps;
  }
  template <class T>
  static T f(T h) {
    return h;
  }
  template <class T>
  static T df(T /*h*/, T /*a*/) {
    return T(1);
  }
};

// Moments by the default Gauss–Hermite quadrature; M_{D²} by its own graded quadrature that
// forms 1 − d = t²(2 − t²) without cancellation (activation_moments.cpp).
struct TanhAct : GaussianMoments<TanhAct> {
  static constexpr Activation kind = Activation::Tanh;
  static constexpr const char* name = "tanh";
  static constexpr const char* formula = "φ(h) = tanh h";
  static constexpr const char* source = "Poole et al. 2016; Pennington, Schoenholz & Ganguli 2017";
  static constexpr LengthMap length_map = LengthMap::Saturating;
  static double d2_moment_generating(double q, double eps);
  template <class T>
  static T f(T h) {
    return std::tanh(h);
  }
  template <class T>
  static T df(T /*h*/, T a) {
    return T(1) - a * a;
  }
};

// Closed forms with a = 1/√q, ϕ the standard normal density: E[φ²] = q(erf(a/√2) − 2aϕ(a)) +
// erfc(a/√2); d ∈ {0, 1} with P(d = 1) = μ_k = erf(1/√(2q)), so M(x) = μ₁ x/(1 − x).
struct HardTanhAct : GaussianMoments<HardTanhAct> {
  static constexpr Activation kind = Activation::HardTanh;
  static constexpr const char* name = "hardtanh";
  static constexpr const char* formula = "φ(h) = clamp(h, −1, 1)";
  static constexpr const char* source = "Pennington, Schoenholz & Ganguli 2017";
  static constexpr LengthMap length_map = LengthMap::Saturating;
  static double mean_square(double q) {
    if (q == 0) return 0;
    const double a = 1 / std::sqrt(q),
                 pdf = std::exp(-0.5 * a * a) / std::sqrt(2 * 3.14159265358979323846);
    return q * (std::erf(a / std::sqrt(2.0)) - 2 * a * pdf) + std::erfc(a / std::sqrt(2.0));
  }
  static double derivative_moment(double q, int /*k*/) {  // P(|√q h| < 1)
    return q <= 0 ? 1.0 : std::erf(1.0 / std::sqrt(2.0 * q));
  }
  static double d2_moment_generating(double q, double eps) {
    const double x = 1 - eps;
    return derivative_moment(q, 1) * x / eps;
  }
  template <class T>
  static T f(T h) {
    return h > T(1) ? T(1) : (h < T(-1) ? T(-1) : h);
  }
  template <class T>
  static T df(T h, T /*a*/) {
    return (h > T(-1) && h < T(1)) ? T(1) : T(0);
  }
};

// E[φ²] = q/2; d ∈ {0, 1} with P(d = 1) = 1/2.
struct ReluAct : GaussianMoments<ReluAct> {
  static constexpr Activation kind = Activation::ReLU;
  static constexpr const char* name = "relu";
  static constexpr const char* formula = "φ(h) = max(h, 0)";
  static constexpr const char* source = "Nair & Hinton 2010; Pennington et al. 2017";
  static constexpr LengthMap length_map = LengthMap::Homogeneous;
  static double mean_square(double q) { return 0.5 * q; }
  static double derivative_moment(double /*q*/, int /*k*/) { return 0.5; }
  static double d2_moment_generating(double q, double eps) {
    const double x = 1 - eps;
    return derivative_moment(q, 1) * x / eps;
  }
  template <class T>
  static T f(T h) {
    return h > T(0) ? h : T(0);
  }
  template <class T>
  static T df(T h, T /*a*/) {
    return h > T(0) ? T(1) : T(0);
  }
};

struct SigmoidAct : GaussianMoments<SigmoidAct> {
  static constexpr Activation kind = Activation::Sigmoid;
  static constexpr const char* name = "sigmoid";
  static constexpr const char* formula = "φ(h) = 1/(1 + e^(−h))";
  static constexpr const char* source =
      "the logistic function (no mean-field theory here: φ(0) ≠ 0)";
  static constexpr LengthMap length_map = LengthMap::None;  // φ(0) = 1/2
  template <class T>
  static T f(T h) {
    return T(1) / (T(1) + std::exp(-h));
  }
  template <class T>
  static T df(T /*h*/, T a) {
    return a * (T(1) - a);
  }
};

// Every activation policy, in the order of `Activation`: dispatch, parsing and the theory's table
// are built from this list.
using Activations = std::tuple<LinearAct, TanhAct, HardTanhAct, ReluAct, SigmoidAct>;

namespace detail {
template <std::size_t... I>
constexpr bool activations_in_enum_order(std::index_sequence<I...>) {
  return ((static_cast<std::size_t>(std::tuple_element_t<I, Activations>::kind) == I) && ...);
}
template <std::size_t I, class Fn>
decltype(auto) dispatch_activation_from(Activation act, Fn&& fn) {
  using P = std::tuple_element_t<I, Activations>;
  if constexpr (I + 1 == std::tuple_size_v<Activations>) {
    if (act != P::kind) throw std::logic_error("unknown activation");
    return fn(P{});
  } else {
    if (act == P::kind) return fn(P{});
    return dispatch_activation_from<I + 1>(act, std::forward<Fn>(fn));
  }
}
}  // namespace detail

static_assert(std::tuple_size_v<Activations> == static_cast<std::size_t>(Activation::Count),
              "Activations must hold one policy per value of Activation");
static_assert(
    detail::activations_in_enum_order(std::make_index_sequence<std::tuple_size_v<Activations>>{}),
    "Activations must list the policies in the order of Activation");

// Calls fn(Policy{}) for the runtime kind: one dispatch outside the hot loop. Throws
// std::logic_error for Activation::Count.
template <class Fn>
decltype(auto) dispatch_activation(Activation act, Fn&& fn) {
  return detail::dispatch_activation_from<0>(act, std::forward<Fn>(fn));
}

inline const char* activation_name(Activation act) {
  return dispatch_activation(act, [](auto p) { return decltype(p)::name; });
}

inline Activation parse_activation(std::string_view s) {
  constexpr std::size_t n = std::tuple_size_v<Activations>;
  std::string expected;  // "linear, tanh, ... or sigmoid"
  for (std::size_t i = 0; i < n; ++i) {
    const Activation a = static_cast<Activation>(i);
    if (s == activation_name(a)) return a;
    expected += (i == 0 ? "" : i + 1 == n ? " or " : ", ") + std::string(activation_name(a));
  }
  throw std::invalid_argument("unknown activation '" + std::string(s) + "' (expected " + expected +
                              ")");
}

}  // namespace isobench
