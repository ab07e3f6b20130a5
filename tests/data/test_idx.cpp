// The IDX reader: round trips, and every error path with a message naming the file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "data_test_util.hpp"
#include "isobench/data/idx.hpp"

using namespace isobench;
using namespace isobench::testutil;

namespace {

// Runs f, expects an IdxError whose message contains every one of `parts`.
void expect_idx_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "expected IdxError, nothing thrown";
  } catch (const IdxError& e) {
    const std::string msg = e.what();
    for (const std::string& p : parts) {
      EXPECT_NE(msg.find(p), std::string::npos) << "message '" << msg << "' lacks '" << p << "'";
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected IdxError, got another exception: " << e.what();
  }
}

std::vector<std::uint8_t> header(std::uint8_t type, std::vector<std::uint32_t> dims) {
  std::vector<std::uint8_t> b = {0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(d >> s));
  }
  return b;
}

IdxArray parse(const std::vector<std::uint8_t>& b, const std::string& name = "mem.idx") {
  return parse_idx(b.data(), b.size(), name);
}

}  // namespace

TEST(Idx, EncodeParseRoundTripRawAndGzip) {
  std::vector<std::uint8_t> data(2 * 3 * 5);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 9);
  for (bool gz : {false, true}) {
    const std::vector<std::uint8_t> bytes = encode_idx({2, 3, 5}, data, gz);
    EXPECT_EQ(is_gzip(bytes.data(), bytes.size()), gz);
    const IdxArray a = parse(bytes);
    EXPECT_EQ(a.dims, (std::vector<std::uint32_t>{2, 3, 5}));
    EXPECT_EQ(a.data, data);
  }
}

TEST(Idx, HeaderIsBigEndianAsInTheMnistFiles) {
  // The t10k-labels header: 00 00 08 01, then 10,000 = 0x00002710.
  const std::vector<std::uint8_t> bytes =
      encode_idx({10000}, std::vector<std::uint8_t>(10000), false);
  ASSERT_GE(bytes.size(), 8u);
  EXPECT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + 8),
            (std::vector<std::uint8_t>{0, 0, 8, 1, 0, 0, 0x27, 0x10}));
}

TEST(Idx, ReadsImageAndLabelFilesRawAndGzip) {
  ScratchDir dir("idx");
  for (bool gz : {false, true}) {
    const std::string sub = gz ? "gz" : "raw";
    write_pair(dir.path() / sub, "img", "lab", 6, 4, 3, gz);
    const std::string ext = gz ? ".gz" : "";
    const IdxImages im = read_idx_images(dir.str(sub + "/img" + ext));
    EXPECT_EQ(im.n, 6);
    EXPECT_EQ(im.rows, 4);
    EXPECT_EQ(im.cols, 3);
    ASSERT_EQ(im.pixels.size(), 72u);
    for (int i = 0; i < 6; ++i) {
      for (int j = 0; j < 12; ++j) EXPECT_EQ(im.pixels[i * 12 + j], pixel_byte(i, j));
    }
    const std::vector<std::uint8_t> lb = read_idx_labels(dir.str(sub + "/lab" + ext), 10);
    ASSERT_EQ(lb.size(), 6u);
    for (int i = 0; i < 6; ++i) EXPECT_EQ(lb[i], label_byte(i));
  }
}

TEST(Idx, ShippedTinyFilesRead) {
  // tests/fixtures/tiny-*: 5 images of 4×3, the pattern of data_test_util.hpp, labels
  // (3i+1) mod 10.
  const std::string d = ISOBENCH_TEST_FIXTURES_DIR;
  const IdxImages im = read_idx_images(d + "/tiny-images-idx3-ubyte.gz");
  ASSERT_EQ(im.n, 5);
  ASSERT_EQ(im.rows, 4);
  ASSERT_EQ(im.cols, 3);
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 12; ++j) EXPECT_EQ(im.pixels[i * 12 + j], pixel_byte(i, j));
  }
  const std::vector<std::uint8_t> lb = read_idx_labels(d + "/tiny-labels-idx1-ubyte", 10);
  ASSERT_EQ(lb.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(lb[i], label_byte(i));
}

