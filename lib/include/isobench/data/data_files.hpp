// Which files of a dataset a data directory holds, under the names people really have on disk.
//
// Why: extractors and downloaders spell the standard MNIST files differently (a dot or a dash
// before "idx", gzip'd or raw, or a folder of the same name from "extract to folder"); a spelling
// we did not know used to be skipped without a word and the run trained on data from a later
// location. Here every entry of the directory that looks like one of the files is either accepted
// or an error naming it — never ignored.
//
// Accepted spellings of a standard stem (accepted_spellings):
//   IDX stems ("train-images-idx3-ubyte"): STEM.gz, STEM, DOT.gz, DOT, where DOT has a dot instead
//   of the dash before "idx" ("train-images.idx3-ubyte"); other stems ("rt-polarity.pos"): STEM.
//   Either may be a directory holding exactly one regular file under an accepted spelling.
// Near misses (an error): any other entry whose name, lower-cased with '_', '.' and ' ' read as
//   '-', starts with the stem read the same way ("train_images_idx3_ubyte", "TRAIN-IMAGES-…",
//   "train-images-idx3-ubyte.zip", "train-images-idx3-ubyte.gz.1").
#pragma once

#include <map>
#include <string>
#include <vector>

namespace isobench {

// The accepted names of `stem`, in preference order (the first present is used).
std::vector<std::string> accepted_spellings(const std::string& stem);

struct DirScan {
  std::map<std::string, std::string> files;  // stem → the regular file to read (full path)
  std::vector<std::string> found;            // the accepted entries' names, for messages
  std::vector<std::string> notes;            // e.g. which of two identical spellings is used
};

// Scans `dir` for `stems` of `dataset` (named in messages). A missing (ENOENT) or empty `dir`
// gives an empty scan; a non-empty one holding none of the names is an error listing what it holds.
// Throws std::runtime_error naming the path when `dir` is not a readable directory; when an entry
// is a near miss (naming what was found and what is expected); when an accepted name is a
// directory not holding exactly one regular file under an accepted spelling (listing what it
// holds), a special file (FIFO, socket, device), a dangling link or unreadable; and when two
// spellings of one stem differ in content (decompressed bytes compared; equal content is a note).
DirScan scan_data_dir(const std::string& dataset, const std::string& dir,
                      const std::vector<std::string>& stems);

// Checks the ISOBENCH_DATA_DIR location before DATASET/ under it is scanned (no-op when unset or
// empty), so that a copy the user pointed to is never passed over for a later location. Throws
// std::runtime_error naming ISOBENCH_DATA_DIR and its value when it does not exist or is not a
// directory; when it holds files of `stems` (or their near misses) at its top level instead of in
// DATASET/; and, when DATASET/ is absent or empty, when it holds a near-miss name of DATASET
// (case, '-', '_', '.' and ' ' ignored, any suffix: "MNIST/", "mnist_data/", "rt-polaritydata/").
void check_data_dir_env(const std::string& dataset, const std::vector<std::string>& stems);

}  // namespace isobench
