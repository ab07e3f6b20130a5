// SentimentWorkload: the whole chain's gradient (embedding → LSTM → sigmoid BCE + whole-kernel
// penalty) by finite differences, whole-kernel orthogonal init, learning a separable toy task,
// determinism, frozen embeddings, bad settings.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "gradcheck.hpp"
#include "isobench/core/decompositions.hpp"
#include "isobench/train/sentiment_classifier.hpp"

namespace isobench {
namespace {

// n snippets of L ids over a vocabulary of V: label 1 iff the snippet holds id 2 ("good"),
// label 0 snippets hold id 3 ("bad"); the rest random filler ids 4..V−1, some front padding.
TextSet toy(int n, int L, int V, Engine& eng) {
  TextSet s;
  s.n = n;
  s.max_len = L;
  s.ids.assign(static_cast<std::size_t>(n) * L, Vocabulary::kPad);
  s.y.resize(static_cast<std::size_t>(n));
  s.lengths.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const bool pos = uniform01(eng) < 0.5;
    s.y[static_cast<std::size_t>(i)] = pos ? 1.0f : 0.0f;
    const int len = 2 + static_cast<int>(uniform01(eng) * (L - 1));
    s.lengths[static_cast<std::size_t>(i)] = len;
    std::int32_t* row = s.ids.data() + static_cast<std::size_t>(i) * L;
    for (int t = L - len; t < L; ++t) row[t] = 4 + static_cast<int>(uniform01(eng) * (V - 4));
    row[L - len + static_cast<int>(uniform01(eng) * len)] = pos ? 2 : 3;
  }
  s.source = "toy";
  return s;
}

SentimentSpec small_spec() {
  SentimentSpec s;
  s.embed_dim = 3;
  s.hidden = 4;
  s.batch = 5;
  s.lr = 1e-2;
  s.eval_chunk = 16;
  return s;
}

TEST(SentimentWorkload, WholeChainGradientMatchesFiniteDifferences) {
  Engine data_eng = make_engine("test/sentiment/data", 1);
  const int V = 9, L = 6;
  const TextSet train = toy(12, L, V, data_eng), val;
  for (const char* kind : {"none", "so_gain_adjusted", "seed_notebook"}) {
    SentimentSpec spec = small_spec();
    spec.recurrent = InitSpec::orthogonal(1.25);
    spec.penalty = {kind, PenaltyNorm::Sum, 0.3, 1.25};
    SentimentWorkload<double, SgdUpdate> workload(spec, V, train, val, SgdUpdate{},
                                                  RunStreams("test/sentiment/grad", 3));
    // Move off the initialization so the penalty gradient is not zero.
    for (double& w : workload.model().recurrent_kernel()) w += 0.1 * standard_normal(data_eng);
    std::vector<std::int32_t> ids(train.ids.begin(), train.ids.begin() + 5 * L);
    std::vector<double> y(train.y.begin(), train.y.begin() + 5);
    auto loss = [&] { return workload.loss_and_grad(ids.data(), y.data(), 5); };
    loss();
    // Every LSTM parameter and the embedding table (padding row excluded: it is constant).
    std::vector<ParamRef<double>> params = workload.model().params();
    auto& emb = workload.embedding();
    params.push_back({emb.table().data() + emb.dim(), emb.table_grad().data() + emb.dim(),
                      emb.table().size() - static_cast<std::size_t>(emb.dim())});
    for (std::size_t p = 0; p < params.size(); ++p) {
      loss();
      const std::vector<double> analytic(params[p].grad, params[p].grad + params[p].size);
      const double err =
          gradcheck::max_rel_grad_error(params[p].value, params[p].size, analytic.data(), loss);
      EXPECT_LT(err, 1e-6) << "parameter " << p << " penalty " << kind;
    }
  }
}

TEST(SentimentWorkload, OrthogonalInitActsOnTheWholeKernel) {
  Engine data_eng = make_engine("test/sentiment/data", 2);
  const TextSet train = toy(20, 5, 10, data_eng), val;
  SentimentSpec spec = small_spec();
  spec.hidden = 6;
  spec.recurrent = InitSpec::orthogonal(1.25);
  spec.penalty = {"so_gain_adjusted", PenaltyNorm::Mean, 1.0, 1.25};
  SentimentWorkload<float, AdamUpdate> workload(spec, 10, train, val, AdamUpdate{},
                                                RunStreams("test/sentiment/init", 1));
  const auto& w = workload.model().recurrent_kernel();
  ASSERT_EQ(w.shape(0), 24u);
  ASSERT_EQ(w.shape(1), 6u);
  const auto ks = workload.kernel_spectrum();
  ASSERT_EQ(ks.sv.size(), 6u);
  for (double s : ks.sv) EXPECT_NEAR(s, 1.25, 1e-5);  // WᵀW = g²I: whole-kernel draw
  EXPECT_NEAR(ks.ortho_err, 0.0, 1e-5);
  EvalRecord r;
  workload.evaluate(r);
  EXPECT_NEAR(r.extra["penalty"].get<double>(), 0.0, 1e-9);  // gain-adjusted: zero at init
  EXPECT_NEAR(r.extra["kernel_sv_mean"].get<double>(), 1.25, 1e-5);
  EXPECT_EQ(r.extra["kernel_sv"].size(), 6u);
}

TEST(SentimentWorkload, LearnsASeparableToyTaskDeterministically) {
  Engine data_eng = make_engine("test/sentiment/data", 3);
  const int V = 20, L = 8;
  const TextSet train = toy(400, L, V, data_eng), val = toy(200, L, V, data_eng);
  SentimentSpec spec = small_spec();
  spec.embed_dim = 8;
  spec.hidden = 16;
  spec.batch = 20;
  spec.target_val_acc = 0.95;
  auto run = [&] {
    SentimentWorkload<float, AdamUpdate> workload(spec, V, train, val, AdamUpdate{},
                                                  RunStreams("test/sentiment/learn", 1));
    TrainConfig tc;
    tc.epoch_budget = 15;
    tc.step_budget = 15L * workload.steps_per_epoch();
    return isobench::train(workload, tc);
  };
  const TrainResult a = run();
  EXPECT_GT(a.best_val_acc, 0.95);
  EXPECT_TRUE(a.converged);
  EXPECT_LT(a.last.val_loss, 0.3);
  const TrainResult b = run();
  EXPECT_EQ(a.last.val_loss, b.last.val_loss);
  EXPECT_EQ(a.steps_to_target, b.steps_to_target);
}

TEST(SentimentWorkload, FrozenEmbeddingStaysPut) {
  Engine data_eng = make_engine("test/sentiment/data", 4);
  const TextSet train = toy(40, 5, 10, data_eng), val;
  SentimentWorkload<float, AdamUpdate> workload(small_spec(), 10, train, val, AdamUpdate{},
                                                RunStreams("test/sentiment/frozen", 1));
  workload.set_embedding_trainable(false);
  const Matrix<float> before = workload.embedding().table();
  const Matrix<float> w_before = workload.model().recurrent_kernel();
  for (int i = 0; i < 5; ++i) workload.step();
  EXPECT_EQ(workload.embedding().table(), before);
  EXPECT_NE(workload.model().recurrent_kernel(), w_before);
  EXPECT_THROW(workload.set_embedding_trainable(true), std::invalid_argument);
}

TEST(SentimentWorkload, BadSettingsNameTheSetting) {
  Engine data_eng = make_engine("test/sentiment/data", 5);
  const TextSet train = toy(10, 5, 10, data_eng), val = toy(4, 6, 10, data_eng), none;
  SentimentSpec spec = small_spec();
  spec.batch = 11;
  try {
    SentimentWorkload<float, AdamUpdate> t(spec, 10, train, none, AdamUpdate{}, RunStreams("x", 1));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("batch 11"), std::string::npos) << e.what();
  }
  EXPECT_THROW((SentimentWorkload<float, AdamUpdate>(small_spec(), 10, train, val, AdamUpdate{},
                                                     RunStreams("x", 1))),
               std::invalid_argument);  // 6-token validation vs 5-token training
  spec = small_spec();
  spec.lr = 0;
  EXPECT_THROW((SentimentWorkload<float, AdamUpdate>(spec, 10, train, none, AdamUpdate{},
                                                     RunStreams("x", 1))),
               std::invalid_argument);
}

}  // namespace
}  // namespace isobench
