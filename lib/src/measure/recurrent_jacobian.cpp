#include "isobench/measure/recurrent_jacobian.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "isobench/core/blas.hpp"
#include "isobench/core/decompositions.hpp"
#include "isobench/core/non_finite.hpp"
#include "isobench/objective/loss.hpp"

namespace isobench {
namespace {
std::size_t sz(int v) {
  return static_cast<std::size_t>(v);
}

// φ(a) and φ′(a) of the activations the recurrent measurements support.
struct Phi {
  Activation act;
  explicit Phi(Activation a) : act(a) {
    if (a != Activation::Tanh && a != Activation::Linear)
      throw std::invalid_argument(std::string("recurrent Jacobian: activation ") +
                                  activation_name(a) + " is not supported (tanh or linear)");
  }
  double f(double a) const { return act == Activation::Tanh ? std::tanh(a) : a; }
  double df(double a) const {
    if (act == Activation::Linear) return 1.0;
    const double c = std::cosh(a);  // 1/cosh² stays positive where 1 − tanh² rounds to 0
    return 1.0 / (c * c);
  }
};

void check_shapes(const char* what, const Matrix<double>& w, const Matrix<double>& u) {
  if (w.shape(0) != w.shape(1) || u.shape(0) != w.shape(0) || w.shape(0) == 0)
    throw std::invalid_argument(std::string(what) +
                                ": W must be (H × H) and U (H × F) with the same H ≥ 1");
}
// The binary exponent of the largest |entry| (frexp's: max ∈ [2^(e−1), 2^e)); 0 for all zeros.
int max_exp2(const Matrix<double>& m) {
  double top = 0;
  for (double v : m) top = std::max(top, std::abs(v));
  int e = 0;
  std::frexp(top, &e);
  return e;
}
}  // namespace

JacobianProduct::JacobianProduct(int n, bool with_qr)
    : n_(n),
      with_qr_(with_qr),
      j_({sz(std::max(n, 1)), sz(std::max(n, 1))}),
      tmp_({sz(std::max(n, 1)), sz(std::max(n, 1))}),
      p_({sz(std::max(n, 1)), sz(std::max(n, 1))}),
      qt_(sz(std::max(n, 1)) * sz(std::max(n, 1))),
      rdiag_(sz(std::max(n, 1))),
      tau_(sz(std::max(n, 1))) {
  if (n < 1) throw std::invalid_argument("JacobianProduct: the state size must be at least 1");
  work_.resize(sz(std::max(lapack::qr_work_size<double>(n, n), 1)));
  reset();
}

void JacobianProduct::reset() {
  std::fill(j_.begin(), j_.end(), 0.0);
  std::fill(qt_.begin(), qt_.end(), 0.0);
  for (int i = 0; i < n_; ++i) {
    j_(sz(i), sz(i)) = 1.0;
    qt_[sz(i) * sz(n_) + sz(i)] = 1.0;
  }
  steps_ = group_steps_ = qr_steps_ = 0;
  group_cond_ = 1;
  j_exp2_ = 0;
  log_det_ = with_qr_ ? 0.0 : std::numeric_limits<double>::quiet_NaN();
}

void JacobianProduct::push(const double* f, double cond_bound) {
  const int n = n_;
  check_finite("JacobianProduct", "the factor F_t", f, sz(n), sz(n), sz(n));
  const bool bounded = std::isfinite(cond_bound) && cond_bound >= 1;
  if (group_steps_ > 0 && !(bounded && group_cond_ * cond_bound <= kMaxGroupCond)) flush();
  if (group_steps_ == 0) {
    std::copy(f, f + sz(n) * sz(n), p_.begin());
    group_cond_ = bounded ? cond_bound : std::numeric_limits<double>::infinity();
  } else {  // P ← F P
    gemm(Op::N, Op::N, n, n, n, 1.0, f, n, p_.data(), n, 0.0, tmp_.data(), n);
    std::swap(p_, tmp_);
    group_cond_ *= cond_bound;
  }
  ++group_steps_;
  ++steps_;
  // Close the group also before P's entries could leave double's range (2^±kExp2Range).
  if (!bounded || std::abs(max_exp2(p_)) > kExp2Range) flush();
}

void JacobianProduct::flush() {
  if (group_steps_ == 0) return;
  const int n = n_;
  // Explicit: J ← P J, kept within 2^±kExp2Range by exact powers of 2 (J = j_ · 2^j_exp2_), so
  // products over hundreds of steps neither overflow nor underflow.
  gemm(Op::N, Op::N, n, n, n, 1.0, p_.data(), n, j_.data(), n, 0.0, tmp_.data(), n);
  std::swap(j_, tmp_);
  const int e = max_exp2(j_);
  if (std::abs(e) > kExp2Range) {
    for (double& v : j_) v = std::ldexp(v, -e);
    j_exp2_ += e;
  }
  group_steps_ = 0;
  if (!with_qr_) return;
  // QR: M = P Q. With Qᵀ row-major in qt_, (P Q)ᵀ = Qᵀ Pᵀ row-major is P Q column-major — the
  // layout geqrf reads; it writes the new Q column-major back (= Qᵀ row-major).
  gemm(Op::N, Op::T, n, n, n, 1.0, qt_.data(), n, p_.data(), n, 0.0, tmp_.data(), n);
  std::copy(tmp_.begin(), tmp_.end(), qt_.begin());
  lapack::qr_thin<double>(n, n, qt_.data(), n, rdiag_.data(), tau_.data(), work_.data(),
                          static_cast<int>(work_.size()));
  double s = 0;
  for (int i = 0; i < n; ++i) s += std::log(std::abs(rdiag_[sz(i)]));
  log_det_ += 2 * s;
  ++qr_steps_;
}

double JacobianProduct::log_det() {
  flush();
  return log_det_;
}

const Matrix<double>& JacobianProduct::product() {
  flush();
  if (j_exp2_ != 0) {  // back to the true scale, where double holds it
    for (double v : j_)
      if (v != 0 && !std::isnormal(std::ldexp(v, j_exp2_)))
        throw std::overflow_error(
            "JacobianProduct::product: J's entries are outside double's "
            "range (use spectrum(): its log_det and cond are exact)");
    for (double& v : j_) v = std::ldexp(v, j_exp2_);
    j_exp2_ = 0;
  }
  return j_;
}

double JacobianProduct::sv2_mean() {
  flush();
  double s = 0;
  for (double v : j_) s += v * v;
  return std::ldexp(s / n_, 2 * j_exp2_);  // +∞ or 0 when outside double's range
}

JacobianSpectrum JacobianProduct::spectrum() {
  if (steps_ == 0) throw std::logic_error("JacobianProduct::spectrum before any push");
  flush();
  std::vector<double> sv = singular_values(j_);  // descending, of J · 2^−j_exp2_
  JacobianSpectrum out;
  // The true scale, where double holds it; otherwise the absolute values are NaN (absent as
  // counters) while cond, resolved and the log-det (scale-free or exact) stay.
  const bool representable =
      sv.front() == 0 || (std::isnormal(std::ldexp(sv.front(), j_exp2_)) &&
                          std::isfinite(std::ldexp(sv.front() * sv.front(), 2 * j_exp2_)));
  out.representable = representable;
  out.sv2.resize(sv.size());
  double mean = 0;
  for (std::size_t i = 0; i < sv.size(); ++i) {
    out.sv2[i] = representable ? std::ldexp(sv[i] * sv[i], 2 * j_exp2_)
                               : std::numeric_limits<double>::quiet_NaN();
    mean += out.sv2[i];
  }
  mean /= static_cast<double>(sv.size());
  double var = 0;
  for (double v : out.sv2) var += (v - mean) * (v - mean);
  out.sv2_mean = mean;
  out.sv2_var = var / static_cast<double>(sv.size());
  out.sv2_max = out.sv2.front();
  const double threshold =
      JacobianSpectrum::kResolvedFactor * std::numeric_limits<double>::epsilon() * sv.front();
  for (double s : sv) out.resolved += s > threshold ? 1 : 0;
  if (sv.back() > threshold) {
    if (representable) out.sv_min = std::ldexp(sv.back(), j_exp2_);
    out.cond = sv.front() / sv.back();
  }
  out.log_det = log_det_;
  out.log_sv2_mean = log_det_ / n_;
  return out;
}

std::vector<double> rnn_jacobian_through_time(Activation act, const Matrix<double>& w,
                                              const Matrix<double>& u, const double* b,
                                              const double* x, int steps, JacobianProduct& jp) {
  std::vector<JacobianSpectrum> none;
  return rnn_jacobian_through_time(act, w, u, b, x, steps, jp, {}, none);
}

std::vector<double> rnn_jacobian_through_time(Activation act, const Matrix<double>& w,
                                              const Matrix<double>& u, const double* b,
                                              const double* x, int steps, JacobianProduct& jp,
                                              const std::vector<int>& at,
                                              std::vector<JacobianSpectrum>& spectra) {
  const Phi phi(act);
  for (std::size_t i = 0; i < at.size(); ++i)
    if (at[i] < 1 || at[i] > steps || (i > 0 && at[i] <= at[i - 1]))
      throw std::invalid_argument(
          "rnn_jacobian_through_time: the step counts to record must be ascending in [1, steps]");
  spectra.clear();
  std::size_t next = 0;
  check_shapes("rnn_jacobian_through_time", w, u);
  const int H = static_cast<int>(w.shape(0)), F = static_cast<int>(u.shape(1));
  if (jp.size() != H)
    throw std::invalid_argument("rnn_jacobian_through_time: the JacobianProduct's size is not H");
  if (steps < 1) throw std::invalid_argument("rnn_jacobian_through_time: steps must be ≥ 1");
  jp.reset();
  // cond(F_t) ≤ cond(D_t)·cond(W): lets jp group steps between its QR steps.
  const std::vector<double> sw = singular_values(w);
  const double w_cond =
      sw.back() > 0 ? sw.front() / sw.back() : std::numeric_limits<double>::infinity();
  std::vector<double> h(sz(H), 0.0), a(sz(H)), ux(sz(H)), drive(sz(steps));
  Matrix<double> factor({sz(H), sz(H)});
  for (int t = 0; t < steps; ++t) {
    // ux = U x_t; a = W h_{t−1} + ux + b.
    gemm(Op::N, Op::T, 1, H, F, 1.0, x + sz(t) * sz(F), F, u.data(), F, 0.0, ux.data(), H);
    gemm(Op::N, Op::T, 1, H, H, 1.0, h.data(), H, w.data(), H, 0.0, a.data(), H);
    double d = 0;
    for (int i = 0; i < H; ++i) {
      d += ux[sz(i)] * ux[sz(i)];
      a[sz(i)] += ux[sz(i)] + (b ? b[i] : 0.0);
    }
    drive[sz(t)] = d / H;
    // F_t = D_t W: row i of W times φ′(a_i).
    double d_max = 0, d_min = std::numeric_limits<double>::infinity();
    for (int i = 0; i < H; ++i) {
      const double s = phi.df(a[sz(i)]);
      d_max = std::max(d_max, s);
      d_min = std::min(d_min, s);
      const double* wr = w.data() + sz(i) * sz(H);
      double* fr = factor.data() + sz(i) * sz(H);
      for (int j = 0; j < H; ++j) fr[j] = s * wr[j];
      h[sz(i)] = phi.f(a[sz(i)]);
    }
    jp.push(factor.data(),
            d_min > 0 ? w_cond * d_max / d_min : std::numeric_limits<double>::infinity());
    if (next < at.size() && at[next] == t + 1) {
      spectra.push_back(jp.spectrum());
      ++next;
    }
  }
  return drive;
}

std::vector<double> rnn_hidden_grad_norms(Activation act, const Matrix<double>& w,
                                          const Matrix<double>& u, const double* b,
                                          const Matrix<double>& v, const double* c, const double* x,
                                          int steps, int batch, const int* labels) {
  const Phi phi(act);
  check_shapes("rnn_hidden_grad_norms", w, u);
  const int H = static_cast<int>(w.shape(0)), F = static_cast<int>(u.shape(1)),
            K = static_cast<int>(v.shape(0)), T = steps, B = batch;
  if (static_cast<int>(v.shape(1)) != H)
    throw std::invalid_argument("rnn_hidden_grad_norms: V must be (K × H)");
  if (T < 1 || B < 1) throw std::invalid_argument("rnn_hidden_grad_norms: steps, batch ≥ 1");
  // Forward: hs row t·B + b holds h_t of sample b (t = 0..T), pre the pre-activations a_t.
  std::vector<double> hs(sz(T + 1) * sz(B) * sz(H), 0.0), pre(sz(T) * sz(B) * sz(H));
  gemm(Op::N, Op::T, T * B, H, F, 1.0, x, F, u.data(), F, 0.0, pre.data(), H);
  for (int t = 1; t <= T; ++t) {
    double* a = pre.data() + sz(t - 1) * sz(B) * sz(H);
    gemm(Op::N, Op::T, B, H, H, 1.0, hs.data() + sz(t - 1) * sz(B) * sz(H), H, w.data(), H, 1.0, a,
         H);
    double* h = hs.data() + sz(t) * sz(B) * sz(H);
    for (int r = 0; r < B; ++r)
      for (int i = 0; i < H; ++i) {
        double& ai = a[sz(r) * sz(H) + sz(i)];
        if (b) ai += b[i];
        h[sz(r) * sz(H) + sz(i)] = phi.f(ai);
      }
  }
  std::vector<double> logits(sz(B) * sz(K)), dlogits(logits.size());
  gemm(Op::N, Op::T, B, K, H, 1.0, hs.data() + sz(T) * sz(B) * sz(H), H, v.data(), H, 0.0,
       logits.data(), K);
  if (c)
    for (int r = 0; r < B; ++r)
      for (int k = 0; k < K; ++k) logits[sz(r) * sz(K) + sz(k)] += c[k];
  softmax_xent(logits.data(), labels, B, K, dlogits.data());
  // Backward: dh_T = dlogits V; δ_t = dh_t ⊙ φ′(a_t); dh_{t−1} = δ_t W.
  std::vector<double> dh(sz(B) * sz(H)), delta(dh.size()), norms(sz(T + 1));
  gemm(Op::N, Op::N, B, H, K, 1.0, dlogits.data(), K, v.data(), H, 0.0, dh.data(), H);
  for (int t = T; t >= 1; --t) {
    double n2 = 0;
    for (double g : dh) n2 += g * g;
    norms[sz(t)] = std::sqrt(n2);
    const double* a = pre.data() + sz(t - 1) * sz(B) * sz(H);
    for (std::size_t k = 0; k < dh.size(); ++k) delta[k] = dh[k] * phi.df(a[k]);
    gemm(Op::N, Op::N, B, H, H, 1.0, delta.data(), H, w.data(), H, 0.0, dh.data(), H);
  }
  double n2 = 0;
  for (double g : dh) n2 += g * g;
  norms[0] = std::sqrt(n2);
  return norms;
}

}  // namespace isobench
