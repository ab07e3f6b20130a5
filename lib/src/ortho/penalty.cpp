#include "isobench/ortho/penalty.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "isobench/core/blas.hpp"
#include "isobench/core/non_finite.hpp"
#include "isobench/ortho/penalty_methods.hpp"

namespace isobench {

const char* penalty_norm_name(PenaltyNorm n) {
  return n == PenaltyNorm::Sum ? "sum" : "mean";
}

PenaltyNorm parse_penalty_norm(std::string_view s) {
  if (s == "sum") return PenaltyNorm::Sum;
  if (s == "mean") return PenaltyNorm::Mean;
  throw std::invalid_argument("unknown norm '" + std::string(s) + "' (expected sum or mean)");
}

double penalty_flops(const PenaltySpec& spec, int rows, int cols) {
  if (!spec.active()) return 0;
  return penalty_method(spec.method).flops(spec, rows, cols);
}

std::string parse_penalty(std::string_view name) {
  if (name != "none") penalty_method(name);  // throws listing the registered names
  return std::string(name);
}

namespace {
template <class T>
std::unique_ptr<PenaltyTerm<T>> make_term(const PenaltyMethod& m, const PenaltySpec& s, int r,
                                          int c, std::uint64_t seed) {
  if constexpr (std::is_same_v<T, float>)
    return m.make_float(s, r, c, seed);
  else
    return m.make_double(s, r, c, seed);
}
}  // namespace

template <class T>
OrthoPenalty<T>::OrthoPenalty(PenaltySpec spec, int rows, int cols, std::uint64_t seed)
    : spec_(spec), kernel_("reg:" + spec.method), rows_(rows), cols_(cols) {
  if (rows < 1 || cols < 1)
    throw std::invalid_argument("OrthoPenalty: the weight shape " + std::to_string(rows) + "x" +
                                std::to_string(cols) + " is empty");
  if (!(spec.lambda >= 0) || !std::isfinite(spec.lambda))
    throw std::invalid_argument("OrthoPenalty: lambda = " + std::to_string(spec.lambda) +
                                " (reg:" + spec.method + ") must be finite and >= 0");
  if (!(spec.gain > 0) || !std::isfinite(spec.gain))
    throw std::invalid_argument("OrthoPenalty: gain = " + std::to_string(spec.gain) +
                                " must be finite and > 0");
  if (spec.method == SripPenalty::name && spec.srip_iterations < 1)
    throw std::invalid_argument("OrthoPenalty: srip_iterations = " +
                                std::to_string(spec.srip_iterations) + " must be >= 1");
  if (!spec.active()) return;
  const PenaltyMethod& m = penalty_method(spec.method);
  work_.resize(m.workspace(rows, cols));
  term_ = make_term<T>(m, spec, rows, cols, seed);
}

template <class T>
void OrthoPenalty<T>::check_shape(const Matrix<T>& w, const char* what) const {
  if (static_cast<int>(w.shape(0)) != rows_ || static_cast<int>(w.shape(1)) != cols_)
    throw std::invalid_argument("OrthoPenalty (reg:" + spec_.method + "): " + what + " is " +
                                std::to_string(w.shape(0)) + "x" + std::to_string(w.shape(1)) +
                                ", but the penalty was built for " + std::to_string(rows_) + "x" +
                                std::to_string(cols_));
}

template <class T>
double OrthoPenalty<T>::add_value_and_grad(const Matrix<T>& w, Matrix<T>& grad,
                                           double lambda_scale) {
  check_shape(w, "W");
  check_shape(grad, "the gradient");
  if (active(lambda_scale)) {
    check_finite(kernel_name(), "W", w);
    check_finite(kernel_name(), "the gradient of W", grad);
  }
  return run(w, grad.data(), lambda_scale);
}

template <class T>
double OrthoPenalty<T>::value(const Matrix<T>& w, double lambda_scale) {
  check_shape(w, "W");
  if (active(lambda_scale)) check_finite(kernel_name(), "W", w);
  // A method with state (srip's vector): leave it where training left it, so that evaluating a
  // run (at any cadence) never changes its training.
  if (term_) term_->save_state();
  const double p = run(w, nullptr, lambda_scale);
  if (term_) term_->restore_state();
  return p;
}

template <class T>
double OrthoPenalty<T>::run(const Matrix<T>& w, T* grad, double lambda_scale) {
  const double lam = spec_.lambda * lambda_scale;
  if (!term_ || lam == 0.0) return 0.0;
  return term_->run(w.data(), grad, lam, work_.data());
}

template class OrthoPenalty<float>;
template class OrthoPenalty<double>;

// scale·‖C/g² − B‖_F², C = WᵀW (columns) or WWᵀ (rows), B = I or 11ᵀ (all_ones);
// grad += scale·(4/g²)·W E (columns) or E W (rows), E = C/g² − B symmetric.
template <class T>
double gram_frobenius_term(const T* w, T* grad, int r, int c, bool gram_of_columns, double inv_g2,
                           bool all_ones, double scale, T* gram) {
  const int n = gram_of_columns ? c : r;
  T* e = gram;
  if (gram_of_columns)
    gemm(Op::T, Op::N, c, c, r, static_cast<T>(inv_g2), w, c, w, c, T(0), e, c);
  else
    gemm(Op::N, Op::T, r, r, c, static_cast<T>(inv_g2), w, c, w, c, T(0), e, r);
  double sum_sq = 0;
  for (int i = 0; i < n; ++i) {
    T* row = e + static_cast<std::size_t>(i) * n;
    if (all_ones) {
      for (int j = 0; j < n; ++j) row[j] -= T(1);
    } else {
      row[i] -= T(1);
    }
    for (int j = 0; j < n; ++j) sum_sq += static_cast<double>(row[j]) * row[j];
  }
  if (grad) {
    const T coef = static_cast<T>(4.0 * inv_g2 * scale);
    if (gram_of_columns)
      gemm(Op::N, Op::N, r, c, c, coef, w, c, e, c, T(1), grad, c);
    else
      gemm(Op::N, Op::N, r, c, r, coef, e, r, w, c, T(1), grad, c);
  }
  return scale * sum_sq;
}

template <class T>
int smaller_gram(const T* w, int r, int c, T* gram) {
  if (r >= c) {
    gemm(Op::T, Op::N, c, c, r, T(1), w, c, w, c, T(0), gram, c);
    return c;
  }
  gemm(Op::N, Op::T, r, r, c, T(1), w, c, w, c, T(0), gram, r);
  return r;
}

// scale·max_ij |E_ij|, E = WᵀW − I (tall) or WWᵀ − I (wide); subgradient at the arg-max.
template <class T>
double mutual_coherence_term(const T* w, T* grad, int r, int c, double scale, T* gram) {
  const bool tall = r >= c;
  T* e = gram;
  const int n = smaller_gram(w, r, c, e);
  double best = -1;
  int bi = 0, bj = 0;
  bool finite = true;
  for (int i = 0; i < n; ++i)
    for (int j = i; j < n; ++j) {  // E is symmetric: the upper triangle suffices
      const double v = static_cast<double>(e[static_cast<std::size_t>(i) * n + j]) - (i == j);
      finite = finite && std::isfinite(v);
      if (std::abs(v) > best) {
        best = std::abs(v);
        bi = i;
        bj = j;
      }
    }
  if (!finite) return std::numeric_limits<double>::quiet_NaN();  // a diverged W: say so
  if (grad) {
    const double eij = static_cast<double>(e[static_cast<std::size_t>(bi) * n + bj]) - (bi == bj);
    const T s = static_cast<T>(eij < 0 ? -scale : scale);
    if (tall) {
      // E_ij = Σ_k W_ki W_kj: ∂/∂W_ki = W_kj, ∂/∂W_kj = W_ki.
      for (int k = 0; k < r; ++k) {
        const T* row = w + static_cast<std::size_t>(k) * c;
        T* g = grad + static_cast<std::size_t>(k) * c;
        const T wi = row[bi], wj = row[bj];
        g[bi] += s * wj;
        g[bj] += s * wi;
      }
    } else {
      // E_ij = Σ_k W_ik W_jk: ∂/∂W_ik = W_jk, ∂/∂W_jk = W_ik.
      const T* wi = w + static_cast<std::size_t>(bi) * c;
      const T* wj = w + static_cast<std::size_t>(bj) * c;
      T* gi = grad + static_cast<std::size_t>(bi) * c;
      T* gj = grad + static_cast<std::size_t>(bj) * c;
      for (int k = 0; k < c; ++k) {
        gi[k] += s * wj[k];
        gj[k] += s * wi[k];
      }
    }
  }
  return scale * best;
}

template <class T>
void srip_start_vector(std::uint64_t seed, T* v, int n) {
  // v lives on the Gram's side (c for tall W, r for wide); a random unit start.
  Engine eng = make_engine("OrthoPenalty/srip", seed);
  double nrm = 0;
  for (int i = 0; i < n; ++i) {
    const double z = standard_normal(eng);
    v[i] = static_cast<T>(z);
    nrm += z * z;
  }
  const T inv = static_cast<T>(1.0 / std::sqrt(nrm));
  for (int i = 0; i < n; ++i) v[i] *= inv;
}

// scale·|vᵀEv| after k power iterations v ← Ev/‖Ev‖, E = WᵀW − I (tall; Ev = Wᵀ(Wv) − v) or
// WWᵀ − I (wide; Ev = W(Wᵀv) − v). With ‖v‖ = 1, vᵀEv = ‖Wv‖² − 1 (tall) or ‖Wᵀv‖² − 1 (wide).
template <class T>
double srip_term(const T* w, T* grad, int r, int c, int iterations, double scale, T* v, T* wv,
                 T* ev) {
  const bool tall = r >= c;
  const int n = tall ? c : r, m = tall ? r : c;
  auto forward = [&](const T* in, T* out) {  // out (m) = W in, or Wᵀ in
    if (tall)
      gemm(Op::N, Op::N, r, 1, c, T(1), w, c, in, 1, T(0), out, 1);
    else
      gemm(Op::T, Op::N, c, 1, r, T(1), w, c, in, 1, T(0), out, 1);
  };
  for (int it = 0; it < iterations; ++it) {
    forward(v, wv);
    // ev = Wᵀ wv − v (tall) or W wv − v (wide)
    std::copy(v, v + n, ev);
    if (tall)
      gemm(Op::T, Op::N, c, 1, r, T(1), w, c, wv, 1, T(-1), ev, 1);
    else
      gemm(Op::N, Op::N, r, 1, c, T(1), w, c, wv, 1, T(-1), ev, 1);
    double nrm = 0;
    for (int i = 0; i < n; ++i) nrm += static_cast<double>(ev[i]) * ev[i];
    nrm = std::sqrt(nrm);
    if (!(nrm > 0) || !std::isfinite(nrm)) break;  // E v = 0: v already spans E's kernel
    const T inv = static_cast<T>(1.0 / nrm);
    for (int i = 0; i < n; ++i) v[i] = ev[i] * inv;
  }
  forward(v, wv);
  double wv2 = 0, vv = 0;
  for (int i = 0; i < m; ++i) wv2 += static_cast<double>(wv[i]) * wv[i];
  for (int i = 0; i < n; ++i) vv += static_cast<double>(v[i]) * v[i];
  const double rho = wv2 - vv;  // vᵀEv with ‖v‖ = 1 (vv = 1 up to rounding)
  if (grad) {
    const T coef = static_cast<T>(2.0 * scale * (rho < 0 ? -1.0 : 1.0));
    // tall: grad += coef·(W v) vᵀ (r × c);  wide: grad += coef·v (Wᵀ v)ᵀ (r × c)
    const T* left = tall ? wv : v;
    const T* right = tall ? v : wv;
    for (int i = 0; i < r; ++i) {
      const T a = coef * left[i];
      T* g = grad + static_cast<std::size_t>(i) * c;
      for (int j = 0; j < c; ++j) g[j] += a * right[j];
    }
  }
  return scale * std::abs(rho);
}

#define ISOBENCH_PENALTY_BLOCKS(T)                                                                \
  template double gram_frobenius_term<T>(const T*, T*, int, int, bool, double, bool, double, T*); \
  template int smaller_gram<T>(const T*, int, int, T*);                                           \
  template double mutual_coherence_term<T>(const T*, T*, int, int, double, T*);                   \
  template double srip_term<T>(const T*, T*, int, int, int, double, T*, T*, T*);                  \
  template void srip_start_vector<T>(std::uint64_t, T*, int);
ISOBENCH_PENALTY_BLOCKS(float)
ISOBENCH_PENALTY_BLOCKS(double)
#undef ISOBENCH_PENALTY_BLOCKS

template <class T>
double penalty_grad_ratio(const PenaltySpec& spec, const Matrix<T>& w,
                          const Matrix<T>& total_grad) {
  Matrix<T> gp(w.shape(), T(0));
  OrthoPenalty<T>(spec, static_cast<int>(w.shape(0)), static_cast<int>(w.shape(1)))
      .add_value_and_grad(w, gp);
  double np = 0, nd = 0;
  for (std::size_t i = 0; i < gp.size(); ++i) {
    const double pg = gp.data()[i], dg = total_grad.data()[i] - pg;
    np += pg * pg;
    nd += dg * dg;
  }
  return nd > 0 ? std::sqrt(np / nd) : -1.0;
}
template double penalty_grad_ratio<float>(const PenaltySpec&, const Matrix<float>&,
                                          const Matrix<float>&);
template double penalty_grad_ratio<double>(const PenaltySpec&, const Matrix<double>&,
                                           const Matrix<double>&);

StepDecayLambda::StepDecayLambda(std::vector<long> milestones_, std::vector<double> scales_)
    : milestones(std::move(milestones_)), scales(std::move(scales_)) {
  if (milestones.size() != scales.size())
    throw std::invalid_argument("StepDecayLambda: " + std::to_string(milestones.size()) +
                                " milestones but " + std::to_string(scales.size()) +
                                " scales (give one scale per milestone)");
  for (std::size_t i = 0; i < milestones.size(); ++i) {
    if (i > 0 && milestones[i] <= milestones[i - 1])
      throw std::invalid_argument("StepDecayLambda: milestones must be strictly ascending");
    if (!(scales[i] >= 0) || !std::isfinite(scales[i]))
      throw std::invalid_argument("StepDecayLambda: scale " + std::to_string(scales[i]) +
                                  " must be finite and >= 0");
  }
}

StepDecayLambda StepDecayLambda::geometric(std::vector<long> milestones_, double factor) {
  std::vector<double> s(milestones_.size());
  double f = 1.0;
  for (auto& x : s) x = (f *= factor);
  return StepDecayLambda(std::move(milestones_), std::move(s));
}

StepDecayLambda StepDecayLambda::bansal2018(long steps_per_epoch) {
  if (steps_per_epoch < 1)
    throw std::invalid_argument("StepDecayLambda::bansal2018: steps_per_epoch must be >= 1");
  // "epoch > 20" etc. in the released code, epochs counted from 1: the first step of epoch 21.
  const long e = steps_per_epoch;
  return StepDecayLambda({20 * e + 1, 50 * e + 1, 70 * e + 1, 120 * e + 1},
                         {1e-3, 1e-4, 1e-6, 0.0});
}

double StepDecayLambda::operator()(long t) const {
  double s = 1.0;
  for (std::size_t i = 0; i < milestones.size() && t >= milestones[i]; ++i) s = scales[i];
  return s;
}

}  // namespace isobench
