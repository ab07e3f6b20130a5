// Initializations as registered methods (init.hpp, method_registry.hpp): the registry lists the
// built-in ones with their declarations, every registered init that declares a weight ensemble
// draws from it (Haar: WᵀW = g²I and Haar moments; Gaussian: mean, variance σ_w²/fan_in and
// fourth moment within sampling error), a user init from a header is registered by the same
// entry builder and checked the same way, the checks reject wrong draws, the spec's σ_w² and gain
// cannot be confused, and dispatch by name draws exactly what the policy types draw.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "isobench/core/decompositions.hpp"
#include "isobench/ortho/init.hpp"
#include "isobench/ortho/method_lists.hpp"
#include "isobench/ortho/method_registry.hpp"
#include "isobench/ortho/orthogonality.hpp"
#include "isobench/train/method_listing.hpp"
#include "user_init_example.hpp"

using namespace isobench;

namespace {

Matrix<double> draw(const InitMethod& m, const InitSpec& s, int r, int c, Engine& eng) {
  Matrix<double> w({static_cast<std::size_t>(r), static_cast<std::size_t>(c)});
  m.fill_double(s, w, eng);
  return w;
}

// The failures of the Haar checks for init m (empty: passed). W = g·Q with g = 1.3:
//  - ‖QᵀQ − I‖_F ≤ 1e-10 (smaller Gram) for tall, square and wide W;
//  - for Q Haar on O(n), n = 8, over D = 3000 draws: E[tr Q] = 0, E[tr Q²] = 1 (Diaconis &
//    Shahshahani 1994) and E[Q_ij⁴] = 3/(n(n + 2)) (a column is uniform on the sphere), each within
//    5 standard errors estimated from the draws (independent across draws), + 1e-3.
std::vector<std::string> haar_violations(const InitMethod& m) {
  std::vector<std::string> out;
  const double g = 1.3;
  const InitSpec spec{m.name, 1.0, g};
  Engine eng = make_engine("test_init_methods/haar/" + m.name, 1);
  for (auto [r, c] : {std::pair{40, 40}, std::pair{60, 25}, std::pair{25, 60}}) {
    const double err = orthogonality_error(draw(m, spec, r, c, eng), g);
    if (!(err <= 1e-10))
      out.push_back("‖WᵀW/g² − I‖_F = " + std::to_string(err) + " at " + std::to_string(r) + "×" +
                    std::to_string(c));
  }
  const int n = 8, draws = 3000;
  double s[3] = {0, 0, 0}, s2[3] = {0, 0, 0};  // tr Q, tr Q², mean of Q_ij⁴
  for (int d = 0; d < draws; ++d) {
    const Matrix<double> w = draw(m, spec, n, n, eng);
    double t1 = 0, t2 = 0, q4 = 0;
    for (int i = 0; i < n; ++i) {
      t1 += w(i, i) / g;
      for (int k = 0; k < n; ++k) {
        t2 += w(i, k) * w(k, i) / (g * g);
        q4 += std::pow(w(i, k) / g, 4) / (n * n);
      }
    }
    const double x[3] = {t1, t2, q4};
    for (int k = 0; k < 3; ++k) {
      s[k] += x[k];
      s2[k] += x[k] * x[k];
    }
  }
  const double expected[3] = {0.0, 1.0, 3.0 / (n * (n + 2.0))};
  const char* what[3] = {"E[tr Q]", "E[tr Q²]", "E[Q_ij⁴]"};
  for (int k = 0; k < 3; ++k) {
    const double mean = s[k] / draws;
    const double se = std::sqrt(std::max(0.0, s2[k] / draws - mean * mean) / draws);
    if (std::abs(mean - expected[k]) > 5 * se + 1e-3)
      out.push_back(std::string(what[k]) + " = " + std::to_string(mean) + ", expected " +
                    std::to_string(expected[k]) + " ± " + std::to_string(5 * se + 1e-3));
  }
  return out;
}

// The failures of the Gaussian checks for init m: W (300 × 200, fan_in 200) at σ_w² = 1.7, so
// N = 60,000 entries iid N(0, v), v = σ_w²/200. Standard errors of the sample moments of N
// Gaussians: mean √(v/N), variance v·√(2/(N − 1)), E[x⁴] = 3v² with sd v²·√(96/N)
// (E x⁸ = 105v⁴); each within 5 of them.
std::vector<std::string> gaussian_violations(const InitMethod& m) {
  std::vector<std::string> out;
  const int r = 300, c = 200;
  const double sw2 = 1.7, v = sw2 / c, N = double(r) * c;
  Engine eng = make_engine("test_init_methods/gaussian/" + m.name, 1);
  const Matrix<double> w = draw(m, InitSpec{m.name, sw2, 1.0}, r, c, eng);
  double s1 = 0, s2 = 0, s4 = 0;
  for (double x : w) {
    s1 += x;
    s2 += x * x;
    s4 += x * x * x * x;
  }
  const double mean = s1 / N, var = s2 / N - mean * mean, m4 = s4 / N;
  if (std::abs(mean) > 5 * std::sqrt(v / N))
    out.push_back("mean " + std::to_string(mean) + " (sd " + std::to_string(std::sqrt(v / N)) +
                  ")");
  if (std::abs(var - v) > 5 * v * std::sqrt(2 / (N - 1)))
    out.push_back("variance " + std::to_string(var) +
                  ", expected σ_w²/fan_in = " + std::to_string(v));
  if (std::abs(m4 - 3 * v * v) > 5 * v * v * std::sqrt(96 / N))
    out.push_back("E[x⁴] " + std::to_string(m4) + ", expected 3v² = " + std::to_string(3 * v * v));
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "; ";
  return s;
}

}  // namespace