TEST(Idx, MissingFileNamesIt) {
  expect_idx_error([] { read_idx("/nonexistent/dir/train-images-idx3-ubyte.gz"); },
                   {"/nonexistent/dir/train-images-idx3-ubyte.gz", "cannot open"});
}

TEST(Idx, BadMagic) {
  std::vector<std::uint8_t> b = header(8, {2});
  b.push_back(1);
  b.push_back(2);
  b[1] = 3;
  expect_idx_error([&] { parse(b, "bad-magic.idx"); }, {"bad-magic.idx", "magic"});
  // A text file is not an IDX file either.
  const std::string text = "hello, world";
  expect_idx_error(
      [&] { parse_idx(reinterpret_cast<const std::uint8_t*>(text.data()), text.size(), "t.txt"); },
      {"t.txt", "magic"});
}

TEST(Idx, UnsupportedElementType) {
  std::vector<std::uint8_t> b = header(0x0D, {1});  // float
  b.insert(b.end(), 4, 0);
  expect_idx_error([&] { parse(b, "f.idx"); }, {"f.idx", "0x0d", "unsigned byte"});
}

TEST(Idx, TooShortAndZeroDims) {
  expect_idx_error([] { parse({0, 0}, "short.idx"); }, {"short.idx", "too short"});
  expect_idx_error([] { parse({}, "empty.idx"); }, {"empty.idx", "too short"});
  expect_idx_error([] { parse({0, 0, 8, 0}, "zero.idx"); }, {"zero.idx", "0 dimensions"});
}

TEST(Idx, TruncatedHeader) {
  std::vector<std::uint8_t> b = header(8, {5, 4, 3});
  b.resize(10);  // 3 dims need 16 header bytes
  expect_idx_error([&] { parse(b, "th.idx"); }, {"th.idx", "truncated IDX header"});
}

TEST(Idx, TruncatedData) {
  std::vector<std::uint8_t> b = header(8, {5, 4, 3});
  b.resize(b.size() + 59);  // one byte short of 60
  expect_idx_error([&] { parse(b, "td.idx"); }, {"td.idx", "truncated", "5 x 4 x 3 = 60", "59"});
}

TEST(Idx, TrailingBytesAreAnError) {
  std::vector<std::uint8_t> b = header(8, {2});
  b.resize(b.size() + 3);
  expect_idx_error([&] { parse(b, "tr.idx"); },
                   {"tr.idx", "size mismatch", "2 bytes", "file has 3"});
}

TEST(Idx, HugeDeclaredSizesDoNotAllocate) {
  // 2^32−1 cubed overflows 64 bits; the reader must refuse it without trying to allocate.
  std::vector<std::uint8_t> b = header(8, {0xffffffffu, 0xffffffffu, 0xffffffffu});
  expect_idx_error([&] { parse(b, "huge.idx"); }, {"huge.idx", "more than 2^64"});
  std::vector<std::uint8_t> c = header(8, {0xffffffffu, 0xffffffffu});
  expect_idx_error([&] { parse(c, "big.idx"); }, {"big.idx", "truncated"});
}

TEST(Idx, WrongNumberOfDimensions) {
  ScratchDir dir("idx");
  write_pair(dir.path(), "img", "lab", 3, 2, 2);
  // An image file read as labels and a label file read as images.
  expect_idx_error([&] { read_idx_labels(dir.str("img.gz"), 10); },
                   {dir.str("img.gz"), "label file (1 dimension)", "3 dimension"});
  expect_idx_error([&] { read_idx_images(dir.str("lab.gz")); },
                   {dir.str("lab.gz"), "3 dimensions", "found 1"});
}

TEST(Idx, EmptyImageOrLabelFile) {
  IdxArray a;
  a.dims = {0, 28, 28};
  expect_idx_error([&] { idx_as_images(std::move(a), "e.idx"); }, {"e.idx", "empty"});
  IdxArray l;
  l.dims = {0};
  expect_idx_error([&] { idx_as_labels(std::move(l), "el.idx", 10); }, {"el.idx", "empty"});
}

