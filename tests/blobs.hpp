// Flat samples from Gaussian blobs, the synthetic classification data of the training tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "isobench/core/rng.hpp"
#include "isobench/data/datasets.hpp"

namespace isobench::testutil {

// n samples of `dim` features from `classes` blobs: centres ~ sep·N(0, 1) per class and
// feature, each sample its class's centre + N(0, 1) noise, labels i % classes. Drawn from the
// engine make_engine(stream, seed): centres first, then the samples in order.
inline Dataset gaussian_blobs(int n, int dim, int classes, double sep, const std::string& stream,
                              std::uint64_t seed) {
  Engine eng = make_engine(stream, seed);
  std::vector<double> centre(static_cast<std::size_t>(classes) * dim);
  for (auto& c : centre) c = sep * standard_normal(eng);
  Dataset d;
  d.n = n;
  d.rows = 1;
  d.cols = dim;
  d.classes = classes;
  d.source = "synthetic blobs";
  for (int i = 0; i < n; ++i) {
    const int y = i % classes;
    d.y.push_back(y);
    for (int j = 0; j < dim; ++j)
      d.x.push_back(
          static_cast<float>(centre[static_cast<std::size_t>(y) * dim + j] + standard_normal(eng)));
  }
  return d;
}

}  // namespace isobench::testutil
