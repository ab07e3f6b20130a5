#include "isobench/theory/recurrent_theory.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace isobench {

std::vector<double> driven_rnn_chi(const ActivationTheory& act, double gain,
                                   const std::vector<double>& drive) {
  if (!(gain > 0) || !std::isfinite(gain))
    throw std::invalid_argument("driven_rnn_chi: the gain must be a finite number > 0");
  std::vector<double> chi(drive.size());
  const double g2 = gain * gain;
  double q = 0, prev_phi2 = 0;  // h_0 = 0: E[φ(a_0)²] = 0
  for (std::size_t t = 0; t < drive.size(); ++t) {
    if (!(drive[t] >= 0) || !std::isfinite(drive[t]))
      throw std::invalid_argument("driven_rnn_chi: every drive must be a finite number >= 0");
    q = g2 * prev_phi2 + drive[t];
    chi[t] = g2 * derivative_moment(act, q, 1);
    prev_phi2 = mean_square_activation(act, q);
  }
  return chi;
}
std::vector<double> driven_rnn_chi(Activation act, double gain, const std::vector<double>& drive) {
  return driven_rnn_chi(activation_theory(act), gain, drive);
}

double driven_rnn_log_chi_product(Activation act, double gain, const std::vector<double>& drive,
                                  int steps) {
  const std::size_t L = std::min(drive.size(), static_cast<std::size_t>(std::max(steps, 0)));
  const std::vector<double> chi =
      driven_rnn_chi(act, gain, std::vector<double>(drive.begin(), drive.begin() + L));
  double s = 0;
  for (double c : chi) s += std::log(c);
  return s;
}

double driven_rnn_log_sv2_mean(Activation act, double gain,
                               const std::vector<std::vector<double>>& drives, int steps) {
  if (drives.empty()) throw std::invalid_argument("driven_rnn_sv2_mean: no sequences");
  // log mean_s exp(l_s) by log-sum-exp: ∏χ_t leaves double's range over hundreds of steps.
  std::vector<double> l;
  for (const auto& d : drives) l.push_back(driven_rnn_log_chi_product(act, gain, d, steps));
  const double top = *std::max_element(l.begin(), l.end());
  double s = 0;
  for (double v : l) s += std::exp(v - top);
  return top + std::log(s / static_cast<double>(l.size()));
}

double driven_rnn_sv2_mean(Activation act, double gain,
                           const std::vector<std::vector<double>>& drives, int steps) {
  return std::exp(driven_rnn_log_sv2_mean(act, gain, drives, steps));
}

double critical_gain(Activation act, double drive) {
  return std::sqrt(critical_sw2(act, drive));
}

std::optional<double> critical_gain_through_time(Activation act,
                                                 const std::vector<std::vector<double>>& drives,
                                                 int steps, double lo, double hi) {
  auto f = [&](double g) { return driven_rnn_log_sv2_mean(act, g, drives, steps); };
  // Illinois regula falsi on log g (f is smooth and increasing): superlinear, ~10 evaluations;
  // a bisection step wherever the secant is not a finite point inside the bracket.
  double a = std::log(lo), b = std::log(hi);
  double fa = f(lo), fb = f(hi);
  if (!(fa < 0 && fb > 0)) return std::nullopt;
  for (int it = 0; it < 200 && std::abs(b - a) > 1e-13; ++it) {
    double c = b - fb * (b - a) / (fb - fa);
    if (!std::isfinite(c) || c <= std::min(a, b) || c >= std::max(a, b)) c = 0.5 * (a + b);
    const double fc = f(std::exp(c));
    if (fc == 0) return std::exp(c);
    if ((fc > 0) == (fb > 0)) {
      fa *= 0.5;  // the retained end: halve its value (Illinois), so it moves too
    } else {
      a = b;
      fa = fb;
    }
    b = c;
    fb = fc;
  }
  return std::exp(b);
}

}  // namespace isobench
