// OrthoTreatment (ortho_treatment.hpp), the step every workload composes: hard constraints keep the
// kernels of SEED (RecurrentClassifierWorkload), RQE (MlpClassifierWorkload) and TASK
// (SequenceWorkload, RNN and LSTM per gate) on the scaled orthogonal manifold; the whole step's
// gradient, penalty included, against central differences (MLP, RNN, LSTM); clipping bounds the
// global norm; a step without any treatment is exactly the plain optimizer step; the step allocates
// nothing; bad declarations are named.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "blobs.hpp"
#include "gradcheck.hpp"
#include "isobench/core/decompositions.hpp"
#include "isobench/optim/grad_clip.hpp"
#include "isobench/train/mlp_classifier.hpp"
#include "isobench/train/ortho_treatment.hpp"
#include "isobench/train/rnn_classifier.hpp"
#include "isobench/train/sequence_workload.hpp"

using namespace isobench;

namespace {

constexpr double kOnManifold = 1e-5;  // ‖WᵀW/g² − I‖_F after k float steps

// n images rows × cols, class c has row (c mod rows) bright: what SEED's workload reads.
Dataset bright_rows(int n, int rows, int cols, int classes, std::uint64_t seed) {
  Engine eng = make_engine("test/ortho_treatment/rows", seed);
  Dataset d;
  d.n = n;
  d.rows = rows;
  d.cols = cols;
  d.classes = classes;
  d.source = "synthetic bright rows";
  for (int i = 0; i < n; ++i) {
    const int c = i % classes;
    d.y.push_back(c);
    for (int r = 0; r < rows; ++r)
      for (int k = 0; k < cols; ++k)
        d.x.push_back(
            static_cast<float>(r == c % rows ? 0.6 + 0.4 * uniform01(eng) : 0.3 * uniform01(eng)));
  }
  return d;
}

// Flat samples of `dim` features from `classes` Gaussian blobs (what RQE's MLP reads).
Dataset blobs(int n, int dim, int classes, std::uint64_t seed) {
  return testutil::gaussian_blobs(n, dim, classes, 2.0, "test/ortho_treatment/blobs", seed);
}

SequenceWorkloadSpec copy_spec(RecurrentModel m) {
  SequenceWorkloadSpec s;
  s.model = m;
  s.problem = SequenceProblem::Copy;
  s.length = 3;
  s.hidden = 8;
  s.batch = 8;
  s.lr = 1e-2;
  s.eval_samples = 8;
  s.recurrent_init = InitSpec::orthogonal(1.2);
  return s;
}

// The largest entry change between two matrices (to see that a constrained W still moves).
template <class T>
double moved(const Matrix<T>& a, const Matrix<T>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    m = std::max(m, std::abs(static_cast<double>(a.data()[i]) - b.data()[i]));
  return m;
}

}  // namespace

// --- constraints keep every family's kernels on {WᵀW = g²I} -----------------------------------

class ConstraintOnEveryWorkload : public ::testing::TestWithParam<std::string> {};

TEST_P(ConstraintOnEveryWorkload, SeedRecurrentKernelStaysOrthogonal) {
  const Dataset train = bright_rows(64, 4, 3, 3, 1);
  RecurrentClassifierSpec spec;
  spec.recurrent = InitSpec::orthogonal(1.2);
  spec.batch = 16;
  spec.lr = 1e-2;
  spec.clip_norm = 1.0;
  spec.penalty = {"so", PenaltyNorm::Sum, 0.01};  // pulls to g = 1: the constraint wins
  spec.constraint.method = GetParam();
  if (constraint_method(spec.constraint.method).default_rate > 0) spec.constraint.rate = 0.3;
  RnnConfig rc{3, 8, 3};
  RecurrentClassifierWorkload<Rnn<float>, AdamUpdate> workload(
      spec, Rnn<float>(rc), train, Dataset{}, AdamUpdate{}, RunStreams("seed", 1));
  const Matrix<float> w0 = workload.model().recurrent_kernel();
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(std::isfinite(workload.step()));
  EXPECT_GT(moved(workload.model().recurrent_kernel(), w0), 1e-3);
  EXPECT_LE(workload.treatment().ortho_err(0), kOnManifold);
  EXPECT_EQ(workload.treatment().cayley(), GetParam() == "cayley");
}

