// Labelled image datasets (MNIST, Fashion-MNIST) and where they come from.
//
// Lookup order (docs/CONTRACT.md, Environment), for dataset NAME:
//   1. $ISOBENCH_DATA_DIR/NAME
//   2. ROOT/data/NAME                (where `./isobench data` writes)
//   3. ROOT/../shared/data/NAME      (what CI has; read-only)
//   4. /usr/share/datasets/fashion-mnist   (fashion-mnist only; Debian dataset-fashion-mnist)
// ROOT = $ISOBENCH_ROOT, else the source directory compiled into the library.
// The first directory holding ANY of the dataset's files is used; if its set is incomplete, a name
// is a near miss, or a file is corrupt, that is a std::runtime_error naming the file — never a
// silent fall-through to the next location (a broken copy the user pointed at must not be
// papered over). Spellings accepted (data_files.hpp): NAME.gz or raw NAME, with a dash or a dot
// before "idx" (train-images.idx3-ubyte), or a same-named directory holding exactly that file.
//
// Files:
//   train: train-images-idx3-ubyte + train-labels-idx1-ubyte (full set, preferred), else for
//          mnist the 10,000 real training digits train-10k-images-idx3-ubyte + train-10k-labels…
//   test:  t10k-images-idx3-ubyte + t10k-labels-idx1-ubyte
// Pixels are scaled to [0, 1] (byte/255); labels are class indices in [0, 10).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace isobench {

// x: (n × rows·cols) row-major floats, pixels/255 in [0, 1]; y: n labels in [0, classes).
struct Dataset {
  std::vector<float> x;
  std::vector<int> y;
  int n = 0, rows = 0, cols = 0, classes = 10;
  std::string source;  // the files it came from
  int dim() const { return rows * cols; }
  const float* sample(int i) const { return x.data() + static_cast<long>(i) * dim(); }
};

// One file a split was read from: role ("train images", "train labels", "test images",
// "test labels"), full path, and the number of samples it holds (before any split or cut).
struct DataFile {
  std::string role, path;
  long samples = 0;
};

struct DataSplit {
  Dataset train, val, test;
  std::vector<DataFile> files;  // what was read, for the results context (provenance)
  // e.g. "mnist: train-10k-images-idx3-ubyte.gz (10,000 real training digits, not the full
  // 60,000) + t10k-images-idx3-ubyte.gz; from /work/shared/data/mnist"
  std::string description;
};

// Where a dataset's files are, without reading them.
struct DatasetFiles {
  std::string name;                                                  // "mnist" or "fashion-mnist"
  std::string dir;                                                   // the location used
  std::string train_images, train_labels, test_images, test_labels;  // full paths
  bool full_train = true;          // false: the 10k training digits
  std::string description;         // as DataSplit::description
  std::vector<std::string> notes;  // e.g. which of two identical spellings is read
};

// $ISOBENCH_DATA_DIR/SUBDIR, ROOT/data/SUBDIR, ROOT/../shared/data/SUBDIR: the lookup order every
// data set shares (existing or not; the first is left out when ISOBENCH_DATA_DIR is unset).
std::vector<std::string> data_search_path(const std::string& subdir);

// The candidate directories for `name`, in lookup order (existing or not).
std::vector<std::string> dataset_search_path(const std::string& name);

// Finds the dataset per the order above. Throws std::runtime_error when no location has it
// (listing every place looked and how to get the data) or when the first location holding it is
// incomplete (naming the missing file). Throws std::invalid_argument for an unknown name.
DatasetFiles locate_dataset(const std::string& name);

// Reads one images + labels pair; throws (IdxError) naming the file when either is corrupt or
// their counts differ.
Dataset load_idx_dataset(const std::string& images_path, const std::string& labels_path,
                         int classes = 10);

// Loads `name` (locate_dataset + load_idx_dataset) and splits it: a fraction val_fraction ∈ [0, 1)
// of the training set (round(val_fraction·n) samples) is held out as validation, chosen by a
// shuffle from make_engine("split/" + name, seed); then, if max_train ≥ 0, the training part is
// cut to its first max_train samples of that shuffle. Each part keeps the files' order.
// test is the official test set.
DataSplit load_split(const std::string& name, double val_fraction, std::uint64_t seed,
                     int max_train = -1);
// The same from files already located.
DataSplit load_split(const DatasetFiles& files, double val_fraction, std::uint64_t seed,
                     int max_train = -1);

// Optional standardization, statistics from the training part only, applied to train/val/test:
// PerPixel: x_j ← (x_j − mean_j)/std_j (std_j = 1 where a pixel never varies);
// Global:   x ← (x − mean)/std over every training pixel (MNIST: 0.1307, 0.3081).
enum class Standardize { None, PerPixel, Global };
void standardize(DataSplit& s, Standardize how);

}  // namespace isobench

// The views (SeqView, gather_batch) and the mini-batch iterator, so one include gives the data API.
#include "isobench/data/batches.hpp"  // NOLINT(build/include_order): needs Dataset above
