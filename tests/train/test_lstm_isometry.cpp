// SENT's Jacobian probe (lstm_isometry.hpp): its figures are lstm_jacobian.hpp's on the snippets
// embedded by the current table, it changes no weight, a failed measurement is recorded and does
// not throw, and the final measurement's trace line.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "isobench/core/rng.hpp"
#include "isobench/measure/lstm_jacobian.hpp"
#include "isobench/train/lstm_isometry.hpp"

namespace isobench {
namespace {

std::size_t sz(int v) {
  return static_cast<std::size_t>(v);
}

constexpr int kVocab = 12, kDim = 3, kHidden = 4, kLen = 7, kSnippets = 5;

// Snippets padded in front (id 0) as text.hpp's, labels alternating.
TextSet snippets() {
  TextSet d;
  d.n = kSnippets;
  d.max_len = kLen;
  d.source = "test snippets";
  for (int i = 0; i < kSnippets; ++i) {
    for (int t = 0; t < kLen; ++t) d.ids.push_back(t < i ? 0 : 1 + (3 * i + 5 * t) % (kVocab - 1));
    d.y.push_back(static_cast<float>(i % 2));
    d.lengths.push_back(kLen - i);
  }
  return d;
}

struct Model {
  Lstm<float> lstm{LstmConfig{kDim, kHidden, 1}};
  Embedding<float> emb{kVocab, kDim};
  Model() {
    Engine eng(7);
    lstm.init(InitSpec::orthogonal(1.2), InitSpec::glorot_uniform(), InitSpec::glorot_uniform(),
              eng);
    emb.init(eng, 0.5);
    for (auto& v : lstm.bias()) v += 0.2f;
  }
};

TEST(LstmIsometryProbe, EvaluationFiguresAreTheMeasurementsOnTheEmbeddedSnippet) {
  Model m;
  const TextSet val = snippets();
  LstmIsometryProbe<float> probe(m.lstm, m.emb, val, 1, 2, 3);
  const std::vector<float> w0(m.lstm.recurrent_kernel().begin(), m.lstm.recurrent_kernel().end());
  EvalRecord r;
  probe.on_measure(r);
  ASSERT_FALSE(r.extra.contains("jac_error")) << r.extra.dump();
  // The same measurement by hand: snippet 0 embedded in double.
  Matrix<double> w({sz(4 * kHidden), sz(kHidden)}), u({sz(4 * kHidden), sz(kDim)});
  std::copy(m.lstm.recurrent_kernel().begin(), m.lstm.recurrent_kernel().end(), w.begin());
  std::copy(m.lstm.input_kernel().begin(), m.lstm.input_kernel().end(), u.begin());
  const std::vector<double> b(m.lstm.bias().begin(), m.lstm.bias().end());
  std::vector<double> x;
  for (int t = 0; t < kLen; ++t)
    for (int j = 0; j < kDim; ++j) x.push_back(m.emb.table()(sz(val.ids[sz(t)]), sz(j)));
  JacobianProduct jp(2 * kHidden);
  lstm_jacobian_through_time(w, u, b.data(), x.data(), kLen, jp);
  EXPECT_DOUBLE_EQ(r.extra["jac_sv2_mean"].get<double>(), jp.sv2_mean());
  const double qr = jp.log_sv2_mean();  // the QR accumulation; the probe's is the closed form
  EXPECT_NEAR(r.extra["jac_log_sv2_mean"].get<double>(), qr, 1e-9 * std::abs(qr));
  const auto norms = r.extra["state_grad_norm"].get<std::vector<double>>();
  ASSERT_EQ(norms.size(), sz(kLen + 1));
  for (double v : norms) EXPECT_TRUE(std::isfinite(v) && v > 0);
  // Nothing changed in the model.
  EXPECT_TRUE(std::equal(w0.begin(), w0.end(), m.lstm.recurrent_kernel().begin()));

  const RecurrentIsometry fin = probe.final_measure();
  ASSERT_EQ(fin.sv2.size(), 2u);
  EXPECT_EQ(fin.sv2[0].size(), sz(2 * kHidden));
  EXPECT_NEAR(fin.sequence_log_sv2_mean[0], qr, 1e-9 * std::abs(qr));
}

TEST(LstmIsometryProbe, FinalMeasurementAndTraceLine) {
  Model m;
  const TextSet val = snippets();
  LstmIsometryProbe<float> probe(m.lstm, m.emb, val, 1, 2, 3);
  const RecurrentIsometry fin = probe.final_measure();
  ASSERT_EQ(fin.sv2.size(), 2u);
  double mean = 0;
  for (const auto& s : fin.sv2) {
    ASSERT_EQ(s.size(), sz(2 * kHidden));
    for (double v : s) mean += v / (2.0 * 2 * kHidden);
  }
  EXPECT_NEAR(fin.sv2_mean, mean, 1e-12 * mean);
  EXPECT_TRUE(std::isfinite(fin.log_sv2_mean));
  const nlohmann::json j = LstmIsometryProbe<float>::trace_line(fin, probe.steps());
  EXPECT_EQ(j["kind"], "jacobian_final");
  EXPECT_EQ(j["steps"], kLen);
  EXPECT_EQ(j["sequences"], 2);
  EXPECT_EQ(j["sv2"].size(), 2u);
  EXPECT_EQ(j["log_sv2_mean"].size(), 2u);
}

TEST(LstmIsometryProbe, PaddingFromTheZeroStateWithZeroCellBiasIsSingular) {
  // As SENT at step 0: b_g = 0 and padding (zero input) in front keep the state at exactly 0,
  // where tanh(c') = 0 makes F_t singular — log det = −∞, so jac_log_sv2_mean is absent while
  // jac_sv2_mean stays.
  Model m;
  for (int k = 0; k < 4 * kHidden; ++k) m.lstm.bias()(sz(k)) = k / kHidden == 1 ? 1.0f : 0.0f;
  TextSet val = snippets();
  val.ids[0] = val.ids[1] = 0;
  LstmIsometryProbe<float> probe(m.lstm, m.emb, val, 1, 1, 2);
  EvalRecord r;
  probe.on_measure(r);
  EXPECT_FALSE(r.extra.contains("jac_error"));
  EXPECT_TRUE(r.extra.contains("jac_sv2_mean"));
  EXPECT_FALSE(r.extra.contains("jac_log_sv2_mean"));
  const RecurrentIsometry fin = probe.final_measure();
  EXPECT_TRUE(std::isinf(fin.log_sv2_mean) && fin.log_sv2_mean < 0);
  EXPECT_FALSE(fin.resolved);
}

TEST(LstmIsometryProbe, AFailedMeasurementIsRecordedNotThrown) {
  Model m;
  const TextSet val = snippets();
  LstmIsometryProbe<float> probe(m.lstm, m.emb, val, 1, 1, 2);
  m.lstm.recurrent_kernel()(0, 0) = std::numeric_limits<float>::quiet_NaN();
  EvalRecord r;
  EXPECT_NO_THROW(probe.on_measure(r));
  EXPECT_TRUE(r.extra.contains("jac_error"));
  EXPECT_FALSE(r.extra.contains("jac_sv2_mean"));
  EXPECT_ANY_THROW(probe.final_measure());
}

TEST(LstmIsometryProbe, RejectsTooFewSnippetsAndWrongModels) {
  Model m;
  const TextSet val = snippets();
  EXPECT_THROW(LstmIsometryProbe<float>(m.lstm, m.emb, val, 1, kSnippets + 1, 1),
               std::invalid_argument);
  EXPECT_THROW(LstmIsometryProbe<float>(m.lstm, m.emb, val, 0, 1, 1), std::invalid_argument);
  Lstm<float> wide(LstmConfig{kDim + 1, kHidden, 1});
  EXPECT_THROW(LstmIsometryProbe<float>(wide, m.emb, val, 1, 1, 1), std::invalid_argument);
  TextSet bad = val;
  bad.ids[3] = kVocab;
  EXPECT_THROW(LstmIsometryProbe<float>(m.lstm, m.emb, bad, 1, 1, 1), std::invalid_argument);
}

}  // namespace
}  // namespace isobench
