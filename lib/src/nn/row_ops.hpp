// Small row-major helpers shared by the layers' translation units (lib-internal).
#pragma once

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>

#include "isobench/core/tensor.hpp"

namespace isobench::detail {

inline std::size_t sz(int v) {
  return static_cast<std::size_t>(v);
}

template <class T>
typename Matrix<T>::shape_type mshape(int r, int c) {
  return {sz(r), sz(c)};
}

// y[r, :] += v for each of `rows` rows of width n.
template <class T>
void add_row_vector(T* y, const T* v, int rows, int n) {
  for (int r = 0; r < rows; ++r) {
    T* yr = y + sz(r) * n;
    for (int c = 0; c < n; ++c) yr[c] += v[c];
  }
}

// g = column sums of d (rows × n).
template <class T>
void column_sums(const T* d, int rows, int n, T* g) {
  std::fill(g, g + n, T(0));
  for (int r = 0; r < rows; ++r) {
    const T* dr = d + sz(r) * n;
    for (int c = 0; c < n; ++c) g[c] += dr[c];
  }
}

// Step t of a time-major buffer holding steps first..last, each (batch × width); throws
// std::out_of_range naming `what` outside that range.
template <class T>
const T* step_block(const T* base, int t, int first, int last, int batch, int width,
                    const char* what) {
  if (t < first || t > last)
    throw std::out_of_range(std::string(what) + ": step " + std::to_string(t) + " outside " +
                            std::to_string(first) + ".." + std::to_string(last));
  return base + sz(t - first) * batch * width;
}

}  // namespace isobench::detail