TEST_P(ConstraintOnEveryWorkload, RqeSquareWeightsStayOrthogonal) {
  const Dataset train = blobs(64, 6, 3, 2);
  ClassifierSpec s;
  s.depth = 4;  // W_2, W_3 square (8 × 8)
  s.width = 8;
  s.init = InitSpec::orthogonal(1.2);
  s.batch = 16;
  s.lr = 1e-2;
  s.penalty = {"so", PenaltyNorm::Sum, 0.01};
  s.lambda_schedule = StepDecayLambda({5}, {0.1});
  s.clip_norm = 1.0;
  s.constraint.method = GetParam();
  if (constraint_method(s.constraint.method).default_rate > 0) s.constraint.rate = 0.3;
  MlpClassifierWorkload<float, AdamUpdate> workload(s, train, Dataset{}, AdamUpdate{},
                                                    RunStreams("rqe", 1));
  const Matrix<float> w0 = workload.net().weight(2);
  workload.begin_epoch(0);
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(std::isfinite(workload.step()));
  EXPECT_GT(moved(workload.net().weight(2), w0), 1e-3);
  ASSERT_EQ(workload.treatment().kernels().size(), 2u);
  EXPECT_LE(workload.max_orthogonality_error(), kOnManifold);
}

TEST_P(ConstraintOnEveryWorkload, TaskRnnKernelStaysOrthogonal) {
  SequenceWorkloadSpec s = copy_spec(RecurrentModel::Rnn);
  s.clip_norm = 1.0;
  s.constraint.method = GetParam();
  if (constraint_method(s.constraint.method).default_rate > 0) s.constraint.rate = 0.3;
  SequenceWorkload<float> workload(s, nullptr, nullptr, RunStreams("task", 1));
  const Matrix<float> w0 = workload.recurrent_kernel();
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(std::isfinite(workload.step()));
  EXPECT_GT(moved(workload.recurrent_kernel(), w0), 1e-3);
  EXPECT_LE(workload.orthogonality_error(), kOnManifold);
}

TEST_P(ConstraintOnEveryWorkload, TaskLstmGateBlocksStayOrthogonal) {
  // Per gate (cayley is accepted only so): each H × H block W_i, W_f, W_g, W_o stays g·orthogonal.
  SequenceWorkloadSpec s = copy_spec(RecurrentModel::Lstm);
  s.clip_norm = 1.0;
  s.constraint.method = GetParam();
  if (constraint_method(s.constraint.method).default_rate > 0) s.constraint.rate = 0.3;
  s.constraint_scope = KernelScope::PerGate;
  SequenceWorkload<float> workload(s, nullptr, nullptr, RunStreams("task", 1));
  ASSERT_TRUE(workload.treatment().per_gate(0));
  const Matrix<float> w0 = workload.recurrent_kernel();
  EXPECT_LE(workload.constrained_orthogonality_error(), kOnManifold);  // per-gate init
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(std::isfinite(workload.step()));
  EXPECT_GT(moved(workload.recurrent_kernel(), w0), 1e-3);
  EXPECT_LE(workload.constrained_orthogonality_error(), kOnManifold);
  // The whole (4H × H) kernel of four g-orthogonal blocks has WᵀW = 4g²I, far from g²I: the
  // per-gate measure is not the whole-kernel one.
  EXPECT_GT(workload.orthogonality_error(), 1.0);
}

INSTANTIATE_TEST_SUITE_P(CayleyAndQr, ConstraintOnEveryWorkload, ::testing::Values("cayley", "qr"));

// The default scope is the method's: every built-in constraint acts on each H × H gate block.
TEST(OrthoTreatment, AnLstmConstraintActsPerGateUnlessTheMethodOrTheWorkloadSaysWhole) {
  for (const char* m : {"qr", "polar", "cayley", "margin"}) {
    SequenceWorkloadSpec s = copy_spec(RecurrentModel::Lstm);
    s.constraint.method = m;
    SequenceWorkload<float> workload(s, nullptr, nullptr, RunStreams("task", 1));
    EXPECT_TRUE(workload.treatment().per_gate(0)) << m;
  }
  EXPECT_EQ(resolved_scope(KernelScope::Method, ConstraintSpec{}), KernelScope::PerGate);
  EXPECT_EQ(resolved_scope(KernelScope::WholeKernel, ConstraintSpec{"qr"}),
            KernelScope::WholeKernel);
}

