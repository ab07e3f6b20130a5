// Views (flat / rows / pixels / permuted pixels, time-major), labels, shuffling and the
// mini-batch iterator.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <set>
#include <vector>

#include "isobench/core/rng.hpp"
#include "isobench/data/batches.hpp"
#include "isobench/data/datasets.hpp"

using namespace isobench;

namespace {

// n random images of rows×cols with labels k mod classes.
Dataset random_dataset(int n, int rows, int cols, std::uint64_t seed = 1) {
  Dataset d;
  d.n = n;
  d.rows = rows;
  d.cols = cols;
  d.x.resize(static_cast<std::size_t>(n) * rows * cols);
  Engine e = make_engine("random_dataset", seed);
  for (float& v : d.x) v = static_cast<float>(uniform01(e));
  for (int i = 0; i < n; ++i) d.y.push_back(i % d.classes);
  return d;
}

}  // namespace

TEST(UniformIndex, RangeAndUniformity) {
  Engine e = make_engine("uniform_index", 0);
  const int n = 7, draws = 70000;
  std::vector<int> c(n, 0);
  for (int i = 0; i < draws; ++i) {
    const std::uint64_t k = uniform_index(e, n);
    ASSERT_LT(k, std::uint64_t(n));
    ++c[k];
  }
  // χ² with 6 d.o.f.; P(χ² > 22.46) = 0.001.
  double chi2 = 0;
  for (int k : c) chi2 += std::pow(k - draws / double(n), 2) / (draws / double(n));
  EXPECT_LT(chi2, 22.46);
  EXPECT_EQ(uniform_index(e, 1), 0u);
  EXPECT_THROW(uniform_index(e, 0), std::invalid_argument);
}

TEST(Shuffle, IsAPermutationAndDeterministic) {
  std::vector<int> a(100), b;
  std::iota(a.begin(), a.end(), 0);
  b = a;
  Engine e1 = make_engine("s", 3), e2 = make_engine("s", 3);
  shuffle_indices(a, e1);
  shuffle_indices(b, e2);
  EXPECT_EQ(a, b);
  std::vector<int> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(sorted[i], i);
  int fixed_points = 0;
  for (int i = 0; i < 100; ++i) fixed_points += a[i] == i;
  EXPECT_LT(fixed_points, 10);  // expected 1 for a uniform permutation
}

TEST(Shuffle, EveryPositionUniform) {
  // Where element 0 of a 5-vector lands, over many shuffles: uniform over 5 positions.
  Engine e = make_engine("s_uniform", 0);
  const int trials = 50000;
  std::vector<int> c(5, 0);
  for (int t = 0; t < trials; ++t) {
    std::vector<int> v = {0, 1, 2, 3, 4};
    shuffle_indices(v, e);
    ++c[std::find(v.begin(), v.end(), 0) - v.begin()];
  }
  double chi2 = 0;
  for (int k : c) chi2 += std::pow(k - trials / 5.0, 2) / (trials / 5.0);
  EXPECT_LT(chi2, 18.47);  // χ², 4 d.o.f., p = 0.001
}

TEST(PixelPermutation, FixedBijectionFromSeed) {
  const std::vector<int> p = pixel_permutation(784, 0);
  ASSERT_EQ(p.size(), 784u);
  std::vector<char> seen(784, 0);
  for (int v : p) {
    ASSERT_GE(v, 0);
    ASSERT_LT(v, 784);
    EXPECT_FALSE(seen[v]);
    seen[v] = 1;
  }
  EXPECT_EQ(pixel_permutation(784, 0), p);  // fixed
  EXPECT_NE(pixel_permutation(784, 1), p);  // another seed, another permutation
  int fixed = 0;
  for (int i = 0; i < 784; ++i) fixed += p[i] == i;
  EXPECT_LT(fixed, 10);
}

TEST(Views, ShapesPerView) {
  EXPECT_EQ(view_steps(SeqView::Flat, 28, 28), 1);
  EXPECT_EQ(view_features(SeqView::Flat, 28, 28), 784);
  EXPECT_EQ(view_steps(SeqView::Rows, 28, 28), 28);
  EXPECT_EQ(view_features(SeqView::Rows, 28, 28), 28);
  EXPECT_EQ(view_steps(SeqView::Pixels, 28, 28), 784);
  EXPECT_EQ(view_features(SeqView::Pixels, 28, 28), 1);
  EXPECT_EQ(view_steps(SeqView::PermutedPixels, 28, 28), 784);
  EXPECT_EQ(view_features(SeqView::PermutedPixels, 28, 28), 1);
  EXPECT_STREQ(seq_view_name(SeqView::PermutedPixels), "permuted_pixels");
}

