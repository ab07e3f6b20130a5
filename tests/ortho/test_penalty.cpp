// Soft orthogonality penalties (penalty.hpp): finite-difference gradients for every kind and both
// normalisations, hand-computed values, the gain-adjusted penalty's zero set, srip against the
// exact spectrum, λ schedules, and errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <string>

#include "alloc_counter.hpp"
#include "gradcheck.hpp"
#include "isobench/core/decompositions.hpp"
#include "isobench/core/non_finite.hpp"
#include "isobench/ortho/init.hpp"
#include "isobench/ortho/method_registry.hpp"
#include "isobench/ortho/penalty.hpp"

using namespace isobench;

using isobench::testing_alloc::allocations;

namespace {

// Every registered penalty: the built-in ones and the user's (methods/), so a new method is
// gradient-checked, float-vs-double-checked and allocation-checked here without a line of its own.
std::vector<std::string> all_penalties() {
  std::vector<std::string> out;
  for (const auto& m : penalty_methods()) out.push_back(m.name);
  return out;
}
const std::vector<std::string> kKinds = all_penalties();

Matrix<double> random_matrix(int r, int c, std::uint64_t seed, double scale = 1.3) {
  Engine eng = make_engine("test_penalty", seed);
  Matrix<double> w({static_cast<std::size_t>(r), static_cast<std::size_t>(c)});
  const double sd = scale / std::sqrt(static_cast<double>(std::max(r, c)));
  for (auto& x : w) x = sd * standard_normal(eng);
  return w;
}

Matrix<double> from(std::initializer_list<std::initializer_list<double>> rows) {
  Matrix<double> w({rows.size(), rows.begin()->size()});
  std::size_t i = 0;
  for (const auto& row : rows) {
    std::size_t j = 0;
    for (double x : row) w(i, j++) = x;
    ++i;
  }
  return w;
}

// |E_ij| of E = Gram − I (smaller Gram), sorted descending over the upper triangle.
std::vector<double> sorted_abs_gram_entries(const Matrix<double>& w) {
  const std::size_t r = w.shape(0), c = w.shape(1);
  const bool tall = r >= c;
  const std::size_t n = tall ? c : r, k = tall ? r : c;
  std::vector<double> out;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i; j < n; ++j) {
      double s = 0;
      for (std::size_t t = 0; t < k; ++t) s += tall ? w(t, i) * w(t, j) : w(i, t) * w(j, t);
      out.push_back(std::abs(s - (i == j)));
    }
  std::sort(out.rbegin(), out.rend());
  return out;
}

// Eigenvalues of E = Gram − I sorted by modulus: σ_i² − 1 (plus −1 for a wide/tall padding
// never arises: the smaller Gram has exactly min(r, c) eigenvalues σ_i²).
std::vector<double> sorted_abs_e_eigs(const Matrix<double>& w) {
  std::vector<double> out;
  for (double s : singular_values(w)) out.push_back(std::abs(s * s - 1));
  std::sort(out.rbegin(), out.rend());
  return out;
}

struct Shape {
  int r, c;
};

}  // namespace

