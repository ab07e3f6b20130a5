// Embedding layer (forward layout, gradient by finite differences, padding, freezing) and the
// GloVe / word2vec text loader (formats, filtering, every bad-input error).
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "data_test_util.hpp"
#include "gradcheck.hpp"
#include "isobench/embedding.hpp"

namespace isobench {
namespace {

using testutil::ScratchDir;

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(Embedding, InitKeepsPaddingZeroAndOthersSmall) {
  Embedding<float> e(50, 8);
  Engine eng = make_engine("test/embedding", 1);
  e.init(eng);
  for (int k = 0; k < 8; ++k) EXPECT_EQ(e.table()(0, k), 0.0f);
  float lo = 1, hi = -1;
  for (int v = 1; v < 50; ++v)
    for (int k = 0; k < 8; ++k) {
      lo = std::min(lo, e.table()(v, k));
      hi = std::max(hi, e.table()(v, k));
    }
  EXPECT_GE(lo, -0.05f);
  EXPECT_LT(hi, 0.05f);
  EXPECT_LT(lo, -0.04f);  // the whole range is used
  EXPECT_GT(hi, 0.04f);
  EXPECT_THROW(Embedding<float>(1, 4), std::invalid_argument);
  EXPECT_THROW(Embedding<float>(4, 0), std::invalid_argument);
}

TEST(Embedding, ForwardIsTimeMajorLookup) {
  Embedding<double> e(5, 2);
  for (int v = 0; v < 5; ++v)
    for (int k = 0; k < 2; ++k) e.table()(v, k) = 10 * v + k;
  const std::int32_t ids[] = {1, 2, 3,   // sample 0
                              4, 0, 1};  // sample 1
  std::vector<double> x(3 * 2 * 2, -1);
  e.forward(ids, /*batch=*/2, /*steps=*/3, x.data());
  // x[t, b, :] = E[ids[b, t]]
  const std::vector<double> want = {10, 11, 40, 41,   // t = 0: ids 1, 4
                                    20, 21, 0,  1,    // t = 1: ids 2, 0 (E[0] set to 0,1 here)
                                    30, 31, 10, 11};  // t = 2: ids 3, 1
  EXPECT_EQ(x, want);
  const std::int32_t bad[] = {5};
  EXPECT_THROW(e.forward(bad, 1, 1, x.data()), std::out_of_range);
  const std::int32_t neg[] = {-1};
  EXPECT_THROW(e.forward(neg, 1, 1, x.data()), std::out_of_range);
}

TEST(Embedding, GradientMatchesFiniteDifferences) {
  const int V = 6, D = 3, B = 3, L = 4;
  Embedding<double> e(V, D);
  Engine eng = make_engine("test/embedding/grad", 2);
  e.init(eng, 1.0);
  // Repeated ids (accumulation), padding (no gradient), an unused id (zero gradient).
  const std::int32_t ids[] = {1, 2, 1, 0, 0, 3, 3, 3, 4, 1, 0, 2};
  std::vector<double> c(L * B * D), x(L * B * D);
  for (auto& v : c) v = standard_normal(eng);
  // loss = Σ c ⊙ x + 0.5 Σ x², dL/dx = c + x.
  auto loss = [&] {
    e.forward(ids, B, L, x.data());
    double s = 0;
    for (std::size_t i = 0; i < x.size(); ++i) s += c[i] * x[i] + 0.5 * x[i] * x[i];
    return s;
  };
  loss();
  std::vector<double> dx(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) dx[i] = c[i] + x[i];
  e.backward(ids, B, L, dx.data());
  // The padding row is constant: compare every other row; its gradient must be zero.
  const std::vector<double> analytic(e.table_grad().begin(), e.table_grad().end());
  const double err =
      gradcheck::max_rel_grad_error(e.table().data() + D, (V - 1) * D, analytic.data() + D, loss);
  EXPECT_LT(err, 1e-7);
  for (int k = 0; k < D; ++k) {
    EXPECT_EQ(e.table_grad()(0, k), 0.0);  // padding
    EXPECT_EQ(e.table_grad()(5, k), 0.0);  // id 5 unused
    EXPECT_NE(e.table_grad()(3, k), 0.0);
  }
  ASSERT_EQ(e.params().size(), 1u);
  EXPECT_EQ(e.params()[0].size, static_cast<std::size_t>(V * D));
}

TEST(Embedding, FrozenHasNoParamsAndNoGradient) {
  Embedding<float> e(4, 2);
  Engine eng = make_engine("test/embedding/frozen", 1);
  e.init(eng);
  e.set_trainable(false);
  EXPECT_TRUE(e.params().empty());
  const std::int32_t ids[] = {1, 2};
  const std::vector<float> dx(4, 1.0f);
  e.backward(ids, 1, 2, dx.data());
  for (float g : e.table_grad()) EXPECT_EQ(g, 0.0f);
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(WordVectors, ReadsGloveFormatAndAssignsRows) {
  ScratchDir dir("emb");
  write(dir.str("glove.txt"),
        "the 0.1 0.2 0.3\n"
        "film -1 2.5e-1 3\n"
        "new york 7 8 9\n"  // a word with a space (GloVe 840B)
        "unused 1 1 1\n");
  const WordVectors all = load_word_vectors(dir.str("glove.txt"));
  EXPECT_EQ(all.dim, 3);
  ASSERT_EQ(all.words.size(), 4u);
  EXPECT_EQ(all.words[2], "new york");
  EXPECT_FLOAT_EQ(all.vector(1)[1], 0.25f);

  const Vocabulary vocab = Vocabulary::build({{"film", "the", "film", "absent"}});
  const WordVectors some = load_word_vectors(dir.str("glove.txt"), &vocab);
  ASSERT_EQ(some.words.size(), 2u);  // the, film
  EXPECT_EQ(some.lines_read, 4);

  Embedding<float> e(vocab.size(), 3);
  Engine eng = make_engine("test/embedding/pre", 1);
  e.init(eng);
  const float absent0 = e.table()(vocab.id("absent"), 0);
  EXPECT_EQ(assign_pretrained(e, some, vocab), 2);
  EXPECT_FLOAT_EQ(e.table()(vocab.id("film"), 0), -1.0f);
  EXPECT_FLOAT_EQ(e.table()(vocab.id("the"), 2), 0.3f);
  EXPECT_EQ(e.table()(vocab.id("absent"), 0), absent0);  // not in the file: kept
  for (int k = 0; k < 3; ++k) EXPECT_EQ(e.table()(0, k), 0.0f);

  Embedding<float> wrong(vocab.size(), 4);
  const std::string err = error_of([&] { assign_pretrained(wrong, some, vocab); });
  EXPECT_NE(err.find("3-d"), std::string::npos) << err;
}

TEST(WordVectors, ReadsWord2vecHeader) {
  ScratchDir dir("emb");
  write(dir.str("w2v.txt"), "2 2\r\nfilm 1 2\r\nthe 3 4\r\n");
  const WordVectors w = load_word_vectors(dir.str("w2v.txt"));
  EXPECT_EQ(w.dim, 2);
  ASSERT_EQ(w.words.size(), 2u);
  EXPECT_EQ(w.words[1], "the");
  EXPECT_FLOAT_EQ(w.vector(1)[1], 4.0f);
  write(dir.str("count.txt"), "3 2\nfilm 1 2\nthe 3 4\n");
  EXPECT_NE(error_of([&] { load_word_vectors(dir.str("count.txt")); }).find("announces 3"),
            std::string::npos);
}

TEST(WordVectors, BadFilesNameFileAndLine) {
  ScratchDir dir("emb");
  EXPECT_NE(error_of([&] { load_word_vectors(dir.str("none.txt")); }).find("none.txt"),
            std::string::npos);
  write(dir.str("empty.txt"), "\n\n");
  EXPECT_NE(error_of([&] { load_word_vectors(dir.str("empty.txt")); }).find("empty.txt"),
            std::string::npos);
  write(dir.str("short.txt"), "a 1 2 3\nb 1 2\n");
  const std::string s = error_of([&] { load_word_vectors(dir.str("short.txt")); });
  EXPECT_NE(s.find("short.txt:2"), std::string::npos) << s;
  write(dir.str("nan.txt"), "a 1 2\nb 1 x\n");
  const std::string n = error_of([&] { load_word_vectors(dir.str("nan.txt")); });
  EXPECT_NE(n.find("nan.txt:2"), std::string::npos) << n;
  EXPECT_NE(n.find("'x'"), std::string::npos) << n;
  write(dir.str("inf.txt"), "a 1 inf\n");
  EXPECT_NE(error_of([&] { load_word_vectors(dir.str("inf.txt")); }).find("inf.txt:1"),
            std::string::npos);
  write(dir.str("one.txt"), "lonely\n");
  EXPECT_NE(error_of([&] { load_word_vectors(dir.str("one.txt")); }).find("one.txt:1"),
            std::string::npos);
}

}  // namespace
}  // namespace isobench
