// Embedding layer (forward layout, gradient by finite differences, padding, freezing) and the
// GloVe / word2vec text loader (formats, filtering, every bad-input error).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data_test_util.hpp"
#include "gradcheck.hpp"
#include "isobench/nn/embedding.hpp"

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
  EXPECT_EQ(all.multi_token_words, 1);
  EXPECT_EQ(all.format, "GloVe text (no header)");
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

// Word-vector files people have on disk: a byte-order mark, blank lines, gzip, binary word2vec,
// duplicates, absurd headers, wide lines (issue 18).
TEST(WordVectors, ByteOrderMarkAndBlankLinesBeforeTheHeader) {
  ScratchDir dir("emb");
  for (const std::string& prefix :
       {std::string("\xef\xbb\xbf"), std::string("\n  \r\n"), std::string("\xef\xbb\xbf\n\n")}) {
    write(dir.str("h.txt"), prefix + "3 2\nthe 1 2\n\nfilm 3 4\ngood 5 6\n");
    const WordVectors w = load_word_vectors(dir.str("h.txt"));
    EXPECT_EQ(w.dim, 2);  // not 1-d vectors of the words "3", "the", …
    ASSERT_EQ(w.words, (std::vector<std::string>{"the", "film", "good"}));
    EXPECT_FLOAT_EQ(w.vector(2)[1], 6.0f);
    EXPECT_EQ(w.bom, prefix[0] == '\xef');
    EXPECT_EQ(w.format, "word2vec text");
  }
  // Without a header, a BOM'd first vector line keeps its word clean.
  write(dir.str("g.txt"), "\xef\xbb\xbfthe 1 2\nfilm 3 4\n");
  EXPECT_EQ(load_word_vectors(dir.str("g.txt")).words[0], "the");
}

TEST(WordVectors, HeaderDimensionNotMatchingTheLinesIsAnError) {
  ScratchDir dir("emb");
  write(dir.str("h.txt"), "3 2\ngood 0.4 0.1 0.2 0.3\nbad 1 2 3 4\nfilm 1 2 3 4\n");
  const std::string e = error_of([&] { load_word_vectors(dir.str("h.txt")); });
  EXPECT_NE(e.find("h.txt:2:"), std::string::npos) << e;
  EXPECT_NE(e.find("4 numbers where 2 were expected"), std::string::npos) << e;
}

TEST(WordVectors, WideLineOfNumbersIsAnErrorAtFileLine) {
  ScratchDir dir("emb");
  write(dir.str("w.txt"), "the 1 2\nfilm 3 4\ngood 5 6 7\n");
  const std::string e = error_of([&] { load_word_vectors(dir.str("w.txt")); });
  EXPECT_NE(e.find("w.txt:3:"), std::string::npos) << e;
  EXPECT_NE(e.find("wider than the others"), std::string::npos) << e;
  // A GloVe 840B word with spaces (a non-number before the last D fields) is a word.
  write(dir.str("m.txt"), "the 1 2\n. . . 3 4\nat & t 5 6\n");
  const WordVectors m = load_word_vectors(dir.str("m.txt"));
  EXPECT_EQ(m.words, (std::vector<std::string>{"the", ". . .", "at & t"}));
  EXPECT_EQ(m.multi_token_words, 2);
  EXPECT_NE(m.summary().find("2 multi-token words"), std::string::npos) << m.summary();
}

// Extra tokens that are nan / inf are numbers for the wide-line rule (they are refused as values
// anyway): "good nan 1 2" is a wide line, not the word "good nan".
TEST(WordVectors, WideLineWithNanOrInfIsAnErrorAtFileLine) {
  ScratchDir dir("emb");
  for (const std::string extra : {"nan", "inf", "-inf", "-nan", "nan 3"}) {
    write(dir.str("w.txt"), "the 1 2\nfilm 3 4\ngood " + extra + " 5 6\n");
    const std::string e = error_of([&] { load_word_vectors(dir.str("w.txt")); });
    EXPECT_NE(e.find("w.txt:3:"), std::string::npos) << extra << ": " << e;
    EXPECT_NE(e.find("wider than the others"), std::string::npos) << extra << ": " << e;
  }
  // A token that only starts like one ("infinite": strtod stops after "inf") stays a word.
  // So do words that strtod would read but no vector writer prints (C prints nan, inf).
  write(dir.str("m.txt"), "the 1 2\nnew infinite 3 4\nX Infinity 5 6\nMr NaN 7 8\n");
  const WordVectors m = load_word_vectors(dir.str("m.txt"));
  EXPECT_EQ(m.words, (std::vector<std::string>{"the", "new infinite", "X Infinity", "Mr NaN"}));
}

