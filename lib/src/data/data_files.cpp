// Which files of a dataset a data directory holds (data_files.hpp: spellings, near misses).
#include "isobench/data/data_files.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "isobench/data/idx.hpp"

namespace isobench {

namespace fs = std::filesystem;

namespace {

// Lower case, with '_', '.' and ' ' read as '-': the form near misses are matched in.
std::string canonical(const std::string& name) {
  std::string c = name;
  for (char& ch : c) {
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (ch == '_' || ch == '.' || ch == ' ') ch = '-';
  }
  return c;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// The entries of a directory ("name" or "name/" for directories), sorted; throws naming `dir`.
std::vector<std::string> entries(const fs::path& dir, const std::string& dataset) {
  std::vector<std::string> names;
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code ec2;
    const bool is_dir = it->is_directory(ec2);
    names.push_back(it->path().filename().string() + (is_dir ? "/" : ""));
  }
  if (ec) {
    throw std::runtime_error(dataset + ": cannot list " + dir.string() + " (" + ec.message() +
                             "); fix its permissions or remove it");
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool accepted(const std::string& name, const std::string& stem) {
  const std::vector<std::string> sp = accepted_spellings(stem);
  return std::find(sp.begin(), sp.end(), name) != sp.end();
}

// The regular file an accepted entry stands for: itself, or the one file of a same-named folder.
std::string resolve(const std::string& dataset, const fs::path& p, const std::string& stem) {
  std::error_code ec;
  const fs::file_status st = fs::status(p, ec);
  if (ec || st.type() == fs::file_type::not_found) {
    throw std::runtime_error(dataset + ": " + p.string() + " cannot be read (" +
                             (ec ? ec.message() : std::string("dangling link")) +
                             "); fix or remove it");
  }
  if (fs::is_directory(st)) {
    const std::vector<std::string> held = entries(p, dataset);
    if (held.size() == 1 && accepted(held[0], stem) &&
        fs::is_regular_file(fs::status(p / held[0], ec))) {
      return resolve(dataset, p / held[0], stem);
    }
    throw std::runtime_error(
        dataset + ": " + p.string() + " is a directory; it is read only when it holds exactly " +
        "one regular file named " + join(accepted_spellings(stem)) + ", but it holds " +
        (held.empty() ? std::string("nothing") : join(held)) +
        "; move the file out of it (or leave only that file in it)");
  }
  if (!fs::is_regular_file(st)) {
    throw std::runtime_error(dataset + ": " + p.string() +
                             " is not a regular file (a FIFO, socket or device); put the file "
                             "itself there");
  }
  if (::access(p.c_str(), R_OK) != 0) {
    throw std::runtime_error(dataset + ": " + p.string() + " cannot be read (" +
                             std::strerror(errno) + "); fix its permissions or remove it");
  }
  return p.string();
}

// Entries without the hidden ones (.DS_Store, .gitkeep, a fetch's .stage folder): they hold no
// dataset and are no sign of one.
std::vector<std::string> visible(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& n : names)
    if (!n.empty() && n[0] != '.') out.push_back(n);
  return out;
}

// Whether `dir` (or a folder in it, down to `depth` more levels) holds a file whose name starts
// like one of `stems`.
bool holds_files_of(const fs::path& dir, const std::vector<std::string>& stems, int depth) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string n = it->path().filename().string();
    for (const std::string& stem : stems)
      if (canonical(n).rfind(canonical(stem), 0) == 0) return true;
    std::error_code ec2;
    if (depth > 0 && it->is_directory(ec2) && holds_files_of(it->path(), stems, depth - 1))
      return true;
  }
  return false;
}

// Lower case without '-', '_', '.' and ' ': "MNIST", "mnist_data", "rt-polaritydata" all start
// with the squashed dataset name.
std::string squashed(const std::string& name) {
  std::string c;
  for (char ch : canonical(name))
    if (ch != '-') c += ch;
  return c;
}

}  // namespace

