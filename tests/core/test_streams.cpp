// RunStreams (core/streams.hpp): a stream depends only on its key and the seed — equal keys draw
// equal numbers, any changed part of a key (role, init, shape, data, n, task part, purpose) or the
// seed draws other numbers, and the key texts are the documented ones.
#include <gtest/gtest.h>

#include <vector>

#include "isobench/core/streams.hpp"

using namespace isobench;

namespace {

std::vector<std::uint64_t> first(Engine e, int k = 4) {
  std::vector<std::uint64_t> v;
  for (int i = 0; i < k; ++i) v.push_back(e());
  return v;
}

TEST(RunStreams, SameKeySameDrawsAnyOtherKeyOrSeedOtherDraws) {
  const RunStreams s("mnist/val:0.2", 1), again("mnist/val:0.2", 1), seed2("mnist/val:0.2", 2),
      other_data("fashion-mnist/val:0.2", 1);
  const auto w = first(s.weights("rnn/recurrent", "orthogonal", 8, 8));
  EXPECT_EQ(w, first(again.weights("rnn/recurrent", "orthogonal", 8, 8)));
  EXPECT_EQ(w, first(other_data.weights("rnn/recurrent", "orthogonal", 8, 8)));  // not data
  EXPECT_NE(w, first(seed2.weights("rnn/recurrent", "orthogonal", 8, 8)));
  EXPECT_NE(w, first(s.weights("rnn/input", "orthogonal", 8, 8)));
  EXPECT_NE(w, first(s.weights("rnn/recurrent", "gaussian", 8, 8)));
  EXPECT_NE(w, first(s.weights("rnn/recurrent", "orthogonal", 8, 9)));
  EXPECT_NE(w, first(s.weights("rnn/recurrent", "orthogonal", 9, 8)));
  const auto o = first(s.batch_order(100));
  EXPECT_EQ(o, first(again.batch_order(100)));
  EXPECT_NE(o, first(s.batch_order(101)));
  EXPECT_NE(o, first(other_data.batch_order(100)));
  EXPECT_NE(o, first(seed2.batch_order(100)));
  const auto tr = first(s.synthetic("copy", "length:10", "train"));
  EXPECT_NE(tr, first(s.synthetic("copy", "length:10", "heldout")));
  EXPECT_NE(tr, first(s.synthetic("copy", "length:20", "train")));
  EXPECT_NE(tr, first(s.synthetic("adding", "length:10", "train")));
  EXPECT_EQ(first(s.engine("srip/start_vector")), first(Engine(s.seed_of("srip/start_vector"))));
  EXPECT_NE(s.seed_of("srip/start_vector"), s.seed_of("gradient_probe"));
  EXPECT_NE(s.seed_of("srip/start_vector"), seed2.seed_of("srip/start_vector"));
}

TEST(RunStreams, KeysAreTheDocumentedTexts) {
  const RunStreams s("mnist/val:0.2", 3);
  EXPECT_EQ(s.weights_key("mlp/weight2", "gaussian", 128, 784),
            "weights/mlp/weight2/gaussian/128x784");
  EXPECT_EQ(s.batch_order_key(8000), "batch_order/mnist/val:0.2/n:8000");
  EXPECT_EQ(first(s.weights("mlp/weight2", "gaussian", 128, 784)),
            first(make_engine("weights/mlp/weight2/gaussian/128x784", 3)));
  EXPECT_EQ(first(s.batch_order(8000)), first(make_engine("batch_order/mnist/val:0.2/n:8000", 3)));
  EXPECT_EQ(first(s.synthetic("copy", "length:10", "heldout")),
            first(make_engine("synthetic/copy/length:10/heldout", 3)));
  EXPECT_EQ(s.seed_of("srip/start_vector"), derive_seed("draw/srip/start_vector", 3));
}

}  // namespace
