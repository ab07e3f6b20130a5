#include "isobench/data/tasks.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "isobench/data/batches.hpp"

namespace isobench {

template <class T>
void gaussian_inputs(Engine& eng, int B, int dim, double q, T* out) {
  if (!(q >= 0.0)) throw std::invalid_argument("gaussian_inputs: variance q must be >= 0");
  const double sd = std::sqrt(q);
  const long n = static_cast<long>(B) * dim;
  for (long i = 0; i < n; ++i) out[i] = static_cast<T>(sd * standard_normal(eng));
}
template void gaussian_inputs<float>(Engine&, int, int, double, float*);
template void gaussian_inputs<double>(Engine&, int, int, double, double*);

CopyTask::CopyTask(int delay) : delay_(delay) {
  if (delay < 1) {
    throw std::invalid_argument("CopyTask: delay T must be >= 1, got " + std::to_string(delay));
  }
}

template <class T>
void CopyTask::generate(Engine& eng, int B, T* x, int* y, int* symbols) const {
  const int S = steps();
  std::fill(x, x + static_cast<long>(S) * B * kInputs, T(0));
  auto category_at = [&](int t, int b) -> int& { return y[static_cast<long>(t) * B + b]; };
  for (int b = 0; b < B; ++b) {
    // Input categories per step, and the targets.
    for (int t = 0; t < S; ++t) category_at(t, b) = kBlank;
    for (int i = 0; i < kRemember; ++i) {
      const int s = static_cast<int>(uniform_index(eng, kSymbols));
      if (symbols) symbols[b * kRemember + i] = s;
      x[(static_cast<long>(i) * B + b) * kInputs + s] = T(1);
      category_at(delay_ + kRemember + i, b) = s;  // reproduce after the delimiter
    }
    for (int t = kRemember; t < S; ++t) {
      const int c = t == delay_ + kRemember - 1 ? kDelimiter : kBlank;
      x[(static_cast<long>(t) * B + b) * kInputs + c] = T(1);
    }
  }
}
template void CopyTask::generate<float>(Engine&, int, float*, int*, int*) const;
template void CopyTask::generate<double>(Engine&, int, double*, int*, int*) const;

double copy_task_baseline(int delay) {
  return CopyTask::kRemember * std::log(double(CopyTask::kSymbols)) /
         (delay + 2.0 * CopyTask::kRemember);
}

AddingTask::AddingTask(int length) : length_(length) {
  if (length < 2) {
    throw std::invalid_argument("AddingTask: length T must be >= 2, got " + std::to_string(length));
  }
}

template <class T>
void AddingTask::generate(Engine& eng, int B, T* x, T* target) const {
  const int S = length_;
  const int half = S / 2;
  for (int b = 0; b < B; ++b) {
    for (int t = 0; t < S; ++t) {
      T* xt = x + (static_cast<long>(t) * B + b) * kInputs;
      xt[0] = static_cast<T>(uniform01(eng));
      xt[1] = T(0);
    }
    const int first = static_cast<int>(uniform_index(eng, half));
    const int second = half + static_cast<int>(uniform_index(eng, S - half));
    T* x1 = x + (static_cast<long>(first) * B + b) * kInputs;
    T* x2 = x + (static_cast<long>(second) * B + b) * kInputs;
    x1[1] = T(1);
    x2[1] = T(1);
    target[b] = x1[0] + x2[0];
  }
}
template void AddingTask::generate<float>(Engine&, int, float*, float*) const;
template void AddingTask::generate<double>(Engine&, int, double*, double*) const;

double adding_task_baseline() {
  return 1.0 / 6.0;
}

}  // namespace isobench
