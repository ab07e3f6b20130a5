// The LSTM's state Jacobian through time and state-gradient norms: see lstm_jacobian.hpp.
#include "isobench/measure/lstm_jacobian.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "isobench/core/blas.hpp"
#include "isobench/core/decompositions.hpp"
#include "isobench/objective/loss_bce.hpp"

namespace isobench {
namespace {
std::size_t sz(int v) {
  return static_cast<std::size_t>(v);
}

double sigmoid(double z) {
  return 1.0 / (1.0 + std::exp(-z));
}
// σ′(z) = σ(z)σ(−z): no cancellation in 1 − σ for large z.
double dsigmoid(double z) {
  return sigmoid(z) * sigmoid(-z);
}
// tanh′(a) = 1/cosh²(a): positive until |a| ≈ 355, where 1 − tanh² rounds to 0 from |a| ≈ 19.
double dtanh(double a) {
  const double c = std::cosh(a);
  return 1.0 / (c * c);
}

// log σ(z) = −log(1 + e^{−z}), without overflow for z ≪ 0.
double log_sigmoid(double z) {
  return z >= 0 ? -std::log1p(std::exp(-z)) : z - std::log1p(std::exp(z));
}

// log|det W_o| of the output gate's block (rows 3H..4H of W) by one QR: Σ log|r_ii|.
double log_abs_det_wo(const Matrix<double>& w, int H) {
  // The block row-major is its transpose column-major: the same |det|.
  std::vector<double> a(w.data() + sz(3 * H) * sz(H), w.data() + sz(4 * H) * sz(H));
  std::vector<double> rdiag(sz(H)), tau(sz(H));
  std::vector<double> work(sz(std::max(lapack::qr_work_size<double>(H, H), 1)));
  lapack::qr_thin<double>(H, H, a.data(), H, rdiag.data(), tau.data(), work.data(),
                          static_cast<int>(work.size()));
  double s = 0;
  for (double r : rdiag) s += std::log(std::abs(r));
  return s;
}

// H from W (4H × H) and U (4H × F), checked.
int hidden_of(const char* what, const Matrix<double>& w, const Matrix<double>& u) {
  const std::size_t h = w.shape(1);
  if (h == 0 || w.shape(0) != 4 * h || u.shape(0) != 4 * h)
    throw std::invalid_argument(std::string(what) +
                                ": W must be (4H × H) and U (4H × F) with the same H ≥ 1");
  return static_cast<int>(h);
}
}  // namespace

double lstm_jacobian_through_time(const Matrix<double>& w, const Matrix<double>& u, const double* b,
                                  const double* x, int steps, JacobianProduct& jp) {
  const int H = hidden_of("lstm_jacobian_through_time", w, u), F = static_cast<int>(u.shape(1));
  const int n = 2 * H;
  if (jp.size() != n)
    throw std::invalid_argument("lstm_jacobian_through_time: the JacobianProduct's size is not 2H");
  if (steps < 1) throw std::invalid_argument("lstm_jacobian_through_time: steps must be ≥ 1");
  jp.reset();
  const double log_det_wo = log_abs_det_wo(w, H);
  double log_det = 0;  // Σ_t log|det F_t|
  std::vector<double> h(sz(H), 0.0), c(sz(H), 0.0), z(sz(4 * H));
  Matrix<double> factor({sz(n), sz(n)});
  for (int t = 0; t < steps; ++t) {
    // z = U x_t + W h_{t−1} + b.
    gemm(Op::N, Op::T, 1, 4 * H, F, 1.0, x + sz(t) * sz(F), F, u.data(), F, 0.0, z.data(), 4 * H);
    gemm(Op::N, Op::T, 1, 4 * H, H, 1.0, h.data(), H, w.data(), H, 1.0, z.data(), 4 * H);
    if (b)
      for (int k = 0; k < 4 * H; ++k) z[sz(k)] += b[k];
    log_det += log_det_wo;
    for (int r = 0; r < H; ++r) {
      const double zi = z[sz(r)], zf = z[sz(H + r)], zg = z[sz(2 * H + r)], zo = z[sz(3 * H + r)];
      const double ig = sigmoid(zi), fg = sigmoid(zf), gg = std::tanh(zg), og = sigmoid(zo);
      const double cn = fg * c[sz(r)] + ig * gg, tc = std::tanh(cn);
      // ∂c'/∂h row r = p W_f[r] + q W_i[r] + s W_g[r]; ∂h'/∂h row r = a W_o[r] + e ∂c'/∂h[r].
      const double p = c[sz(r)] * dsigmoid(zf), q = gg * dsigmoid(zi), s = ig * dtanh(zg);
      const double a = tc * dsigmoid(zo), e = og * dtanh(cn);
      const double* wi = w.data() + sz(r) * sz(H);
      const double* wf = wi + sz(H) * sz(H);
      const double* wg = wf + sz(H) * sz(H);
      const double* wo = wg + sz(H) * sz(H);
      double* hrow = factor.data() + sz(r) * sz(n);
      double* crow = factor.data() + sz(H + r) * sz(n);
      for (int j = 0; j < H; ++j) {
        const double dc = p * wf[j] + q * wi[j] + s * wg[j];
        crow[j] = dc;
        hrow[j] = a * wo[j] + e * dc;
        crow[H + j] = 0.0;
        hrow[H + j] = 0.0;
      }
      crow[H + r] = fg;      // ∂c'/∂c = diag f
      hrow[H + r] = e * fg;  // ∂h'/∂c = diag(o ⊙ tanh′(c') ⊙ f)
      // log|det F_t| = log|det W_o| + Σ_r log(f_r · |tanh c'_r| · σ′(z_o,r)) (header).
      log_det += log_sigmoid(zf) + std::log(std::abs(tc)) + log_sigmoid(zo) + log_sigmoid(-zo);
      c[sz(r)] = cn;
      h[sz(r)] = og * tc;
    }
    jp.push(factor.data());
  }
  return 2 * log_det;
}

std::vector<double> lstm_state_grad_norms(const Matrix<double>& w, const Matrix<double>& u,
                                          const double* b, const double* v, double c0,
                                          const double* x, int steps, int batch,
                                          const double* targets01) {
  const int H = hidden_of("lstm_state_grad_norms", w, u), F = static_cast<int>(u.shape(1));
  const int T = steps, B = batch, G = 4 * H;
  if (T < 1 || B < 1) throw std::invalid_argument("lstm_state_grad_norms: steps, batch ≥ 1");
  // Forward: zs row t·B + b holds z_{t+1} of sample b, then its activated gates [i f g o];
  // hs, cs rows t·B + b hold h_t, c_t; tcs row (t−1)·B + b holds tanh(c_t).
  std::vector<double> zs(sz(T) * sz(B) * sz(G)), hs(sz(T + 1) * sz(B) * sz(H), 0.0),
      cs(hs.size(), 0.0), tcs(sz(T) * sz(B) * sz(H));
  gemm(Op::N, Op::T, T * B, G, F, 1.0, x, F, u.data(), F, 0.0, zs.data(), G);
  for (int t = 1; t <= T; ++t) {
    double* z = zs.data() + sz(t - 1) * sz(B) * sz(G);
    gemm(Op::N, Op::T, B, G, H, 1.0, hs.data() + sz(t - 1) * sz(B) * sz(H), H, w.data(), H, 1.0, z,
         G);
    const double* cp = cs.data() + sz(t - 1) * sz(B) * sz(H);
    double* cn = cs.data() + sz(t) * sz(B) * sz(H);
    double* hn = hs.data() + sz(t) * sz(B) * sz(H);
    double* tc = tcs.data() + sz(t - 1) * sz(B) * sz(H);
    for (int r = 0; r < B; ++r) {
      double* zr = z + sz(r) * sz(G);
      for (int k = 0; k < G; ++k) {
        const double a = zr[k] + (b ? b[k] : 0.0);
        zr[k] = k >= 2 * H && k < 3 * H ? std::tanh(a) : sigmoid(a);
      }
      for (int j = 0; j < H; ++j) {
        const std::size_t m = sz(r) * sz(H) + sz(j);
        cn[m] = zr[H + j] * cp[m] + zr[j] * zr[2 * H + j];
        tc[m] = std::tanh(cn[m]);
        hn[m] = zr[3 * H + j] * tc[m];
      }
    }
  }
  std::vector<double> logits(sz(B)), dlogits(sz(B));
  const double* hT = hs.data() + sz(T) * sz(B) * sz(H);
  for (int r = 0; r < B; ++r) {
    double s = c0;
    for (int j = 0; j < H; ++j) s += v[j] * hT[sz(r) * sz(H) + sz(j)];
    logits[sz(r)] = s;
  }
  sigmoid_bce<double>(logits.data(), targets01, B, dlogits.data());
  // Backward (the transpose of lstm_jacobian_through_time's factor): with dh = ∂L/∂h_t and
  // dc = ∂L/∂c_t, dĉ = dc + dh ⊙ o ⊙ tanh′(c_t); dz = [dĉ⊙g⊙σ′(z_i); dĉ⊙c_{t−1}⊙σ′(z_f);
  // dĉ⊙i⊙tanh′(z_g); dh⊙tanh(c_t)⊙σ′(z_o)]; ∂L/∂h_{t−1} = dz W, ∂L/∂c_{t−1} = dĉ ⊙ f.
  std::vector<double> dh(sz(B) * sz(H)), dc(dh.size(), 0.0), dz(sz(B) * sz(G)), norms(sz(T + 1));
  for (int r = 0; r < B; ++r)
    for (int j = 0; j < H; ++j) dh[sz(r) * sz(H) + sz(j)] = dlogits[sz(r)] * v[j];
  auto norm = [&] {
    double n2 = 0;
    for (std::size_t k = 0; k < dh.size(); ++k) n2 += dh[k] * dh[k] + dc[k] * dc[k];
    return std::sqrt(n2);
  };
  norms[sz(T)] = norm();
  // σ′ = σ(1 − σ) and tanh′ = 1 − tanh² from the stored activations here (absolute error
  // ~1e-16, nothing to a norm; the factor above keeps the forms that stay relatively accurate).
  for (int t = T; t >= 1; --t) {
    const double* act = zs.data() + sz(t - 1) * sz(B) * sz(G);
    const double* cp = cs.data() + sz(t - 1) * sz(B) * sz(H);
    const double* tc = tcs.data() + sz(t - 1) * sz(B) * sz(H);
    for (int r = 0; r < B; ++r) {
      const double* ar = act + sz(r) * sz(G);
      double* dzr = dz.data() + sz(r) * sz(G);
      for (int j = 0; j < H; ++j) {
        const std::size_t m = sz(r) * sz(H) + sz(j);
        const double ig = ar[j], fg = ar[H + j], gg = ar[2 * H + j], og = ar[3 * H + j];
        const double dct = dc[m] + dh[m] * og * (1 - tc[m] * tc[m]);
        dzr[j] = dct * gg * ig * (1 - ig);
        dzr[H + j] = dct * cp[m] * fg * (1 - fg);
        dzr[2 * H + j] = dct * ig * (1 - gg * gg);
        dzr[3 * H + j] = dh[m] * tc[m] * og * (1 - og);
        dc[m] = dct * fg;
      }
    }
    gemm(Op::N, Op::N, B, H, G, 1.0, dz.data(), G, w.data(), H, 0.0, dh.data(), H);
    norms[sz(t - 1)] = norm();
  }
  return norms;
}

}  // namespace isobench
