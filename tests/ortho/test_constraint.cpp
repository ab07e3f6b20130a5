// Hard orthogonality constraints (constraint.hpp): every constraint keeps W on the scaled
// orthogonal manifold (‖WᵀW/g² − I‖_F ≤ 1e-6, double) over 1,000 steps of random updates; margin
// keeps the singular values in its band; the Cayley update is a descent direction with the
// predicted first-order decrease η/2·‖A‖²; QR and polar return the factors they should.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "isobench/core/blas.hpp"
#include "isobench/core/decompositions.hpp"
#include "isobench/core/non_finite.hpp"
#include "isobench/ortho/constraint.hpp"
#include "isobench/ortho/init.hpp"
#include "isobench/ortho/orthogonality.hpp"

using namespace isobench;

using isobench::testing_alloc::allocations;

namespace {

struct Shape {
  int r, c;
};
const Shape kShapes[] = {{16, 16}, {20, 12}, {12, 20}};

template <class T = double>
Matrix<T> gaussian(int r, int c, Engine& eng, double sd) {
  Matrix<T> w({static_cast<std::size_t>(r), static_cast<std::size_t>(c)});
  for (auto& x : w) x = static_cast<T>(sd * standard_normal(eng));
  return w;
}

template <class T = double>
Matrix<T> scaled_orthogonal(int r, int c, double g, Engine& eng) {
  Matrix<T> w({static_cast<std::size_t>(r), static_cast<std::size_t>(c)});
  OrthogonalInit{g}(w, eng);
  return w;
}

double frob_diff(const Matrix<double>& a, const Matrix<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double d = a.data()[i] - b.data()[i];
    s += d * d;
  }
  return std::sqrt(s);
}

// `rate` for methods with a rate of their own (cayley), 0 for the others (which refuse one).
double rate_if_any(const std::string& kind, double rate) {
  return constraint_method(kind).default_rate > 0 ? rate : 0.0;
}

std::string label(const std::string& k, const Shape& sh) {
  return std::string(k) + " " + std::to_string(sh.r) + "x" + std::to_string(sh.c);
}

}  // namespace

TEST(Constraint, StaysOnTheScaledOrthogonalManifoldOver1000RandomSteps) {
  const double g = 1.3;
  for (const std::string kind : {"qr", "polar", "cayley", "margin"})
    for (const Shape& sh : kShapes) {
      Engine eng = make_engine("manifold/" + label(kind, sh), 1);
      Matrix<double> w = scaled_orthogonal(sh.r, sh.c, g, eng);
      const Matrix<double> w0 = w;
      // margin with m = 0 is the pure hard constraint
      OrthoConstraint<double> con({kind, g, 0.0, rate_if_any(kind, 0.05)}, sh.r, sh.c);
      double worst = 0;
      for (int step = 0; step < 1000; ++step) {
        Matrix<double> grad = gaussian(sh.r, sh.c, eng, 0.1);
        if (con.replaces_optimizer_step()) {
          con.apply(w, &grad);
        } else {
          for (std::size_t i = 0; i < w.size(); ++i) w.data()[i] -= 0.05 * grad.data()[i];
          con.apply(w);
        }
        worst = std::max(worst, orthogonality_error(w, g));
      }
      EXPECT_LE(worst, 1e-6) << label(kind, sh);
      // and the updates did move W (the test would be vacuous otherwise)
      EXPECT_GT(frob_diff(w, w0), 0.1) << label(kind, sh);
    }
}

TEST(Constraint, WithoutTheConstraintTheSameUpdatesLeaveTheManifold) {
  // The control for the test above: the random steps alone do destroy orthogonality.
  Engine eng = make_engine("control", 1);
  Matrix<double> w = scaled_orthogonal(16, 16, 1.3, eng);
  for (int step = 0; step < 100; ++step) {
    Matrix<double> grad = gaussian(16, 16, eng, 0.1);
    for (std::size_t i = 0; i < w.size(); ++i) w.data()[i] -= 0.05 * grad.data()[i];
  }
  EXPECT_GT(orthogonality_error(w, 1.3), 1e-2);
}

