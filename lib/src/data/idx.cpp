#include "isobench/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

namespace isobench {

namespace {

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw IdxError(name + ": " + what);
}

std::uint32_t read_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

}  // namespace

bool is_gzip(const std::uint8_t* bytes, std::size_t size) {
  return size >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

std::vector<std::uint8_t> gunzip(const std::uint8_t* bytes, std::size_t size,
                                 const std::string& name, std::size_t max_out) {
  z_stream s{};
  if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK) fail(name, "zlib inflateInit2 failed");
  std::vector<std::uint8_t> out(
      std::min<std::size_t>(std::max<std::size_t>(4 * size, 1024), max_out == 0 ? 1 : max_out));
  std::size_t produced = 0;
  std::size_t consumed = 0;
  int rc = Z_OK;
  while (true) {
    if (produced == out.size()) {
      if (out.size() >= max_out) {
        inflateEnd(&s);
        fail(name, "gzip stream decompresses to more than " + std::to_string(max_out) +
                       " bytes, the most isobench reads from one file");
      }
      out.resize(std::min(max_out, 2 * out.size()));
    }
    // zlib counts in uInt: feed at most 1 GiB per call.
    const std::size_t in_chunk = std::min<std::size_t>(size - consumed, 1u << 30);
    const std::size_t out_chunk = std::min<std::size_t>(out.size() - produced, 1u << 30);
    s.next_in = const_cast<Bytef*>(bytes + consumed);
    s.avail_in = static_cast<uInt>(in_chunk);
    s.next_out = out.data() + produced;
    s.avail_out = static_cast<uInt>(out_chunk);
    rc = inflate(&s, Z_NO_FLUSH);
    consumed += in_chunk - s.avail_in;
    produced += out_chunk - s.avail_out;
    if (rc == Z_STREAM_END) {
      if (consumed == size) break;
      // Zero padding after the last member (block-padded copies) is ignored, as gunzip(1) and
      // Python's gzip do ("trailing zero bytes ignored").
      if (std::all_of(bytes + consumed, bytes + size, [](std::uint8_t c) { return c == 0; })) break;
      // Members may be concatenated (RFC 1952 §2.2; `cat a.gz b.gz`): gunzip(1) reads them as one
      // stream. Anything else after a member is refused rather than ignored.
      if (!is_gzip(bytes + consumed, size - consumed)) {
        inflateEnd(&s);
        fail(name, std::to_string(size - consumed) + " bytes after the end of the gzip data at " +
                       "offset " + std::to_string(consumed) +
                       " are not another gzip member (trailing garbage; re-fetch the file)");
      }
      if (inflateReset(&s) != Z_OK) {
        inflateEnd(&s);
        fail(name, "zlib inflateReset failed");
      }
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && consumed == size) {
      inflateEnd(&s);
      fail(name, "truncated gzip stream (file ends before the compressed data does)");
    }
    if (rc == Z_BUF_ERROR) continue;  // needs more output space; loop grows the buffer
    const std::string msg = s.msg ? s.msg : "zlib error " + std::to_string(rc);
    inflateEnd(&s);
    fail(name, "corrupt gzip stream (" + msg + ")");
  }
  inflateEnd(&s);
  out.resize(produced);
  return out;
}

IdxArray parse_idx(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  if (is_gzip(bytes, size)) {
    const std::vector<std::uint8_t> raw = gunzip(bytes, size, name);
    return parse_idx(raw.data(), raw.size(), name);
  }
  if (size < 4) {
    fail(name, "file too short for an IDX header (" + std::to_string(size) + " bytes, need 4)");
  }
  if (bytes[0] != 0 || bytes[1] != 0) {
    fail(name, "bad magic number (first two bytes must be 0; not an IDX file)");
  }
  if (bytes[2] != 0x08) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", bytes[2]);
    fail(name, std::string("unsupported IDX element type ") + hex +
                   " (only 0x08, unsigned byte, is supported)");
  }
  const int ndim = bytes[3];
  if (ndim == 0) fail(name, "IDX header says 0 dimensions");
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(ndim);
  if (size < header) {
    fail(name, "truncated IDX header: " + std::to_string(ndim) + " dimensions need " +
                   std::to_string(header) + " bytes, file has " + std::to_string(size));
  }
  IdxArray a;
  a.dims.resize(ndim);
  std::uint64_t count = 1;
  bool too_big = false;
  for (int d = 0; d < ndim; ++d) {
    a.dims[d] = read_be32(bytes + 4 + 4 * d);
    if (a.dims[d] != 0 && count > std::numeric_limits<std::uint64_t>::max() / a.dims[d]) {
      too_big = true;
    } else {
      count *= a.dims[d];
    }
  }
  const std::size_t payload = size - header;
  if (too_big || count != payload) {
    std::string shape;
    for (int d = 0; d < ndim; ++d) shape += (d ? " x " : "") + std::to_string(a.dims[d]);
    const std::string expect = too_big ? "more than 2^64" : std::to_string(count);
    fail(name, std::string(!too_big && count > payload ? "truncated: " : "size mismatch: ") +
                   "header declares " + shape + " = " + expect + " bytes of data, file has " +
                   std::to_string(payload));
  }
  a.data.assign(bytes + header, bytes + size);
  return a;
}