TEST(Penalty, GradientsMatchFiniteDifferencesForEveryKindNormAndShape) {
  const Shape shapes[] = {{6, 6}, {7, 4}, {4, 7}};
  int checked = 0;
  // scale 1.3: WᵀW − I dominated by positive entries / eigenvalues; 0.5: by negative ones (so
  // the signs in mc's and srip's gradients are both exercised)
  for (double wscale : {1.3, 0.5})
    for (const std::string& kind : kKinds)
      for (PenaltyNorm norm : {PenaltyNorm::Sum, PenaltyNorm::Mean})
        for (const Shape& sh : shapes) {
          const std::string what = std::string(kind) + "/" + penalty_norm_name(norm) + "/" +
                                   std::to_string(sh.r) + "x" + std::to_string(sh.c) + "/scale " +
                                   std::to_string(wscale);
          Matrix<double> w = random_matrix(sh.r, sh.c, 17 + sh.r * 31 + sh.c, wscale);
          if (kind == "mc") {  // the max must be unique for a derivative to exist
            const auto e = sorted_abs_gram_entries(w);
            ASSERT_GT(e[0] - e[1], 1e-3) << what;
          }
          if (kind == "srip") {  // the top |eigenvalue| of E must be unique
            const auto e = sorted_abs_e_eigs(w);
            ASSERT_GT(e[0] - e[1], 1e-2) << what;
          }
          PenaltySpec spec{kind, norm, 0.7, 1.2, 4000};  // srip: converged
          OrthoPenalty<double> pen(spec, sh.r, sh.c, 5);
          const double scale = 1.5;
          // grad starts at 1: add_value_and_grad must ADD to it
          Matrix<double> grad({w.shape(0), w.shape(1)});
          grad.fill(1.0);
          const double v = pen.add_value_and_grad(w, grad, scale);
          for (auto& x : grad) x -= 1.0;
          EXPECT_NEAR(v, pen.value(w, scale), 1e-12 * std::max(1.0, v)) << what;
          EXPECT_GT(v, 0) << what;
          double gmax = 0;
          for (double x : grad) gmax = std::max(gmax, std::abs(x));
          EXPECT_GT(gmax, 1e-3) << what << ": a vanishing gradient would make this check vacuous";
          const double err = gradcheck::max_rel_grad_error(w.data(), w.size(), grad.data(),
                                                           [&] { return pen.value(w, scale); });
          EXPECT_LT(err, 1e-6) << what;
          ++checked;
        }
  EXPECT_EQ(checked, 2 * static_cast<int>(kKinds.size()) * 2 * 3);
  EXPECT_GE(kKinds.size(), 6u);  // the six built-in penalties, and the user's (methods/)
}

TEST(Penalty, HandComputedValues) {
  const auto w = from({{1, 2}, {3, 4}});
  // WᵀW = [[10, 14], [14, 20]], E = [[9, 14], [14, 19]]: Σ E² = 81 + 196 + 196 + 361 = 834
  OrthoPenalty<double> so({"so", PenaltyNorm::Sum, 0.5}, 2, 2);
  EXPECT_NEAR(so.value(w), 0.5 * 834, 1e-12);
  OrthoPenalty<double> so_mean({"so", PenaltyNorm::Mean, 0.5}, 2, 2);
  EXPECT_NEAR(so_mean.value(w), 0.5 * 834 / 4, 1e-12);
  // WWᵀ = [[5, 11], [11, 25]], WWᵀ − I = [[4, 11], [11, 24]]: Σ = 16 + 121 + 121 + 576 = 834 too
  OrthoPenalty<double> dso({"dso", PenaltyNorm::Sum, 1.0}, 2, 2);
  EXPECT_NEAR(dso.value(w), 834 + 834, 1e-12);
  // mc: max |E_ij| = 19
  OrthoPenalty<double> mc({"mc", PenaltyNorm::Sum, 2.0}, 2, 2);
  EXPECT_NEAR(mc.value(w), 38, 1e-12);
  // gain-adjusted, g = 2: WᵀW/4 − I = [[1.5, 3.5], [3.5, 4]]: Σ = 2.25 + 12.25·2 + 16 = 42.75
  OrthoPenalty<double> soa({"so_gain_adjusted", PenaltyNorm::Sum, 1.0, 2.0}, 2, 2);
  EXPECT_NEAR(soa.value(w), 42.75, 1e-12);
}