TEST(Constraint, MarginKeepsSingularValuesInItsBand) {
  const double g = 1.1, m = 0.1, lo = g * (1 - m), hi = g * (1 + m);
  for (const Shape& sh : kShapes) {
    Engine eng = make_engine("margin/" + label("margin", sh), 2);
    Matrix<double> w = scaled_orthogonal(sh.r, sh.c, g, eng);
    OrthoConstraint<double> con({"margin", g, m}, sh.r, sh.c);
    int clipped = 0;
    double s_min_seen = 1e9, s_max_seen = 0;
    for (int step = 0; step < 1000; ++step) {
      Matrix<double> grad = gaussian(sh.r, sh.c, eng, 0.1);
      for (std::size_t i = 0; i < w.size(); ++i) w.data()[i] -= 0.2 * grad.data()[i];
      const auto before = singular_values(w);
      if (before.front() > hi || before.back() < lo) ++clipped;
      con.apply(w);
      const auto s = singular_values(w);
      ASSERT_LE(s.front(), hi + 1e-12) << sh.r << "x" << sh.c << " step " << step;
      ASSERT_GE(s.back(), lo - 1e-12) << sh.r << "x" << sh.c << " step " << step;
      s_min_seen = std::min(s_min_seen, s.back());
      s_max_seen = std::max(s_max_seen, s.front());
    }
    EXPECT_GT(clipped, 100) << "the steps must push W out of the band for the test to bite";
    // the band is used, not collapsed onto g (margin ≠ polar)
    EXPECT_LT(s_min_seen, g * (1 - m / 2));
    EXPECT_GT(s_max_seen, g * (1 + m / 2));
  }
}

TEST(Constraint, MarginLeavesAMatrixInsideTheBandUntouched) {
  Engine eng = make_engine("margin_inside", 3);
  Matrix<double> w = scaled_orthogonal(10, 10, 1.0, eng);
  Matrix<double> noise = gaussian(10, 10, eng, 0.001);
  w += noise;  // singular values within ±~0.01 of 1
  const Matrix<double> w0 = w;
  OrthoConstraint<double> con({"margin", 1.0, 0.1}, 10, 10);
  con.apply(w);
  EXPECT_EQ(frob_diff(w, w0), 0.0);
}

TEST(Constraint, MarginZeroIsPolar) {
  Engine eng = make_engine("margin0", 4);
  const Matrix<double> w = gaussian(12, 8, eng, 0.4);
  Matrix<double> a = w, b = w;
  OrthoConstraint<double>({"margin", 1.2, 0.0}, 12, 8).apply(a);
  OrthoConstraint<double>({"polar", 1.2}, 12, 8).apply(b);
  EXPECT_LT(frob_diff(a, b), 1e-12);
}

TEST(Constraint, PolarReturnsTheOrthogonalPolarFactor) {
  // W = Q S with S symmetric positive definite → polar(W) = g·Q (tall: Q (r × c) with
  // orthonormal columns, S (c × c)).
  const double g = 0.9;
  Engine eng = make_engine("polar", 5);
  const Matrix<double> q = scaled_orthogonal(12, 8, 1.0, eng);
  const Matrix<double> p = scaled_orthogonal(8, 8, 1.0, eng);
  Matrix<double> pd = p;  // P diag(d)
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j) pd(i, j) *= 0.5 + 0.2 * j;
  Matrix<double> s({8, 8}), w({12, 8});
  gemm(Op::N, Op::T, 1.0, pd, p, 0.0, s);  // S = P diag(d) Pᵀ
  gemm(Op::N, Op::N, 1.0, q, s, 0.0, w);
  OrthoConstraint<double>({"polar", g}, 12, 8).apply(w);
  Matrix<double> gq = q * g;
  EXPECT_LT(frob_diff(w, gq), 1e-12);
  // and it is the nearest scaled orthogonal matrix: closer to W than the QR retraction
  Matrix<double> w2 = gaussian(12, 8, eng, 0.3);
  Matrix<double> via_polar = w2, via_qr = w2;
  OrthoConstraint<double>({"polar", 1.0}, 12, 8).apply(via_polar);
  OrthoConstraint<double>({"qr", 1.0}, 12, 8).apply(via_qr);
  EXPECT_LT(frob_diff(via_polar, w2), frob_diff(via_qr, w2));
}