TEST(Views, FlatGathersTheSamples) {
  const Dataset d = random_dataset(10, 3, 5);
  const std::vector<int> idx = {7, 2, 2, 9};
  std::vector<float> out(idx.size() * 15);
  gather_batch(d, idx.data(), 4, SeqView::Flat, out.data());
  for (int b = 0; b < 4; ++b) {
    for (int j = 0; j < 15; ++j) EXPECT_EQ(out[b * 15 + j], d.x[idx[b] * 15 + j]);
  }
}

TEST(Views, RowViewOfImageKIsTheFlatImageReshapedTimeMajor) {
  const Dataset d = random_dataset(10, 3, 5);  // non-square so rows/cols cannot be confused
  const std::vector<int> idx = {4, 0, 9};
  const int B = 3, T = 3, F = 5;
  std::vector<float> flat(B * 15), rows(T * B * F);
  gather_batch(d, idx.data(), B, SeqView::Flat, flat.data());
  gather_batch(d, idx.data(), B, SeqView::Rows, rows.data());
  for (int t = 0; t < T; ++t) {
    for (int b = 0; b < B; ++b) {
      for (int f = 0; f < F; ++f) {
        // Step t of sample b is row t of its image: flat pixel t·cols + f.
        EXPECT_EQ(rows[(t * B + b) * F + f], flat[b * 15 + t * 5 + f]);
      }
    }
  }
}

TEST(Views, PixelAndPermutedPixelViews) {
  const Dataset d = random_dataset(6, 4, 4);
  const std::vector<int> idx = {5, 1};
  const int B = 2, T = 16;
  std::vector<float> px(T * B), pp(T * B);
  gather_batch(d, idx.data(), B, SeqView::Pixels, px.data());
  gather_batch(d, idx.data(), B, SeqView::PermutedPixels, pp.data(), 11);
  const std::vector<int> perm = pixel_permutation(16, 11);
  for (int t = 0; t < T; ++t) {
    for (int b = 0; b < B; ++b) {
      EXPECT_EQ(px[t * B + b], d.x[idx[b] * 16 + t]);
      EXPECT_EQ(pp[t * B + b], d.x[idx[b] * 16 + perm[t]]);
    }
  }
  // The permuted sequence holds the same multiset of pixels, in another order.
  std::vector<float> a(px.begin(), px.end()), c(pp.begin(), pp.end());
  EXPECT_NE(a, c);
  std::sort(a.begin(), a.end());
  std::sort(c.begin(), c.end());
  EXPECT_EQ(a, c);
}

TEST(Views, GathererMatchesFreeFunctionAndChecksSize) {
  const Dataset d = random_dataset(8, 4, 4);
  const std::vector<int> idx = {3, 6, 0};
  for (SeqView v : {SeqView::Flat, SeqView::Rows, SeqView::Pixels, SeqView::PermutedPixels}) {
    BatchGatherer g(v, 4, 4, 5);
    std::vector<float> a(3 * 16), b(3 * 16);
    g.gather(d, idx.data(), 3, a.data());
    gather_batch(d, idx.data(), 3, v, b.data(), 5);
    EXPECT_EQ(a, b) << seq_view_name(v);
    EXPECT_EQ(g.steps() * g.features(), 16);
  }
  // Double output is the same values, widened.
  std::vector<double> wide(3 * 16);
  std::vector<float> narrow(3 * 16);
  gather_batch(d, idx.data(), 3, SeqView::Rows, wide.data());
  gather_batch(d, idx.data(), 3, SeqView::Rows, narrow.data());
  for (int i = 0; i < 48; ++i) EXPECT_EQ(wide[i], double(narrow[i]));
  const std::vector<int> bad = {0, 8};
  EXPECT_THROW(gather_batch(d, bad.data(), 2, SeqView::Flat, narrow.data()), std::out_of_range);
  std::vector<int> lb(2);
  EXPECT_THROW(gather_labels(d, bad.data(), 2, lb.data()), std::out_of_range);
  BatchGatherer wrong(SeqView::Rows, 28, 28);
  std::vector<float> out(16);
  EXPECT_THROW(wrong.gather(d, idx.data(), 1, out.data()), std::invalid_argument);
}

