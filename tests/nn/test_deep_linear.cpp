#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>
#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xadapt.hpp>

#include "isobench/nn/deep_linear.hpp"
#include "isobench/objective/loss.hpp"

using namespace isobench;

namespace {
struct Data {
  std::vector<double> x, y;
  int n, d, k;
};
Data make_data(int n, int d, int k, std::uint64_t seed) {
  Engine eng = make_engine("deep-linear-data", seed);
  Data D{std::vector<double>(static_cast<std::size_t>(n) * d),
         std::vector<double>(static_cast<std::size_t>(n) * k), n, d, k};
  for (auto& v : D.x) v = standard_normal(eng);
  for (auto& v : D.y) v = standard_normal(eng);
  return D;
}
}  // namespace

TEST(DeepLinear, GradientEqualsBackpropOnTheFullBatch) {
  // E = K · mse_loss (mse averages over n·K entries), so ∂E/∂W = K · backprop's gradient.
  for (int depth : {1, 2, 5}) {
    const auto D = make_data(40, 7, 3, 1);
    const auto m = second_moments(D.x.data(), D.y.data(), D.n, D.d, D.k);
    DeepLinearRegression dl(m, 6, depth);
    Engine eng = make_engine("dl", 2);
    dl.net().init(InitSpec::gaussian(1.0), 0.0, eng);
    const double e = dl.loss_and_grad();

    Mlp<double>& net = dl.net();
    std::vector<double> dy(D.y.size());
    const double mse = mse_loss(net.forward(D.x.data(), D.n), D.y.data(), D.n, D.k, dy.data());
    net.backward(dy.data());
    EXPECT_NEAR(e, D.k * mse, 1e-10 * std::max(1.0, e)) << "depth " << depth;
    for (int l = 1; l <= depth; ++l) {
      const auto& g = dl.grad(l);
      const auto& gb = net.weight_grad(l);
      ASSERT_EQ(g.shape(), gb.shape());
      for (std::size_t i = 0; i < g.size(); ++i)
        EXPECT_NEAR(g.data()[i], D.k * gb.data()[i], 1e-10) << "depth " << depth << " layer " << l;
    }
  }
}

TEST(DeepLinear, LeastSquaresFloorMatchesNormalEquationsAndGdReachesIt) {
  const auto D = make_data(200, 5, 2, 3);
  const auto m = second_moments(D.x.data(), D.y.data(), D.n, D.d, D.k);
  double lmax = 0;
  const double floor = least_squares_floor(m, &lmax);
  // One linear map trained by GD converges to E* (convex problem).
  DeepLinearRegression dl(m, 5, 1);
  Engine eng = make_engine("dl-floor", 0);
  dl.net().init(InitSpec::gaussian(1.0), 0.0, eng);
  double e = 0;
  for (int s = 0; s < 3000; ++s) {
    e = dl.loss_and_grad();
    dl.gd_update(0.25 / lmax);
  }
  EXPECT_NEAR(dl.loss(), floor, 1e-9);
  EXPECT_GT(floor, 0.5);  // random targets are not explainable: the floor is not trivially 0
  EXPECT_LT(floor, m.tr_syy);
  (void)e;
}

TEST(DeepLinear, RankDeficientInputsUsePseudoInverse) {
  // Duplicate a column: Σxx is singular, E* must still be finite and reachable.
  auto D = make_data(100, 4, 2, 5);
  for (int i = 0; i < D.n; ++i)
    D.x[static_cast<std::size_t>(i) * 4 + 3] = D.x[static_cast<std::size_t>(i) * 4 + 2];
  const auto m = second_moments(D.x.data(), D.y.data(), D.n, D.d, D.k);
  double lmax = 0;
  const double floor = least_squares_floor(m, &lmax);
  DeepLinearRegression dl(m, 4, 1);
  Engine eng = make_engine("dl-rank", 0);
  dl.net().init(InitSpec::gaussian(1.0), 0.0, eng);
  for (int s = 0; s < 4000; ++s) {
    dl.loss_and_grad();
    dl.gd_update(0.25 / lmax);
  }
  EXPECT_NEAR(dl.loss(), floor, 1e-8);
}

// RQB's E* and λ_max(Σxx) (least_squares_floor: LAPACK dsyev, kept for RQB's numbers) against an
// independent route through xtensor-blas: E* = 1/n ‖Y − X B‖_F² with B = lstsq(X, Y) (gelsd), and
// λ_max from eigvalsh (syevd). X has a constant-zero column, as MNIST has dead pixels, so Σxx is
// singular and the floor needs the pseudo-inverse.
TEST(DeepLinear, LeastSquaresFloorAgreesWithXtensorBlas) {
  auto D = make_data(120, 6, 3, 7);
  for (int i = 0; i < D.n; ++i) D.x[static_cast<std::size_t>(i) * D.d + 2] = 0.0;
  const auto m = second_moments(D.x.data(), D.y.data(), D.n, D.d, D.k);
  double lmax = 0;
  const double floor = least_squares_floor(m, &lmax);

  const std::size_t n = static_cast<std::size_t>(D.n), d = static_cast<std::size_t>(D.d),
                    k = static_cast<std::size_t>(D.k);
  const xt::xtensor<double, 2> x = xt::adapt(D.x, std::vector<std::size_t>{n, d});
  const xt::xtensor<double, 2> y = xt::adapt(D.y, std::vector<std::size_t>{n, k});
  const auto fit = xt::linalg::lstsq(x, y);
  const xt::xtensor<double, 2> r = y - xt::linalg::dot(x, std::get<0>(fit));
  double sq = 0;
  for (double v : r) sq += v * v;
  EXPECT_NEAR(floor, sq / D.n, 1e-12 * std::max(1.0, floor));

  const xt::xtensor<double, 1> ev = xt::linalg::eigvalsh(m.sxx);
  EXPECT_NEAR(lmax, *std::max_element(ev.begin(), ev.end()), 1e-12 * lmax);
}
