// Which files of a dataset a data directory holds (data_files.hpp: spellings, near misses).
#include "isobench/data_files.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "isobench/idx.hpp"

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

}  // namespace

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
  if (st.type() == fs::file_type::not_found) return scan;
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
  for (std::string e : entries(dir, dataset)) {
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
