// The IDX file format of the MNIST distribution (LeCun et al., http://yann.lecun.com/exdb/mnist/),
// raw or gzip-compressed.
//
//   bytes 0–1   zero
//   byte  2     element type: 0x08 unsigned byte (the only type MNIST / Fashion-MNIST use)
//   byte  3     number of dimensions d (1 for labels, 3 for images)
//   4·d bytes   the sizes, big-endian uint32
//   then        Π sizes elements, row-major (last index fastest)
//
// The reader is strict: the magic, the type, the number of dimensions, the sizes against the file
// length (a truncated file *and* trailing bytes are both errors), the gzip stream (CRC and length
// checked by zlib) and, for labels, the label range. Every failure is an IdxError (a
// std::runtime_error) whose message starts with the file name and says what is wrong, so a corrupt
// dataset surfaces as a clear error, never as a crash or a silently partial dataset.
//
// Shapes: images are (n × rows × cols) bytes, row-major; labels are n bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace isobench {

class IdxError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A parsed IDX array of unsigned bytes: dims (e.g. {n, rows, cols}) and Π dims bytes.
struct IdxArray {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> data;
};

// Largest decompressed size accepted (guards against gzip bombs); full MNIST is 47 MB.
constexpr std::size_t kIdxMaxBytes = std::size_t{1} << 31;

// True when the bytes start with the gzip magic 1f 8b.
bool is_gzip(const std::uint8_t* bytes, std::size_t size);

// Decompresses a gzip stream: one member or several concatenated, read as gunzip(1) reads them
// (the concatenation of their contents). `name` (the file) is used in error messages. Throws
// IdxError on a corrupt, truncated or over-large (> max_out bytes) stream, or on bytes after a
// member that do not start another member (gunzip warns "trailing garbage ignored").
std::vector<std::uint8_t> gunzip(const std::uint8_t* bytes, std::size_t size,
                                 const std::string& name, std::size_t max_out = kIdxMaxBytes);

// One complete gzip member holding `size` bytes (zlib level 0–9); members can be concatenated
// into one .gz file. Used by encode_idx, the tests and the fuzzers. Throws IdxError when zlib
// fails or the input is over 4 GiB.
std::vector<std::uint8_t> gzip_member(const std::uint8_t* bytes, std::size_t size, int level = 6);

// Parses IDX bytes (gzip-compressed or raw, detected from the first bytes).
IdxArray parse_idx(const std::uint8_t* bytes, std::size_t size, const std::string& name);

// The size in bytes of a regular file: IdxError naming the path when it is missing, unreadable,
// a directory or a FIFO/socket/device (what every reader of isobench's inputs checks first).
std::uintmax_t regular_file_size(const std::string& path);
// The bytes of a regular file. IdxError naming the path when it is missing, unreadable, a
// directory, a FIFO/socket/device, or larger than max_bytes.
std::vector<std::uint8_t> read_file_bytes(const std::string& path,
                                          std::size_t max_bytes = kIdxMaxBytes);
// read_file_bytes, gunzipped when the bytes start with the gzip magic.
std::vector<std::uint8_t> read_decompressed(const std::string& path);

// Reads and parses a file; a missing or unreadable file is an IdxError naming it.
IdxArray read_idx(const std::string& path);

// Images: a 3-d IDX array (n × rows × cols). Labels: a 1-d IDX array of n values in [0, classes).
struct IdxImages {
  int n = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;  // (n × rows × cols)
};
IdxImages read_idx_images(const std::string& path);
std::vector<std::uint8_t> read_idx_labels(const std::string& path, int classes);

// Checks an already parsed array as images / labels (used by the readers above and the fuzzer).
IdxImages idx_as_images(IdxArray&& a, const std::string& name);
std::vector<std::uint8_t> idx_as_labels(IdxArray&& a, const std::string& name, int classes);

// Serializes an unsigned-byte IDX array; gzip = true writes a .gz stream. Used by the tests and by
// anyone converting their own data. Throws IdxError when the file cannot be written.
std::vector<std::uint8_t> encode_idx(const std::vector<std::uint32_t>& dims,
                                     const std::vector<std::uint8_t>& data, bool gzip);
void write_idx(const std::string& path, const std::vector<std::uint32_t>& dims,
               const std::vector<std::uint8_t>& data, bool gzip);

}  // namespace isobench
