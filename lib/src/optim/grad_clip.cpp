#include "isobench/optim/grad_clip.hpp"

#include <cmath>

namespace isobench {

template <class T>
double grad_norm(const ParamRef<T>* params, std::size_t n) {
  double s = 0;
  for (std::size_t k = 0; k < n; ++k)
    for (std::size_t i = 0; i < params[k].size; ++i)
      s += static_cast<double>(params[k].grad[i]) * params[k].grad[i];
  return std::sqrt(s);
}

template <class T>
double clip_grad_norm(const ParamRef<T>* params, std::size_t n, double max_norm) {
  const double norm = grad_norm(params, n);
  if (max_norm <= 0 || !(norm > max_norm) || !std::isfinite(norm)) return norm;
  const T scale = static_cast<T>(max_norm / norm);
  // ParamRef exposes the gradient read-only (for the optimizers); the owners hand out mutable
  // buffers, so scaling through it is the intended use here.
  for (std::size_t k = 0; k < n; ++k) {
    T* g = const_cast<T*>(params[k].grad);
    for (std::size_t i = 0; i < params[k].size; ++i) g[i] *= scale;
  }
  return norm;
}

template double grad_norm<float>(const ParamRef<float>*, std::size_t);
template double grad_norm<double>(const ParamRef<double>*, std::size_t);
template double clip_grad_norm<float>(const ParamRef<float>*, std::size_t, double);
template double clip_grad_norm<double>(const ParamRef<double>*, std::size_t, double);

}  // namespace isobench