TEST(OrthoTreatment, LstmWholeKernelQrKeepsTheWholeKernelOrthogonal) {
  SequenceWorkloadSpec s = copy_spec(RecurrentModel::Lstm);
  s.constraint.method = "qr";
  s.constraint_scope = KernelScope::WholeKernel;  // asked for: qr itself acts per gate
  SequenceWorkload<float> workload(s, nullptr, nullptr, RunStreams("task", 1));
  EXPECT_FALSE(workload.treatment().per_gate(0));
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(std::isfinite(workload.step()));
  EXPECT_LE(workload.orthogonality_error(), kOnManifold);
}

TEST(OrthoTreatment, WithoutConstraintTheKernelsLeaveTheManifold) {
  // The control of the tests above: the same runs unconstrained are measurably non-orthogonal.
  SequenceWorkloadSpec s = copy_spec(RecurrentModel::Rnn);
  SequenceWorkload<float> workload(s, nullptr, nullptr, RunStreams("task", 1));
  for (int i = 0; i < 12; ++i) workload.step();
  EXPECT_GT(workload.orthogonality_error(), 1e-3);
  const Dataset train = bright_rows(64, 4, 3, 3, 1);
  RecurrentClassifierSpec spec;
  spec.recurrent = InitSpec::orthogonal(1.2);
  spec.batch = 16;
  spec.lr = 1e-2;
  RecurrentClassifierWorkload<Rnn<float>, AdamUpdate> seed(
      spec, Rnn<float>(RnnConfig{3, 8, 3}), train, Dataset{}, AdamUpdate{}, RunStreams("seed", 1));
  for (int i = 0; i < 12; ++i) seed.step();
  EXPECT_GT(seed.treatment().ortho_err(0), 1e-3);
}

// --- the whole step's gradient, penalty included, in double ------------------------------------

class StepGradient : public ::testing::TestWithParam<RecurrentModel> {};

TEST_P(StepGradient, EveryParameterMatchesFiniteDifferences) {
  // The gradients the clip and the optimizer read (treatment().params()), after the penalty.
  SequenceWorkloadSpec s = copy_spec(GetParam());
  s.hidden = 4;
  s.batch = 3;
  s.recurrent_init = InitSpec::glorot_uniform();  // off the manifold: a non-zero penalty grad
  s.penalty = {"so", PenaltyNorm::Sum, 0.3};
  SequenceWorkload<double> workload(s, nullptr, nullptr, RunStreams("grad", 1));
  workload.draw_batch();
  workload.objective_and_gradient();
  double worst = 0;
  for (const auto& p : workload.params()) {
    const std::vector<double> analytic(p.grad, p.grad + p.size);
    worst = std::max(worst, gradcheck::max_rel_grad_error(p.value, p.size, analytic.data(), [&] {
                       return workload.objective_and_gradient();
                     }));
  }
  EXPECT_LT(worst, 1e-6);
  // And the penalty is in it: without it the kernel's gradient differs.
  SequenceWorkloadSpec plain = s;
  plain.penalty = {};
  SequenceWorkload<double> bare(plain, nullptr, nullptr, RunStreams("grad", 1));
  bare.draw_batch();
  bare.objective_and_gradient();
  EXPECT_GT(moved(bare.kernel_grad(), workload.kernel_grad()), 1e-3);
}

INSTANTIATE_TEST_SUITE_P(RnnAndLstm, StepGradient,
                         ::testing::Values(RecurrentModel::Rnn, RecurrentModel::Lstm));

TEST(StepGradient, MlpStepMovesByTheGradientOfLossPlusScheduledPenalty) {
  // One plain SGD step on the whole training set moves every parameter by −η·∇(loss + s(1)·λP).
  const Dataset train = blobs(8, 5, 3, 1);
  ClassifierSpec s;
  s.depth = 4;
  s.width = 6;
  s.batch = 8;
  s.lr = 1e-3;
  s.sb2 = 0.01;
  s.penalty = {"so", PenaltyNorm::Sum, 0.05};
  s.lambda_schedule = StepDecayLambda({1}, {0.5});  // s(1) = 0.5
  MlpClassifierWorkload<double, SgdUpdate> stepped(s, train, Dataset{}, SgdUpdate{0.0},
                                                   RunStreams("g", 1));
  MlpClassifierWorkload<double, SgdUpdate> probe(s, train, Dataset{}, SgdUpdate{0.0},
                                                 RunStreams("g", 1));
  ASSERT_EQ(stepped.lambda_multiplier(1), 0.5);
  std::vector<double> before;
  for (const auto& p : stepped.net().params())
    before.insert(before.end(), p.value, p.value + p.size);
  stepped.begin_epoch(0);
  stepped.step();
  std::vector<double> analytic;
  std::size_t k = 0;
  for (const auto& p : stepped.net().params())
    for (std::size_t i = 0; i < p.size; ++i, ++k)
      analytic.push_back((before[k] - p.value[i]) / s.lr);
  std::vector<double> x = before;
  auto f = [&] {
    std::size_t j = 0;
    for (const auto& p : probe.net().params())
      for (std::size_t i = 0; i < p.size; ++i) p.value[i] = x[j++];
    return probe.loss(train) + probe.penalty_value();
  };
  EXPECT_LT(gradcheck::max_rel_grad_error(x.data(), x.size(), analytic.data(), f), 1e-6);
}

