// Helpers for the data tests: scratch directories, environment overrides, small IDX datasets.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "isobench/data/idx.hpp"

namespace isobench::testutil {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ =
        fs::temp_directory_path() / ("isobench_" + tag + "_" + std::to_string(::getpid()) + "_" +
                                     (info ? std::string(info->name()) : std::string("x")));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string str(const std::string& rel = "") const { return (path_ / rel).string(); }

 private:
  fs::path path_;
};

// Sets (or unsets, value = nullopt) an environment variable for the scope, restoring it after.
class EnvOverride {
 public:
  EnvOverride(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~EnvOverride() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Tests pin their data to the repository's ../shared/data (CI's copy), never data/ from
// `./isobench data` (which may hold the full MNIST) nor the user's ISOBENCH_DATA_DIR, so their
// numbers are the same on every machine (ctest also sets ISOBENCH_DATA_DIR to it).
inline std::string pinned_data_dir() {
  return (fs::path(ISOBENCH_SOURCE_DIR) / ".." / "shared" / "data").lexically_normal().string();
}

// In a test body: ISOBENCH_DATA_DIR = pinned_data_dir() for the rest of the test, which is
// skipped, saying why, when pinned_data_dir()/NAME is absent.
#define ISOBENCH_PIN_DATA(name)                                                                    \
  ::isobench::testutil::EnvOverride isobench_pinned_env_("ISOBENCH_DATA_DIR",                      \
                                                         ::isobench::testutil::pinned_data_dir()); \
  if (!::std::filesystem::is_directory(                                                            \
          ::std::filesystem::path(::isobench::testutil::pinned_data_dir()) / (name)))              \
  GTEST_SKIP() << "the pinned test data " << ::isobench::testutil::pinned_data_dir() << "/"        \
               << (name) << " is absent (CI has it; tests never read data/ or another "            \
               << "ISOBENCH_DATA_DIR)"

inline void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

inline std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
}

// One complete gzip member holding `raw` (members can be concatenated into one .gz file).
inline std::vector<std::uint8_t> gzip_member(const std::vector<std::uint8_t>& raw) {
  return isobench::gzip_member(raw.data(), raw.size());
}

// Deterministic pixel bytes: image i, pixel j → (7·i + 13·j + i·j) mod 256.
inline std::uint8_t pixel_byte(int i, int j) {
  return static_cast<std::uint8_t>((7 * i + 13 * j + i * j) % 256);
}
inline std::uint8_t label_byte(int i) {
  return static_cast<std::uint8_t>((3 * i + 1) % 10);
}

// Writes an (n × rows × cols) image file and its n labels under dir with the given file stems.
inline void write_pair(const fs::path& dir, const std::string& images_stem,
                       const std::string& labels_stem, int n, int rows, int cols,
                       bool gzip = true) {
  fs::create_directories(dir);
  std::vector<std::uint8_t> px(static_cast<std::size_t>(n) * rows * cols), lb(n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < rows * cols; ++j)
      px[static_cast<std::size_t>(i) * rows * cols + j] = pixel_byte(i, j);
    lb[i] = label_byte(i);
  }
  const std::string ext = gzip ? ".gz" : "";
  write_idx((dir / (images_stem + ext)).string(),
            {static_cast<std::uint32_t>(n), static_cast<std::uint32_t>(rows),
             static_cast<std::uint32_t>(cols)},
            px, gzip);
  write_idx((dir / (labels_stem + ext)).string(), {static_cast<std::uint32_t>(n)}, lb, gzip);
}

// A complete small MNIST-like directory: a training pair (full names, or train-10k-*) + t10k.
inline void write_mnist_dir(const fs::path& dir, int n_train, int n_test, bool full = true,
                            int rows = 4, int cols = 3) {
  if (full) {
    write_pair(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", n_train, rows, cols);
  } else {
    write_pair(dir, "train-10k-images-idx3-ubyte", "train-10k-labels-idx1-ubyte", n_train, rows,
               cols);
  }
  write_pair(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", n_test, rows, cols);
}

}  // namespace isobench::testutil
