#include "isobench/objective/loss.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace isobench {

template <class T>
T mse_loss(const T* y, const T* target, int batch, int dim, T* grad) {
  const std::size_t n = static_cast<std::size_t>(batch) * dim;
  const double inv = 1.0 / static_cast<double>(n);
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(y[i]) - static_cast<double>(target[i]);
    s += d * d;
    if (grad) grad[i] = static_cast<T>(2.0 * d * inv);
  }
  return static_cast<T>(s * inv);
}

template <class T>
T softmax_xent(const T* logits, const int* labels, int batch, int classes, T* grad) {
  double total = 0;
  const double inv_b = 1.0 / batch;
  for (int b = 0; b < batch; ++b) {
    const T* z = logits + static_cast<std::size_t>(b) * classes;
    const int c = labels[b];
    if (c < 0 || c >= classes) throw std::out_of_range("softmax_xent: label out of range");
    const T zmax = *std::max_element(z, z + classes);
    double sum = 0;
    for (int k = 0; k < classes; ++k) sum += std::exp(static_cast<double>(z[k] - zmax));
    const double lse = std::log(sum) + static_cast<double>(zmax);
    total += lse - static_cast<double>(z[c]);
    if (grad) {
      T* g = grad + static_cast<std::size_t>(b) * classes;
      for (int k = 0; k < classes; ++k)
        g[k] = static_cast<T>((std::exp(static_cast<double>(z[k]) - lse) - (k == c)) * inv_b);
    }
  }
  return static_cast<T>(total * inv_b);
}

template <class T>
int count_correct(const T* logits, const int* labels, int batch, int classes) {
  int ok = 0;
  for (int b = 0; b < batch; ++b) {
    const T* z = logits + static_cast<std::size_t>(b) * classes;
    ok += static_cast<int>(std::max_element(z, z + classes) - z) == labels[b];
  }
  return ok;
}

template float mse_loss<float>(const float*, const float*, int, int, float*);
template double mse_loss<double>(const double*, const double*, int, int, double*);
template float softmax_xent<float>(const float*, const int*, int, int, float*);
template double softmax_xent<double>(const double*, const int*, int, int, double*);
template int count_correct<float>(const float*, const int*, int, int);
template int count_correct<double>(const double*, const int*, int, int);

}  // namespace isobench
