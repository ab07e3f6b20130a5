// The message of NonFiniteError (non_finite.hpp), out of line so that check_finite() stays small.
#include "isobench/core/non_finite.hpp"

#include <cstdio>

namespace isobench::detail {

void throw_non_finite(const char* kernel, const char* what, std::size_t rows, std::size_t cols,
                      std::size_t row, std::size_t col, double value) {
  const char* v = std::isnan(value) ? "NaN" : (value > 0 ? "+Inf" : "-Inf");
  char buf[160];
  std::snprintf(buf, sizeof buf, " (%zu x %zu) holds %s at row %zu, column %zu", rows, cols, v, row,
                col);
  throw NonFiniteError(kernel, std::string(kernel) + ": " + what + buf +
                                   ": a non-finite weight or gradient, the run has diverged "
                                   "(nothing is computed from it)");
}

}  // namespace isobench::detail