TEST(Penalty, SeedNotebookMatchesHandComputedKerasFormula) {
  // λ·mean((KᵀK/g² − 1)²) with K = Wᵀ (the Keras kernel), i.e. the Gram WWᵀ, minus 1 everywhere.
  // W = [[1, 2], [3, 4]]: WWᵀ = [[5, 11], [11, 25]] − 1 = [[4, 10], [10, 24]]:
  // (16 + 100 + 100 + 576) / 4 = 198.
  const auto w = from({{1, 2}, {3, 4}});
  OrthoPenalty<double> nb({"seed_notebook", PenaltyNorm::Mean, 0.5, 1.0}, 2, 2);
  EXPECT_NEAR(nb.value(w), 0.5 * 198, 1e-12);
  // g = 2: WWᵀ/4 − 1 = [[0.25, 1.75], [1.75, 5.25]]: (0.0625 + 2·3.0625 + 27.5625)/4 = 8.4375
  OrthoPenalty<double> nb2({"seed_notebook", PenaltyNorm::Mean, 0.5, 2.0}, 2, 2);
  EXPECT_NEAR(nb2.value(w), 0.5 * 8.4375, 1e-12);
  // norm:sum drops the mean's 1/r²
  OrthoPenalty<double> nb_sum({"seed_notebook", PenaltyNorm::Sum, 0.5, 2.0}, 2, 2);
  EXPECT_NEAR(nb_sum.value(w), 0.5 * 33.75, 1e-12);
  // Wide W (2 × 3) = [[1, 0, 2], [0, 1, 1]]: WWᵀ = [[5, 2], [2, 2]] − 1 → (16 + 1 + 1 + 1)/4
  const auto wide = from({{1, 0, 2}, {0, 1, 1}});
  OrthoPenalty<double> nbw({"seed_notebook", PenaltyNorm::Mean, 1.0}, 2, 3);
  EXPECT_NEAR(nbw.value(wide), 19.0 / 4, 1e-12);
  // Its transpose (3 × 2): WWᵀ is 3 × 3 = [[1, 0, 2], [0, 1, 1], [2, 1, 5]] − 1 → 20 / 9.
  // (The Keras orientation: NOT the 2 × 2 Gram WᵀW, which would give 19/4.)
  const auto tall = from({{1, 0}, {0, 1}, {2, 1}});
  OrthoPenalty<double> nbt({"seed_notebook", PenaltyNorm::Mean, 1.0}, 3, 2);
  EXPECT_NEAR(nbt.value(tall), 20.0 / 9, 1e-12);
  // At W = g·I the gain-adjusted penalty vanishes, the notebook's does not: every off-diagonal
  // entry of I − 11ᵀ is −1, mean (n − 1)/n.
  Matrix<double> gi({4, 4});
  gi.fill(0);
  for (int i = 0; i < 4; ++i) gi(i, i) = 1.1;
  OrthoPenalty<double> nb4({"seed_notebook", PenaltyNorm::Mean, 1.0, 1.1}, 4, 4);
  EXPECT_NEAR(nb4.value(gi), 12.0 / 16, 1e-12);
}

TEST(Penalty, GainAdjustedVanishesAtScaledOrthogonalPlainDoesNot) {
  const double g = 1.25, lam = 0.8;
  for (const Shape sh : {Shape{8, 8}, Shape{10, 6}, Shape{6, 10}}) {
    Engine eng = make_engine("gain_adjusted", sh.r * 100 + sh.c);
    Matrix<double> w({static_cast<std::size_t>(sh.r), static_cast<std::size_t>(sh.c)});
    OrthogonalInit{g}(w, eng);
    const int n = std::min(sh.r, sh.c);
    for (PenaltyNorm norm : {PenaltyNorm::Sum, PenaltyNorm::Mean}) {
      const double per = norm == PenaltyNorm::Mean ? 1.0 / (n * n) : 1.0;
      OrthoPenalty<double> adj({"so_gain_adjusted", norm, lam, g}, sh.r, sh.c);
      Matrix<double> ga({w.shape(0), w.shape(1)});
      ga.fill(0);
      EXPECT_LT(adj.add_value_and_grad(w, ga), 1e-24);
      for (double x : ga) EXPECT_LT(std::abs(x), 1e-13);

      // plain: E = (g² − 1) I → P = λ n (g² − 1)², ∇P = 4λ (g² − 1) W
      OrthoPenalty<double> plain({"so", norm, lam, g}, sh.r, sh.c);
      Matrix<double> gp({w.shape(0), w.shape(1)});
      gp.fill(0);
      const double d = g * g - 1;
      EXPECT_NEAR(plain.add_value_and_grad(w, gp), lam * per * n * d * d, 1e-12);
      for (std::size_t i = 0; i < w.size(); ++i)
        EXPECT_NEAR(gp.data()[i], 4 * lam * per * d * w.data()[i], 1e-12);
    }
  }
}