TEST(Constraint, QrReturnsTheQFactorWithPositiveDiagonalOfR) {
  const double g = 1.25;
  Engine eng = make_engine("qr", 6);
  // tall: W = Q R, R upper triangular with positive diagonal → g·Q
  const Matrix<double> q = scaled_orthogonal(12, 8, 1.0, eng);
  Matrix<double> r({8, 8}), w({12, 8});
  r.fill(0);
  for (int i = 0; i < 8; ++i)
    for (int j = i; j < 8; ++j) r(i, j) = i == j ? 0.5 + 0.1 * i : 0.3 * standard_normal(eng);
  gemm(Op::N, Op::N, 1.0, q, r, 0.0, w);
  OrthoConstraint<double>({"qr", g}, 12, 8).apply(w);
  EXPECT_LT(frob_diff(w, Matrix<double>(q * g)), 1e-12);
  // wide: W = L Q, L lower triangular with positive diagonal → g·Q
  const Matrix<double> qw = scaled_orthogonal(8, 12, 1.0, eng);
  Matrix<double> ww({8, 12});
  gemm(Op::T, Op::N, 1.0, r, qw, 0.0, ww);  // L = Rᵀ
  OrthoConstraint<double>({"qr", g}, 8, 12).apply(ww);
  EXPECT_LT(frob_diff(ww, Matrix<double>(qw * g)), 1e-12);
  // continuity: a point already on the manifold is a fixed point (no column sign flips), and
  // a small step moves it by a small amount
  Matrix<double> on = scaled_orthogonal(10, 10, g, eng);
  const Matrix<double> on0 = on;
  OrthoConstraint<double> con({"qr", g}, 10, 10);
  con.apply(on);
  EXPECT_LT(frob_diff(on, on0), 1e-12);
  Matrix<double> d = gaussian(10, 10, eng, 1e-4);
  on += d;
  con.apply(on);
  EXPECT_LT(frob_diff(on, on0), 1e-2);
}

TEST(Constraint, CayleyIsADescentDirectionWithThePredictedSlope) {
  // L(W) = ½‖W − T‖², G = W − T. To first order L(η) = L(0) − η/2·‖A‖², A = G Wᵀ − W Gᵀ.
  for (const double g : {1.0, 1.2}) {
    Engine eng = make_engine("cayley_descent", g == 1.0 ? 1 : 2);
    const Matrix<double> w0 = scaled_orthogonal(10, 10, g, eng);
    const Matrix<double> target = gaussian(10, 10, eng, 0.5);
    auto loss = [&](const Matrix<double>& w) { return 0.5 * std::pow(frob_diff(w, target), 2); };
    Matrix<double> grad = w0 - target;
    Matrix<double> a({10, 10});
    gemm(Op::N, Op::T, 1.0, grad, w0, 0.0, a);
    double a2 = 0;
    for (int i = 0; i < 10; ++i)
      for (int j = 0; j < 10; ++j) a2 += std::pow(a(i, j) - a(j, i), 2);
    for (const double eta : {1e-3, 1e-5, 1e-7}) {
      Matrix<double> w = w0;
      CayleyUpdate<double> cay(10, 10, eta);
      cay.step(w, grad);
      const double decrease = loss(w0) - loss(w);
      EXPECT_GT(decrease, 0) << "eta " << eta;
      if (eta <= 1e-5) {
        EXPECT_NEAR(decrease / eta, 0.5 * a2, 1e-3 * 0.5 * a2) << "eta " << eta;
      }
    }
    // and a run of small steps decreases the loss monotonically
    Matrix<double> w = w0;
    OrthoConstraint<double> con({"cayley", g, 0.0, 0.02}, 10, 10);
    double prev = loss(w);
    for (int step = 0; step < 100; ++step) {
      Matrix<double> gr = w - target;
      con.apply(w, &gr);
      const double now = loss(w);
      ASSERT_LT(now, prev) << "step " << step;
      prev = now;
    }
    EXPECT_LT(orthogonality_error(w, g), 1e-10);
  }
}