TEST(Labels, IndicesAndOneHot) {
  const Dataset d = random_dataset(20, 2, 2);
  const std::vector<int> idx = {13, 4, 19};
  std::vector<int> y(3);
  gather_labels(d, idx.data(), 3, y.data());
  EXPECT_EQ(y, (std::vector<int>{3, 4, 9}));
  std::vector<double> oh(3 * 10, -1.0);
  gather_one_hot(d, idx.data(), 3, oh.data());
  for (int b = 0; b < 3; ++b) {
    for (int k = 0; k < 10; ++k) EXPECT_EQ(oh[b * 10 + k], k == y[b] ? 1.0 : 0.0);
  }
}

TEST(MiniBatches, EverySampleOncePerEpochWithPartialLastBatch) {
  const int n = 103, bs = 10;
  MiniBatches mb(n, bs);
  EXPECT_EQ(mb.num_batches(), 11);
  EXPECT_EQ(mb.size(10), 3);
  Engine e = make_engine("epochs", 0);
  std::vector<std::vector<int>> orders;
  for (int epoch = 0; epoch < 3; ++epoch) {
    mb.shuffle(e);
    std::vector<int> seen;
    for (int b = 0; b < mb.num_batches(); ++b) {
      EXPECT_EQ(mb.size(b), b < 10 ? 10 : 3);
      seen.insert(seen.end(), mb.indices(b), mb.indices(b) + mb.size(b));
    }
    orders.push_back(seen);
    std::sort(seen.begin(), seen.end());
    ASSERT_EQ(seen.size(), std::size_t(n));
    for (int i = 0; i < n; ++i) EXPECT_EQ(seen[i], i);
  }
  EXPECT_NE(orders[0], orders[1]);  // reshuffled each epoch
  EXPECT_NE(orders[1], orders[2]);
}

TEST(MiniBatches, DeterministicFromTheEngine) {
  auto run = [](std::uint64_t seed) {
    MiniBatches mb(50, 8);
    Engine e = make_engine("mb", seed);
    std::vector<int> all;
    for (int epoch = 0; epoch < 2; ++epoch) {
      mb.shuffle(e);
      for (int b = 0; b < mb.num_batches(); ++b)
        all.insert(all.end(), mb.indices(b), mb.indices(b) + mb.size(b));
    }
    return all;
  };
  EXPECT_EQ(run(1), run(1));
  EXPECT_NE(run(1), run(2));
}

TEST(MiniBatches, DropLastAndExactMultiples) {
  MiniBatches drop(103, 10, LastBatch::Drop);
  EXPECT_EQ(drop.num_batches(), 10);
  for (int b = 0; b < 10; ++b) EXPECT_EQ(drop.size(b), 10);
  MiniBatches exact(100, 10);
  EXPECT_EQ(exact.num_batches(), 10);
  EXPECT_EQ(exact.size(9), 10);
  MiniBatches big(5, 128);
  EXPECT_EQ(big.num_batches(), 1);
  EXPECT_EQ(big.size(0), 5);
  EXPECT_EQ(MiniBatches(5, 128, LastBatch::Drop).num_batches(), 0);
  EXPECT_EQ(MiniBatches(0, 4).num_batches(), 0);
  // Before the first shuffle the order is the identity.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(exact.indices(0)[i], i);
  EXPECT_THROW(MiniBatches(10, 0), std::invalid_argument);
  EXPECT_THROW(MiniBatches(-1, 4), std::invalid_argument);
}

// The row view of a real MNIST image k is image k reshaped (when the files are here).
TEST(RealData, RowViewOfRealMnist) {
  const std::filesystem::path dir =
      std::filesystem::path(ISOBENCH_SOURCE_DIR) / ".." / "shared" / "data" / "mnist";
  const std::string img = (dir / "t10k-images-idx3-ubyte.gz").string();
  if (!std::filesystem::exists(img)) GTEST_SKIP() << "no " << img;
  const Dataset d = load_idx_dataset(img, (dir / "t10k-labels-idx1-ubyte.gz").string());
  const std::vector<int> idx = {0, 1234, 9999};
  std::vector<float> rows(28 * 3 * 28);
  gather_batch(d, idx.data(), 3, SeqView::Rows, rows.data());
  for (int t = 0; t < 28; ++t) {
    for (int b = 0; b < 3; ++b) {
      for (int f = 0; f < 28; ++f)
        ASSERT_EQ(rows[(t * 3 + b) * 28 + f], d.sample(idx[b])[t * 28 + f]);
    }
  }
  EXPECT_EQ(d.y[0], 7);  // the first MNIST test digit is a 7
}