void check_data_dir_env(const std::string& dataset, const std::vector<std::string>& stems) {
  const char* value = std::getenv("ISOBENCH_DATA_DIR");
  if (!value || !*value) return;
  const fs::path root(value);
  const std::string var = "ISOBENCH_DATA_DIR=" + root.string();
  std::error_code ec;
  const fs::file_status st = fs::status(root, ec);
  if (ec || !fs::is_directory(st)) {
    const std::string what = ec ? (ec == std::errc::no_such_file_or_directory
                                       ? std::string("does not exist")
                                       : "cannot be reached (" + ec.message() + ")")
                                : std::string("is not a directory");
    throw std::runtime_error(dataset + ": " + var + " " + what +
                             "; set it to the directory holding " + dataset +
                             "/ (and the other datasets' folders), or unset it");
  }
  // A root that can be entered but not listed (a cluster's 0711 data root): nothing to compare
  // against here; the lookup itself reads DATASET/ and says what it finds.
  std::error_code lec;
  const fs::directory_iterator probe(root, lec);
  if (lec) return;
  const fs::path want = root / dataset;
  // Both checks below apply only while DATASET/ is absent or holds nothing: when it holds
  // something, that is what is read (or refused), whatever else lies beside it.
  if (fs::is_directory(want, lec) && !visible(entries(want, dataset)).empty()) return;
  const std::vector<std::string> held = visible(entries(root, dataset));
  const bool want_missing = !fs::exists(want, lec);

  // The dataset's files directly in it, not in DATASET/: the user's copy would be passed over.
  std::vector<std::string> loose;
  for (const std::string& e : held) {
    if (e.back() == '/') continue;
    for (const std::string& stem : stems) {
      if (canonical(e).rfind(canonical(stem), 0) == 0) {
        loose.push_back(e);
        break;
      }
    }
  }
  if (!loose.empty()) {
    const bool idx = stems.front().find("-idx") != std::string::npos;
    throw std::runtime_error(
        dataset + ": " + var + " holds " + join(loose) + " at its top level but " +
        (want_missing ? std::string("no ") : std::string("an empty ")) + dataset +
        "/; isobench reads them only from " + want.string() + "/: move them there" +
        (idx ? std::string(" (or into fashion-mnist/ or mnist/, whichever they are)") : "") +
        (root.filename() == dataset && root.has_parent_path()
             ? ", or set ISOBENCH_DATA_DIR to " + root.parent_path().string()
             : std::string()));
  }

  // A near-miss folder (the tarball's rt-polaritydata/, MNIST/, mnist_data/) that holds the
  // dataset's files (directly or one level down, as torchvision's MNIST/raw/): the user's copy
  // would be passed over for a later location. Other folders (mnist_m/, a .stage folder) are not.
  std::vector<std::string> near;
  for (const std::string& e : held) {
    if (e.back() != '/' || e == dataset + "/") continue;
    if (squashed(e).rfind(squashed(dataset), 0) != 0) continue;
    if (holds_files_of(root / e.substr(0, e.size() - 1), stems, 1)) near.push_back(e);
  }
  if (!near.empty()) {
    throw std::runtime_error(dataset + ": " + var + " holds " + join(near) + " but " +
                             (want_missing ? std::string("no ") : std::string("an empty ")) +
                             dataset + "/; isobench looks for the " + dataset + " files in " +
                             want.string() + "/ only: rename the folder to " + dataset +
                             "/ (or extract the archive into it)");
  }
}

std::vector<std::string> accepted_spellings(const std::string& stem) {
  const auto at = stem.find("-idx");
  if (at == std::string::npos) return {stem};
  std::string dot = stem;
  dot[at] = '.';
  return {stem + ".gz", stem, dot + ".gz", dot};
}

