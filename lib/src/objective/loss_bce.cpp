#include "isobench/objective/loss_bce.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace isobench {

template <class T>
T sigmoid_bce(const T* logits, const T* targets01, int n, T* grad) {
  if (n < 1)
    throw std::invalid_argument("sigmoid_bce: n must be positive (got " + std::to_string(n) + ")");
  const double inv_n = 1.0 / n;
  double total = 0;
  for (int i = 0; i < n; ++i) {
    const double z = static_cast<double>(logits[i]), y = static_cast<double>(targets01[i]);
    if (!(y >= 0.0 && y <= 1.0))
      throw std::out_of_range("sigmoid_bce: target " + std::to_string(i) + " = " +
                              std::to_string(y) + " is outside [0, 1]");
    total += std::max(z, 0.0) - z * y + std::log1p(std::exp(-std::abs(z)));
    if (grad) {
      // σ(z) without overflow: for z < 0 use e^z/(1 + e^z).
      const double e = std::exp(-std::abs(z));
      const double s = z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
      grad[i] = static_cast<T>((s - y) * inv_n);
    }
  }
  return static_cast<T>(total * inv_n);
}

template <class T>
int count_correct_binary(const T* logits, const T* targets01, int n) {
  int ok = 0;
  for (int i = 0; i < n; ++i) ok += (logits[i] > T(0)) == (targets01[i] >= T(0.5));
  return ok;
}

template float sigmoid_bce<float>(const float*, const float*, int, float*);
template double sigmoid_bce<double>(const double*, const double*, int, double*);
template int count_correct_binary<float>(const float*, const float*, int);
template int count_correct_binary<double>(const double*, const double*, int);

}  // namespace isobench
