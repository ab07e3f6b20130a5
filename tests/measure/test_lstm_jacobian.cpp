// The LSTM's state Jacobian through time (lstm_jacobian.hpp): the factor product against central
// finite differences of a reference double forward from a perturbed (h_0, c_0), two exact cases
// (W = U = 0: constant gates, a closed form; the forget gate saturated open and the others shut:
// ∂c_T/∂c_0 = I), and the state-gradient norms against finite differences of the loss.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "isobench/core/rng.hpp"
#include "isobench/measure/lstm_jacobian.hpp"
#include "isobench/nn/lstm.hpp"

namespace isobench {
namespace {

std::size_t sz(int v) {
  return static_cast<std::size_t>(v);
}

struct Net {
  Matrix<double> w, u;  // (4H × H), (4H × F)
  std::vector<double> b;
};

// Entries N(0, scale²/fan-in), biases N(0, bias_sd²).
Net make_net(int H, int F, double scale, double bias_sd, std::uint64_t seed) {
  Engine eng(seed);
  Net n{Matrix<double>({sz(4 * H), sz(H)}), Matrix<double>({sz(4 * H), sz(F)}), {}};
  std::normal_distribution<double> nw(0, scale / std::sqrt(H)), nu(0, scale / std::sqrt(F)),
      nb(0, bias_sd);
  for (double& v : n.w) v = nw(eng);
  for (double& v : n.u) v = nu(eng);
  for (int k = 0; k < 4 * H; ++k) n.b.push_back(nb(eng));
  return n;
}

std::vector<double> gaussian(std::size_t count, std::uint64_t seed) {
  Engine eng(seed);
  std::normal_distribution<double> nd(0, 1);
  std::vector<double> x(count);
  for (double& v : x) v = nd(eng);
  return x;
}

double sig(double z) {
  return 1 / (1 + std::exp(-z));
}

// Reference forward, written from lstm.hpp's equations: s = [h; c] (2H) through steps
// t0 + 1 .. t1 of x (row t = step t + 1).
std::vector<double> forward(const Net& n, std::vector<double> s, const double* x, int t0, int t1) {
  const int H = static_cast<int>(n.w.shape(1)), F = static_cast<int>(n.u.shape(1));
  std::vector<double> z(sz(4 * H));
  for (int t = t0; t < t1; ++t) {
    for (int k = 0; k < 4 * H; ++k) {
      double a = n.b[sz(k)];
      for (int j = 0; j < H; ++j) a += n.w(sz(k), sz(j)) * s[sz(j)];
      for (int j = 0; j < F; ++j) a += n.u(sz(k), sz(j)) * x[sz(t) * sz(F) + sz(j)];
      z[sz(k)] = a;
    }
    for (int j = 0; j < H; ++j) {
      const double c =
          sig(z[sz(H + j)]) * s[sz(H + j)] + sig(z[sz(j)]) * std::tanh(z[sz(2 * H + j)]);
      s[sz(H + j)] = c;
      s[sz(j)] = sig(z[sz(3 * H + j)]) * std::tanh(c);
    }
  }
  return s;
}

// The reference forward (and so the factor the tests check) is the library's LSTM: the same
// final (h_T, c_T) as Lstm<double> with the same W, U, b.
TEST(LstmJacobian, ReferenceForwardIsTheLibrarysLstm) {
  const int H = 6, F = 3, T = 5;
  const Net net = make_net(H, F, 1.5, 0.5, 21);
  const std::vector<double> x = gaussian(sz(T) * sz(F), 22);
  Lstm<double> lstm({F, H, 1});
  lstm.reserve(T, 1);
  std::copy(net.w.begin(), net.w.end(), lstm.recurrent_kernel().begin());
  std::copy(net.u.begin(), net.u.end(), lstm.input_kernel().begin());
  std::copy(net.b.begin(), net.b.end(), lstm.bias().begin());
  lstm.forward(x.data(), T, 1);
  const std::vector<double> s = forward(net, std::vector<double>(sz(2 * H), 0.0), x.data(), 0, T);
  for (int j = 0; j < H; ++j) {
    EXPECT_NEAR(lstm.hidden_state(T)[j], s[sz(j)], 1e-14);
    EXPECT_NEAR(lstm.cell_state(T)[j], s[sz(H + j)], 1e-14);
  }
}

TEST(LstmJacobian, MatchesFiniteDifferencesFromAPerturbedInitialState) {
  const int H = 6, F = 3, T = 5, n = 2 * H;
  const Net net = make_net(H, F, 1.5, 0.5, 21);
  const std::vector<double> x = gaussian(sz(T) * sz(F), 22);
  JacobianProduct jp(n);
  const double log_det = lstm_jacobian_through_time(net.w, net.u, net.b.data(), x.data(), T, jp);
  ASSERT_EQ(jp.steps(), T);
  // The closed-form log-det against the QR accumulation and the SVD of the explicit product
  // (a spread small enough here for both to be accurate).
  EXPECT_NEAR(log_det, jp.log_det(), 1e-9 * std::abs(jp.log_det()));
  double svd_log_det = 0;
  for (double v : jp.spectrum().sv2) svd_log_det += std::log(v);
  EXPECT_NEAR(log_det, svd_log_det, 1e-6 * std::abs(svd_log_det));
  EXPECT_LT(log_det, -1.0);  // a contracting product: the check is not 0 ≈ 0
  // The function starts at s_0 = 0; central differences around it, column by column.
  const double eps = 1e-6;
  double worst = 0, largest = 0;
  for (int j = 0; j < n; ++j) {
    std::vector<double> sp(sz(n), 0.0), sm(sz(n), 0.0);
    sp[sz(j)] = eps;
    sm[sz(j)] = -eps;
    const std::vector<double> fp = forward(net, sp, x.data(), 0, T),
                              fm = forward(net, sm, x.data(), 0, T);
    for (int i = 0; i < n; ++i) {
      const double fd = (fp[sz(i)] - fm[sz(i)]) / (2 * eps);
      worst = std::max(worst, std::abs(fd - jp.product()(sz(i), sz(j))));
      largest = std::max(largest, std::abs(fd));
    }
  }
  EXPECT_GT(largest, 0.05);  // a Jacobian that is not trivially small
  EXPECT_LT(worst, 1e-8) << "largest entry " << largest;
  // The h and c blocks all matter: the c → c block is not the identity, h → h not zero.
  EXPECT_GT(std::abs(jp.product()(0, 0)), 1e-4);
}

TEST(LstmJacobian, ClosedFormLogDetMatchesTheQrAccumulationOverALongSequence) {
  // H = 16, T = 50: the spectrum spreads past double's range, where only the QR and the closed
  // form still agree.
  const int H = 16, F = 4, T = 50, n = 2 * H;
  const Net net = make_net(H, F, 1.0, 0.5, 61);
  const std::vector<double> x = gaussian(sz(T) * sz(F), 62);
  JacobianProduct jp(n);
  const double log_det = lstm_jacobian_through_time(net.w, net.u, net.b.data(), x.data(), T, jp);
  const JacobianSpectrum sp = jp.spectrum();
  EXPECT_LT(sp.resolved, n);  // the explicit product has lost its small singular values
  EXPECT_NEAR(log_det, jp.log_det(), 1e-9 * std::abs(jp.log_det()));
}

TEST(LstmJacobian, ConstantGatesGiveTheClosedForm) {
  // W = U = 0: every gate is its bias, c_t = f c_{t−1} + i g, and F_t = [[0, e_t f], [0, f]]
  // (diagonal blocks), so J_T = [[0, e_T f^T], [0, f^T]] with e_T = o·tanh′(c_T).
  const int H = 4, F = 2, T = 6, n = 2 * H;
  Net net{Matrix<double>({sz(4 * H), sz(H)}), Matrix<double>({sz(4 * H), sz(F)}), {}};
  net.w.fill(0.0);
  net.u.fill(0.0);
  for (int k = 0; k < 4 * H; ++k) net.b.push_back(0.3 * (k % 5) - 0.4 + 0.1 * (k / H));
  const std::vector<double> x = gaussian(sz(T) * sz(F), 5);
  JacobianProduct jp(n);
  const double log_det = lstm_jacobian_through_time(net.w, net.u, net.b.data(), x.data(), T, jp);
  EXPECT_TRUE(std::isinf(log_det) && log_det < 0);  // det W_o = 0: singular factors
  const std::vector<double> sT = forward(net, std::vector<double>(sz(n), 0.0), x.data(), 0, T);
  for (int r = 0; r < H; ++r) {
    const double f = sig(net.b[sz(H + r)]), o = sig(net.b[sz(3 * H + r)]);
    const double cT = sT[sz(H + r)], ch = std::cosh(cT);
    const double fT = std::pow(f, T), e = o / (ch * ch);
    for (int j = 0; j < n; ++j) {
      const double hh = j == H + r ? e * fT : 0.0, cc = j == H + r ? fT : 0.0;
      EXPECT_NEAR(jp.product()(sz(r), sz(j)), hh, 1e-14) << r << "," << j;
      EXPECT_NEAR(jp.product()(sz(H + r), sz(j)), cc, 1e-14) << r << "," << j;
    }
  }
}

TEST(LstmJacobian, ForgetGateOpenOthersShutCarriesTheCellUnchanged) {
  // b_f = 40 (σ = 1 in double), b_i = b_o = −40 (σ ≈ 4e-18): ∂c_T/∂c_0 = I, every other block
  // ≈ 0, whatever W and the input — the constant error carousel.
  const int H = 5, F = 3, T = 8, n = 2 * H;
  Net net = make_net(H, F, 1.0, 0.0, 31);
  for (int r = 0; r < H; ++r) {
    net.b[sz(r)] = -40;
    net.b[sz(H + r)] = 40;
    net.b[sz(3 * H + r)] = -40;
  }
  const std::vector<double> x = gaussian(sz(T) * sz(F), 32);
  JacobianProduct jp(n, /*with_qr=*/false);
  lstm_jacobian_through_time(net.w, net.u, net.b.data(), x.data(), T, jp);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const double want = i >= H && i == j ? 1.0 : 0.0;
      EXPECT_NEAR(jp.product()(sz(i), sz(j)), want, 1e-12) << i << "," << j;
    }
  const JacobianSpectrum sp = jp.spectrum();
  EXPECT_NEAR(sp.sv2_max, 1.0, 1e-12);
  EXPECT_NEAR(sp.sv2_mean, 0.5, 1e-12);  // H ones and H ≈ zeros
}

// L(s_t) = mean BCE of v·h_T + c0, running the reference forward from s_t (per sample).
double loss_from(const Net& net, const std::vector<std::vector<double>>& states, int t,
                 const std::vector<std::vector<double>>& xs, const std::vector<double>& v,
                 double c0, const std::vector<double>& y, int T) {
  double l = 0;
  const int H = static_cast<int>(v.size());
  for (std::size_t b = 0; b < xs.size(); ++b) {
    const std::vector<double> s = forward(net, states[b], xs[b].data(), t, T);
    double z = c0;
    for (int j = 0; j < H; ++j) z += v[sz(j)] * s[sz(j)];
    l += std::max(z, 0.0) - z * y[b] + std::log1p(std::exp(-std::abs(z)));
  }
  return l / static_cast<double>(xs.size());
}

TEST(LstmJacobian, StateGradNormsMatchFiniteDifferencesOfTheLoss) {
  const int H = 5, F = 3, T = 5, B = 3, n = 2 * H;
  const Net net = make_net(H, F, 1.5, 0.5, 41);
  const std::vector<double> v = gaussian(sz(H), 42), y = {1.0, 0.0, 1.0};
  const double c0 = 0.3;
  std::vector<std::vector<double>> xs;  // per sample (T × F)
  for (int b = 0; b < B; ++b) xs.push_back(gaussian(sz(T) * sz(F), 50 + sz(b)));
  std::vector<double> xtm(sz(T) * sz(B) * sz(F));  // time-major
  for (int t = 0; t < T; ++t)
    for (int b = 0; b < B; ++b)
      for (int j = 0; j < F; ++j)
        xtm[(sz(t) * sz(B) + sz(b)) * sz(F) + sz(j)] = xs[sz(b)][sz(t) * sz(F) + sz(j)];
  const std::vector<double> norms =
      lstm_state_grad_norms(net.w, net.u, net.b.data(), v.data(), c0, xtm.data(), T, B, y.data());
  ASSERT_EQ(norms.size(), sz(T + 1));
  const double eps = 1e-6;
  for (int t = 0; t <= T; ++t) {
    std::vector<std::vector<double>> states;
    for (int b = 0; b < B; ++b)
      states.push_back(forward(net, std::vector<double>(sz(n), 0.0), xs[sz(b)].data(), 0, t));
    double n2 = 0;
    for (int b = 0; b < B; ++b)
      for (int j = 0; j < n; ++j) {
        std::vector<std::vector<double>> p = states, m = states;
        p[sz(b)][sz(j)] += eps;
        m[sz(b)][sz(j)] -= eps;
        const double g =
            (loss_from(net, p, t, xs, v, c0, y, T) - loss_from(net, m, t, xs, v, c0, y, T)) /
            (2 * eps);
        n2 += g * g;
      }
    EXPECT_NEAR(norms[sz(t)], std::sqrt(n2), 1e-8 + 1e-6 * std::sqrt(n2)) << "t = " << t;
    EXPECT_GT(norms[sz(t)], 1e-4) << "t = " << t;
  }
}

TEST(LstmJacobian, RejectsBadShapes) {
  const int H = 3, F = 2;
  const Net net = make_net(H, F, 1.0, 0.1, 1);
  const std::vector<double> x(sz(4) * sz(F), 0.5);
  JacobianProduct wrong(H), right(2 * H);
  EXPECT_THROW(lstm_jacobian_through_time(net.w, net.u, net.b.data(), x.data(), 4, wrong),
               std::invalid_argument);
  EXPECT_THROW(lstm_jacobian_through_time(net.w, net.u, net.b.data(), x.data(), 0, right),
               std::invalid_argument);
  const Matrix<double> square({sz(H), sz(H)});
  EXPECT_THROW(lstm_jacobian_through_time(square, net.u, nullptr, x.data(), 4, right),
               std::invalid_argument);
  const double y = 1.0;
  EXPECT_THROW(lstm_state_grad_norms(square, net.u, nullptr, x.data(), 0.0, x.data(), 4, 1, &y),
               std::invalid_argument);
  EXPECT_THROW(lstm_state_grad_norms(net.w, net.u, nullptr, x.data(), 0.0, x.data(), 4, 0, &y),
               std::invalid_argument);
}

}  // namespace
}  // namespace isobench
