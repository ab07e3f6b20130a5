// Central finite differences in double, for every gradient test.
#pragma once

#include <cmath>
#include <functional>
#include <vector>

namespace isobench::gradcheck {

// Returns max_i |analytic_i − numeric_i| / max(1, |numeric_i|) over the entries of `x`,
// where numeric_i = (f(x + h e_i) − f(x − h e_i)) / 2h. `f` is evaluated with x modified in place.
inline double max_rel_grad_error(double* x, std::size_t n, const double* analytic,
                                 const std::function<double()>& f, double h = 1e-6) {
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x0 = x[i];
    x[i] = x0 + h;
    const double fp = f();
    x[i] = x0 - h;
    const double fm = f();
    x[i] = x0;
    const double num = (fp - fm) / (2 * h);
    worst = std::max(worst, std::abs(analytic[i] - num) / std::max(1.0, std::abs(num)));
  }
  return worst;
}

}  // namespace isobench::gradcheck
