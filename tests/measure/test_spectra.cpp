// Jacobian spectra and gradient norms (spectra.hpp): the Jacobian against finite differences,
// the probe's gradients against finite differences, and the measured spectra against theory
// (theory.hpp) with the finite-width tolerances of docs/RESEARCH.md §2.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gradcheck.hpp"
#include "isobench/core/decompositions.hpp"
#include "isobench/core/non_finite.hpp"
#include "isobench/measure/spectra.hpp"
#include "isobench/ortho/init.hpp"
#include "isobench/theory/theory.hpp"

namespace isobench {
namespace {

// A square MLP as the Jacobian studies use it (every layer φ(Wx + b)), σ_w² = gain² for
// orthogonal weights.
Mlp<double> make_net(Activation act, int width, int depth, const std::string& kind, double sw2,
                     double sb2, Engine& eng) {
  MlpConfig cfg;
  cfg.input_dim = cfg.width = cfg.output_dim = width;
  cfg.depth = depth;
  cfg.act = act;
  cfg.activate_output = true;
  Mlp<double> net(cfg);
  net.init(InitSpec::at_sw2(kind, sw2), sb2, eng);
  return net;
}

struct Measured {
  SpectrumSummary spec;
  double ratio = 0;
};

// One seed: the Jacobian spectrum at one input at q*, and the gradient-norm ratio.
Measured measure(Activation act, int width, int depth, const std::string& kind, double sw2,
                 double sb2, int seed, int batch = GradientProbe::kBatch) {
  Engine eng = make_engine("test_spectra/" + std::string(activation_name(act)) + "/" + kind + "/" +
                               std::to_string(depth),
                           static_cast<std::uint64_t>(seed));
  Mlp<double> net = make_net(act, width, depth, kind, sw2, sb2, eng);
  const MeanField mf = mean_field(act, sw2, sb2);
  Matrix<double> x(
      {static_cast<std::size_t>(GradientProbe::kBatch), static_cast<std::size_t>(width)});
  fill_inputs_at_q(mf.q_input, sw2, sb2, eng, x);
  Measured m;
  m.spec = summarize_spectrum(singular_values(input_output_jacobian(net, x.data())));
  GradientProbe probe(width, batch, eng);
  probe.loss_and_backward(net, x.data());
  m.ratio = grad_norm_ratio(layer_grad_norms(net)).value();
  return m;
}

// Seed-averaged mean, variance and max of the squared singular values, and the geometric mean of
// the gradient ratio.
struct Averaged {
  double mean = 0, var = 0, max = 0, ratio = 1;
};
Averaged average(Activation act, int width, int depth, const std::string& kind, double sw2,
                 double sb2, int seeds, int batch = GradientProbe::kBatch) {
  Averaged a;
  double log_ratio = 0;
  for (int s = 1; s <= seeds; ++s) {
    const Measured m = measure(act, width, depth, kind, sw2, sb2, s, batch);
    a.mean += m.spec.sv2_mean / seeds;
    a.var += m.spec.sv2_var / seeds;
    a.max += m.spec.sv2_max / seeds;
    log_ratio += std::log(m.ratio) / seeds;
  }
  a.ratio = std::exp(log_ratio);
  return a;
}

TEST(Jacobian, MatchesFiniteDifferences) {
  for (Activation act : {Activation::Tanh, Activation::Sigmoid, Activation::Linear})
    for (bool activate_output : {true, false}) {
      MlpConfig cfg;
      cfg.input_dim = 5;
      cfg.width = 7;
      cfg.depth = 3;
      cfg.output_dim = 6;
      cfg.act = act;
      cfg.activate_output = activate_output;
      Mlp<double> net(cfg);
      Engine eng = make_engine("test_spectra/fd", 1);
      net.init(InitSpec::gaussian(1.5), 0.1, eng);
      std::vector<double> x0(5);
      for (auto& v : x0) v = standard_normal(eng);
      const Matrix<double> jac = input_output_jacobian(net, x0.data());
      ASSERT_EQ(jac.shape(0), 6u);
      ASSERT_EQ(jac.shape(1), 5u);
      const double h = 1e-6;
      double worst = 0;
      for (int j = 0; j < 5; ++j) {
        std::vector<double> xp = x0, xm = x0;
        xp[j] += h;
        xm[j] -= h;
        const std::vector<double> fp(net.forward(xp.data(), 1), net.forward(xp.data(), 1) + 6);
        const std::vector<double> fm(net.forward(xm.data(), 1), net.forward(xm.data(), 1) + 6);
        for (int i = 0; i < 6; ++i)
          worst = std::max(worst, std::abs(jac(i, j) - (fp[i] - fm[i]) / (2 * h)));
      }
      EXPECT_LT(worst, 1e-8) << activation_name(act) << " activate_output " << activate_output;
    }
}

TEST(Jacobian, ReusesBuffersAcrossCalls) {
  Engine eng = make_engine("test_spectra/reuse", 1);
  Mlp<double> net = make_net(Activation::Tanh, 16, 5, "orthogonal", 1.05, 2.01e-5, eng);
  std::vector<double> x0(16);
  for (auto& v : x0) v = 0.2 * standard_normal(eng);
  Matrix<double> jac, work;
  input_output_jacobian(net, x0.data(), jac, work);
  const Matrix<double> first = jac;
  input_output_jacobian(net, x0.data(), jac, work);
  EXPECT_EQ(first, jac);
}

TEST(Spectrum, SummaryOfAKnownSpectrum) {
  const isobench::SpectrumSummary s = isobench::summarize_spectrum({3, 2, 1});
  const double m = 14.0 / 3;
  EXPECT_DOUBLE_EQ(s.sv2_mean, m);
  EXPECT_NEAR(s.sv2_var, ((9 - m) * (9 - m) + (4 - m) * (4 - m) + (1 - m) * (1 - m)) / 3, 1e-14);
  EXPECT_DOUBLE_EQ(s.sv2_max, 9);
  EXPECT_DOUBLE_EQ(s.sv_min, 1);
  ASSERT_TRUE(s.cond.has_value());
  EXPECT_DOUBLE_EQ(*s.cond, 3);
  EXPECT_FALSE(summarize_spectrum({2, 0}).cond.has_value());
  EXPECT_FALSE(summarize_spectrum({2, 1e-17}).cond.has_value());
  EXPECT_TRUE(summarize_spectrum({2, 1e-12}).cond.has_value());
  EXPECT_THROW(summarize_spectrum({}), std::invalid_argument);
  const SpectrumSummary k = summarize_spectrum({1, 3});
  EXPECT_DOUBLE_EQ(k.mean, 2);
  EXPECT_DOUBLE_EQ(k.std, 1);
  EXPECT_DOUBLE_EQ(k.min, 1);
  EXPECT_DOUBLE_EQ(k.max, 3);
}

TEST(Spectrum, SummaryOfAWeightMatrix) {
  // A gain-1.3 orthogonal kernel: every singular value 1.3; a Gaussian one spreads over [0, 2σ].
  Engine eng = make_engine("test_spectra/kernel", 1);
  Matrix<float> w({64, 64});
  initialize(InitSpec::orthogonal(1.3), w, eng);
  const SpectrumSummary o = summarize_spectrum(w);
  EXPECT_NEAR(o.mean, 1.3, 1e-5);
  EXPECT_NEAR(o.min, 1.3, 1e-5);
  EXPECT_NEAR(o.max, 1.3, 1e-5);
  EXPECT_LT(o.std, 1e-5);
  Matrix<double> g({200, 200});
  initialize(InitSpec::gaussian(1.0), g, eng);
  const SpectrumSummary s = summarize_spectrum(g);
  EXPECT_NEAR(s.max, 2.0, 0.1);  // Marchenko–Pastur edge of a square matrix: 2σ_w
  EXPECT_LT(s.min, 0.1);
  EXPECT_GT(s.std, 0.3);
}

TEST(Spectrum, ReluJacobianIsSingularSoCondIsAbsent) {
  const Measured m = measure(Activation::ReLU, 64, 8, "orthogonal", 2.0, 0.0, 1);
  EXPECT_FALSE(m.spec.cond.has_value());  // dead units zero whole rows of J
  EXPECT_TRUE(std::isfinite(m.spec.sv2_mean));
}

TEST(Spectrum, LinearOrthogonalIsExactlyIsometric) {
  // docs/RESEARCH.md: orthogonal weights make a linear network's J orthogonal — every s_i = 1.
  Engine eng = make_engine("test_spectra/linear_orthogonal", 1);
  Mlp<double> net = make_net(Activation::Linear, 200, 16, "orthogonal", 1.0, 0.3, eng);
  Matrix<double> x({1, 200});
  fill_inputs_at_q(1.0, 1.0, 0.3, eng, x);
  const std::vector<double> sv = singular_values(input_output_jacobian(net, x.data()));
  ASSERT_EQ(sv.size(), 200u);
  for (double s : sv) EXPECT_NEAR(s, 1.0, 1e-10);
  const SpectrumSummary sum = summarize_spectrum(sv);
  ASSERT_TRUE(sum.cond.has_value());
  EXPECT_NEAR(*sum.cond, 1.0, 1e-10);
}

TEST(Spectrum, TanhOrthogonalAtTheIsometricPointMatchesFreeProbability) {
  // N = 256 ≥ 200, L ≤ 16, three seeds: mean within 5 %, variance within 15 % (docs/RESEARCH.md
  // §2).
  const double sw2 = 1.05, sb2 = 2.01e-5;
  const MeanField mf = mean_field(Activation::Tanh, sw2, sb2);
  for (int L : {4, 16}) {
    const Averaged a = average(Activation::Tanh, 256, L, "orthogonal", sw2, sb2, 3);
    const double mean = jjt_mean(mf, L), var = jjt_variance(mf, L, WeightEnsemble::Orthogonal);
    const double max = jjt_max_eigenvalue(mf, L, WeightEnsemble::Orthogonal);
    EXPECT_NEAR(a.mean, mean, 0.05 * mean) << L;
    EXPECT_NEAR(a.var, var, 0.15 * var) << L;
    EXPECT_NEAR(a.max, max, 0.10 * max) << L;
  }
}

TEST(Spectrum, GaussianMatchesTheoryOnlyWhileDepthIsSmallAgainstWidth) {
  // L/N = 4/400 = 0.01 ≲ 0.02: Gaussian weights match the free-probability mean and variance
  // (three seeds). Linear at σ_w² = 1 (mean 1, variance L) and tanh at the isometric point.
  struct Case {
    Activation act;
    double sw2, sb2;
  };
  for (const Case c : {Case{Activation::Linear, 1.0, 0.0}, Case{Activation::Tanh, 1.05, 2.01e-5}}) {
    const MeanField mf = mean_field(c.act, c.sw2, c.sb2);
    const Averaged a = average(c.act, 400, 4, "gaussian", c.sw2, c.sb2, 3);
    const double mean = jjt_mean(mf, 4), var = jjt_variance(mf, 4, WeightEnsemble::Gaussian);
    EXPECT_NEAR(a.mean, mean, 0.05 * mean) << activation_name(c.act);
    EXPECT_NEAR(a.var, var, 0.15 * var) << activation_name(c.act);
  }
}

TEST(Spectrum, GaussianVarianceFarExceedsOrthogonal) {
  // Qualitative where L/N is not small (16/256): theory says 16.07 against 0.068.
  const Averaged g = average(Activation::Tanh, 256, 16, "gaussian", 1.05, 2.01e-5, 2);
  const Averaged o = average(Activation::Tanh, 256, 16, "orthogonal", 1.05, 2.01e-5, 2);
  EXPECT_GT(g.var, 20 * o.var);
  EXPECT_GT(g.max, 5 * o.max);
}

TEST(GradientNorms, RatioFollowsChiToTheHalfDepth) {
  // ‖∂L/∂W_1‖/‖∂L/∂W_L‖ ≈ χ^{(L−1)/2} (Schoenholz et al. 2017), within a factor 1.5, three
  // seeds (geometric mean), docs/CONTRACT.md's probe (batch 16): tanh at the chaotic point (2, 0)
  // and at the isometric point, where different inputs stay nearly uncorrelated through the net.
  struct Case {
    double sw2, sb2;
    int batch;
  };
  // In the ordered phase (1.2, 0.1) the inputs' correlation c → 1 with depth, so with batch 16
  // the last layer's per-sample gradients add up coherently and ‖∂L/∂W_L‖ grows by ~2 (see
  // OrderedPhaseBatchGradientIsCoherent); the per-sample (batch 1) ratio follows χ^{(L−1)/2}.
  for (const Case c : {Case{2.0, 0.0, GradientProbe::kBatch},
                       Case{1.05, 2.01e-5, GradientProbe::kBatch}, Case{1.2, 0.1, 1}})
    for (const char* kind : {"gaussian", "orthogonal"}) {
      const int L = 16;
      const double expected =
          std::pow(mean_field(Activation::Tanh, c.sw2, c.sb2).chi, 0.5 * (L - 1));
      const Averaged a = average(Activation::Tanh, 256, L, kind, c.sw2, c.sb2, 3, c.batch);
      EXPECT_GT(a.ratio, expected / 1.5) << c.sw2 << " " << kind;
      EXPECT_LT(a.ratio, expected * 1.5) << c.sw2 << " " << kind;
    }
}

TEST(GradientNorms, OrderedPhaseBatchGradientIsCoherent) {
  // The batch-16 ratio at the ordered point sits below χ^{(L−1)/2}: documents the effect above.
  const int L = 16;
  const double expected = std::pow(mean_field(Activation::Tanh, 1.2, 0.1).chi, 0.5 * (L - 1));
  const Averaged a = average(Activation::Tanh, 256, L, "orthogonal", 1.2, 0.1, 3);
  EXPECT_LT(a.ratio, expected / 1.5);
  EXPECT_GT(a.ratio, expected / 4);
}

TEST(GradientNorms, LinearOrthogonalRatioIsExactlyOne) {
  // Every ∂L/∂W_l is an orthogonal transform of Σ_b δ_{L,b} x_{0,b}ᵀ: same Frobenius norm.
  const Measured m = measure(Activation::Linear, 64, 12, "orthogonal", 1.0, 0.0, 1);
  EXPECT_NEAR(m.ratio, 1.0, 1e-10);
}

TEST(GradientNorms, ProbeGradientsMatchFiniteDifferences) {
  for (Activation act : {Activation::Tanh, Activation::Linear}) {
    MlpConfig cfg;
    cfg.input_dim = 4;
    cfg.width = 6;
    cfg.depth = 3;
    cfg.output_dim = 5;
    cfg.act = act;
    cfg.activate_output = true;
    Mlp<double> net(cfg);
    Engine eng = make_engine("test_spectra/probe", 2);
    net.init(InitSpec::gaussian(1.3), 0.05, eng);
    Matrix<double> x({3, 4});
    fill_inputs_at_q(0.5, 1.3, 0.05, eng, x);
    GradientProbe probe(5, 3, eng);
    probe.loss_and_backward(net, x.data());
    for (int l : {1, 2, 3}) {
      const Matrix<double> analytic = net.weight_grad(l);
      const double err =
          gradcheck::max_rel_grad_error(net.weight(l).data(), net.weight(l).size(), analytic.data(),
                                        [&] { return probe.loss(net, x.data()); });
      EXPECT_LT(err, 1e-7) << activation_name(act) << " layer " << l;
    }
  }
}

TEST(Inputs, AreAtTheRequestedLength) {
  Engine eng = make_engine("test_spectra/inputs", 1);
  Matrix<double> x({4, 100});
  fill_inputs_at_q(0.3, 1.5, 0.1, eng, x);
  for (std::size_t r = 0; r < 4; ++r) {
    double sq = 0;
    for (std::size_t c = 0; c < 100; ++c) sq += x(r, c) * x(r, c);
    EXPECT_NEAR(1.5 * sq / 100 + 0.1, 0.3, 1e-14);
  }
}

TEST(BadInput, IsAClearError) {
  Engine eng = make_engine("test_spectra/bad", 1);
  Matrix<double> x({1, 8});
  EXPECT_THROW(fill_inputs_at_q(0.01, 1.0, 0.1, eng, x), std::invalid_argument);
  EXPECT_THROW(GradientProbe(0, 16, eng), std::invalid_argument);
  Mlp<double> net = make_net(Activation::Tanh, 8, 2, "gaussian", 1.0, 0.0, eng);
  GradientProbe probe(9, 2, eng);
  Matrix<double> xb({2, 8});
  EXPECT_THROW(probe.loss(net, xb.data()), std::invalid_argument);
  EXPECT_FALSE(grad_norm_ratio({}).has_value());
  EXPECT_FALSE(grad_norm_ratio({1.0, 0.0}).has_value());
}

}  // namespace
}  // namespace isobench