TEST(Idx, LabelOutOfRange) {
  ScratchDir dir("idx");
  write_idx(dir.str("lab"), {4}, {1, 9, 10, 3}, false);
  expect_idx_error([&] { read_idx_labels(dir.str("lab"), 10); },
                   {dir.str("lab"), "label 10 at index 2", "[0, 10)"});
  // With 11 classes the same file is fine.
  EXPECT_EQ(read_idx_labels(dir.str("lab"), 11).size(), 4u);
}

TEST(Idx, CorruptGzip) {
  std::vector<std::uint8_t> data(500);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * i);
  const std::vector<std::uint8_t> good = encode_idx({500}, data, true);
  // Flip bits in the deflate payload: either invalid deflate data or a CRC mismatch.
  for (std::size_t pos : {std::size_t{12}, good.size() / 2, good.size() - 6}) {
    std::vector<std::uint8_t> bad = good;
    bad[pos] ^= 0x5a;
    expect_idx_error([&] { parse(bad, "c.gz"); }, {"c.gz"});
  }
  std::vector<std::uint8_t> bad = good;
  bad[good.size() - 6] ^= 0x01;  // inside the CRC32 trailer
  expect_idx_error([&] { parse(bad, "crc.gz"); }, {"crc.gz", "corrupt gzip"});
}

TEST(Idx, TruncatedGzip) {
  const std::vector<std::uint8_t> good = encode_idx({300}, std::vector<std::uint8_t>(300, 7), true);
  for (std::size_t keep : {std::size_t{3}, std::size_t{12}, good.size() - 1}) {
    std::vector<std::uint8_t> cut(good.begin(), good.begin() + keep);
    expect_idx_error([&] { parse(cut, "cut.gz"); }, {"cut.gz", "truncated gzip"});
  }
}

TEST(Idx, GarbageAfterGzip) {
  // Zero padding after the member is ignored, as gunzip(1) and Python's gzip ignore it.
  std::vector<std::uint8_t> z = encode_idx({3}, {1, 2, 3}, true);
  z.insert(z.end(), 512, 0);
  EXPECT_EQ(parse(z, "z.gz").data, (std::vector<std::uint8_t>{1, 2, 3}));
  std::vector<std::uint8_t> b = encode_idx({3}, {1, 2, 3}, true);
  b.push_back(0);
  b.push_back(9);
  expect_idx_error(
      [&] { parse(b, "g.gz"); },
      {"g.gz", "2 bytes after the end of the gzip data at offset " + std::to_string(b.size() - 2),
       "not another gzip member"});
  // Text after the member (a log line appended by a downloader) is refused the same way.
  std::vector<std::uint8_t> t = encode_idx({3}, {1, 2, 3}, true);
  for (char c : std::string("saved\n")) t.push_back(static_cast<std::uint8_t>(c));
  expect_idx_error([&] { parse(t, "t.gz"); }, {"t.gz", "6 bytes after the end", "trailing"});
}

// `cat a.gz b.gz`: gunzip(1) and Python read the concatenation of the members; so do we. The
// split falls inside the IDX header, so the array parses only if both members are read.
TEST(Idx, MultiMemberGzipReadsAsConcatenation) {
  const std::vector<std::uint8_t> raw =
      encode_idx({2, 3, 4}, std::vector<std::uint8_t>(24, 9), false);
  const std::vector<std::uint8_t> head(raw.begin(), raw.begin() + 6),
      tail(raw.begin() + 6, raw.end());
  std::vector<std::uint8_t> two = gzip_member(head);
  const std::vector<std::uint8_t> second = gzip_member(tail);
  two.insert(two.end(), second.begin(), second.end());
  EXPECT_EQ(gunzip(two.data(), two.size(), "two.gz"), raw);
  const IdxArray a = parse(two, "two.gz");
  EXPECT_EQ(a.dims, (std::vector<std::uint32_t>{2, 3, 4}));
  EXPECT_EQ(a.data, std::vector<std::uint8_t>(24, 9));
  // Three members, one of them empty, read from a file.
  std::vector<std::uint8_t> three = gzip_member({});
  three.insert(three.end(), two.begin(), two.end());
  ScratchDir dir("idx");
  write_bytes(dir.str("three.gz"), three);
  EXPECT_EQ(read_idx(dir.str("three.gz")).data, std::vector<std::uint8_t>(24, 9));
  EXPECT_EQ(read_decompressed(dir.str("three.gz")), raw);
  // The bomb limit counts every member's output together.
  expect_idx_error([&] { gunzip(two.data(), two.size(), "two.gz", 20); },
                   {"two.gz", "more than 20 bytes"});
  // A truncated second member is still a truncated stream.
  std::vector<std::uint8_t> cut(two.begin(), two.end() - 3);
  expect_idx_error([&] { parse(cut, "cut.gz"); }, {"cut.gz", "truncated gzip"});
}

