// Global gradient-norm clipping (Pascanu, Mikolov & Bengio 2013, "On the difficulty of training
// recurrent neural networks"):
//
//   ‖g‖ = √(Σ_p Σ_i g_{p,i}²)   over every gradient entry of every parameter together;
//   if ‖g‖ > max_norm:  g ← g · max_norm/‖g‖   (so the clipped norm is exactly max_norm).
//
// Returns the norm before clipping; max_norm ≤ 0 only measures. The norm is accumulated in
// double. A non-finite norm leaves the gradients untouched (the caller's divergence check sees it).
#pragma once

#include <cstddef>
#include <vector>

#include "isobench/core/tensor.hpp"

namespace isobench {

// Over params[0..n): allocation-free.
template <class T>
double grad_norm(const ParamRef<T>* params, std::size_t n);
template <class T>
double clip_grad_norm(const ParamRef<T>* params, std::size_t n, double max_norm);

template <class T>
double grad_norm(const std::vector<ParamRef<T>>& params) {
  return grad_norm(params.data(), params.size());
}
template <class T>
double clip_grad_norm(const std::vector<ParamRef<T>>& params, double max_norm) {
  return clip_grad_norm(params.data(), params.size(), max_norm);
}

}  // namespace isobench
