#include "isobench/data/datasets.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "isobench/core/rng.hpp"
#include "isobench/data/batches.hpp"
#include "isobench/data/data_files.hpp"
#include "isobench/data/idx.hpp"

#ifndef ISOBENCH_SOURCE_DIR
#define ISOBENCH_SOURCE_DIR "."
#endif

namespace isobench {

namespace fs = std::filesystem;

namespace {

constexpr const char* kTrainImages = "train-images-idx3-ubyte";
constexpr const char* kTrainLabels = "train-labels-idx1-ubyte";
constexpr const char* k10kImages = "train-10k-images-idx3-ubyte";
constexpr const char* k10kLabels = "train-10k-labels-idx1-ubyte";
constexpr const char* kTestImages = "t10k-images-idx3-ubyte";
constexpr const char* kTestLabels = "t10k-labels-idx1-ubyte";

void check_name(const std::string& name) {
  if (name != "mnist" && name != "fashion-mnist") {
    throw std::invalid_argument("unknown dataset '" + name + "' (known: mnist, fashion-mnist)");
  }
}

std::string env(const char* var) {
  const char* v = std::getenv(var);
  return v ? std::string(v) : std::string();
}

// "; note; note" (empty without notes): which of two identical spellings was read, etc.
std::string notes_suffix(const std::vector<std::string>& notes) {
  std::string s;
  for (const std::string& n : notes) s += "; " + n;
  return s;
}

std::string with_thousands(long v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(i, ",");
  return s;
}

std::string base(const std::string& path) {
  return fs::path(path).filename().string();
}

Dataset subset(const Dataset& d, const std::vector<int>& idx) {
  Dataset s;
  s.n = static_cast<int>(idx.size());
  s.rows = d.rows;
  s.cols = d.cols;
  s.classes = d.classes;
  s.source = d.source;
  const long dim = d.dim();
  s.x.resize(static_cast<std::size_t>(s.n) * dim);
  s.y.resize(s.n);
  for (int i = 0; i < s.n; ++i) {
    std::copy(d.sample(idx[i]), d.sample(idx[i]) + dim, s.x.begin() + i * dim);
    s.y[i] = d.y[idx[i]];
  }
  return s;
}

}  // namespace

std::vector<std::string> data_search_path(const std::string& subdir) {
  std::vector<std::string> dirs;
  const std::string data_dir = env("ISOBENCH_DATA_DIR");
  if (!data_dir.empty()) dirs.push_back((fs::path(data_dir) / subdir).lexically_normal().string());
  std::string root = env("ISOBENCH_ROOT");
  if (root.empty()) root = ISOBENCH_SOURCE_DIR;
  dirs.push_back((fs::path(root) / "data" / subdir).lexically_normal().string());
  dirs.push_back((fs::path(root) / ".." / "shared" / "data" / subdir).lexically_normal().string());
  return dirs;
}

std::vector<std::string> dataset_search_path(const std::string& name) {
  check_name(name);
  std::vector<std::string> dirs = data_search_path(name);
  if (name == "fashion-mnist") dirs.push_back("/usr/share/datasets/fashion-mnist");
  return dirs;
}

DatasetFiles locate_dataset(const std::string& name) {
  check_name(name);
  const bool mnist = name == "mnist";
  const std::vector<std::string> dirs = dataset_search_path(name);
  std::vector<std::string> stems = {kTrainImages, kTrainLabels, kTestImages, kTestLabels};
  if (mnist) stems.insert(stems.begin() + 2, {k10kImages, k10kLabels});
  check_data_dir_env(name, stems);  // a missing, misfilled or misnamed ISOBENCH_DATA_DIR: errors
  for (const std::string& dir : dirs) {
    const DirScan scan = scan_data_dir(name, dir, stems);
    if (scan.files.empty()) continue;
    auto has = [&](const char* stem) { return scan.files.count(stem) > 0; };
    auto file = [&](const char* stem) { return scan.files.at(stem); };

    // This location holds the dataset: from here on, anything missing is an error.
    auto missing = [&](const char* stem) {
      std::string held;
      for (const std::string& f : scan.found) held += (held.empty() ? "" : ", ") + f;
      std::string spell;
      for (const std::string& sp : accepted_spellings(stem))
        spell += (spell.empty() ? "" : ", ") + sp;
      return std::runtime_error(name + ": " + (fs::path(dir) / stem).string() +
                                "(.gz) is missing: " + dir + " holds " + held + " of the " + name +
                                " files but not " + stem + " (accepted names: " + spell +
                                "), so it is the one used; complete it or remove it");
    };
    DatasetFiles f;
    f.name = name;
    f.dir = dir;
    f.notes = scan.notes;
    const bool full_any = has(kTrainImages) || has(kTrainLabels);
    const bool k10_any = mnist && (has(k10kImages) || has(k10kLabels));
    if (full_any) {
      if (!has(kTrainImages)) throw missing(kTrainImages);
      if (!has(kTrainLabels)) throw missing(kTrainLabels);
    }
    if (k10_any) {
      if (!has(k10kImages)) throw missing(k10kImages);
      if (!has(k10kLabels)) throw missing(k10kLabels);
    }
    if (full_any) {
      f.train_images = file(kTrainImages);
      f.train_labels = file(kTrainLabels);
      f.full_train = true;
    } else if (k10_any) {
      f.train_images = file(k10kImages);
      f.train_labels = file(k10kLabels);
      f.full_train = false;
    } else {
      throw missing(kTrainImages);
    }
    if (!has(kTestImages)) throw missing(kTestImages);
    if (!has(kTestLabels)) throw missing(kTestLabels);
    f.test_images = file(kTestImages);
    f.test_labels = file(kTestLabels);
    f.description = name + ": " + base(f.train_images) +
                    (f.full_train ? " (full training set)"
                                  : " (10,000 real training digits, not the full 60,000)") +
                    " + " + base(f.test_images) + "; from " + dir + notes_suffix(f.notes);
    return f;
  }
  std::string msg = name + ": dataset not found. Looked for " + kTrainImages + "(.gz)" +
                    (mnist ? std::string(" or ") + k10kImages + "(.gz)" : std::string()) + " and " +
                    kTestImages + "(.gz) (or with a dot before idx: train-images.idx3-ubyte) in:";
  for (const std::string& d : dirs) msg += " " + d + ";";
  msg += mnist ? " run `./isobench data` to fetch MNIST into data/mnist,"
               : " install the Debian package dataset-fashion-mnist (`./isobench deps`),";
  msg += " or set ISOBENCH_DATA_DIR to a directory with " + name + "/ holding the IDX files.";
  throw std::runtime_error(msg);
}

Dataset load_idx_dataset(const std::string& images_path, const std::string& labels_path,
                         int classes) {
  IdxImages im = read_idx_images(images_path);
  std::vector<std::uint8_t> labels = read_idx_labels(labels_path, classes);
  if (static_cast<long>(labels.size()) != im.n) {
    throw IdxError(images_path + ": holds " + std::to_string(im.n) + " images but " + labels_path +
                   " holds " + std::to_string(labels.size()) +
                   " labels; the two files do not belong together");
  }
  Dataset d;
  d.n = im.n;
  d.rows = im.rows;
  d.cols = im.cols;
  d.classes = classes;
  d.source = images_path + " + " + labels_path;
  d.x.resize(im.pixels.size());
  for (std::size_t i = 0; i < im.pixels.size(); ++i) d.x[i] = im.pixels[i] / 255.0f;
  d.y.assign(labels.begin(), labels.end());
  return d;
}

DataSplit load_split(const DatasetFiles& files, double val_fraction, std::uint64_t seed,
                     int max_train) {
  if (!(val_fraction >= 0.0 && val_fraction < 1.0)) {
    throw std::invalid_argument("load_split: val_fraction must be in [0, 1), got " +
                                std::to_string(val_fraction));
  }
  Dataset full = load_idx_dataset(files.train_images, files.train_labels);
  Dataset test = load_idx_dataset(files.test_images, files.test_labels);
  if (test.rows != full.rows || test.cols != full.cols) {
    throw IdxError(files.test_images + ": images are " + std::to_string(test.rows) + "x" +
                   std::to_string(test.cols) + " but the training images (" + files.train_images +
                   ") are " + std::to_string(full.rows) + "x" + std::to_string(full.cols));
  }
  std::vector<int> order(full.n);
  for (int i = 0; i < full.n; ++i) order[i] = i;
  Engine eng = make_engine("split/" + files.name, seed);
  shuffle_indices(order, eng);
  const int n_val = static_cast<int>(std::lround(val_fraction * full.n));
  if (n_val >= full.n) {
    throw std::invalid_argument("load_split: val_fraction " + std::to_string(val_fraction) +
                                " leaves no training samples out of " + std::to_string(full.n));
  }
  std::vector<int> val(order.begin(), order.begin() + n_val);
  std::vector<int> train(order.begin() + n_val, order.end());
  if (max_train >= 0 && max_train < static_cast<int>(train.size())) train.resize(max_train);
  std::sort(val.begin(), val.end());
  std::sort(train.begin(), train.end());

  DataSplit s;
  s.train = subset(full, train);
  s.val = subset(full, val);
  s.test = std::move(test);
  s.description = files.name + ": " + base(files.train_images) + " (" + with_thousands(full.n) +
                  (files.full_train ? " training images, the full set"
                                    : " real training digits, not the full 60,000") +
                  ") + " + base(files.test_images) + " (" + with_thousands(s.test.n) +
                  " test images); from " + files.dir + notes_suffix(files.notes);
  s.files = {{"train images", files.train_images, full.n},
             {"train labels", files.train_labels, full.n},
             {"test images", files.test_images, s.test.n},
             {"test labels", files.test_labels, s.test.n}};
  return s;
}

DataSplit load_split(const std::string& name, double val_fraction, std::uint64_t seed,
                     int max_train) {
  return load_split(locate_dataset(name), val_fraction, seed, max_train);
}

void standardize(DataSplit& s, Standardize how) {
  if (how == Standardize::None) return;
  const int dim = s.train.dim();
  const long n = s.train.n;
  if (n == 0) throw std::invalid_argument("standardize: empty training set");
  std::vector<double> mean(dim, 0.0), var(dim, 0.0);
  for (long i = 0; i < n; ++i) {
    for (int j = 0; j < dim; ++j) mean[j] += s.train.x[i * dim + j];
  }
  for (double& m : mean) m /= static_cast<double>(n);
  for (long i = 0; i < n; ++i) {
    for (int j = 0; j < dim; ++j) {
      const double c = s.train.x[i * dim + j] - mean[j];
      var[j] += c * c;
    }
  }
  std::vector<float> shift(dim), scale(dim);
  if (how == Standardize::PerPixel) {
    for (int j = 0; j < dim; ++j) {
      const double sd = std::sqrt(var[j] / static_cast<double>(n));
      shift[j] = static_cast<float>(mean[j]);
      scale[j] = sd > 1e-12 ? static_cast<float>(1.0 / sd) : 1.0f;
    }
  } else {
    // Total variance = mean of per-pixel variances + variance of the per-pixel means.
    double m = 0.0;
    for (double v : mean) m += v;
    m /= dim;
    double total = 0.0;
    for (int j = 0; j < dim; ++j) total += var[j] + n * (mean[j] - m) * (mean[j] - m);
    const double sd = std::sqrt(total / (static_cast<double>(n) * dim));
    std::fill(shift.begin(), shift.end(), static_cast<float>(m));
    std::fill(scale.begin(), scale.end(), sd > 1e-12 ? static_cast<float>(1.0 / sd) : 1.0f);
  }
  for (Dataset* d : {&s.train, &s.val, &s.test}) {
    if (d->dim() != dim) throw std::invalid_argument("standardize: image sizes differ");
    for (long i = 0; i < d->n; ++i) {
      for (int j = 0; j < dim; ++j) {
        float& v = d->x[i * dim + j];
        v = (v - shift[j]) * scale[j];
      }
    }
  }
}

}  // namespace isobench