TEST(Constraint, FloatKeepsOrthogonalityToSinglePrecision) {
  const double g = 1.1;
  for (const std::string kind : {"qr", "polar", "cayley"})
    for (const Shape& sh : kShapes) {
      Engine eng = make_engine("float/" + label(kind, sh), 7);
      Matrix<float> w = scaled_orthogonal<float>(sh.r, sh.c, g, eng);
      OrthoConstraint<float> con({kind, g, 0.0, rate_if_any(kind, 0.05)}, sh.r, sh.c);
      for (int step = 0; step < 200; ++step) {
        Matrix<float> grad = gaussian<float>(sh.r, sh.c, eng, 0.1);
        if (con.replaces_optimizer_step()) {
          con.apply(w, &grad);
        } else {
          for (std::size_t i = 0; i < w.size(); ++i) w.data()[i] -= 0.05f * grad.data()[i];
          con.apply(w);
        }
      }
      EXPECT_LT(orthogonality_error(w, g), 1e-4) << label(kind, sh);
    }
}

// m ≥ 1 is the band [0, g(1 + m)]: only the upper end binds (Vorontsov's widest margin, m = 1).
TEST(Constraint, AWideMarginClipsOnlyTheLargeSingularValues) {
  Matrix<double> w({3, 3}, 0.0);
  w(0, 0) = 5.0;   // above g(1 + m) = 2.5
  w(1, 1) = 0.01;  // below g(1 − m) < 0: kept
  w(2, 2) = 1.0;
  OrthoConstraint<double>({"margin", 1.0, 1.5}, 3, 3).apply(w);
  EXPECT_NEAR(w(0, 0), 2.5, 1e-12);
  EXPECT_NEAR(w(1, 1), 0.01, 1e-12);
  EXPECT_NEAR(w(2, 2), 1.0, 1e-12);
}

TEST(Constraint, NamesRoundTripAndBadInputIsAClearError) {
  for (const std::string k : {"none", "qr", "polar", "cayley", "margin"})
    EXPECT_EQ(parse_constraint(k), k);
  try {
    parse_constraint("stiefel");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("cayley"), std::string::npos);
  }
  EXPECT_THROW(OrthoConstraint<double>({"margin", 1.0, -0.5}, 4, 4), std::invalid_argument);
  EXPECT_THROW(OrthoConstraint<double>({"margin", 1.0, std::nan("")}, 4, 4), std::invalid_argument);
  EXPECT_THROW(OrthoConstraint<double>({"qr", -1.0}, 4, 4), std::invalid_argument);
  EXPECT_THROW(OrthoConstraint<double>({"cayley", 1.0, 0.0, -0.1}, 4, 4), std::invalid_argument);
  EXPECT_THROW(OrthoConstraint<double>({"cayley", 1.0, 0.0, std::nan("")}, 4, 4),
               std::invalid_argument);
  OrthoConstraint<double> cay({"cayley", 1.0, 0.0, 0.1}, 4, 4);
  Matrix<double> w({4, 4});
  w.fill(0);
  EXPECT_THROW(cay.apply(w), std::invalid_argument);  // no gradient
  Matrix<double> wrong({4, 5});
  wrong.fill(0);
  OrthoConstraint<double> qr({"qr", 1.0}, 4, 4);
  try {
    qr.apply(wrong);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("built for 4x4"), std::string::npos) << e.what();
  }
  // rate 0 is the method's default rate (cayley declares 0.03); a method without one has none.
  EXPECT_EQ(OrthoConstraint<double>({"cayley", 1.0}, 4, 4).spec().rate, 0.03);
  EXPECT_EQ(cay.spec().rate, 0.1);
  EXPECT_EQ(qr.spec().rate, 0.0);
  EXPECT_TRUE(cay.replaces_optimizer_step());
  EXPECT_FALSE(qr.replaces_optimizer_step());
  // none does nothing
  Matrix<double> x({3, 3});
  x.fill(2.0);
  OrthoConstraint<double>({"none"}, 3, 3).apply(x);
  for (double v : x) EXPECT_EQ(v, 2.0);
}

