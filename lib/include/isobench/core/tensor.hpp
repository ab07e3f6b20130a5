// Tensor aliases used across isobench.
//
// Every matrix is a row-major xt::xtensor<T, 2>; a batch of B samples with D features is
// (B × D). A dense weight is (out × in), so a layer computes H = X Wᵀ + b.
// Fixed-rank xtensor (not the dynamic-rank container) keeps shapes on the stack and allocations
// explicit.
#pragma once

#include <cstddef>
#include <xtensor/xtensor.hpp>

namespace isobench {

template <class T>
using Matrix = xt::xtensor<T, 2>;
template <class T>
using Vector = xt::xtensor<T, 1>;

// A trainable parameter as the optimizers see it: value and gradient, both contiguous.
template <class T>
struct ParamRef {
  T* value;
  const T* grad;
  std::size_t size;
};

}  // namespace isobench