std::uintmax_t regular_file_size(const std::string& path) {
  // Check the kind first: a directory opens as a stream on Linux and reports an absurd size, and
  // a FIFO or device would block or never end.
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec) fail(path, "cannot open (" + ec.message() + ")");
  if (fs::is_directory(st)) fail(path, "is a directory, not a file");
  if (!fs::is_regular_file(st)) {
    fail(path, "is not a regular file (a FIFO, socket or device); isobench reads regular files");
  }
  const std::uintmax_t length = fs::file_size(path, ec);
  if (ec) fail(path, "cannot determine the file size (" + ec.message() + ")");
  return length;
}

std::vector<std::uint8_t> read_file_bytes(const std::string& path, std::size_t max_bytes) {
  const std::uintmax_t length = regular_file_size(path);
  if (length > max_bytes) {
    fail(path, "is " + std::to_string(length) + " bytes, more than the " +
                   std::to_string(max_bytes) + " isobench reads; not a dataset file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, std::string("cannot open (") + std::strerror(errno) + ")");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(length));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(length));
  if (static_cast<std::uintmax_t>(in.gcount()) != length || in.peek() != EOF) {
    fail(path, "read error (file changed while reading?)");
  }
  return bytes;
}

std::vector<std::uint8_t> read_decompressed(const std::string& path) {
  std::vector<std::uint8_t> bytes = read_file_bytes(path);
  if (!is_gzip(bytes.data(), bytes.size())) return bytes;
  return gunzip(bytes.data(), bytes.size(), path);
}

IdxArray read_idx(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  return parse_idx(bytes.data(), bytes.size(), path);
}

IdxImages idx_as_images(IdxArray&& a, const std::string& name) {
  if (a.dims.size() != 3) {
    fail(name, "expected an image file (3 dimensions: n x rows x cols), found " +
                   std::to_string(a.dims.size()) + " dimension(s)");
  }
  constexpr std::uint32_t kMax = std::numeric_limits<int>::max();
  if (a.dims[0] > kMax || a.dims[1] > kMax || a.dims[2] > kMax) fail(name, "dimension too large");
  if (a.dims[0] == 0 || a.dims[1] == 0 || a.dims[2] == 0) {
    fail(name, "empty image file (a dimension is 0)");
  }
  IdxImages im;
  im.n = static_cast<int>(a.dims[0]);
  im.rows = static_cast<int>(a.dims[1]);
  im.cols = static_cast<int>(a.dims[2]);
  im.pixels = std::move(a.data);
  return im;
}

std::vector<std::uint8_t> idx_as_labels(IdxArray&& a, const std::string& name, int classes) {
  if (a.dims.size() != 1) {
    fail(name, "expected a label file (1 dimension), found " + std::to_string(a.dims.size()) +
                   " dimensions");
  }
  if (a.dims[0] == 0) fail(name, "empty label file");
  if (a.dims[0] > static_cast<std::uint32_t>(std::numeric_limits<int>::max())) {
    fail(name, "dimension too large");
  }
  for (std::size_t i = 0; i < a.data.size(); ++i) {
    if (a.data[i] >= classes) {
      fail(name, "label " + std::to_string(a.data[i]) + " at index " + std::to_string(i) +
                     " is out of range [0, " + std::to_string(classes) + ")");
    }
  }
  return std::move(a.data);
}

IdxImages read_idx_images(const std::string& path) {
  return idx_as_images(read_idx(path), path);
}

std::vector<std::uint8_t> read_idx_labels(const std::string& path, int classes) {
  return idx_as_labels(read_idx(path), path, classes);
}

std::vector<std::uint8_t> gzip_member(const std::uint8_t* bytes, std::size_t size, int level) {
  if (size > std::numeric_limits<uInt>::max()) throw IdxError("gzip_member: input over 4 GiB");
  z_stream s{};
  if (deflateInit2(&s, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw IdxError("gzip_member: zlib deflateInit2 failed");
  std::vector<std::uint8_t> out(deflateBound(&s, static_cast<uLong>(size)) + 64);
  s.next_in = const_cast<Bytef*>(bytes);
  s.avail_in = static_cast<uInt>(size);
  s.next_out = out.data();
  s.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&s, Z_FINISH);
  out.resize(out.size() - s.avail_out);
  deflateEnd(&s);
  if (rc != Z_STREAM_END) throw IdxError("gzip_member: zlib deflate failed");
  return out;
}

std::vector<std::uint8_t> encode_idx(const std::vector<std::uint32_t>& dims,
                                     const std::vector<std::uint8_t>& data, bool gzip) {
  if (dims.empty() || dims.size() > 255) throw IdxError("encode_idx: need 1..255 dimensions");
  std::uint64_t count = 1;
  for (std::uint32_t d : dims) count *= d;
  if (count != data.size()) throw IdxError("encode_idx: data size does not match dims");
  std::vector<std::uint8_t> raw = {0, 0, 0x08, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims) {
    for (int s = 24; s >= 0; s -= 8) raw.push_back(static_cast<std::uint8_t>(d >> s));
  }
  raw.insert(raw.end(), data.begin(), data.end());
  if (!gzip) return raw;

  return gzip_member(raw.data(), raw.size(), Z_BEST_COMPRESSION);
}

void write_idx(const std::string& path, const std::vector<std::uint32_t>& dims,
               const std::vector<std::uint8_t>& data, bool gzip) {
  const std::vector<std::uint8_t> bytes = encode_idx(dims, data, gzip);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail(path, std::string("cannot open for writing (") + std::strerror(errno) + ")");
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) fail(path, "write error");
}

}  // namespace isobench
