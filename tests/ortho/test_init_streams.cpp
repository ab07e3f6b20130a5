// Initialization from a run's streams (init.hpp initialize(spec, w, streams, role)): every
// built-in init draws numbers that do not depend on its gain or σ_w² and scales them, so specs
// differing only in those give proportional weights at one seed — W(g = 1.25) = 1.25·W(g = 1),
// W(σ_w² = 2) = √2·W(σ_w² = 1) — the pairing common random numbers rely on (core/streams.hpp);
// the role, the init and the shape pick the stream.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "isobench/ortho/init.hpp"

using namespace isobench;

namespace {

Matrix<double> drawn(const InitSpec& s, int r, int c, std::uint64_t seed,
                     const std::string& role = "rnn/recurrent") {
  Matrix<double> w({static_cast<std::size_t>(r), static_cast<std::size_t>(c)}, 0.0);
  initialize(s, w, RunStreams("data", seed), role);
  return w;
}

void expect_scaled(const Matrix<double>& w, const Matrix<double>& base, double a,
                   const std::string& what) {
  ASSERT_EQ(w.size(), base.size());
  for (std::size_t i = 0; i < w.size(); ++i)
    EXPECT_NEAR(w.data()[i], a * base.data()[i], 1e-14) << what << " entry " << i;
}

TEST(InitStreams, EveryBuiltinInitScalesGainFreeDraws) {
  int checked = 0;
  for (const InitMethod& m : init_methods()) {
    if (!m.builtin) continue;
    for (auto [r, c] : {std::pair{6, 6}, std::pair{9, 4}, std::pair{4, 9}}) {
      const std::string what = m.name + " " + std::to_string(r) + "x" + std::to_string(c);
      const Matrix<double> base = drawn({m.name, 1.0, 1.0}, r, c, 1);
      if (m.sets_gain) expect_scaled(drawn({m.name, 1.0, 1.25}, r, c, 1), base, 1.25, what);
      if (m.reads_sw2)
        expect_scaled(drawn({m.name, 2.0, 1.0}, r, c, 1), base, std::sqrt(2.0), what);
      expect_scaled(drawn({m.name, 1.0, 1.0}, r, c, 1), base, 1.0, what);  // deterministic
      if (m.name != "identity") {  // the only built-in init without draws
        const Matrix<double> other = drawn({m.name, 1.0, 1.0}, r, c, 2);
        EXPECT_NE(std::vector<double>(other.begin(), other.end()),
                  std::vector<double>(base.begin(), base.end()))
            << what << ": another seed";
        const Matrix<double> role = drawn({m.name, 1.0, 1.0}, r, c, 1, "rnn/input");
        EXPECT_NE(std::vector<double>(role.begin(), role.end()),
                  std::vector<double>(base.begin(), base.end()))
            << what << ": another role";
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 6 * 3);  // gaussian, orthogonal, glorot_uniform, glorot_normal, he, identity
}

}  // namespace