TEST(Penalty, SripMatchesTheExactSpectralNormAndWarmStarts) {
  const Matrix<double> w = random_matrix(12, 9, 3);
  double exact = 0;
  for (double s : singular_values(w)) exact = std::max(exact, std::abs(s * s - 1));
  // 2 iterations per call (Bansal's setting), warm-started: converges over repeated calls
  OrthoPenalty<double> pen({"srip", PenaltyNorm::Sum, 1.0, 1.0, 2}, 12, 9, 7);
  Matrix<double> scratch(w.shape());
  scratch.fill(0);
  const double first = pen.add_value_and_grad(w, scratch);
  EXPECT_LE(first, exact + 1e-12);
  double v = first;
  for (int i = 0; i < 200; ++i) v = pen.add_value_and_grad(w, scratch);  // training calls
  EXPECT_NEAR(v, exact, 1e-10 * exact);
  // value() does not move the power iteration: evaluating never changes training
  OrthoPenalty<double> fresh({"srip", PenaltyNorm::Sum, 1.0, 1.0, 2}, 12, 9, 7);
  const double e1 = fresh.value(w), e2 = fresh.value(w);
  EXPECT_EQ(e1, e2);
  EXPECT_EQ(e1, first);
  // the same for a wide matrix and norm:mean (divided by n² = 81)
  const Matrix<double> wt = xt::transpose(w);
  Matrix<double> scratch_t(wt.shape());
  scratch_t.fill(0);
  OrthoPenalty<double> pen_t({"srip", PenaltyNorm::Mean, 1.0, 1.0, 50}, 9, 12, 1);
  for (int i = 0; i < 10; ++i) v = pen_t.add_value_and_grad(wt, scratch_t);
  EXPECT_NEAR(v, exact / 81, 1e-10 * exact);
}

TEST(Penalty, FloatAgreesWithDouble) {
  const Matrix<double> wd = random_matrix(16, 12, 9);
  Matrix<float> wf({16, 12});
  std::copy(wd.begin(), wd.end(), wf.begin());
  for (const std::string& kind : kKinds) {
    PenaltySpec spec{kind, PenaltyNorm::Sum, 0.5, 1.1, 100};
    OrthoPenalty<double> pd(spec, 16, 12, 2);
    OrthoPenalty<float> pf(spec, 16, 12, 2);
    Matrix<double> gd({16, 12});
    Matrix<float> gf({16, 12});
    gd.fill(0);
    gf.fill(0);
    const double vd = pd.add_value_and_grad(wd, gd), vf = pf.add_value_and_grad(wf, gf);
    EXPECT_NEAR(vf, vd, 1e-4 * std::max(1.0, vd)) << kind;
    for (std::size_t i = 0; i < gd.size(); ++i)
      EXPECT_NEAR(gf.data()[i], gd.data()[i], 1e-4) << kind;
  }
}

TEST(Penalty, NoneAndZeroLambdaAddNothing) {
  const Matrix<double> w = random_matrix(5, 5, 1);
  Matrix<double> g({5, 5});
  g.fill(0.25);
  OrthoPenalty<double> none({"none", PenaltyNorm::Sum, 1.0}, 5, 5);
  EXPECT_EQ(none.add_value_and_grad(w, g), 0.0);
  OrthoPenalty<double> so({"so", PenaltyNorm::Sum, 1.0}, 5, 5);
  EXPECT_EQ(so.add_value_and_grad(w, g, 0.0), 0.0);  // a schedule at 0 switches the penalty off
  for (double x : g) EXPECT_EQ(x, 0.25);
}

