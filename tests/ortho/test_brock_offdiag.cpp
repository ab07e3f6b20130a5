// The worked example of a user method, methods/brock_offdiag.hpp (Brock et al. 2018, BigGAN
// §3.1): registered from its one file, its value and gradient are what the paper defines,
// BigGAN's step is reproduced at λ = β/2 (wide W), and its own measurement (offdiag_energy) is
// the off-diagonal energy. Its gradient is finite-difference checked in test_penalty.cpp, as
// every registered penalty's.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "isobench/core/rng.hpp"
#include "isobench/ortho/method_lists.hpp"
#include "isobench/ortho/method_registry.hpp"
#include "isobench/ortho/penalty.hpp"
#include "isobench/train/method_listing.hpp"

using namespace isobench;

namespace {
Matrix<double> random_matrix(int r, int c, std::uint64_t seed) {
  Engine eng = make_engine("test_brock_offdiag", seed);
  Matrix<double> w({static_cast<std::size_t>(r), static_cast<std::size_t>(c)});
  for (auto& x : w) x = standard_normal(eng) / std::sqrt(static_cast<double>(c));
  return w;
}
}  // namespace

TEST(BrockOffdiag, IsRegisteredFromItsFile) {
  const PenaltyMethod& m = penalty_method("brock_offdiag");
  EXPECT_FALSE(m.builtin);
  EXPECT_NE(m.source.find("Brock"), std::string::npos);
  EXPECT_EQ(m.lambda_grid.size(), 2u);
  EXPECT_GE(std::tuple_size_v<UserPenalties>, 1u);  // the example, and whatever a user adds
  bool listed = false;
  for (const auto& line : method_listing())
    listed = listed || line.rfind("penalty\tbrock_offdiag\tuser\t", 0) == 0;
  EXPECT_TRUE(listed);
}

// R = λ Σ_{i≠j} G_ij², by hand, for tall, square and wide W (the smaller Gram).
TEST(BrockOffdiag, ValueIsTheOffDiagonalEnergyAndSoIsItsMeasure) {
  for (auto [r, c] : {std::pair{7, 4}, std::pair{5, 5}, std::pair{3, 6}}) {
    const Matrix<double> w = random_matrix(r, c, 3 + r);
    const bool tall = r >= c;
    const int n = tall ? c : r, k = tall ? r : c;
    double off2 = 0;
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        if (i == j) continue;
        double g = 0;
        for (int t = 0; t < k; ++t) g += tall ? w(t, i) * w(t, j) : w(i, t) * w(j, t);
        off2 += g * g;
      }
    OrthoPenalty<double> sum({"brock_offdiag", PenaltyNorm::Sum, 0.3}, r, c);
    OrthoPenalty<double> mean({"brock_offdiag", PenaltyNorm::Mean, 0.3}, r, c);
    EXPECT_NEAR(sum.value(w), 0.3 * off2, 1e-12);
    EXPECT_NEAR(mean.value(w), 0.3 * off2 / (n * n), 1e-12);
    // offdiag_energy, the number its runs report: ‖G ⊙ (1 − I)‖_F of the float weights
    const PenaltyMethod& m = penalty_method("brock_offdiag");
    ASSERT_NE(m.measure, nullptr);
    EXPECT_EQ(m.measure_name, "offdiag_energy");
    std::vector<float> wf(w.begin(), w.end());
    EXPECT_NEAR(m.measure(wf.data(), r, c), std::sqrt(off2), 1e-5 * std::sqrt(off2));
  }
  // Norms are free: a diagonal (scaled, orthogonal columns) W costs nothing.
  Matrix<double> d({3, 3}, 0.0);
  d(0, 0) = 2;
  d(1, 1) = 0.5;
  d(2, 2) = 3;
  EXPECT_EQ(OrthoPenalty<double>({"brock_offdiag", PenaltyNorm::Sum, 1.0}, 3, 3).value(d), 0.0);
}

// BigGAN's released code adds 2β(G ⊙ (1 − I))W to the gradient of an (out × in) weight W with
// G = WWᵀ: for a wide W (out < in) that is isobench's gradient at λ = β/2.
TEST(BrockOffdiag, AtHalfBetaReproducesBigGansStepOnWideW) {
  const int r = 4, c = 9;
  const double beta = 1e-4;
  const Matrix<double> w = random_matrix(r, c, 11);
  Matrix<double> grad({r, c}, 0.0);
  OrthoPenalty<double>({"brock_offdiag", PenaltyNorm::Sum, beta / 2}, r, c)
      .add_value_and_grad(w, grad);
  for (int i = 0; i < r; ++i)
    for (int j = 0; j < c; ++j) {
      double expect = 0;
      for (int m = 0; m < r; ++m) {
        if (m == i) continue;
        double g = 0;  // (WWᵀ)_im
        for (int t = 0; t < c; ++t) g += w(i, t) * w(m, t);
        expect += 2 * beta * g * w(m, j);
      }
      EXPECT_NEAR(grad(i, j), expect, 1e-15) << i << "," << j;
    }
}