TEST(SpectrumSummary, RoundingNoiseIsNotASmallestSingularValue) {
  // Below n·ε·s_max the smallest singular value is reported as 0 and cond is absent.
  const isobench::SpectrumSummary s = isobench::summarize_spectrum({2.0, 1.0, 3e-17});
  EXPECT_EQ(s.sv_min, 0.0);
  EXPECT_FALSE(s.cond.has_value());
  const isobench::SpectrumSummary t = isobench::summarize_spectrum({2.0, 1.0, 1e-3});
  EXPECT_DOUBLE_EQ(t.sv_min, 1e-3);
  ASSERT_TRUE(t.cond.has_value());
  EXPECT_DOUBLE_EQ(*t.cond, 2000.0);
}

// The spectrum functions refuse a NaN or Inf (in the matrix, or among singular values) with a
// NonFiniteError naming the function: LAPACK's gesdd would say "argument 4 is illegal" for NaN
// and return NaN singular values for Inf; minmax_element over NaN gives a made-up min and max.
TEST(Spectrum, NonFiniteInputIsRefusedNamingTheFunction) {
  using isobench::Matrix;
  using isobench::NonFiniteError;
  const double inf = std::numeric_limits<double>::infinity(),
               nan = std::numeric_limits<double>::quiet_NaN();
  auto expect_refused = [](const char* kernel, auto&& f) {
    try {
      f();
      ADD_FAILURE() << kernel << " accepted a non-finite input";
    } catch (const NonFiniteError& e) {
      EXPECT_EQ(e.kernel(), kernel);
      EXPECT_EQ(std::string(e.what()).rfind(kernel, 0), 0u) << e.what();
    }
  };
  for (double bad : {nan, inf, -inf}) {
    Matrix<double> a({6, 4}, 0.5);
    a(5, 1) = bad;
    Matrix<float> af({4, 6}, 0.5f);
    af(0, 5) = static_cast<float>(bad);
    expect_refused("singular_values", [&] { isobench::singular_values(a); });
    expect_refused("singular_values", [&] { isobench::singular_values(af); });
    expect_refused("singular_values", [&] { isobench::summarize_spectrum(af); });
    std::vector<double> col(a.begin(), a.end()), diag(4), tau(4);
    std::vector<double> work(
        static_cast<std::size_t>(isobench::lapack::qr_work_size<double>(6, 4)));
    expect_refused("LAPACK dgeqrf", [&] {
      isobench::lapack::qr_thin<double>(6, 4, col.data(), 6, diag.data(), tau.data(), work.data(),
                                        static_cast<int>(work.size()));
    });
    expect_refused("summarize_spectrum", [&] { isobench::summarize_spectrum({2.0, bad, 1.0}); });
    // kernel_spectrum reports it as a flag (the training families' kernel_finite), no numbers.
    EXPECT_FALSE(isobench::kernel_spectrum(a, 1.0).finite);
  }
}
