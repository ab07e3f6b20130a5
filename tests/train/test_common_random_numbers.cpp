// Common random numbers (core/streams.hpp): training runs that differ only in the treatment under
// test (penalty, constraint, the init's gain) at one seed start from the same weights and see the
// same batch order — SEED's RecurrentClassifierWorkload, RQC/RQE's MlpClassifierWorkload, SENT's
// SentimentWorkload and RQD/TASK's synthetic SequenceWorkload; another seed gives other draws.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "isobench/train/mlp_classifier.hpp"
#include "isobench/train/rnn_classifier.hpp"
#include "isobench/train/sentiment_classifier.hpp"
#include "isobench/train/sequence_workload.hpp"

namespace isobench {
namespace {

// n random images of rows × cols in [0, 1), labels i mod classes.
Dataset images(int n, int rows, int cols, int classes) {
  Engine eng = make_engine("test/crn/images", 1);
  Dataset d;
  d.n = n;
  d.rows = rows;
  d.cols = cols;
  d.classes = classes;
  d.source = "random images";
  for (int i = 0; i < n; ++i) {
    d.y.push_back(i % classes);
    for (int j = 0; j < rows * cols; ++j) d.x.push_back(static_cast<float>(uniform01(eng)));
  }
  return d;
}

template <class M>
std::vector<float> vec(const M& m) {
  return std::vector<float>(m.begin(), m.end());
}

template <class T>
std::vector<std::vector<T>> values(const std::vector<ParamRef<T>>& params) {
  std::vector<std::vector<T>> out;
  for (const auto& p : params) out.emplace_back(p.value, p.value + p.size);
  return out;
}

// Two epochs of two workloads: the same order each epoch (`same`) or a different one, with one
// optimizer step per batch in between, so a treatment that drew from the order would show.
template <class A, class B, class Order>
void expect_orders(A& a, B& b, Order order, bool same) {
  for (int epoch = 0; epoch < 2; ++epoch) {
    a.begin_epoch(epoch);
    b.begin_epoch(epoch);
    if (same)
      EXPECT_EQ(order(a), order(b)) << "epoch " << epoch;
    else
      EXPECT_NE(order(a), order(b)) << "epoch " << epoch;
    for (int s = 0; s < a.steps_per_epoch(); ++s) a.step();
    for (int s = 0; s < b.steps_per_epoch(); ++s) b.step();
  }
}

// --- SEED: RecurrentClassifierWorkload<Rnn<float>> ---------------------------------------------

using SeedWorkload = RecurrentClassifierWorkload<Rnn<float>, AdamUpdate>;

RecurrentClassifierSpec seed_spec() {
  RecurrentClassifierSpec s;  // orthogonal W, glorot U and V, as SEED
  s.batch = 8;
  s.lr = 1e-3;
  s.eval_chunk = 16;
  return s;
}

std::unique_ptr<SeedWorkload> seed_run(const RecurrentClassifierSpec& s, const Dataset& d,
                                       std::uint64_t seed) {
  return std::make_unique<SeedWorkload>(s, Rnn<float>(RnnConfig{4, 6, 3}), d, Dataset{},
                                        AdamUpdate{}, RunStreams("crn-images", seed));
}

auto seed_order = [](auto& w) { return w.batches().order(); };

TEST(CommonRandomNumbers, SeedPenaltyAndConstraintShareWeightsAndOrder) {
  const Dataset d = images(36, 5, 4, 3);  // 36 = 4·8 + 4: the last batch is partial (Keras)
  const RecurrentClassifierSpec plain = seed_spec();
  RecurrentClassifierSpec so = plain, qr = plain;
  so.penalty = {"so", PenaltyNorm::Sum, 0.1};
  qr.constraint.method = "qr";
  for (const auto* treated : {&so, &qr}) {
    auto a = seed_run(plain, d, 1), b = seed_run(*treated, d, 1);
    EXPECT_EQ(values(a->treatment().params()), values(b->treatment().params()));
    expect_orders(*a, *b, seed_order, true);
  }
}

TEST(CommonRandomNumbers, SeedGainScalesTheSameOrthogonalDraw) {
  const Dataset d = images(36, 5, 4, 3);
  RecurrentClassifierSpec g1 = seed_spec(), g125 = seed_spec();
  g125.recurrent = InitSpec::orthogonal(1.25);
  auto a = seed_run(g1, d, 1), b = seed_run(g125, d, 1);
  const auto& w1 = a->model().recurrent_kernel();
  const auto& w125 = b->model().recurrent_kernel();
  ASSERT_EQ(w1.size(), w125.size());
  for (std::size_t i = 0; i < w1.size(); ++i)  // float(1.25·q) against 1.25·float(q)
    EXPECT_NEAR(w125.data()[i], 1.25f * w1.data()[i], 2e-7) << i;
  EXPECT_EQ(vec(a->model().input_kernel()), vec(b->model().input_kernel()));
  EXPECT_EQ(vec(a->model().readout()), vec(b->model().readout()));
  expect_orders(*a, *b, seed_order, true);
}

TEST(CommonRandomNumbers, SeedAnotherSeedDrawsOtherWeightsAndOrder) {
  const Dataset d = images(36, 5, 4, 3);
  auto a = seed_run(seed_spec(), d, 1), b = seed_run(seed_spec(), d, 2);
  const auto va = values(a->treatment().params()), vb = values(b->treatment().params());
  for (std::size_t k = 0; k < 3; ++k) EXPECT_NE(va[k], vb[k]) << "W, U, V: parameter " << k;
  expect_orders(*a, *b, seed_order, false);
}

// --- RQC / RQE: MlpClassifierWorkload<float> ---------------------------------------------------

using MlpWorkload = MlpClassifierWorkload<float, AdamUpdate>;

ClassifierSpec mlp_spec() {
  ClassifierSpec s;
  s.depth = 4;  // two square hidden weights
  s.width = 6;
  s.init = InitSpec::orthogonal(1.0);
  s.sb2 = 0.05;  // random biases, drawn from their own streams
  s.batch = 8;
  s.lr = 1e-3;
  s.eval_train = 16;
  return s;
}

auto mlp_order = [](auto& w) { return w.batches().order(); };

TEST(CommonRandomNumbers, MlpPenaltySharesWeightsAndOrderInitSharesOrder) {
  const Dataset d = images(40, 2, 3, 3);
  ClassifierSpec so = mlp_spec(), gauss = mlp_spec();
  so.penalty = {"so", PenaltyNorm::Sum, 0.1};
  gauss.init = InitSpec::gaussian(1.0);
  {
    MlpWorkload a(mlp_spec(), d, Dataset{}, AdamUpdate{}, RunStreams("crn", 3));
    MlpWorkload b(so, d, Dataset{}, AdamUpdate{}, RunStreams("crn", 3));
    EXPECT_EQ(values(a.net().params()), values(b.net().params()));
    expect_orders(a, b, mlp_order, true);
  }
  {
    MlpWorkload a(mlp_spec(), d, Dataset{}, AdamUpdate{}, RunStreams("crn", 3));
    MlpWorkload b(gauss, d, Dataset{}, AdamUpdate{}, RunStreams("crn", 3));
    EXPECT_NE(vec(a.net().weight(2)), vec(b.net().weight(2)));  // another init: other weights
    EXPECT_EQ(vec(a.net().bias(2)), vec(b.net().bias(2)));      // biases do not depend on the init
    expect_orders(a, b, mlp_order, true);
  }
  {  // another batch size: the same shuffles (a permutation of all n samples)
    ClassifierSpec b10 = mlp_spec();
    b10.batch = 10;
    MlpWorkload a(mlp_spec(), d, Dataset{}, AdamUpdate{}, RunStreams("crn", 3));
    MlpWorkload b(b10, d, Dataset{}, AdamUpdate{}, RunStreams("crn", 3));
    expect_orders(a, b, mlp_order, true);
  }
  {
    MlpWorkload a(mlp_spec(), d, Dataset{}, AdamUpdate{}, RunStreams("crn", 3));
    MlpWorkload b(mlp_spec(), d, Dataset{}, AdamUpdate{}, RunStreams("crn", 4));
    const auto va = values(a.net().params()), vb = values(b.net().params());
    for (std::size_t k = 0; k < va.size(); ++k) EXPECT_NE(va[k], vb[k]) << "parameter " << k;
    expect_orders(a, b, mlp_order, false);
  }
}

// --- SENT: SentimentWorkload<float> ------------------------------------------------------------

TextSet snippets(int n, int L, int V) {
  Engine eng = make_engine("test/crn/snippets", 1);
  TextSet s;
  s.n = n;
  s.max_len = L;
  s.source = "random snippets";
  for (int i = 0; i < n; ++i) {
    s.y.push_back(i % 2 ? 1.0f : 0.0f);
    s.lengths.push_back(L);
    for (int t = 0; t < L; ++t) s.ids.push_back(2 + static_cast<int>(uniform01(eng) * (V - 2)));
  }
  return s;
}

TEST(CommonRandomNumbers, SentimentPenaltySharesEmbeddingWeightsAndOrder) {
  const TextSet train = snippets(23, 5, 12);
  SentimentSpec plain;
  plain.embed_dim = 3;
  plain.hidden = 4;
  plain.batch = 5;
  plain.eval_chunk = 16;
  SentimentSpec so = plain;
  so.penalty = {"so", PenaltyNorm::Sum, 0.1};
  using Workload = SentimentWorkload<float, AdamUpdate>;
  auto order = [](auto& w) { return w.order(); };
  {
    Workload a(plain, 12, train, TextSet{}, AdamUpdate{}, RunStreams("crn-text", 5));
    Workload b(so, 12, train, TextSet{}, AdamUpdate{}, RunStreams("crn-text", 5));
    EXPECT_EQ(vec(a.embedding().table()), vec(b.embedding().table()));
    EXPECT_EQ(values(a.model().params()), values(b.model().params()));
    expect_orders(a, b, order, true);
  }
  {
    Workload a(plain, 12, train, TextSet{}, AdamUpdate{}, RunStreams("crn-text", 5));
    Workload b(plain, 12, train, TextSet{}, AdamUpdate{}, RunStreams("crn-text", 6));
    EXPECT_NE(vec(a.embedding().table()), vec(b.embedding().table()));
    EXPECT_NE(vec(a.model().recurrent_kernel()), vec(b.model().recurrent_kernel()));
    expect_orders(a, b, order, false);
  }
}

// --- RQD / TASK: the synthetic problems --------------------------------------------------------

TEST(CommonRandomNumbers, CopyTaskPenaltySharesWeightsBatchesAndHeldOutSet) {
  SequenceWorkloadSpec plain;
  plain.problem = SequenceProblem::Copy;
  plain.length = 3;
  plain.hidden = 5;
  plain.batch = 4;
  plain.eval_samples = 8;
  SequenceWorkloadSpec srip = plain;
  srip.penalty = {"srip", PenaltyNorm::Sum, 0.1};
  SequenceWorkload<float> a(plain, nullptr, nullptr, RunStreams("", 7));
  SequenceWorkload<float> b(srip, nullptr, nullptr, RunStreams("", 7));
  EXPECT_EQ(values(a.params()), values(b.params()));
  // The same held-out set: at equal weights, the same held-out loss.
  EvalRecord ra, rb;
  a.evaluate(ra);
  b.evaluate(rb);
  EXPECT_EQ(ra.loss, rb.loss);
  // The same first training batch: the same data loss at the same weights.
  a.draw_batch();
  b.draw_batch();
  const double la = a.objective_and_gradient(), lb = b.objective_and_gradient() - b.last_penalty();
  EXPECT_NEAR(la, lb, 1e-6);
  SequenceWorkload<float> c(plain, nullptr, nullptr, RunStreams("", 8));
  EXPECT_NE(values(a.params())[0], values(c.params())[0]);
}

}  // namespace
}  // namespace isobench
