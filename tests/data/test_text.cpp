// The rt-polarity text pipeline (text.hpp): decoding, tokenizer, vocabulary, padding, split,
// the faithful half, lookup order and every bad-input error.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "data_test_util.hpp"
#include "isobench/data/text.hpp"

namespace isobench {
namespace {

using testutil::EnvOverride;
using testutil::ScratchDir;

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Lines "good pK great film ." / "bad nK dull film ." in dir/rt-polarity.{pos,neg}: every snippet
// has one token of its own.
PolarityFiles write_corpus(const ScratchDir& dir, int n_pos, int n_neg) {
  std::string pos, neg;
  for (int k = 0; k < n_pos; ++k) pos += "good p" + std::to_string(k) + " great film .\n";
  for (int k = 0; k < n_neg; ++k) neg += "bad n" + std::to_string(k) + " dull film .\n";
  write_bytes(dir.str("rt-polarity.pos"), pos);
  write_bytes(dir.str("rt-polarity.neg"), neg);
  return {dir.str(), dir.str("rt-polarity.pos"), dir.str("rt-polarity.neg")};
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(Text, TokenizerSplitsOnSpacesAndTabs) {
  EXPECT_EQ(whitespace_tokens("  a b\t c  \r"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(whitespace_tokens("   ").empty());
}

TEST(Text, ReadsUtf8AsIsAndWindows1252Converted) {
  ScratchDir dir("text");
  write_bytes(dir.str("u"), "caf\xc3\xa9 \xe2\x80\x9cok\xe2\x80\x9d\nsecond\n");
  const TextLines u = read_text_lines(dir.str("u"));
  EXPECT_EQ(u.encoding, "UTF-8");
  ASSERT_EQ(u.lines.size(), 2u);
  EXPECT_EQ(u.lines[0], "caf\xc3\xa9 \xe2\x80\x9cok\xe2\x80\x9d");  // unchanged
  // The same words in Windows-1252 (é = 0xE9, “ = 0x93, ” = 0x94: not valid UTF-8) become the
  // same UTF-8 bytes; 0x93 is U+201C, not the C1 control U+0093 Latin-1 would give.
  write_bytes(dir.str("l"), "caf\xe9 \x93ok\x94\r\nsecond");
  const TextLines l = read_text_lines(dir.str("l"));
  EXPECT_EQ(l.encoding, "Windows-1252 (not UTF-8: byte 0xe9 at offset 3, line 1)");
  ASSERT_EQ(l.lines.size(), 2u);
  EXPECT_EQ(l.lines[0], u.lines[0]);
  EXPECT_EQ(l.lines[1], "second");
  // The rest of 0x80-0x9F that the original files use: … ‘ ’ • – — and € (3-byte UTF-8).
  const TextLines p = decode_text_lines("\x85\x91\x92\x95\x96\x97\x80\n", "p");
  EXPECT_EQ(p.lines[0],
            "\xe2\x80\xa6\xe2\x80\x98\xe2\x80\x99\xe2\x80\xa2\xe2\x80\x93\xe2\x80\x94"
            "\xe2\x82\xac");
  EXPECT_EQ(decode_text_lines("\x8a\x9f\xa0\xff\n", "q").lines[0],
            "\xc5\xa0\xc5\xb8\xc2\xa0\xc3\xbf");  // Š Ÿ nbsp ÿ
}

TEST(Text, SpecialFileIsRefusedNamingIt) {
  ScratchDir dir("text");
  ASSERT_EQ(::mkfifo(dir.str("rt-polarity.pos").c_str(), 0600), 0);
  try {
    read_text_lines(dir.str("rt-polarity.pos"));
    FAIL() << "a FIFO was read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.str("rt-polarity.pos")), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
  }
}

TEST(Text, UndefinedWindows1252ByteIsAnErrorAtFileOffset) {
  ScratchDir dir("text");
  for (const char b : {'\x81', '\x8d', '\x8f', '\x90', '\x9d'}) {
    write_bytes(dir.str("u.pos"), std::string("fine line\nab ") + b + " cd\n");
    const std::string e = error_of([&] { read_text_lines(dir.str("u.pos")); });
    EXPECT_NE(e.find(dir.str("u.pos")), std::string::npos) << e;
    EXPECT_NE(e.find("byte offset 13 (line 2)"), std::string::npos) << e;
    EXPECT_NE(e.find("undefined in Windows-1252"), std::string::npos) << e;
  }
}

TEST(Text, DescriptionNamesTheEncoding) {
  ScratchDir dir("text");
  const PolarityFiles f = write_corpus(dir, 10, 10);
  EXPECT_NE(load_polarity(f).description.find("; UTF-8) from"), std::string::npos);
  write_bytes(f.pos, "good \x93great\x94 film\n" + std::string(9, 'x') + "\n");
  write_bytes(f.neg, "bad \x96 dull\n" + std::string(9, 'y') + "\n");
  const std::string both = load_polarity(f).description;
  EXPECT_NE(both.find("; rt-polarity.pos Windows-1252 (not UTF-8: byte 0x93 at offset 5, line 1), "
                      "rt-polarity.neg Windows-1252 (not UTF-8: byte 0x96 at offset 4, line 1)) "
                      "from"),
            std::string::npos)
      << both;
  write_corpus(dir, 2, 2);
  write_bytes(f.neg, "bad \x96 dull\nworse\n");
  const std::string mixed = load_polarity(f).description;
  EXPECT_NE(mixed.find("rt-polarity.pos UTF-8, rt-polarity.neg Windows-1252"), std::string::npos)
      << mixed;
}

// A UTF-8 file that is valid but for a few bytes is read whole as Windows-1252, and the encoding
// says where UTF-8 stopped (the first offending byte, its 0-based offset, its line).
TEST(Text, Windows1252EncodingSaysWhereUtf8Stopped) {
  const TextLines t = decode_text_lines("caf\xc3\xa9 one\nline two \x93x\x94\n\xe9\n", "f");
  EXPECT_EQ(t.encoding, "Windows-1252 (not UTF-8: byte 0x93 at offset 19, line 2)");
  // The whole file is cp1252: the valid UTF-8 "é" before is read as two cp1252 characters.
  EXPECT_EQ(t.lines[0], "caf\xc3\x83\xc2\xa9 one");
  EXPECT_EQ(t.lines[1], "line two \xe2\x80\x9cx\xe2\x80\x9d");
  // A truncated sequence at the very end is named too.
  EXPECT_EQ(decode_text_lines("ok\n\xe2\x80", "g").encoding,
            "Windows-1252 (not UTF-8: byte 0xe2 at offset 3, line 2)");
}

// A UTF-8 byte-order mark (Notepad writes one) is dropped, so the first token and every counter
// are as without it; the encoding says "UTF-8 with BOM".
TEST(Text, ByteOrderMarkIsDroppedAndNamed) {
  const TextLines t = decode_text_lines("\xef\xbb\xbfgood film\nbad\n", "f");
  EXPECT_EQ(t.encoding, "UTF-8 with BOM");
  EXPECT_EQ(t.lines, (std::vector<std::string>{"good film", "bad"}));
  ScratchDir dir("text");
  const PolarityFiles f = write_corpus(dir, 10, 10);
  const TextSplit plain = load_polarity(f);
  for (const std::string& path : {f.pos, f.neg}) {
    std::ifstream in(path, std::ios::binary);
    const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    write_bytes(path, "\xef\xbb\xbf" + body);
  }
  const TextSplit bom = load_polarity(f);
  EXPECT_NE(bom.description.find("; UTF-8 with BOM) from"), std::string::npos) << bom.description;
  EXPECT_EQ(bom.vocab.size(), plain.vocab.size());
  EXPECT_EQ(bom.train.ids, plain.train.ids);
  EXPECT_EQ(bom.test.ids, plain.test.ids);
  EXPECT_EQ(bom.unknown_tokens, plain.unknown_tokens);
  EXPECT_EQ(bom.kept_tokens, plain.kept_tokens);
  EXPECT_EQ(bom.vocab.id("\xef\xbb\xbfgood"), Vocabulary::kUnknown);
}

// A BOM promises UTF-8: a file that starts with one and is not valid UTF-8 after it is not
// guessed at (it is corrupt or mislabelled); the error names the file, byte and offset.
TEST(Text, ByteOrderMarkBeforeInvalidUtf8IsAnErrorAtFileOffset) {
  ScratchDir dir("text");
  write_bytes(dir.str("b.pos"),
              "\xef\xbb\xbfok\n\x93"
              "bad\x94\n");
  const std::string e = error_of([&] { read_text_lines(dir.str("b.pos")); });
  EXPECT_EQ(e.rfind(dir.str("b.pos") + ": ", 0), 0u) << e;
  EXPECT_NE(e.find("byte-order mark, which promises UTF-8"), std::string::npos) << e;
  EXPECT_NE(e.find("byte 0x93 at offset 6, line 2"), std::string::npos) << e;
}

// Every input the text fuzzer kept (seeds and former crashes) decodes or is an error naming it,
// with no raw bytes in the message, and its lines are valid UTF-8.
TEST(Text, FuzzCorpusAndCrashRegressions) {
  const std::filesystem::path corpus =
      std::filesystem::path(ISOBENCH_TEST_FIXTURES_DIR) / "fuzz_corpus_text";
  ASSERT_TRUE(std::filesystem::exists(corpus)) << corpus;
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(corpus)) {
    if (!e.is_regular_file()) continue;
    ++files;
    try {
      const TextLines t = read_text_lines(e.path().string());
      for (const auto& line : t.lines) {
        EXPECT_TRUE(is_valid_utf8(line)) << e.path();
        Vocabulary::build({whitespace_tokens(line)});
      }
    } catch (const std::runtime_error& err) {
      const std::string m = err.what();
      EXPECT_EQ(m.rfind(e.path().string(), 0), 0u) << m;
      for (const char c : m) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << m;
    }
  }
  EXPECT_GT(files, 0);
}

TEST(Text, BadFilesAreErrorsNamingTheFile) {
  ScratchDir dir("text");
  EXPECT_NE(error_of([&] { read_text_lines(dir.str("missing.pos")); }).find("missing.pos"),
            std::string::npos);
  write_bytes(dir.str("empty.pos"), "\n  \n");
  const std::string e = error_of([&] { read_text_lines(dir.str("empty.pos")); });
  EXPECT_NE(e.find("empty.pos"), std::string::npos);
  EXPECT_NE(e.find("empty"), std::string::npos);
  write_bytes(dir.str("bin.pos"), std::string("ok line\nbad\x01"
                                              "byte\n",
                                              17));
  const std::string b = error_of([&] { read_text_lines(dir.str("bin.pos")); });
  EXPECT_NE(b.find("bin.pos"), std::string::npos);
  EXPECT_NE(b.find("line 2"), std::string::npos);
  EXPECT_NE(b.find("undecodable"), std::string::npos);
  write_bytes(dir.str("nul.pos"), std::string("a\0b\n", 4));
  EXPECT_NE(error_of([&] { read_text_lines(dir.str("nul.pos")); }).find("nul.pos"),
            std::string::npos);
}

TEST(Text, VocabularyCountsOrderAndMinCount) {
  const std::vector<std::vector<std::string>> docs = {{"b", "a", "b"}, {"c", "b", "a"}, {"d"}};
  const Vocabulary v = Vocabulary::build(docs, 1);
  ASSERT_EQ(v.size(), 6);
  EXPECT_EQ(v.word(Vocabulary::kPad), "<pad>");
  EXPECT_EQ(v.word(Vocabulary::kUnknown), "<unk>");
  EXPECT_EQ(v.word(2), "b");  // 3 times
  EXPECT_EQ(v.word(3), "a");  // 2 times
  EXPECT_EQ(v.word(4), "c");  // 1, ties in byte order
  EXPECT_EQ(v.word(5), "d");
  EXPECT_EQ(v.count(2), 3);
  EXPECT_EQ(v.id("zzz"), Vocabulary::kUnknown);
  // A literal "<pad>" in a text is an unknown token, never the padding id (found by fuzz_text).
  EXPECT_EQ(v.id("<pad>"), Vocabulary::kUnknown);
  EXPECT_EQ(Vocabulary::build({{"<pad>", "<pad>", "x"}}).size(), 3);
  const TextSet padded = encode_texts({{"<pad>", "b"}}, {1.0f}, v, 3, Pad::Pre);
  EXPECT_EQ(padded.ids, (std::vector<std::int32_t>{Vocabulary::kPad, Vocabulary::kUnknown, 2}));
  const Vocabulary v2 = Vocabulary::build(docs, 2);
  EXPECT_EQ(v2.size(), 4);
  EXPECT_EQ(v2.id("c"), Vocabulary::kUnknown);
  EXPECT_EQ(Vocabulary::build(docs, 1, 3).size(), 3);  // pad, unk, b
  EXPECT_THROW(Vocabulary::build(docs, 0), std::invalid_argument);
  EXPECT_THROW(Vocabulary::build(docs, 1, 1), std::invalid_argument);
}

TEST(Text, PadsInFrontOrBehindAndCutsTheEnd) {
  const Vocabulary v = Vocabulary::build({{"a", "b", "c"}});
  const std::vector<std::vector<std::string>> docs = {{"a", "x"}, {"a", "b", "c", "a"}};
  long unk = 0, kept = 0;
  const TextSet pre = encode_texts(docs, {1.f, 0.f}, v, 3, Pad::Pre, &unk, &kept);
  const int a = v.id("a"), b = v.id("b"), c = v.id("c");
  EXPECT_EQ(std::vector<std::int32_t>(pre.ids.begin(), pre.ids.end()),
            (std::vector<std::int32_t>{0, a, Vocabulary::kUnknown, a, b, c}));
  EXPECT_EQ(unk, 1);
  EXPECT_EQ(kept, 5);
  EXPECT_EQ(pre.lengths, (std::vector<int>{2, 3}));
  const TextSet post = encode_texts(docs, {1.f, 0.f}, v, 3, Pad::Post);
  EXPECT_EQ(std::vector<std::int32_t>(post.ids.begin(), post.ids.end()),
            (std::vector<std::int32_t>{a, Vocabulary::kUnknown, 0, a, b, c}));
}

TEST(Text, SplitIsDeterministicDisjointAndVocabularyFromTrainOnly) {
  ScratchDir dir("text");
  const PolarityFiles f = write_corpus(dir, 50, 50);
  PolarityOptions opt;
  opt.max_len = 8;
  const TextSplit s = load_polarity(f, opt);
  EXPECT_EQ(s.train.n, 80);
  EXPECT_EQ(s.val.n, 10);
  EXPECT_EQ(s.test.n, 10);
  // Each snippet's own token is known only if the snippet is in the training part: the
  // vocabulary holds 6 shared words + 80 own tokens, and every val/test snippet has 1 unknown.
  EXPECT_EQ(s.vocab.size(), 2 + 6 + 80);
  EXPECT_EQ(s.unknown_tokens, 20);
  EXPECT_EQ(s.kept_tokens, 20 * 5);
  for (int i = 0; i < s.test.n; ++i) {
    const std::int32_t* q = s.test.sequence(i);
    EXPECT_EQ(q[0] + q[1] + q[2], 0);  // 5 tokens in 8: three padding ids in front
    EXPECT_EQ(q[4], Vocabulary::kUnknown);
  }
  const TextSplit again = load_polarity(f, opt);
  EXPECT_EQ(again.train.ids, s.train.ids);
  EXPECT_EQ(again.test.y, s.test.y);
  opt.seed = 1;
  const TextSplit other = load_polarity(f, opt);
  EXPECT_NE(other.test.ids, s.test.ids);
  // Label balance overall.
  double pos = 0;
  for (const TextSet* p : {&s.train, &s.val, &s.test})
    for (float y : p->y) pos += y;
  EXPECT_EQ(pos, 50);
}

TEST(Text, FaithfulKeepsEveryOtherLine) {
  ScratchDir dir("text");
  const PolarityFiles f = write_corpus(dir, 11, 11);
  PolarityOptions opt;
  opt.faithful = true;
  opt.val_fraction = opt.test_fraction = 0;
  const TextSplit s = load_polarity(f, opt);
  EXPECT_EQ(s.train.n, 10);  // lines 2, 4, …, 10 of each file (0-based 1, 3, 5, 7, 9)
  std::set<std::string> words;
  for (int id = 2; id < s.vocab.size(); ++id) words.insert(s.vocab.word(id));
  for (int k = 0; k < 11; ++k)
    EXPECT_EQ(words.count("p" + std::to_string(k)), k % 2 == 1 ? 1u : 0u) << k;
  EXPECT_NE(s.description.find("every other line"), std::string::npos);
}

TEST(Text, UnequalCountsAndBadOptionsAreErrors) {
  ScratchDir dir("text");
  const PolarityFiles f = write_corpus(dir, 10, 9);
  const std::string e = error_of([&] { load_polarity(f); });
  EXPECT_NE(e.find("rt-polarity.pos has 10 lines"), std::string::npos) << e;
  EXPECT_NE(e.find("rt-polarity.neg has 9"), std::string::npos) << e;
  const PolarityFiles g = write_corpus(dir, 10, 10);
  PolarityOptions opt;
  opt.max_len = 0;
  EXPECT_THROW(load_polarity(g, opt), std::invalid_argument);
  opt = {};
  opt.val_fraction = 0.6;
  opt.test_fraction = 0.5;
  EXPECT_THROW(load_polarity(g, opt), std::invalid_argument);
}

TEST(Text, LookupOrderPrefersDataDirAndNeverFallsThrough) {
  ScratchDir dir("text");
  std::filesystem::create_directories(dir.path() / "rt-polarity");
  EnvOverride data("ISOBENCH_DATA_DIR", dir.str());
  const auto path = polarity_search_path();
  ASSERT_GE(path.size(), 3u);
  EXPECT_EQ(path[0], (dir.path() / "rt-polarity").string());
  // Only one of the two files in the first location: an error naming the other.
  write_bytes(dir.str("rt-polarity/rt-polarity.pos"), "good\n");
  const std::string e = error_of([] { locate_polarity(); });
  EXPECT_NE(e.find("rt-polarity.neg is missing"), std::string::npos) << e;
  write_bytes(dir.str("rt-polarity/rt-polarity.neg"), "bad\n");
  EXPECT_EQ(locate_polarity().dir, (dir.path() / "rt-polarity").string());
}

// A gzip'd text file is not read (only the IDX files accept .gz): the near-miss message must not
// say it would be.
TEST(Text, GzippedPolarityFileMessageSaysRawOnly) {
  ScratchDir dir("text");
  std::filesystem::create_directories(dir.path() / "rt-polarity");
  EnvOverride data("ISOBENCH_DATA_DIR", dir.str());
  write_bytes(dir.str("rt-polarity/rt-polarity.pos.gz"), "\x1f\x8b");
  write_bytes(dir.str("rt-polarity/rt-polarity.neg"), "bad\n");
  const std::string e = error_of([] { locate_polarity(); });
  EXPECT_NE(e.find("rt-polarity.pos.gz (not an accepted name of rt-polarity.pos)"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("reads only these names (raw files only; a .gz is not read)"), std::string::npos)
      << e;
  EXPECT_EQ(e.find("gzip'd as .gz"), std::string::npos) << e;
}

TEST(Text, RealDatasetWhenPresent) {
  PolarityFiles f;
  try {
    f = locate_polarity();
  } catch (const std::exception& e) {
    GTEST_SKIP() << e.what();
  }
  const TextSplit all = load_polarity(f);
  EXPECT_EQ(all.train.n + all.val.n + all.test.n, 10662);
  EXPECT_EQ(all.train.n, 8530);
  EXPECT_EQ(all.val.n, 1066);
  EXPECT_NE(all.description.find("; UTF-8) from"), std::string::npos);  // the shared copy
  PolarityOptions half;
  half.faithful = true;
  const TextSplit h = load_polarity(f, half);
  EXPECT_EQ(h.train.n, 4264);  // the study's split sizes
  EXPECT_EQ(h.val.n, 533);
  EXPECT_EQ(h.test.n, 533);
}

}  // namespace
}  // namespace isobench