// A directory or a special file where a file should be: an error naming the path (a directory
// used to end in std::bad_alloc: it opens as a stream with an absurd size).
TEST(Idx, DirectoryOrFifoInPlaceOfAFileIsNamed) {
  ScratchDir dir("idx");
  std::filesystem::create_directory(dir.str("train-images-idx3-ubyte"));
  expect_idx_error([&] { read_idx(dir.str("train-images-idx3-ubyte")); },
                   {dir.str("train-images-idx3-ubyte"), "is a directory"});
  ASSERT_EQ(::mkfifo(dir.str("fifo").c_str(), 0600), 0);
  expect_idx_error([&] { read_idx(dir.str("fifo")); }, {dir.str("fifo"), "not a regular file"});
  expect_idx_error([&] { read_file_bytes(dir.str("missing")); },
                   {dir.str("missing"), "cannot open"});
}

TEST(Idx, GzipBombLimit) {
  const std::vector<std::uint8_t> b =
      encode_idx({1 << 20}, std::vector<std::uint8_t>(1 << 20, 0), true);
  expect_idx_error([&] { gunzip(b.data(), b.size(), "bomb.gz", 4096); },
                   {"bomb.gz", "more than 4096 bytes"});
  EXPECT_EQ(gunzip(b.data(), b.size(), "bomb.gz", 2 << 20).size(), (1u << 20) + 8u);
}

TEST(Idx, GzipOfNonIdxContentIsAnIdxError) {
  // A valid gzip holding a text file: decompresses, then fails as IDX, naming the .gz.
  const std::string text = "hello, this is not an IDX file";
  const std::vector<std::uint8_t> gz =
      gzip_member(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  ScratchDir dir("idx");
  write_bytes(dir.str("text.gz"), gz);
  expect_idx_error([&] { read_idx(dir.str("text.gz")); }, {dir.str("text.gz"), "magic"});
}

TEST(Idx, WriteToUnwritablePathThrows) {
  expect_idx_error([] { write_idx("/nonexistent/dir/out.idx", {1}, {0}, false); },
                   {"/nonexistent/dir/out.idx", "cannot open for writing"});
}

// Every input the fuzzer kept (seeds and former crashes) must parse or throw IdxError.
TEST(Idx, FuzzCorpusAndCrashRegressions) {
  const std::filesystem::path corpus =
      std::filesystem::path(ISOBENCH_TEST_FIXTURES_DIR) / "fuzz_corpus";
  if (!std::filesystem::exists(corpus)) GTEST_SKIP() << corpus << " is absent";
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(corpus)) {
    if (!e.is_regular_file()) continue;
    ++files;
    const std::vector<std::uint8_t> b = read_bytes(e.path().string());
    try {
      IdxArray a = parse_idx(b.data(), b.size(), e.path().string());
      IdxArray copy = a;
      try {
        idx_as_images(std::move(a), "x");
      } catch (const IdxError&) {
      }
      try {
        idx_as_labels(std::move(copy), "x", 10);
      } catch (const IdxError&) {
      }
    } catch (const IdxError& err) {
      EXPECT_NE(std::string(err.what()).find(e.path().string()), std::string::npos);
    }
  }
  EXPECT_GT(files, 0);
}
