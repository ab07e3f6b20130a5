// The method registry (method_registry.hpp): the worked example in methods/ is registered from its
// one file, its value and gradient are what Brock et al. 2018 define, and BigGAN's step is
// reproduced at λ = β/2. (Every registered penalty's gradient is finite-difference checked in
// test_penalty.cpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "isobench/constraint_methods.hpp"
#include "isobench/method_lists.hpp"
#include "isobench/method_registry.hpp"
#include "isobench/penalty.hpp"
#include "isobench/rng.hpp"

using namespace isobench;

namespace {
Matrix<double> random_matrix(int r, int c, std::uint64_t seed) {
  Engine eng = make_engine("test_methods", seed);
  Matrix<double> w({static_cast<std::size_t>(r), static_cast<std::size_t>(c)});
  for (auto& x : w) x = standard_normal(eng) / std::sqrt(static_cast<double>(c));
  return w;
}
}  // namespace

TEST(Methods, TheWorkedExampleIsRegisteredFromItsFile) {
  const PenaltyMethod& m = penalty_method("brock_offdiag");
  EXPECT_FALSE(m.builtin);
  EXPECT_NE(m.source.find("Brock"), std::string::npos);
  EXPECT_EQ(m.lambda_grid.size(), 2u);
  EXPECT_GE(std::tuple_size_v<UserPenalties>, 1u);  // the example, and whatever a user adds
  bool listed = false;
  for (const auto& line : method_listing())
    listed = listed || line.rfind("penalty\tbrock_offdiag\tuser\t", 0) == 0;
  EXPECT_TRUE(listed);
  // The built-in ones come first and say so.
  EXPECT_EQ(penalty_methods().front().name, "so");
  EXPECT_TRUE(penalty_methods().front().builtin);
}

TEST(Methods, UnknownNamesListTheRegisteredOnes) {
  try {
    penalty_method("brock");
    FAIL();
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("brock_offdiag"), std::string::npos) << msg;
    EXPECT_NE(msg.find("./isobench methods"), std::string::npos) << msg;
  }
}

// R = λ Σ_{i≠j} G_ij², by hand, for tall, square and wide W (the smaller Gram).
TEST(Methods, BrockOffdiagValueIsTheOffDiagonalEnergy) {
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
TEST(Methods, BrockOffdiagAtHalfBetaReproducesBigGansStep) {
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

namespace {
// A user constraint as one would write it in methods/ (here only in the test, so that it adds no
// runs): rescale W to Frobenius norm g·√min(r, c), the norm every g-orthogonal W has.
struct FrobeniusRescale {
  static constexpr const char* name = "test_frobenius_rescale";
  static constexpr const char* formula = "W ← g·√n·W/‖W‖_F";
  static constexpr const char* source = "a test";
  static constexpr bool replaces_step = false;
  static constexpr double default_rate = 0.0;
  static constexpr bool uses_margin = false;
  static double flops(int r, int c) { return 2.0 * r * c; }
  template <class T>
  struct Step {
    double target;
    Step(const ConstraintSpec& s, int r, int c) : target(s.gain * std::sqrt(std::min(r, c))) {}
    void operator()(Matrix<T>& w, const Matrix<T>*) {
      double n2 = 0;
      for (T x : w) n2 += double(x) * x;
      const T f = static_cast<T>(target / std::sqrt(n2));
      for (T& x : w) x *= f;
    }
  };
};
ISOBENCH_REGISTER_CONSTRAINT(FrobeniusRescale);
}  // namespace

// The registry's entry builder takes a user constraint as it takes the built-in ones; the
// built-in constraints are registered from their types.
TEST(Methods, AConstraintTypeBecomesARegistryEntry) {
  const ConstraintMethod m = constraint_method_of<FrobeniusRescale>(false);
  EXPECT_EQ(m.name, "test_frobenius_rescale");
  EXPECT_FALSE(m.builtin);
  auto step = m.make_double({"test_frobenius_rescale", 2.0}, 4, 3);
  Matrix<double> w = random_matrix(4, 3, 5);
  step->apply(w, nullptr);
  double n2 = 0;
  for (double x : w) n2 += x * x;
  EXPECT_NEAR(std::sqrt(n2), 2.0 * std::sqrt(3.0), 1e-12);

  EXPECT_EQ(constraint_method("cayley").default_rate, 0.03);
  EXPECT_TRUE(constraint_method("cayley").replaces_step);
  EXPECT_TRUE(constraint_method("margin").uses_margin);
  EXPECT_TRUE(constraint_methods().front().builtin);
  EXPECT_THROW(constraint_method("stiefel"), std::invalid_argument);
}

// Every registered constraint (the user's too) on square, tall and wide kernels: the shape is
// kept, the result is finite and deterministic, and apply() allocates nothing after construction
// — what a step needs from any constraint, whatever its manifold.
TEST(Methods, EveryRegisteredConstraintKeepsShapeFinitenessAndDeterminism) {
  for (const ConstraintMethod& m : constraint_methods())
    for (auto [r, c] : {std::pair{6, 6}, std::pair{8, 5}, std::pair{5, 8}}) {
      ConstraintSpec spec{m.name, 1.1};
      if (m.uses_margin) spec.margin = 0.1;
      OrthoConstraint<double> a(spec, r, c), b(spec, r, c);
      const Matrix<double> w0 = random_matrix(r, c, 7);
      const Matrix<double> g = random_matrix(r, c, 8);
      Matrix<double> wa = w0, wb = w0;
      a.apply(wa, &g);
      b.apply(wb, &g);
      const std::string what = m.name + " " + std::to_string(r) + "x" + std::to_string(c);
      ASSERT_EQ(wa.shape(), w0.shape()) << what;
      for (std::size_t i = 0; i < wa.size(); ++i) {
        ASSERT_TRUE(std::isfinite(wa.data()[i])) << what;
        ASSERT_EQ(wa.data()[i], wb.data()[i]) << what;
      }
    }
}