// --- clipping ----------------------------------------------------------------------------------

TEST(OrthoTreatment, ClippingBoundsTheGlobalNorm) {
  // Two parameters with gradients (3, 0) and (0, 4): global norm 5.
  Matrix<double> w({2, 1}, 1.0), gw({2, 1}, 0.0);
  std::vector<double> b{0.5, 0.5}, gb{0.0, 4.0};
  gw(0, 0) = 3;
  OrthoTreatmentSpec ts;
  ts.clip_norm = 1.0;
  std::vector<ParamRef<double>> params{{w.data(), gw.data(), 2}, {b.data(), gb.data(), 2}};
  OrthoTreatment<double> t(ts, {}, params, "test");
  EXPECT_DOUBLE_EQ(t.clip(), 5.0);
  EXPECT_DOUBLE_EQ(t.last_grad_norm(), 5.0);
  EXPECT_NEAR(grad_norm(params), 1.0, 1e-15);
  EXPECT_NEAR(gw(0, 0), 0.6, 1e-15);  // direction kept
  EXPECT_NEAR(gb[1], 0.8, 1e-15);
  // Below the bound: untouched.
  EXPECT_NEAR(t.clip(), 1.0, 1e-15);
  EXPECT_NEAR(gw(0, 0), 0.6, 1e-15);
}

TEST(OrthoTreatment, ClippedTaskStepFeedsTheOptimizerABoundedGradient) {
  SequenceWorkloadSpec s = copy_spec(RecurrentModel::Lstm);
  s.lr = 1e-3;
  s.clip_norm = 1e-3;  // far below the copy task's gradient norm
  SequenceWorkload<double> workload(s, nullptr, nullptr, RunStreams("clip", 1));
  workload.step();
  EXPECT_GT(workload.last_grad_norm(), 1e-2);
  EXPECT_NEAR(grad_norm(workload.params()), 1e-3, 1e-12);
}

// --- no treatment = the plain optimizer step ---------------------------------------------------

TEST(OrthoTreatment, NoTreatmentIsThePlainOptimizerStepBitForBit) {
  RnnConfig rc{3, 5, 2};
  Rnn<float> a(rc), b(rc);
  Engine ea = make_engine("plain", 1), eb = make_engine("plain", 1);
  a.init(InitSpec::orthogonal(1.0), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(), ea);
  b.init(InitSpec::orthogonal(1.0), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(), eb);
  a.reserve(4, 2);
  b.reserve(4, 2);
  std::vector<float> x(4 * 2 * 3), dlogits(2 * 2);
  Engine ex = make_engine("plain/x", 1);
  Optimizer<float, AdamUpdate> oa(1e-2), ob(1e-2);
  OrthoTreatment<float> t(OrthoTreatmentSpec{},
                          {{&b.recurrent_kernel(), &b.recurrent_kernel_grad(), 1.0, "W", 1}},
                          b.params(), "test");
  EXPECT_EQ(t.optimizer_params().size(), a.params().size());
  for (int step = 1; step <= 5; ++step) {
    for (auto& v : x) v = static_cast<float>(standard_normal(ex));
    for (auto& v : dlogits) v = static_cast<float>(standard_normal(ex));
    a.forward(x.data(), 4, 2);
    a.backward(dlogits.data());
    oa.step(a.params());
    b.forward(x.data(), 4, 2);
    b.backward(dlogits.data());
    double loss = 0.25;
    EXPECT_EQ(t.add_penalty(step, loss), 0.0);
    EXPECT_EQ(loss, 0.25);
    t.clip();
    ob.step(t.optimizer_params());
    t.after_update();
  }
  const auto pa = a.params(), pb = b.params();
  for (std::size_t p = 0; p < pa.size(); ++p)
    for (std::size_t i = 0; i < pa[p].size; ++i) ASSERT_EQ(pa[p].value[i], pb[p].value[i]);
}

// --- declarations that cannot work are named ---------------------------------------------------