TEST(Penalty, NamesRoundTripAndBadInputIsAClearError) {
  for (const std::string& k : kKinds) EXPECT_EQ(parse_penalty(k), k);
  EXPECT_EQ(parse_penalty("none"), "none");
  EXPECT_EQ(parse_penalty_norm("sum"), PenaltyNorm::Sum);
  EXPECT_EQ(parse_penalty_norm("mean"), PenaltyNorm::Mean);
  try {
    parse_penalty("orthogonal");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("so_gain_adjusted"), std::string::npos);
  }
  EXPECT_THROW(parse_penalty_norm("max"), std::invalid_argument);
  EXPECT_THROW(OrthoPenalty<double>({"so", PenaltyNorm::Sum, -1.0}, 3, 3), std::invalid_argument);
  EXPECT_THROW(OrthoPenalty<double>({"so", PenaltyNorm::Sum, 1.0, 0.0}, 3, 3),
               std::invalid_argument);
  EXPECT_THROW(OrthoPenalty<double>({"srip", PenaltyNorm::Sum, 1.0, 1.0, 0}, 3, 3),
               std::invalid_argument);
  OrthoPenalty<double> so({"so", PenaltyNorm::Sum, 1.0}, 3, 4);
  Matrix<double> w({4, 3}), g({3, 4});
  w.fill(0);
  g.fill(0);
  try {
    so.value(w);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("built for 3x4"), std::string::npos) << e.what();
  }
  Matrix<double> w34({3, 4}), g43({4, 3});
  w34.fill(0);
  g43.fill(0);
  EXPECT_THROW(so.add_value_and_grad(w34, g43), std::invalid_argument);
}

TEST(Penalty, LambdaSchedules) {
  EXPECT_EQ(ConstantLambda{}(1), 1.0);
  EXPECT_EQ(ConstantLambda{}(1000000), 1.0);
  const auto geo = StepDecayLambda::geometric({10, 20}, 0.1);
  EXPECT_EQ(geo(1), 1.0);
  EXPECT_EQ(geo(9), 1.0);
  EXPECT_NEAR(geo(10), 0.1, 1e-15);
  EXPECT_NEAR(geo(19), 0.1, 1e-15);
  EXPECT_NEAR(geo(20), 0.01, 1e-15);
  EXPECT_NEAR(geo(1000), 0.01, 1e-15);
  const auto b = StepDecayLambda::bansal2018(100);  // 100 steps per epoch
  EXPECT_EQ(b(2000), 1.0);                          // last step of epoch 20
  EXPECT_EQ(b(2001), 1e-3);                         // epoch 21
  EXPECT_EQ(b(5001), 1e-4);
  EXPECT_EQ(b(7001), 1e-6);
  EXPECT_EQ(b(12000), 1e-6);
  EXPECT_EQ(b(12001), 0.0);
  EXPECT_THROW(StepDecayLambda({10, 5}, {0.1, 0.01}), std::invalid_argument);
  EXPECT_THROW(StepDecayLambda({10}, {0.1, 0.01}), std::invalid_argument);
  EXPECT_THROW(StepDecayLambda::bansal2018(0), std::invalid_argument);
}

TEST(Penalty, FlopCounts) {
  EXPECT_EQ(penalty_flops({"so", PenaltyNorm::Sum, 1}, 128, 128), 4.0 * 128 * 128 * 128);
  EXPECT_EQ(penalty_flops({"dso", PenaltyNorm::Sum, 1}, 128, 128), 8.0 * 128 * 128 * 128);
  EXPECT_EQ(penalty_flops({"mc", PenaltyNorm::Sum, 1}, 128, 128), 2.0 * 128 * 128 * 128);
  EXPECT_EQ(penalty_flops({"srip", PenaltyNorm::Sum, 1, 1, 2}, 128, 128), 10.0 * 128 * 128);
  EXPECT_EQ(penalty_flops({"none", PenaltyNorm::Sum, 1}, 128, 128), 0.0);
}