// strtof flags underflow (1e-40 → a subnormal) with ERANGE like overflow: a finite tiny value is
// kept, one beyond float32's range is an error saying so at file:line.
TEST(WordVectors, UnderflowIsKeptOverflowIsAnErrorAtFileLine) {
  ScratchDir dir("emb");
  write(dir.str("u.txt"), "the 1e-40 -1e-50\nfilm 3 4\n");
  const WordVectors w = load_word_vectors(dir.str("u.txt"));
  EXPECT_EQ(w.values[0], std::strtof("1e-40", nullptr));
  EXPECT_GT(w.values[0], 0.0f);  // the subnormal, not flushed
  EXPECT_EQ(w.values[1], -0.0f);
  write(dir.str("o.txt"), "the 1 2\nfilm 3 -1e39\n");
  const std::string e = error_of([&] { load_word_vectors(dir.str("o.txt")); });
  EXPECT_NE(e.find("o.txt:2: value 2 '-1e39' overflows float32"), std::string::npos) << e;
}

TEST(WordVectors, AbsurdHeaderCountsAreClearErrors) {
  ScratchDir dir("emb");
  for (const std::string d :
       {"4294967295", "99999999999999999999", "4294967296", "999999999999", "0", "100001"}) {
    write(dir.str("a.txt"), "1 " + d + "\nthe 1\n");
    const std::string e = error_of([&] { load_word_vectors(dir.str("a.txt")); });
    EXPECT_NE(e.find("a.txt:1: the word2vec header's dimension " + d + " is out of range"),
              std::string::npos)
        << e;
  }
  write(dir.str("n.txt"), "99999999999999999999 2\nthe 1 2\n");
  const std::string n = error_of([&] { load_word_vectors(dir.str("n.txt")); });
  EXPECT_NE(n.find("vector count 99999999999999999999 is out of range"), std::string::npos) << n;
}

std::string gzip_bytes(const std::string& raw) {
  const std::vector<std::uint8_t> gz =
      gzip_member(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size());
  return std::string(gz.begin(), gz.end());
}

TEST(WordVectors, GzipIsReadTransparently) {
  ScratchDir dir("emb");
  const std::string text = "2 3\nthe 0.1 0.2 0.3\nfilm -1 2 3\n";
  write(dir.str("v.txt"), text);
  write(dir.str("v.vec.gz"), gzip_bytes(text));
  write(dir.str("g.txt.gz"), gzip_bytes("the 1 2\nfilm 3 4\n"));
  const WordVectors raw = load_word_vectors(dir.str("v.txt"));
  const WordVectors gz = load_word_vectors(dir.str("v.vec.gz"));
  EXPECT_FALSE(raw.gzip);
  EXPECT_TRUE(gz.gzip);
  EXPECT_EQ(gz.words, raw.words);
  EXPECT_EQ(gz.values, raw.values);
  EXPECT_EQ(load_word_vectors(dir.str("g.txt.gz")).dim, 2);
  EXPECT_NE(gz.summary().find("gzip-compressed"), std::string::npos);
  // A corrupt gzip file is an error naming it; no binary byte is printed in any message.
  std::string bad = gzip_bytes(text);
  bad[bad.size() / 2] ^= 0x55;
  write(dir.str("bad.vec.gz"), bad);
  const std::string e = error_of([&] { load_word_vectors(dir.str("bad.vec.gz")); });
  EXPECT_NE(e.find("bad.vec.gz"), std::string::npos) << e;
  write(dir.str("bin.txt"), std::string("the 1 \x01\x8b\xff\x00z\n", 12));
  const std::string b = error_of([&] { load_word_vectors(dir.str("bin.txt")); });
  EXPECT_NE(b.find("bin.txt:1: value 2 '\\x01\\x8b\\xff\\x00z'"), std::string::npos) << b;
  for (const char c : b) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << b;
}

// A binary word2vec record: word, space, D little-endian float32s.
std::string binary_record(const std::string& word, const std::vector<float>& v) {
  std::string r = word + " ";
  for (const float x : v) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &x, 4);
    for (int k = 0; k < 4; ++k) r.push_back(static_cast<char>((bits >> (8 * k)) & 0xFF));
  }
  return r;
}