TEST(InitMethods, TheBuiltInOnesAreRegisteredWithTheirDeclarations) {
  const std::vector<std::tuple<const char*, InitEnsemble, bool, bool>> want = {
      {"gaussian", InitEnsemble::Gaussian, true, false},
      {"orthogonal", InitEnsemble::Haar, false, true},
      {"glorot_uniform", InitEnsemble::None, false, false},
      {"glorot_normal", InitEnsemble::None, false, false},
      {"he", InitEnsemble::None, false, false},
      {"identity", InitEnsemble::None, false, true}};
  ASSERT_GE(init_methods().size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    const InitMethod& m = init_methods()[i];
    EXPECT_EQ(m.name, std::get<0>(want[i]));
    EXPECT_TRUE(m.builtin);
    EXPECT_EQ(m.ensemble, std::get<1>(want[i])) << m.name;
    EXPECT_EQ(m.reads_sw2, std::get<2>(want[i])) << m.name;
    EXPECT_EQ(m.sets_gain, std::get<3>(want[i])) << m.name;
    EXPECT_FALSE(m.formula.empty());
    EXPECT_FALSE(m.source.empty());
    bool listed = false;
    for (const auto& line : method_listing())
      listed = listed || line.rfind("init\t" + m.name + "\tbuilt-in\t", 0) == 0;
    EXPECT_TRUE(listed) << m.name;
  }
  // methods/ holds no init (a file there would add runs): the lists agree.
  EXPECT_EQ(init_methods().size(), want.size() + std::tuple_size_v<UserInits>);
  EXPECT_EQ(user_inits().size(), std::tuple_size_v<UserInits>);
}

// Every registered init: float and double draws, finite, same seed same weights.
TEST(InitMethods, EveryRegisteredInitFillsDeterministically) {
  for (const InitMethod& m : init_methods())
    for (auto [r, c] : {std::pair{5, 3}, std::pair{3, 5}, std::pair{4, 4}}) {
      Engine e1 = make_engine("det", 2), e2 = make_engine("det", 2);
      const InitSpec s{m.name};
      const Matrix<double> a = draw(m, s, r, c, e1), b = draw(m, s, r, c, e2);
      EXPECT_EQ(a, b) << m.name;
      for (double x : a) EXPECT_TRUE(std::isfinite(x)) << m.name;
      Matrix<float> f({static_cast<std::size_t>(r), static_cast<std::size_t>(c)});
      Engine e3 = make_engine("det", 2);
      initialize(s, f, e3);
      for (std::size_t i = 0; i < f.size(); ++i)
        EXPECT_EQ(f.data()[i], static_cast<float>(a.data()[i])) << m.name;  // draws in double
    }
}

// The distribution tests of every registered init that declares an ensemble (a user's too).
TEST(InitMethods, EveryDeclaredEnsembleIsWhatTheInitDraws) {
  int haar = 0, gaussian = 0;
  for (const InitMethod& m : init_methods()) {
    switch (m.ensemble) {
      case InitEnsemble::Haar:
        ++haar;
        EXPECT_TRUE(haar_violations(m).empty()) << m.name << ": " << joined(haar_violations(m));
        break;
      case InitEnsemble::Gaussian:
        ++gaussian;
        EXPECT_TRUE(gaussian_violations(m).empty())
            << m.name << ": " << joined(gaussian_violations(m));
        break;
      case InitEnsemble::None:
        break;
    }
  }
  EXPECT_GE(haar, 1);      // orthogonal
  EXPECT_GE(gaussian, 1);  // gaussian
}

TEST(InitMethods, TheEnsembleChecksRejectWrongDraws) {
  const std::vector<std::string> plain =
      haar_violations(init_method_of<isobench_test::PlainQrInit>(false));
  EXPECT_FALSE(plain.empty()) << "plain QR passed the Haar checks";
  const std::vector<std::string> wide =
      gaussian_violations(init_method_of<isobench_test::WideGaussianInit>(false));
  EXPECT_FALSE(wide.empty()) << "variance 1.2·σ_w²/fan_in passed the Gaussian checks";
}

