// NonFiniteError: a NaN or Inf weight or gradient reached a kernel that would otherwise turn it
// into finite numbers (a QR retraction maps a weight holding +Inf to the exact identity; an SVD
// rejects NaN with a bare LAPACK code). The constraints (constraint.hpp), penalties (penalty.hpp)
// and spectrum functions (decompositions.hpp, orthogonality.hpp) check their inputs with
// check_finite() and throw it; train() (trainer.hpp) turns it into a run that stops as diverged,
// with the message.
//
// The check only reads: one pass over the matrix, no arithmetic on the values, so a finite input
// gives exactly the numbers it gave without the check.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace isobench {

class NonFiniteError : public std::runtime_error {
 public:
  // kernel: what refused the input, e.g. "constraint:qr", "reg:so", "singular_values".
  NonFiniteError(std::string kernel, const std::string& message)
      : std::runtime_error(message), kernel_(std::move(kernel)) {}
  const std::string& kernel() const { return kernel_; }

 private:
  std::string kernel_;
};

namespace detail {
// "<kernel>: <what> (r x c) holds <value> at row i, column j: the run has diverged (...)".
[[noreturn]] void throw_non_finite(const char* kernel, const char* what, std::size_t rows,
                                   std::size_t cols, std::size_t row, std::size_t col,
                                   double value);
}  // namespace detail

// Throws NonFiniteError naming `kernel` and `what` (e.g. "W", "the gradient") when the row-major
// (rows × cols) matrix at p (row stride ld ≥ cols) holds a NaN or an infinity. Reads only.
template <class T>
void check_finite(const char* kernel, const char* what, const T* p, std::size_t rows,
                  std::size_t cols, std::size_t ld) {
  constexpr T kMax = std::numeric_limits<T>::max();
  for (std::size_t i = 0; i < rows; ++i) {
    const T* row = p + i * ld;
    // Branch-free per row (vectorizes): |x| <= max is false exactly for NaN and ±Inf.
    bool ok = true;
    for (std::size_t j = 0; j < cols; ++j) ok &= std::abs(row[j]) <= kMax;
    if (ok) continue;
    for (std::size_t j = 0; j < cols; ++j)
      if (!(std::abs(row[j]) <= kMax))
        detail::throw_non_finite(kernel, what, rows, cols, i, j, static_cast<double>(row[j]));
  }
}

// A matrix-like M (shape(0), shape(1), contiguous data()).
template <class M>
void check_finite(const char* kernel, const char* what, const M& m) {
  check_finite(kernel, what, m.data(), m.shape(0), m.shape(1), m.shape(1));
}

// Runs f() and returns its result; a NonFiniteError from it is thrown again with "<param>: " in
// front of its message, so that it names the parameter (e.g. "the recurrent kernel") as well as
// the kernel. Costs nothing when f() does not throw.
template <class F>
decltype(auto) naming_parameter(const char* param, F&& f) {
  try {
    return f();
  } catch (const NonFiniteError& e) {
    throw NonFiniteError(e.kernel(), std::string(param) + ": " + e.what());
  }
}

}  // namespace isobench