TEST(Constraint, CallsDoNotAllocateAfterConstruction) {
  for (const Shape& sh : kShapes)
    for (const std::string kind : {"qr", "polar", "cayley", "margin"}) {
      Engine eng = make_engine("alloc", 1);
      Matrix<double> w = gaussian(sh.r, sh.c, eng, 0.3);
      const Matrix<double> g = gaussian(sh.r, sh.c, eng, 0.1);
      OrthoConstraint<double> con(
          {kind, 1.0, constraint_method(kind).uses_margin ? 0.1 : 0.0, rate_if_any(kind, 0.01)},
          sh.r, sh.c);
      const std::size_t before = allocations();
      con.apply(w, &g);
      con.apply(w, &g);
      EXPECT_EQ(allocations(), before) << label(kind, sh);
    }
}

TEST(Constraint, CayleyPreservesTheSpectrumItDoesNotRestoreIt) {
  Engine eng = make_engine("cayley_spectrum", 1);
  Matrix<double> w = gaussian(12, 12, eng, 0.3);
  const auto s0 = singular_values(w);
  CayleyUpdate<double> cay(12, 12, 0.1);
  for (int step = 0; step < 20; ++step) {
    const Matrix<double> g = gaussian(12, 12, eng, 0.5);
    cay.step(w, g);
  }
  const auto s1 = singular_values(w);
  for (std::size_t i = 0; i < s0.size(); ++i) EXPECT_NEAR(s1[i], s0[i], 1e-12);
  EXPECT_GT(orthogonality_error(w, 1.0), 0.5);
}

