#include "isobench/grad_clip.hpp"

#include <cmath>

namespace isobench {

template <class T>
double grad_norm(const std::vector<ParamRef<T>>& params) {
  double s = 0;
  for (const auto& p : params)
    for (std::size_t i = 0; i < p.size; ++i) s += static_cast<double>(p.grad[i]) * p.grad[i];
  return std::sqrt(s);
}

template <class T>
double clip_grad_norm(const std::vector<ParamRef<T>>& params, double max_norm) {
  const double norm = grad_norm(params);
  if (max_norm <= 0 || !(norm > max_norm) || !std::isfinite(norm)) return norm;
  const T scale = static_cast<T>(max_norm / norm);
  // ParamRef exposes the gradient read-only (for the optimizers); the owners hand out mutable
  // buffers, so scaling through it is the intended use here.
  for (const auto& p : params) {
    T* g = const_cast<T*>(p.grad);
    for (std::size_t i = 0; i < p.size; ++i) g[i] *= scale;
  }
  return norm;
}

template double grad_norm<float>(const std::vector<ParamRef<float>>&);
template double grad_norm<double>(const std::vector<ParamRef<double>>&);
template double clip_grad_norm<float>(const std::vector<ParamRef<float>>&, double);
template double clip_grad_norm<double>(const std::vector<ParamRef<double>>&, double);

}  // namespace isobench
