// Activation policies: plain classes with f(h) and its derivative, inlined into the fused loops
// of the layers. `df` gets the pre-activation h and the output a = f(h) so each policy uses the
// cheaper one (tanh' = 1 − a², sigmoid' = a(1 − a)).
//
// hard-tanh(h) = clamp(h, −1, 1); its derivative is 1 on (−1, 1) and 0 outside (the subgradient
// 0 at |h| = 1). ReLU'(0) = 0.
#pragma once

#include <cmath>
#include <stdexcept>
#include <string>
#include <string_view>

namespace isobench {

enum class Activation { Linear, Tanh, HardTanh, ReLU, Sigmoid };

struct LinearAct {
  static constexpr Activation kind = Activation::Linear;
  static constexpr const char* name = "linear";
  template <class T>
  static T f(T h) {
    return h;
  }
  template <class T>
  static T df(T /*h*/, T /*a*/) {
    return T(1);
  }
};

struct TanhAct {
  static constexpr Activation kind = Activation::Tanh;
  static constexpr const char* name = "tanh";
  template <class T>
  static T f(T h) {
    return std::tanh(h);
  }
  template <class T>
  static T df(T /*h*/, T a) {
    return T(1) - a * a;
  }
};

struct HardTanhAct {
  static constexpr Activation kind = Activation::HardTanh;
  static constexpr const char* name = "hardtanh";
  template <class T>
  static T f(T h) {
    return h > T(1) ? T(1) : (h < T(-1) ? T(-1) : h);
  }
  template <class T>
  static T df(T h, T /*a*/) {
    return (h > T(-1) && h < T(1)) ? T(1) : T(0);
  }
};

struct ReluAct {
  static constexpr Activation kind = Activation::ReLU;
  static constexpr const char* name = "relu";
  template <class T>
  static T f(T h) {
    return h > T(0) ? h : T(0);
  }
  template <class T>
  static T df(T h, T /*a*/) {
    return h > T(0) ? T(1) : T(0);
  }
};

struct SigmoidAct {
  static constexpr Activation kind = Activation::Sigmoid;
  static constexpr const char* name = "sigmoid";
  template <class T>
  static T f(T h) {
    return T(1) / (T(1) + std::exp(-h));
  }
  template <class T>
  static T df(T /*h*/, T a) {
    return a * (T(1) - a);
  }
};

// Calls fn(Policy{}) for the runtime kind: one switch outside the hot loop.
template <class Fn>
decltype(auto) dispatch_activation(Activation act, Fn&& fn) {
  switch (act) {
    case Activation::Linear:
      return fn(LinearAct{});
    case Activation::Tanh:
      return fn(TanhAct{});
    case Activation::HardTanh:
      return fn(HardTanhAct{});
    case Activation::ReLU:
      return fn(ReluAct{});
    case Activation::Sigmoid:
      return fn(SigmoidAct{});
  }
  throw std::logic_error("unknown activation");
}

inline const char* activation_name(Activation act) {
  return dispatch_activation(act, [](auto p) { return decltype(p)::name; });
}

inline Activation parse_activation(std::string_view s) {
  for (Activation a : {Activation::Linear, Activation::Tanh, Activation::HardTanh, Activation::ReLU,
                       Activation::Sigmoid})
    if (s == activation_name(a)) return a;
  throw std::invalid_argument("unknown activation '" + std::string(s) +
                              "' (expected linear, tanh, hardtanh, relu or sigmoid)");
}

}  // namespace isobench
