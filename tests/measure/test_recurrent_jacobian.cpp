// The Jacobian through time (recurrent_jacobian.hpp): against finite differences, exact isometry
// of a linear orthogonal RNN, the QR log-det against the SVD's where both are accurate, the
// threshold below which single singular values are not reported, and the hidden-state gradient
// norms against the Jacobian's transpose applied to ∂L/∂h_T.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "gradcheck.hpp"
#include "isobench/core/decompositions.hpp"
#include "isobench/core/non_finite.hpp"
#include "isobench/measure/recurrent_jacobian.hpp"
#include "isobench/objective/loss.hpp"
#include "isobench/ortho/init.hpp"

namespace isobench {
namespace {

std::size_t sz(int v) {
  return static_cast<std::size_t>(v);
}

struct Net {
  Matrix<double> w, u;
  std::vector<double> b;
};

// W = g·Q (orthogonal) or N(0, g²/H) entries (gaussian), U Glorot-uniform, b small or none.
Net make_net(int H, int F, const char* init, double gain, bool bias, std::uint64_t seed) {
  Engine eng(seed);
  Net n{Matrix<double>({sz(H), sz(H)}), Matrix<double>({sz(H), sz(F)}), {}};
  initialize(std::string(init) == "orthogonal" ? InitSpec::orthogonal(gain)
                                               : InitSpec::gaussian(gain * gain),
             n.w, eng);
  initialize(InitSpec::glorot_uniform(), n.u, eng);
  if (bias) {
    std::normal_distribution<double> nd(0, 0.1);
    for (int i = 0; i < H; ++i) n.b.push_back(nd(eng));
  }
  return n;
}

std::vector<double> gaussian_inputs(int steps, int F, std::uint64_t seed) {
  Engine eng(seed);
  std::normal_distribution<double> nd(0, 1);
  std::vector<double> x(sz(steps) * sz(F));
  for (double& v : x) v = nd(eng);
  return x;
}

// Reference forward from any h_0: h_L.
std::vector<double> forward(const Net& n, const std::vector<double>& h0, const double* x, int steps,
                            Activation act) {
  const int H = static_cast<int>(n.w.shape(0)), F = static_cast<int>(n.u.shape(1));
  std::vector<double> h = h0, a(sz(H));
  for (int t = 0; t < steps; ++t) {
    for (int i = 0; i < H; ++i) {
      double s = n.b.empty() ? 0.0 : n.b[sz(i)];
      for (int j = 0; j < H; ++j) s += n.w(sz(i), sz(j)) * h[sz(j)];
      for (int j = 0; j < F; ++j) s += n.u(sz(i), sz(j)) * x[sz(t) * sz(F) + sz(j)];
      a[sz(i)] = s;
    }
    for (int i = 0; i < H; ++i) h[sz(i)] = act == Activation::Tanh ? std::tanh(a[sz(i)]) : a[sz(i)];
  }
  return h;
}

TEST(RecurrentJacobian, MatchesFiniteDifferencesOfTheForward) {
  const int H = 8, F = 3, L = 5;
  const Net n = make_net(H, F, "orthogonal", 1.3, true, 11);
  const std::vector<double> x = gaussian_inputs(L, F, 12);
  JacobianProduct jp(H);
  rnn_jacobian_through_time(Activation::Tanh, n.w, n.u, n.b.data(), x.data(), L, jp);
  ASSERT_EQ(jp.steps(), L);
  const double h = 1e-6;
  double worst = 0;
  for (int j = 0; j < H; ++j) {
    std::vector<double> hp(sz(H), 0.0), hm(sz(H), 0.0);
    hp[sz(j)] = h;
    hm[sz(j)] = -h;
    const auto fp = forward(n, hp, x.data(), L, Activation::Tanh);
    const auto fm = forward(n, hm, x.data(), L, Activation::Tanh);
    for (int i = 0; i < H; ++i) {
      const double num = (fp[sz(i)] - fm[sz(i)]) / (2 * h);
      worst = std::max(worst, std::abs(jp.product()(sz(i), sz(j)) - num));
    }
  }
  EXPECT_LT(worst, 1e-8);
}

TEST(RecurrentJacobian, DriveIsTheMeanSquareOfTheInputProjection) {
  const int H = 16, F = 4, L = 3;
  const Net n = make_net(H, F, "orthogonal", 1.0, false, 3);
  const std::vector<double> x = gaussian_inputs(L, F, 4);
  JacobianProduct jp(H);
  const auto drive =
      rnn_jacobian_through_time(Activation::Tanh, n.w, n.u, nullptr, x.data(), L, jp);
  ASSERT_EQ(drive.size(), sz(L));
  for (int t = 0; t < L; ++t) {
    double s = 0;
    for (int i = 0; i < H; ++i) {
      double ux = 0;
      for (int j = 0; j < F; ++j) ux += n.u(sz(i), sz(j)) * x[sz(t) * sz(F) + sz(j)];
      s += ux * ux;
    }
    EXPECT_NEAR(drive[sz(t)], s / H, 1e-12);
  }
}

TEST(RecurrentJacobian, LinearOrthogonalRnnAtGainOneIsExactlyIsometric) {
  const int H = 64, F = 28, L = 100;
  const Net n = make_net(H, F, "orthogonal", 1.0, false, 5);
  const std::vector<double> x = gaussian_inputs(L, F, 6);
  JacobianProduct jp(H);
  rnn_jacobian_through_time(Activation::Linear, n.w, n.u, nullptr, x.data(), L, jp);
  const JacobianSpectrum s = jp.spectrum();
  for (double v : s.sv2) EXPECT_NEAR(v, 1.0, 1e-11);
  EXPECT_NEAR(s.sv2_mean, 1.0, 1e-12);
  EXPECT_LT(s.sv2_var, 1e-20);
  EXPECT_NEAR(s.log_sv2_mean, 0.0, 1e-12);
  ASSERT_TRUE(s.cond.has_value());
  EXPECT_NEAR(*s.cond, 1.0, 1e-10);
  EXPECT_EQ(s.resolved, H);
}

// A gain ≠ 1 makes the linear RNN's J = g^L Q: every s² = g^{2L}, log_sv2_mean = 2L log g.
TEST(RecurrentJacobian, LinearOrthogonalRnnScalesByTheGain) {
  const int H = 32, F = 5, L = 40;
  const double g = 0.7;
  const Net n = make_net(H, F, "orthogonal", g, false, 7);
  const std::vector<double> x = gaussian_inputs(L, F, 8);
  JacobianProduct jp(H);
  rnn_jacobian_through_time(Activation::Linear, n.w, n.u, nullptr, x.data(), L, jp);
  EXPECT_NEAR(jp.log_sv2_mean(), 2 * L * std::log(g), 1e-10);
  EXPECT_NEAR(jp.sv2_mean() / std::pow(g, 2 * L), 1.0, 1e-10);
}

// Where the whole spectrum is resolved (a few steps), the QR log-det equals the SVD's.
TEST(RecurrentJacobian, QrLogDetEqualsTheSvdsWhereBothAreAccurate) {
  const int H = 128, F = 28;
  for (int L : {1, 3, 7}) {
    const Net n = make_net(H, F, "orthogonal", 1.25, false, 20 + static_cast<std::uint64_t>(L));
    const std::vector<double> x = gaussian_inputs(L, F, 40 + static_cast<std::uint64_t>(L));
    JacobianProduct jp(H);
    rnn_jacobian_through_time(Activation::Tanh, n.w, n.u, nullptr, x.data(), L, jp);
    const JacobianSpectrum s = jp.spectrum();
    ASSERT_EQ(s.resolved, H) << "L = " << L;
    ASSERT_TRUE(s.cond && *s.cond < 1e6) << "L = " << L;
    double svd_log = 0;
    for (double v : s.sv2) svd_log += std::log(v);
    EXPECT_NEAR(s.log_sv2_mean, svd_log / H, 1e-9) << "L = " << L;
    EXPECT_NEAR(jp.sv2_mean(), s.sv2_mean, 1e-12 * s.sv2_mean);
  }
}

// The tanh RNN's exact log det(J_LᵀJ_L) from its closed form (F_t = D_t W, W = g·Q):
// Σ_t 2 (Σ_i log tanh′(a_t,i) + log|det W|), log|det gQ| = H log g. With `per_step`, pushes every
// factor F_t there without a condition bound (the per-step QR algorithm).
double closed_form_log_det(const Net& n, const std::vector<double>& x, int L, double g,
                           JacobianProduct* per_step) {
  const int H = static_cast<int>(n.w.shape(0)), F = static_cast<int>(n.u.shape(1));
  double exact = 2.0 * L * H * std::log(g);
  std::vector<double> h(sz(H), 0.0), a(sz(H));
  Matrix<double> f({sz(H), sz(H)});
  for (int t = 0; t < L; ++t) {
    for (int i = 0; i < H; ++i) {
      double s = 0;
      for (int j = 0; j < H; ++j) s += n.w(sz(i), sz(j)) * h[sz(j)];
      for (int j = 0; j < F; ++j) s += n.u(sz(i), sz(j)) * x[sz(t) * sz(F) + sz(j)];
      a[sz(i)] = s;
    }
    for (int i = 0; i < H; ++i) {
      h[sz(i)] = std::tanh(a[sz(i)]);
      const double d = 1 / std::pow(std::cosh(a[sz(i)]), 2);
      exact += 2 * std::log(d);
      for (int j = 0; j < H; ++j) f(sz(i), sz(j)) = d * n.w(sz(i), sz(j));
    }
    if (per_step) per_step->push(f.data());
  }
  return exact;
}

// After many contracting steps the explicit product's small singular values are rounding noise:
// sv_min and cond are withheld, while the QR log-det equals the exact value, which F_t = D_t W
// gives in closed form: log det(JᵀJ) = Σ_t 2 (Σ_i log φ′(a_t,i) + log|det W|), with
// log|det gQ| = H log g.
TEST(RecurrentJacobian, UnresolvedSpectrumWithholdsSvMinAndCond) {
  const int H = 64, F = 28, L = 100;
  const double g = 1.0;
  const Net n = make_net(H, F, "orthogonal", g, false, 9);
  std::vector<double> x = gaussian_inputs(L, F, 10);
  for (double& v : x) v *= 3;  // a strong drive: tanh saturates, every step contracts
  JacobianProduct jp(H);
  rnn_jacobian_through_time(Activation::Tanh, n.w, n.u, nullptr, x.data(), L, jp);
  const double exact = closed_form_log_det(n, x, L, g, nullptr);
  const JacobianSpectrum s = jp.spectrum();
  EXPECT_NEAR(s.log_det, exact, 1e-9 * std::abs(exact));
  EXPECT_NEAR(s.log_sv2_mean, exact / H, 1e-9 * std::abs(exact) / H);
  EXPECT_FALSE(s.sv_min.has_value());
  EXPECT_FALSE(s.cond.has_value());
  EXPECT_LT(s.resolved, H);
  EXPECT_GT(s.resolved, 0);
  // The explicit SVD's mean log is wrong there: its small values are noise near ε·s_max.
  double svd_log = 0;
  for (double v : s.sv2) svd_log += std::log(std::max(v, 1e-300));
  EXPECT_GT(std::abs(svd_log / H - s.log_sv2_mean), 1.0);
  std::printf("log_sv2_mean exact %.6f QR %.6f explicit SVD %.6f, resolved %d of %d\n", exact / H,
              s.log_sv2_mean, svd_log / H, s.resolved, H);
}

// Grouped QR steps (factors with a condition bound, header) against the closed-form log-det and
// against the per-step algorithm (the same factors pushed without a bound), over 100 mildly
// driven steps where groups span many factors.
TEST(RecurrentJacobian, GroupedQrStepsKeepTheLogDetExact) {
  const int H = 64, F = 28, L = 100;
  for (double g : {1.0, 1.4}) {
    const Net n = make_net(H, F, "orthogonal", g, false, 60);
    std::vector<double> x = gaussian_inputs(L, F, 61);
    for (double& v : x) v *= 0.3;
    JacobianProduct grouped(H), per_step(H);
    rnn_jacobian_through_time(Activation::Tanh, n.w, n.u, nullptr, x.data(), L, grouped);
    const double exact = closed_form_log_det(n, x, L, g, &per_step);
    EXPECT_NEAR(grouped.log_det(), exact, 1e-9 * std::abs(exact)) << "g " << g;
    EXPECT_EQ(per_step.qr_steps(), L);
    EXPECT_LT(grouped.qr_steps(), L / 3) << "g " << g;  // the groups did form
    std::printf("g %.1f: %d QR steps for %d factors\n", g, grouped.qr_steps(), L);
    EXPECT_NEAR(per_step.log_det(), exact, 1e-9 * std::abs(exact)) << "g " << g;
    const JacobianSpectrum a_s = grouped.spectrum(), b_s = per_step.spectrum();
    EXPECT_NEAR(a_s.sv2_mean, b_s.sv2_mean, 1e-9 * b_s.sv2_mean) << "g " << g;
  }
}

// One pass recording the spectrum at several step counts gives what separate passes of those
// lengths give, up to rounding (RQA-rnn measures every L of a configuration in one pass).
TEST(RecurrentJacobian, PrefixSpectraEqualSeparatePasses) {
  const int H = 32, F = 28, L = 20;
  const Net n = make_net(H, F, "orthogonal", 1.2, false, 50);
  const std::vector<double> x = gaussian_inputs(L, F, 51);
  JacobianProduct jp(H);
  std::vector<JacobianSpectrum> at;
  const auto drive = rnn_jacobian_through_time(Activation::Tanh, n.w, n.u, nullptr, x.data(), L, jp,
                                               {1, 7, 20}, at);
  ASSERT_EQ(at.size(), 3u);
  const int lengths[] = {1, 7, 20};
  for (int i = 0; i < 3; ++i) {
    JacobianProduct alone(H);
    const auto d =
        rnn_jacobian_through_time(Activation::Tanh, n.w, n.u, nullptr, x.data(), lengths[i], alone);
    const JacobianSpectrum s = alone.spectrum();
    // Up to rounding: a checkpoint closes the group of factors between QR steps (header).
    for (std::size_t k = 0; k < s.sv2.size(); ++k)
      EXPECT_NEAR(s.sv2[k], at[sz(i)].sv2[k], 1e-12 * s.sv2.front()) << "L = " << lengths[i];
    EXPECT_NEAR(s.log_det, at[sz(i)].log_det, 1e-9 * std::abs(s.log_det)) << "L = " << lengths[i];
    for (std::size_t t = 0; t < d.size(); ++t) EXPECT_EQ(d[t], drive[t]);
  }
  std::vector<JacobianSpectrum> bad;
  EXPECT_THROW(
      rnn_jacobian_through_time(Activation::Tanh, n.w, n.u, nullptr, x.data(), L, jp, {7, 1}, bad),
      std::invalid_argument);
  EXPECT_THROW(
      rnn_jacobian_through_time(Activation::Tanh, n.w, n.u, nullptr, x.data(), L, jp, {21}, bad),
      std::invalid_argument);
}

// Products over thousands of steps leave double's range: the explicit product is kept in range by
// powers of 2, the log-det stays exact, values double cannot hold come out NaN (not 0 or ∞).
TEST(RecurrentJacobian, LongProductsNeitherOverflowNorUnderflow) {
  const int H = 8, F = 2, L = 2000;
  const std::vector<double> x(sz(L) * sz(F), 0.0);
  for (double g : {0.5, 1.01, 2.0}) {
    const Net n = make_net(H, F, "orthogonal", g, false, 70);
    JacobianProduct jp(H);
    rnn_jacobian_through_time(Activation::Linear, n.w, n.u, nullptr, x.data(), L, jp);
    const JacobianSpectrum s = jp.spectrum();
    EXPECT_NEAR(s.log_sv2_mean, 2 * L * std::log(g), 1e-9 * L) << "g " << g;
    ASSERT_TRUE(s.cond.has_value()) << "g " << g;
    EXPECT_NEAR(*s.cond, 1.0, 1e-9) << "g " << g;
    EXPECT_EQ(s.resolved, H);
    if (g == 1.01) {  // s² = 1.01^4000 ≈ 2e17: representable
      ASSERT_TRUE(s.representable);
      EXPECT_NEAR(s.sv2_mean / std::pow(g, 2 * L), 1.0, 1e-9);
      EXPECT_NEAR(*s.sv_min / std::pow(g, L), 1.0, 1e-9);
    } else {  // 0.25^2000 and 4^2000: outside double's range
      EXPECT_FALSE(s.representable) << "g " << g;
      EXPECT_TRUE(std::isnan(s.sv2_mean)) << "g " << g;
      EXPECT_FALSE(s.sv_min.has_value()) << "g " << g;
      EXPECT_THROW(jp.product(), std::overflow_error) << "g " << g;
    }
  }
}

TEST(RecurrentJacobian, RefusesNonFiniteFactorsAndBadShapes) {
  JacobianProduct jp(2);
  const double bad[4] = {1, std::numeric_limits<double>::quiet_NaN(), 0, 1};
  EXPECT_THROW(jp.push(bad), NonFiniteError);
  EXPECT_THROW(JacobianProduct(0), std::invalid_argument);
  EXPECT_THROW(jp.spectrum(), std::logic_error);
  Matrix<double> w({3, 3}), u({2, 1});
  w.fill(0.0);
  u.fill(0.0);
  const double x[1] = {0};
  JacobianProduct j3(3);
  EXPECT_THROW(rnn_jacobian_through_time(Activation::Tanh, w, u, nullptr, x, 1, j3),
               std::invalid_argument);
  Matrix<double> u3({3, 1});
  u3.fill(0.0);
  EXPECT_THROW(rnn_jacobian_through_time(Activation::ReLU, w, u3, nullptr, x, 1, j3),
               std::invalid_argument);
  EXPECT_THROW(rnn_jacobian_through_time(Activation::Tanh, w, u3, nullptr, x, 1, jp),
               std::invalid_argument);
}

// ‖∂L/∂h_t‖: ∂L/∂h_T = Vᵀ(p − onehot)/B, and ∂L/∂h_t = (F_T ⋯ F_{t+1})ᵀ ∂L/∂h_T for one sample;
// ∂L/∂h_0 against finite differences of the loss in h_0.
TEST(RecurrentJacobian, HiddenGradNormsFollowTheJacobianTranspose) {
  const int H = 10, F = 4, K = 3, T = 6;
  const Net n = make_net(H, F, "orthogonal", 1.1, true, 31);
  Engine eng(32);
  Matrix<double> v({sz(K), sz(H)});
  initialize(InitSpec::glorot_uniform(), v, eng);
  const std::vector<double> c = {0.1, -0.2, 0.05};
  const std::vector<double> x = gaussian_inputs(T, F, 33);
  const int label = 2;
  const std::vector<double> norms = rnn_hidden_grad_norms(Activation::Tanh, n.w, n.u, n.b.data(), v,
                                                          c.data(), x.data(), T, 1, &label);
  ASSERT_EQ(norms.size(), sz(T + 1));
  auto loss_of = [&](const std::vector<double>& h0) {
    const auto hT = forward(n, h0, x.data(), T, Activation::Tanh);
    std::vector<double> z(sz(K)), dz(sz(K));
    for (int k = 0; k < K; ++k) {
      z[sz(k)] = c[sz(k)];
      for (int i = 0; i < H; ++i) z[sz(k)] += v(sz(k), sz(i)) * hT[sz(i)];
    }
    return softmax_xent(z.data(), &label, 1, K, dz.data());
  };
  std::vector<double> h0(sz(H), 0.0), g0(sz(H));
  for (int j = 0; j < H; ++j) {
    const double e = 1e-6;
    h0[sz(j)] = e;
    const double lp = loss_of(h0);
    h0[sz(j)] = -e;
    const double lm = loss_of(h0);
    h0[sz(j)] = 0;
    g0[sz(j)] = (lp - lm) / (2 * e);
  }
  double n0 = 0;
  for (double g : g0) n0 += g * g;
  EXPECT_NEAR(norms[0], std::sqrt(n0), 1e-7);
  // t = T − k: the suffix x_{t+1..T} from h_t = forward(prefix).
  for (int t = 1; t <= T; ++t) {
    const auto ht = forward(n, std::vector<double>(sz(H), 0.0), x.data(), t, Activation::Tanh);
    auto loss_from = [&](const std::vector<double>& h) {
      const auto hT = forward(n, h, x.data() + sz(t) * sz(F), T - t, Activation::Tanh);
      std::vector<double> z(sz(K)), dz(sz(K));
      for (int k = 0; k < K; ++k) {
        z[sz(k)] = c[sz(k)];
        for (int i = 0; i < H; ++i) z[sz(k)] += v(sz(k), sz(i)) * hT[sz(i)];
      }
      return softmax_xent(z.data(), &label, 1, K, dz.data());
    };
    double n2 = 0;
    std::vector<double> h = ht;
    for (int j = 0; j < H; ++j) {
      const double e = 1e-6, keep = h[sz(j)];
      h[sz(j)] = keep + e;
      const double lp = loss_from(h);
      h[sz(j)] = keep - e;
      const double lm = loss_from(h);
      h[sz(j)] = keep;
      const double g = (lp - lm) / (2 * e);
      n2 += g * g;
    }
    EXPECT_NEAR(norms[sz(t)], std::sqrt(n2), 1e-7) << "t = " << t;
  }
}

}  // namespace
}  // namespace isobench