// A user's init written as in methods/ (tests/ortho/user_init_example.hpp): its registration line
// compiles, the registry's entry builder makes its entry, and it passes the checks the registry's
// inits get.
TEST(InitMethods, AUserInitFromAHeaderIsRegisteredAndChecked) {
  static_assert(is_init_method<isobench_test::GramSchmidtOrthogonalInit>::value);
  static_assert(!is_init_method<isobench_test::NoFill>::value);
  static_assert(!init_ensemble_consistent<isobench_test::HaarWithoutGain>());
  const InitMethod m = init_method_of<isobench_test::GramSchmidtOrthogonalInit>(false);
  EXPECT_EQ(m.name, "test_gram_schmidt_orthogonal");
  EXPECT_FALSE(m.builtin);
  EXPECT_EQ(m.ensemble, InitEnsemble::Haar);
  EXPECT_TRUE(m.sets_gain);
  EXPECT_TRUE(haar_violations(m).empty()) << joined(haar_violations(m));
}

// Dispatch by name draws exactly what the policy types draw (same engine calls, same order), so
// no run's numbers changed when initializations became registered methods.
TEST(InitMethods, ByNameDrawsExactlyThePolicyTypesDraws) {
  auto same = [](const InitSpec& s, auto policy) {
    for (auto [r, c] : {std::pair{7, 4}, std::pair{4, 7}}) {
      Matrix<float> a({std::size_t(r), std::size_t(c)}), b({std::size_t(r), std::size_t(c)});
      Engine e1 = make_engine("same", 5), e2 = make_engine("same", 5);
      initialize(s, a, e1);
      policy(b, e2);
      EXPECT_EQ(a, b) << s.method;
      EXPECT_EQ(e1(), e2()) << s.method << ": the engines are at different points";
    }
  };
  same(InitSpec::gaussian(1.7), GaussianInit{1.7});
  same(InitSpec::orthogonal(1.3), OrthogonalInit{1.3});
  same(InitSpec::identity(0.9), IdentityInit{0.9});
  same(InitSpec::glorot_uniform(), GlorotUniformInit{});
  same(InitSpec::glorot_normal(), GlorotNormalInit{});
  same(InitSpec::he(), HeInit{});
}

TEST(InitMethods, Sw2AndGainCannotBeConfused) {
  auto rejects = [](const InitSpec& s, const std::string& word) {
    Matrix<double> w({3, 3});
    Engine eng = make_engine("bad", 1);
    try {
      initialize(s, w, eng);
      ADD_FAILURE() << s.method << " sw2=" << s.sw2 << " gain=" << s.gain << " accepted";
    } catch (const std::invalid_argument& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("'" + s.method + "'"), std::string::npos) << msg;
      EXPECT_NE(msg.find(word), std::string::npos) << msg;
    }
    EXPECT_THROW(orthogonality_gain(s), std::invalid_argument);
  };
  rejects({"gaussian", 1.0, 1.3}, "gain");    // a gain given to gaussian
  rejects({"orthogonal", 1.05, 1.0}, "sw2");  // σ_w² given to orthogonal
  rejects({"identity", 2.0, 1.0}, "sw2");
  rejects({"glorot_uniform", 1.0, 2.0}, "gain");
  rejects({"he", 2.0, 1.0}, "sw2");
  rejects({"gaussian", 0.0, 1.0}, "sw2");  // not > 0
  rejects({"orthogonal", 1.0, -1.0}, "gain");
  rejects({"gaussian", std::nan(""), 1.0}, "sw2");
  rejects({"xavier"}, "glorot_uniform");  // unknown: lists the registered names

  // The gain ortho_err and the constraints use comes from the init's declaration.
  EXPECT_EQ(orthogonality_gain(InitSpec::orthogonal(1.3)), 1.3);
  EXPECT_EQ(orthogonality_gain(InitSpec::identity(2.0)), 2.0);
  EXPECT_EQ(orthogonality_gain(InitSpec::gaussian(2.0)), 1.0);
  EXPECT_EQ(orthogonality_gain(InitSpec::he()), 1.0);

  // at_sw2: σ_w² to an init that reads it, the gain √σ_w² to one that sets one, else neither.
  const InitSpec o = InitSpec::at_sw2("orthogonal", 1.05), g = InitSpec::at_sw2("gaussian", 1.05),
                 h = InitSpec::at_sw2("he", 1.05);
  EXPECT_EQ(o.gain, std::sqrt(1.05));
  EXPECT_EQ(o.sw2, 1.0);
  EXPECT_EQ(g.sw2, 1.05);
  EXPECT_EQ(g.gain, 1.0);
  EXPECT_EQ(h.sw2, 1.0);
  EXPECT_EQ(h.gain, 1.0);
  EXPECT_THROW(InitSpec::at_sw2("xavier", 1.0), std::invalid_argument);
}
