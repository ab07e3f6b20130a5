// The method registry (method_registry.hpp): names, errors, the entry builders, and what every
// registered constraint must do. (Every registered penalty's gradient is finite-difference checked
// in test_penalty.cpp; the worked example has test_brock_offdiag.cpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "isobench/core/rng.hpp"
#include "isobench/ortho/constraint_methods.hpp"
#include "isobench/ortho/method_lists.hpp"
#include "isobench/ortho/method_registry.hpp"
#include "isobench/ortho/penalty.hpp"

using namespace isobench;

namespace {
Matrix<double> random_matrix(int r, int c, std::uint64_t seed) {
  Engine eng = make_engine("test_methods", seed);
  Matrix<double> w({static_cast<std::size_t>(r), static_cast<std::size_t>(c)});
  for (auto& x : w) x = standard_normal(eng) / std::sqrt(static_cast<double>(c));
  return w;
}
}  // namespace

TEST(Methods, TheBuiltInOnesComeFirstAndSaySo) {
  EXPECT_EQ(penalty_methods().front().name, "so");
  EXPECT_TRUE(penalty_methods().front().builtin);
  EXPECT_GE(penalty_methods().size(), 6u);
}

TEST(Methods, UnknownNamesListTheRegisteredOnes) {
  try {
    penalty_method("brock");
    FAIL();
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("so_gain_adjusted"), std::string::npos) << msg;
    EXPECT_NE(msg.find("./isobench methods"), std::string::npos) << msg;
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
