// A run's named random streams: see streams.hpp.
#include "isobench/core/streams.hpp"

#include <initializer_list>

namespace isobench {

namespace {
std::string join(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (std::string_view p : parts) {
    if (!s.empty()) s += '/';
    s += p;
  }
  return s;
}
}  // namespace

std::string RunStreams::weights_key(std::string_view role, std::string_view init, std::size_t rows,
                                    std::size_t cols) const {
  const std::string shape = std::to_string(rows) + "x" + std::to_string(cols);
  return join({"weights", role, init, shape});
}

std::string RunStreams::batch_order_key(long n) const {
  return join({"batch_order", data_, "n:" + std::to_string(n)});
}

Engine RunStreams::weights(std::string_view role, std::string_view init, std::size_t rows,
                           std::size_t cols) const {
  return make_engine(weights_key(role, init, rows, cols), seed_);
}

Engine RunStreams::batch_order(long n) const {
  return make_engine(batch_order_key(n), seed_);
}

Engine RunStreams::synthetic(std::string_view task, std::string_view params,
                             std::string_view part) const {
  return make_engine(join({"synthetic", task, params, part}), seed_);
}

Engine RunStreams::engine(std::string_view purpose) const {
  return Engine(seed_of(purpose));
}

std::uint64_t RunStreams::seed_of(std::string_view purpose) const {
  return derive_seed(join({"draw", purpose}), seed_);
}

}  // namespace isobench