DirScan scan_data_dir(const std::string& dataset, const std::string& dir,
                      const std::vector<std::string>& stems) {
  DirScan scan;
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  // Only a plain ENOENT is "not here": ENOTDIR (a part of the path is a file) is an error below,
  // although std::filesystem reports it as not_found too.
  if (st.type() == fs::file_type::not_found && ec == std::errc::no_such_file_or_directory) {
    // A link to nothing (an unmounted disk) is no absence: it would pass the user's copy by.
    std::error_code lec;
    if (fs::is_symlink(fs::symlink_status(dir, lec))) {
      throw std::runtime_error(dataset + ": " + dir + " is a link to " +
                               fs::read_symlink(dir, lec).string() +
                               ", which does not exist; mount or fix it, or remove the link");
    }
    return scan;
  }
  if (ec) {
    throw std::runtime_error(dataset + ": cannot look into " + dir + " (" + ec.message() +
                             "); fix its permissions or remove it");
  }
  if (!fs::is_directory(st)) {
    throw std::runtime_error(dataset + ": " + dir + " is not a directory (the " + dataset +
                             " files go into a directory of that name); remove or rename it");
  }
  std::map<std::string, std::vector<std::string>> names;  // stem → accepted entry names
  std::vector<std::string> near;
  const std::vector<std::string> held = entries(dir, dataset);
  for (std::string e : held) {
    if (!e.empty() && e.back() == '/') e.pop_back();
    for (const std::string& stem : stems) {
      if (accepted(e, stem)) {
        names[stem].push_back(e);
        scan.found.push_back(e);
      } else if (canonical(e).rfind(canonical(stem), 0) == 0) {
        near.push_back(e + " (not an accepted name of " + stem + ")");
      }
    }
  }
  if (!near.empty()) {
    std::string expected;
    bool gz = false;  // only the IDX stems accept .gz (accepted_spellings); the text files do not
    for (const std::string& stem : stems) {
      expected += "\n  " + join(accepted_spellings(stem));
      gz = gz || accepted_spellings(stem).size() > 1;
    }
    throw std::runtime_error(
        dataset + ": " + dir + " holds " + join(near) +
        (scan.found.empty() ? std::string() : " besides " + join(scan.found)) +
        "; isobench reads only these names (" +
        (gz ? "raw, or gzip'd as .gz" : "raw files only; a .gz is not read") + "):" + expected +
        "\nRename or decompress the file(s) (a .zip or a download's .1 copy is not read), or move "
        "them out of " +
        dir);
  }
  // An empty folder is skipped: it holds nothing that could be read by mistake or be mistaken for
  // the dataset (e.g. a data/mnist/ made ahead of `./isobench data`). A non-empty one holding none
  // of the names is an error: its content is what the user meant (e.g. torchvision's MNIST/raw/).
  if (names.empty() && !visible(held).empty()) {
    std::string expected;
    for (const std::string& stem : stems) expected += "\n  " + join(accepted_spellings(stem));
    throw std::runtime_error(
        dataset + ": " + dir + " holds " + join(visible(held)) + " but none of the " + dataset +
        " files; isobench reads only these names (raw, or gzip'd as .gz), directly in " + dir +
        ":" + expected + "\nMove the files themselves there (subfolders such as MNIST/raw/ are " +
        "not searched), or remove " + dir + " if it is not meant to hold " + dataset);
  }
  for (auto& [stem, list] : names) {
    const std::vector<std::string> order = accepted_spellings(stem);
    std::sort(list.begin(), list.end(), [&](const std::string& a, const std::string& b) {
      return std::find(order.begin(), order.end(), a) < std::find(order.begin(), order.end(), b);
    });
    std::vector<std::string> paths;
    for (const std::string& n : list) paths.push_back(resolve(dataset, fs::path(dir) / n, stem));
    if (paths.size() > 1) {
      const std::vector<std::uint8_t> first = read_decompressed(paths[0]);
      for (std::size_t i = 1; i < paths.size(); ++i) {
        if (read_decompressed(paths[i]) != first) {
          throw std::runtime_error(dataset + ": " + paths[0] + " and " + paths[i] +
                                   " are two spellings of " + stem +
                                   " with different content; remove the wrong one");
        }
      }
      scan.notes.push_back(join(list) + " hold the same data; " + list[0] + " is used");
    }
    scan.files[stem] = paths[0];
  }
  return scan;
}

}  // namespace isobench