TEST(Penalty, MeanDividesByTheGramEntries) {
  for (const Shape sh : {Shape{7, 4}, Shape{4, 7}}) {
    const Matrix<double> w = random_matrix(sh.r, sh.c, 23);
    const double n = std::min(sh.r, sh.c);
    for (const std::string kind : {"so", "so_gain_adjusted", "mc", "srip", "seed_notebook"}) {
      OrthoPenalty<double> sum({kind, PenaltyNorm::Sum, 1.0, 1.1, 4000}, sh.r, sh.c, 1);
      OrthoPenalty<double> mean({kind, PenaltyNorm::Mean, 1.0, 1.1, 4000}, sh.r, sh.c, 1);
      // seed_notebook's Gram is always WWᵀ (r × r)
      const double entries = kind == "seed_notebook" ? double(sh.r) * sh.r : n * n;
      EXPECT_NEAR(mean.value(w), sum.value(w) / entries, 1e-12) << kind;
    }
    // dso: each term over its own Gram size
    OrthoPenalty<double> so_c({"so", PenaltyNorm::Sum, 1.0}, sh.r, sh.c);
    OrthoPenalty<double> dso_sum({"dso", PenaltyNorm::Sum, 1.0}, sh.r, sh.c);
    OrthoPenalty<double> dso_mean({"dso", PenaltyNorm::Mean, 1.0}, sh.r, sh.c);
    const double small = so_c.value(w), large = dso_sum.value(w) - small;
    const double big = std::max(sh.r, sh.c);
    EXPECT_NEAR(dso_mean.value(w), small / (n * n) + large / (big * big), 1e-12);
  }
}

// A NaN or Inf weight (value and add_value_and_grad) or gradient (add_value_and_grad) is refused
// with a NonFiniteError naming reg:<kind>, never turned into a value; an inactive penalty
// (reg:none, λ = 0) computes nothing and says nothing.
TEST(Penalty, ANonFiniteWeightOrGradientIsRefusedNamingThePenalty) {
  for (double bad :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity()})
    for (const Shape sh : {Shape{5, 5}, Shape{7, 4}, Shape{4, 7}})
      for (const std::string& kind : kKinds)
        for (int where = 0; where < 3; ++where) {  // 0: W in value(), 1: W, 2: the gradient
          Matrix<double> w = random_matrix(sh.r, sh.c, 4);
          Matrix<double> g({w.shape(0), w.shape(1)});
          g.fill(0.25);
          (where == 2 ? g : w)(2, 3) = bad;
          OrthoPenalty<double> pen({kind, PenaltyNorm::Sum, 1.0}, sh.r, sh.c);
          const std::string reg = std::string("reg:") + kind;
          try {
            const double v = where == 0 ? pen.value(w) : pen.add_value_and_grad(w, g);
            ADD_FAILURE() << reg << " returned " << v << " for " << bad << " in "
                          << (where == 2 ? "the gradient" : "W");
          } catch (const NonFiniteError& e) {
            const std::string msg = e.what();
            EXPECT_EQ(e.kernel(), reg);
            EXPECT_EQ(msg.rfind(reg + ": " + (where == 2 ? "the gradient of W" : "W"), 0), 0u)
                << msg;
            EXPECT_NE(msg.find("at row 2, column 3"), std::string::npos) << msg;
          }
        }
  Matrix<double> w = random_matrix(5, 5, 4);
  w(0, 0) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(OrthoPenalty<double>({"none", PenaltyNorm::Sum, 1.0}, 5, 5).value(w), 0.0);
  EXPECT_EQ(OrthoPenalty<double>({"so", PenaltyNorm::Sum, 0.0}, 5, 5).value(w), 0.0);
}

TEST(Penalty, CallsDoNotAllocateAfterConstruction) {
  for (const Shape sh : {Shape{9, 9}, Shape{9, 5}, Shape{5, 9}}) {
    const Matrix<double> w = random_matrix(sh.r, sh.c, 8);
    Matrix<double> g({w.shape(0), w.shape(1)});
    g.fill(0);
    for (const std::string& kind : kKinds)
      for (PenaltyNorm norm : {PenaltyNorm::Sum, PenaltyNorm::Mean}) {
        OrthoPenalty<double> pen({kind, norm, 1.0, 1.1, 3}, sh.r, sh.c);
        const std::size_t before = allocations();
        pen.add_value_and_grad(w, g);
        pen.value(w);
        EXPECT_EQ(allocations(), before) << kind;
      }
  }
}