TEST(WordVectors, BinaryWord2vecIsRead) {
  ScratchDir dir("emb");
  // word2vec.c writes a '\n' after each vector, gensim 4 does not: both are read.
  const std::string body = "3 2\n" + binary_record("the", {0.5f, -1.0f}) + "\n" +
                           binary_record("film", {2.0f, 3.25f}) + "\n" +
                           binary_record("\xc3\xa9t\xc3\xa9", {1e-3f, 7.0f});
  write(dir.str("v.bin"), body + "\n");
  const WordVectors w = load_word_vectors(dir.str("v.bin"));
  EXPECT_EQ(w.format, "word2vec binary");
  EXPECT_EQ(w.dim, 2);
  ASSERT_EQ(w.words, (std::vector<std::string>{"the", "film", "\xc3\xa9t\xc3\xa9"}));
  EXPECT_EQ(w.values, (std::vector<float>{0.5f, -1.0f, 2.0f, 3.25f, 1e-3f, 7.0f}));
  write(dir.str("v.bin.gz"), gzip_bytes(body));
  EXPECT_EQ(load_word_vectors(dir.str("v.bin.gz")).values, w.values);
  // Truncated, or a header count that does not match: errors naming the file.
  write(dir.str("t.bin"), body.substr(0, body.size() - 3));
  const std::string t = error_of([&] { load_word_vectors(dir.str("t.bin")); });
  EXPECT_NE(t.find("t.bin: binary record 3 of 3: the file ends inside the vector"),
            std::string::npos)
      << t;
  write(dir.str("c.bin"), "2 2\n" + body.substr(4));
  const std::string c = error_of([&] { load_word_vectors(dir.str("c.bin")); });
  EXPECT_NE(c.find("c.bin: more bytes follow the 2 binary vectors"), std::string::npos) << c;
  write(dir.str("i.bin"), "1 2\n" + binary_record("the", {1.0f, INFINITY}));
  const std::string i = error_of([&] { load_word_vectors(dir.str("i.bin")); });
  EXPECT_NE(i.find("value 2 of 'the' is not finite"), std::string::npos) << i;
  // A header dimension off by one: the records shift and fail somewhere; every record error asks
  // whether the header's D is right.
  write(dir.str("d.bin"), "3 3\n" + body.substr(4));
  const std::string d = error_of([&] { load_word_vectors(dir.str("d.bin")); });
  EXPECT_NE(d.find("d.bin: binary record "), std::string::npos) << d;
  EXPECT_NE(d.find("(is the header's dimension 3 right? records are 3 float32 after the word)"),
            std::string::npos)
      << d;
  for (const std::string& m : {t, i})
    EXPECT_NE(m.find("(is the header's dimension 2 right?"), std::string::npos) << m;
}

TEST(WordVectors, DuplicatesCountOnceFirstWins) {
  ScratchDir dir("emb");
  write(dir.str("d.txt"), "the 1 2\nfilm 3 4\nthe 5 6\n<pad> 7 8\nfilm 9 9\nother 1 1\n");
  const Vocabulary vocab = Vocabulary::build({{"the", "film", "absent"}});
  const WordVectors w = load_word_vectors(dir.str("d.txt"), &vocab);
  ASSERT_EQ(w.words, (std::vector<std::string>{"the", "film"}));  // "2 of 3 found"
  EXPECT_EQ(w.values, (std::vector<float>{1, 2, 3, 4}));          // the first occurrences
  EXPECT_EQ(w.duplicates, 2);
  EXPECT_EQ(w.lines_read, 6);
  EXPECT_NE(w.summary().find("2 duplicate vocabulary words ignored"), std::string::npos)
      << w.summary();
  const WordVectors all = load_word_vectors(dir.str("d.txt"));
  EXPECT_EQ(all.words.size(), 4u);  // the, film, <pad>, other
  EXPECT_EQ(all.duplicates, 2);
}

// ISOBENCH_EMBEDDINGS naming a FIFO (or a device) would block or never end: refused by name.
TEST(WordVectors, SpecialFileIsRefusedNamingIt) {
  ScratchDir dir("emb");
  ASSERT_EQ(::mkfifo(dir.str("vectors.txt").c_str(), 0600), 0);
  try {
    load_word_vectors(dir.str("vectors.txt"));
    FAIL() << "a FIFO was read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.str("vectors.txt")), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
  }
}

// Every input the word-vector fuzzer kept (seeds and former crashes) reads or is an error naming
// the file, with no raw bytes in the message.
TEST(WordVectors, FuzzCorpusAndCrashRegressions) {
  const std::filesystem::path corpus =
      std::filesystem::path(ISOBENCH_TEST_FIXTURES_DIR) / "fuzz_corpus_word_vectors";
  ASSERT_TRUE(std::filesystem::exists(corpus)) << corpus;
  const Vocabulary vocab = Vocabulary::build({{"the", "film", "good", "a"}});
  int files = 0, read = 0;
  for (const auto& e : std::filesystem::directory_iterator(corpus)) {
    if (!e.is_regular_file()) continue;
    ++files;
    for (const Vocabulary* only : {static_cast<const Vocabulary*>(nullptr), &vocab}) {
      try {
        const WordVectors w = load_word_vectors(e.path().string(), only);
        EXPECT_EQ(w.values.size(), w.words.size() * static_cast<std::size_t>(w.dim));
        read += only == nullptr;
      } catch (const std::runtime_error& err) {
        const std::string m = err.what();
        EXPECT_EQ(m.rfind(e.path().string(), 0), 0u) << m;
        for (const char c : m) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << m;
      }
    }
  }
  EXPECT_GT(files, 0);
  EXPECT_GT(read, 0);
}

}  // namespace
}  // namespace isobench