TEST(OrthoTreatment, BadDeclarationsAreNamed) {
  auto throws_with = [](auto make, const char* what) {
    try {
      make();
      ADD_FAILURE() << "no exception for " << what;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  Matrix<double> w({8, 2}, 0.0), gw({8, 2}, 0.0), other({8, 2}, 0.0);
  const std::vector<ParamRef<double>> params{{w.data(), gw.data(), w.size()}};
  OrthoTreatmentSpec cayley;
  cayley.constraint.method = "cayley";
  cayley.scope = KernelScope::WholeKernel;
  throws_with(
      [&] {
        OrthoTreatment<double>(cayley, {{&w, &gw, 1.0, "the lstm kernel", 4}}, params, "T");
      },
      "use the per_gate scope");
  throws_with(
      [&] {
        OrthoTreatment<double>({}, {{&w, &gw, 1.0, "K", 3}}, params, "T");
      },
      "3 gate blocks do not tile");
  throws_with(
      [&] {
        OrthoTreatment<double>({}, {{&w, &other, 1.0, "K", 1}}, params, "T");
      },
      "K is not among the parameters");
  OrthoTreatmentSpec clip;
  clip.clip_norm = std::nan("");
  throws_with([&] { OrthoTreatment<double>(clip, {}, params, "T"); }, "clip_norm");
  // The workloads say which setting to change.
  SequenceWorkloadSpec s = copy_spec(RecurrentModel::Lstm);
  s.constraint.method = "cayley";
  s.constraint_scope = KernelScope::WholeKernel;
  throws_with([&] { SequenceWorkload<float>(s, nullptr, nullptr, RunStreams("bad", 1)); },
              "constraint_scope");
  ConstraintSpec qr_with_rate{"qr"};
  qr_with_rate.rate = 0.1;  // qr has no rate of its own: refused, not ignored
  throws_with([&] { OrthoConstraint<double>(qr_with_rate, 4, 4); }, "no learning rate");
  throws_with([&] { OrthoConstraint<double>({"polar", 1.0, 0.2}, 4, 4); }, "has no margin");
}

TEST(OrthoTreatment, PerGateCayleyLeavesTheKernelToTheConstraint) {
  // Cayley replaces the optimizer's step for W: W is not among optimizer_params().
  SequenceWorkloadSpec s = copy_spec(RecurrentModel::Lstm);
  s.constraint.method = "cayley";
  s.constraint_scope = KernelScope::PerGate;
  SequenceWorkload<float> workload(s, nullptr, nullptr, RunStreams("c", 1));
  const auto& op = workload.treatment().optimizer_params();
  EXPECT_EQ(op.size() + 1, workload.params().size());
  for (const auto& p : op) EXPECT_NE(p.value, workload.recurrent_kernel().data());
}

TEST(OrthoTreatment, TheStepAllocatesNothing) {
  // Penalty with a schedule, clipping and a per-gate constraint on an LSTM-shaped kernel, plus a
  // whole square kernel under margin m = 1: add_penalty, clip and after_update use only the
  // workspaces made at construction.
  for (const std::string kind : {"cayley", "qr", "margin"}) {
    Matrix<double> w({16, 4}, 0.0), gw({16, 4}, 0.0), v({4, 4}, 0.0), gv({4, 4}, 0.0);
    Engine eng = make_engine("alloc", 1);
    for (auto* m : {&w, &gw, &v, &gv})
      for (auto& x : *m) x = 0.3 * standard_normal(eng);
    OrthoTreatmentSpec ts;
    ts.penalty = {"srip", PenaltyNorm::Sum, 0.1};
    ts.lambda_schedule = StepDecayLambda({3}, {0.5});
    ts.clip_norm = 0.5;
    ts.constraint.method = kind;
    if (constraint_method(kind).uses_margin) ts.constraint.margin = 1.0;
    const std::vector<ParamRef<double>> params{{w.data(), gw.data(), w.size()},
                                               {v.data(), gv.data(), v.size()}};
    OrthoTreatment<double> t(ts, {{&w, &gw, 1.0, "W", 4}, {&v, &gv, 1.0, "V", 1}}, params, "test");
    double loss = 0;
    const std::size_t before = testing_alloc::allocations();
    for (long step = 1; step <= 4; ++step) {
      t.add_penalty(step, loss);
      t.clip();
      t.after_update();
    }
    EXPECT_EQ(testing_alloc::allocations(), before) << kind;
    EXPECT_GT(loss, 0);
  }
}
