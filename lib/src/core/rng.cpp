#include "isobench/core/rng.hpp"

#include <cmath>

namespace isobench {

std::uint64_t text_hash(std::string_view text) {
  std::uint64_t h = 1469598103934665603ull;  // see rng.hpp: not the standard basis, on purpose
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::uint64_t derive_seed(std::string_view config, std::uint64_t seed) {
  std::uint64_t z = text_hash(config) ^ (seed + 0x9e3779b97f4a7c15ull);  // splitmix64 finalizer
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double uniform01(Engine& eng) {
  // 53 random bits → [0, 1); independent of the standard library's distribution code.
  return static_cast<double>(eng() >> 11) * 0x1.0p-53;
}

double standard_normal(Engine& eng) {
  // Box–Muller, one value per call (the second is discarded) so the stream is stateless.
  constexpr double two_pi = 6.283185307179586476925286766559;
  double u1;
  do u1 = uniform01(eng);
  while (u1 <= 0.0);
  const double u2 = uniform01(eng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(two_pi * u2);
}

}  // namespace isobench
