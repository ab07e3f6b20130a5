// Global gradient-norm clipping (Pascanu, Mikolov & Bengio 2013, "On the difficulty of training
// recurrent neural networks"):
//
//   ‖g‖ = √(Σ_p Σ_i g_{p,i}²)   over every gradient entry of every parameter together;
//   if ‖g‖ > max_norm:  g ← g · max_norm/‖g‖   (so the clipped norm is exactly max_norm).
//
// Returns the norm before clipping; max_norm ≤ 0 only measures. The norm is accumulated in
// double. A non-finite norm leaves the gradients untouched (the caller's divergence check sees it).
#pragma once

#include <vector>

#include "isobench/tensor.hpp"

namespace isobench {

template <class T>
double grad_norm(const std::vector<ParamRef<T>>& params);

template <class T>
double clip_grad_norm(const std::vector<ParamRef<T>>& params, double max_norm);

}  // namespace isobench
