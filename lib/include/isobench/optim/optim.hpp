// Optimizers as an update policy plus a learning-rate decay policy (ensmallen's design).
//
//   SgdUpdate{momentum, nesterov}   v ← μv + g;  w ← w − η v        (PyTorch convention)
//                                   Nesterov: w ← w − η (g + μ v)
//   AdamUpdate{β1, β2, ε}           m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²
//                                   w ← w − η m̂ / (√v̂ + ε),  m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ)
//                                   (Kingma & Ba 2015; ε = 1e-7 as Keras, the seed study's library)
//   RmsPropUpdate{ρ, ε}             v ← ρ v + (1−ρ) g²;  w ← w − η g / (√v + ε)  (Tieleman 2012)
//
// The step counter t advances once per Optimizer::step (once per optimizer step, for all
// parameters together), never once per parameter.
#pragma once

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "isobench/core/state_archive.hpp"
#include "isobench/core/tensor.hpp"

namespace isobench {

struct ConstantDecay {
  double operator()(double lr, long /*t*/) const { return lr; }
};
// lr · factor^⌊(t−1)/every⌋ (step decay, as Bansal et al. 2018 decay their λ).
struct StepDecay {
  double factor = 0.1;
  long every = 1000;
  double operator()(double lr, long t) const {
    return lr * std::pow(factor, static_cast<double>((t - 1) / every));
  }
};

struct SgdUpdate {
  double momentum = 0.0;
  bool nesterov = false;
  static constexpr int kSlots = 1;
  template <class T>
  void apply(T* w, const T* g, T* const* s, std::size_t n, double lr, long /*t*/) const {
    const T mu = static_cast<T>(momentum), eta = static_cast<T>(lr);
    T* v = s[0];
    if (momentum == 0.0) {
      for (std::size_t i = 0; i < n; ++i) w[i] -= eta * g[i];
    } else if (nesterov) {
      for (std::size_t i = 0; i < n; ++i) {
        v[i] = mu * v[i] + g[i];
        w[i] -= eta * (g[i] + mu * v[i]);
      }
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        v[i] = mu * v[i] + g[i];
        w[i] -= eta * v[i];
      }
    }
  }
};

struct AdamUpdate {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-7;
  static constexpr int kSlots = 2;
  template <class T>
  void apply(T* w, const T* g, T* const* s, std::size_t n, double lr, long t) const {
    T* m = s[0];
    T* v = s[1];
    const T b1 = static_cast<T>(beta1), b2 = static_cast<T>(beta2);
    const double c1 = 1.0 - std::pow(beta1, static_cast<double>(t));
    const double c2 = 1.0 - std::pow(beta2, static_cast<double>(t));
    const T step = static_cast<T>(lr / c1), inv_c2 = static_cast<T>(1.0 / c2);
    const T e = static_cast<T>(eps);
    for (std::size_t i = 0; i < n; ++i) {
      m[i] = b1 * m[i] + (T(1) - b1) * g[i];
      v[i] = b2 * v[i] + (T(1) - b2) * g[i] * g[i];
      w[i] -= step * m[i] / (std::sqrt(v[i] * inv_c2) + e);
    }
  }
};

struct RmsPropUpdate {
  double rho = 0.9, eps = 1e-7;
  static constexpr int kSlots = 1;
  template <class T>
  void apply(T* w, const T* g, T* const* s, std::size_t n, double lr, long /*t*/) const {
    T* v = s[0];
    const T r = static_cast<T>(rho), eta = static_cast<T>(lr), e = static_cast<T>(eps);
    for (std::size_t i = 0; i < n; ++i) {
      v[i] = r * v[i] + (T(1) - r) * g[i] * g[i];
      w[i] -= eta * g[i] / (std::sqrt(v[i]) + e);
    }
  }
};

// Owns the per-parameter state (allocated once, on the first step, zero-initialized).
template <class T, class Update, class Decay = ConstantDecay>
class Optimizer {
 public:
  Optimizer(double lr, Update update = {}, Decay decay = {})
      : lr_(lr), update_(update), decay_(decay) {}

  // params: the same parameters, of the same sizes, at every step (the state is bound to them on
  // the first step). A different count or size: std::invalid_argument naming the parameter and
  // both sizes, before anything is updated.
  void step(const std::vector<ParamRef<T>>& params) {
    if (state_.empty()) allocate(params);
    check_bound(params);
    ++t_;
    const double lr = decay_(lr_, t_);
    for (std::size_t p = 0; p < params.size(); ++p) {
      T* slots[Update::kSlots > 0 ? Update::kSlots : 1];
      for (int k = 0; k < Update::kSlots; ++k) slots[k] = state_[p * Update::kSlots + k].data();
      update_.apply(params[p].value, params[p].grad, slots, params[p].size, lr, t_);
    }
  }

  long steps() const { return t_; }
  double learning_rate() const { return decay_(lr_, t_ > 0 ? t_ : 1); }
  // Checkpoints (state_archive.hpp): the step count and every slot of every parameter (none
  // before the first step). Not the rate: it is the run's configuration, not its state.
  void state(StateArchive& ar) {
    ar.io("optimizer.t", t_);
    std::vector<std::uint64_t> sizes(sizes_.begin(), sizes_.end());
    ar.io("optimizer.sizes", sizes);
    if (ar.loading()) {
      sizes_.assign(sizes.begin(), sizes.end());
      state_.clear();
      for (std::size_t size : sizes_)
        for (int k = 0; k < Update::kSlots; ++k) state_.emplace_back(size, T(0));
    }
    for (auto& slot : state_) ar.io_buffer("optimizer.slot", slot.data(), slot.size());
  }
  void set_learning_rate(double lr) { lr_ = lr; }

 private:
  void check_bound(const std::vector<ParamRef<T>>& params) const {
    if (params.size() != sizes_.size())
      throw std::invalid_argument("Optimizer::step: " + std::to_string(params.size()) +
                                  " parameters, but the state was allocated for " +
                                  std::to_string(sizes_.size()) +
                                  " on the first step (pass the same parameter list every step)");
    for (std::size_t p = 0; p < params.size(); ++p)
      if (params[p].size != sizes_[p])
        throw std::invalid_argument(
            "Optimizer::step: parameter " + std::to_string(p) + " has " +
            std::to_string(params[p].size) + " entries, but its state was allocated for " +
            std::to_string(sizes_[p]) + " on the first step (pass the same parameters every step)");
  }
  void allocate(const std::vector<ParamRef<T>>& params) {
    for (const auto& p : params) {
      sizes_.push_back(p.size);
      for (int k = 0; k < Update::kSlots; ++k) state_.emplace_back(p.size, T(0));
    }
  }
  double lr_;
  Update update_;
  Decay decay_;
  long t_ = 0;
  std::vector<std::size_t> sizes_;
  std::vector<std::vector<T>> state_;
};

}  // namespace isobench