// A weight holding +Inf, -Inf or NaN (or, for cayley, such a gradient) is refused with a
// NonFiniteError naming the constraint, and W is left as it was: LAPACK's QR would turn +Inf into
// an exact identity (ortho_err 0), its SVD reports NaN as "argument 4 is illegal".
TEST(Constraint, ANonFiniteWeightOrGradientIsRefusedNamingTheConstraint) {
  const double bad_values[] = {std::numeric_limits<double>::infinity(),
                               -std::numeric_limits<double>::infinity(),
                               std::numeric_limits<double>::quiet_NaN()};
  for (const Shape& sh : kShapes)
    for (const std::string kind : {"qr", "polar", "cayley", "margin"})
      for (double bad : bad_values)
        for (bool in_grad : {false, true}) {
          if (in_grad && kind != "cayley") continue;  // only cayley reads G
          Engine eng = make_engine("nonfinite", 1);
          Matrix<double> w = gaussian(sh.r, sh.c, eng, 0.3);
          Matrix<double> g = gaussian(sh.r, sh.c, eng, 0.1);
          (in_grad ? g : w)(1, 2) = bad;
          const Matrix<double> before = w;
          OrthoConstraint<double> con(
              {kind, 1.0, constraint_method(kind).uses_margin ? 0.1 : 0.0, rate_if_any(kind, 0.01)},
              sh.r, sh.c);
          const std::string where =
              label(kind, sh) + (in_grad ? " grad " : " W ") + std::to_string(bad);
          try {
            con.apply(w, &g);
            ADD_FAILURE() << where << ": no error; ortho_err now " << orthogonality_error(w, 1.0);
          } catch (const NonFiniteError& e) {
            const std::string msg = e.what();
            EXPECT_EQ(e.kernel(), std::string("constraint:") + kind) << where;
            EXPECT_NE(msg.find(std::string("constraint:") + kind), std::string::npos) << msg;
            EXPECT_NE(msg.find("at row 1, column 2"), std::string::npos) << msg;
            EXPECT_NE(msg.find(std::isnan(bad) ? "NaN" : (bad > 0 ? "+Inf" : "-Inf")),
                      std::string::npos)
                << msg;
          }
          for (std::size_t i = 0; i < w.size(); ++i)  // W untouched (NaN compares by bits)
            EXPECT_TRUE(w.data()[i] == before.data()[i] ||
                        (std::isnan(w.data()[i]) && std::isnan(before.data()[i])))
                << where;
        }
  // float too (the benchmarks' type)
  Matrix<float> wf({4, 4}, 0.5f);
  wf(3, 3) = std::numeric_limits<float>::infinity();
  EXPECT_THROW(OrthoConstraint<float>({"qr", 1.0}, 4, 4).apply(wf), NonFiniteError);
}

// The LAPACK wrappers check their input too (LAPACK's geqrf maps +Inf to finite numbers), and
// LAPACK's error codes are translated into what they mean.
TEST(Lapack, NonFiniteInputIsRefusedAndInfoCodesAreTranslated) {
  std::vector<double> a = {1, 2, 3, std::numeric_limits<double>::quiet_NaN()};  // 2 x 2
  std::vector<double> s(2), u(4), vt(4), tau(2), diag(2);
  std::vector<double> work(static_cast<std::size_t>(lapack::svd_work_size<double>(2, 2)));
  std::vector<int> iwork(16);
  try {
    lapack::svd_thin<double>(2, 2, a.data(), s.data(), u.data(), vt.data(), work.data(),
                             static_cast<int>(work.size()), iwork.data());
    ADD_FAILURE() << "svd_thin accepted NaN";
  } catch (const NonFiniteError& e) {
    EXPECT_EQ(e.kernel(), "LAPACK dgesdd");
    EXPECT_NE(std::string(e.what()).find("holds NaN"), std::string::npos) << e.what();
  }
  a[3] = std::numeric_limits<double>::infinity();
  std::vector<double> qw(static_cast<std::size_t>(lapack::qr_work_size<double>(2, 2)));
  EXPECT_THROW(lapack::qr_thin<double>(2, 2, a.data(), 2, diag.data(), tau.data(), qw.data(),
                                       static_cast<int>(qw.size())),
               NonFiniteError);
  // What info means: gesdd's -4 is its NaN check; other negative codes name the argument.
  EXPECT_NE(lapack::info_message("dgesdd", -4).find("the matrix holds NaN or Inf"),
            std::string::npos);
  EXPECT_NE(lapack::info_message("sgeqrf", -4).find("argument 4 (LDA) has an illegal value"),
            std::string::npos)
      << lapack::info_message("sgeqrf", -4);
  EXPECT_NE(lapack::info_message("dgesdd", 3).find("did not converge"), std::string::npos);
  // A real failure, from LAPACK itself: an exactly singular matrix in gesv (info = 2).
  std::vector<double> sing = {1, 0, 0, 0}, b = {1, 1};
  std::vector<int> ipiv(2);
  try {
    lapack::lu_solve<double>(2, 1, sing.data(), b.data(), ipiv.data());
    ADD_FAILURE() << "gesv accepted a singular matrix";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("LAPACK dgesv failed: info = 2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("singular"), std::string::npos) << msg;
  }
}
