// Synthetic data: Gaussian inputs, the copy-memory task and the adding problem — structure,
// statistics, determinism and the trivial baselines (computed by running the trivial predictor).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "isobench/core/rng.hpp"
#include "isobench/data/tasks.hpp"
#include "isobench/objective/loss.hpp"

using namespace isobench;

TEST(GaussianInputs, MomentsMatchQ) {
  for (double q : {0.25, 1.0, 3.0}) {
    Engine e = make_engine("gauss", 0);
    const int B = 400, D = 500, n = B * D;
    std::vector<double> x(n);
    gaussian_inputs(e, B, D, q, x.data());
    double m = 0, m2 = 0, m4 = 0;
    for (double v : x) {
      m += v;
      m2 += v * v;
      m4 += v * v * v * v;
    }
    m /= n;
    m2 /= n;
    m4 /= n;
    EXPECT_NEAR(m, 0.0, 5 * std::sqrt(q / n));
    EXPECT_NEAR(m2, q, 5 * q * std::sqrt(2.0 / n));
    EXPECT_NEAR(m4 / (q * q), 3.0, 5 * std::sqrt(96.0 / n));  // Gaussian kurtosis
  }
  Engine e = make_engine("gauss", 0);
  std::vector<float> z(10, 1.0f);
  gaussian_inputs(e, 2, 5, 0.0, z.data());
  for (float v : z) EXPECT_EQ(v, 0.0f);
  EXPECT_THROW(gaussian_inputs(e, 2, 5, -1.0, z.data()), std::invalid_argument);
}

TEST(CopyTask, Structure) {
  const int T = 30, B = 16;
  CopyTask task(T);
  ASSERT_EQ(task.steps(), 50);
  const int S = task.steps();
  std::vector<float> x(S * B * CopyTask::kInputs);
  std::vector<int> y(S * B), sym(B * 10);
  Engine e = make_engine("copy", 0);
  task.generate(e, B, x.data(), y.data(), sym.data());
  for (int b = 0; b < B; ++b) {
    for (int t = 0; t < S; ++t) {
      const float* row = &x[(t * B + b) * CopyTask::kInputs];
      int hot = -1, ones = 0;
      for (int k = 0; k < CopyTask::kInputs; ++k) {
        ASSERT_TRUE(row[k] == 0.0f || row[k] == 1.0f);
        if (row[k] == 1.0f) {
          hot = k;
          ++ones;
        }
      }
      ASSERT_EQ(ones, 1) << "t=" << t << " b=" << b;
      const int target = y[t * B + b];
      if (t < 10) {
        EXPECT_EQ(hot, sym[b * 10 + t]);
        EXPECT_LT(hot, 8);
      } else if (t < T + 9) {
        EXPECT_EQ(hot, CopyTask::kBlank);  // T − 1 blanks
      } else if (t == T + 9) {
        EXPECT_EQ(hot, CopyTask::kDelimiter);
      } else {
        EXPECT_EQ(hot, CopyTask::kBlank);  // 10 blanks while reproducing
      }
      if (t < T + 10) {
        EXPECT_EQ(target, CopyTask::kBlank);
      } else {
        EXPECT_EQ(target, sym[b * 10 + (t - T - 10)]);  // the symbols, in order
      }
      EXPECT_GE(target, 0);
      EXPECT_LT(target, CopyTask::kClasses);
    }
  }
  EXPECT_THROW(CopyTask(0), std::invalid_argument);
}

TEST(CopyTask, SymbolsUniformAndDeterministic) {
  CopyTask task(5);
  const int B = 4000, S = task.steps();
  std::vector<float> x(S * B * 10);
  std::vector<int> y(S * B), sym(B * 10);
  Engine e = make_engine("copy", 1);
  task.generate(e, B, x.data(), y.data(), sym.data());
  std::vector<int> c(8, 0);
  for (int s : sym) ++c.at(s);
  double chi2 = 0;
  const double expect = B * 10 / 8.0;
  for (int k : c) chi2 += (k - expect) * (k - expect) / expect;
  EXPECT_LT(chi2, 24.32);  // χ², 7 d.o.f., p = 0.001

  std::vector<float> x2(x.size());
  std::vector<int> y2(y.size());
  Engine e2 = make_engine("copy", 1);
  task.generate(e2, B, x2.data(), y2.data());
  EXPECT_EQ(x, x2);
  EXPECT_EQ(y, y2);
}

TEST(CopyTask, MemorylessBaselineIs10Log8OverTPlus20) {
  EXPECT_NEAR(copy_task_baseline(100), 10 * std::log(8.0) / 120, 1e-15);
  EXPECT_NEAR(copy_task_baseline(1000), 0.0203867, 1e-6);
  // Run the memoryless predictor on generated data: blank for T + 10 steps, then uniform over the
  // 8 symbols; its mean per-step cross-entropy must equal the formula.
  for (int T : {10, 100}) {
    CopyTask task(T);
    const int B = 64, S = task.steps(), K = CopyTask::kClasses;
    std::vector<double> x(S * B * 10);
    std::vector<int> y(S * B);
    Engine e = make_engine("copy_baseline", T);
    task.generate(e, B, x.data(), y.data());
    std::vector<double> logits(S * B * K), grad(S * B * K);
    for (int t = 0; t < S; ++t) {
      for (int b = 0; b < B; ++b) {
        double* z = &logits[(t * B + b) * K];
        for (int k = 0; k < K; ++k) {
          const bool likely = t < T + 10 ? k == CopyTask::kBlank : k < CopyTask::kSymbols;
          z[k] = likely ? 0.0 : -200.0;
        }
      }
    }
    const double loss = softmax_xent(logits.data(), y.data(), S * B, K, grad.data());
    EXPECT_NEAR(loss, copy_task_baseline(T), 1e-12) << "T=" << T;
  }
}

TEST(AddingTask, StructureAndTargets) {
  const int T = 50, B = 200;
  AddingTask task(T);
  std::vector<double> x(T * B * 2), target(B);
  Engine e = make_engine("adding", 0);
  task.generate(e, B, x.data(), target.data());
  for (int b = 0; b < B; ++b) {
    int first_half = 0, second_half = 0;
    double sum = 0;
    for (int t = 0; t < T; ++t) {
      const double v = x[(t * B + b) * 2], m = x[(t * B + b) * 2 + 1];
      ASSERT_GE(v, 0.0);
      ASSERT_LT(v, 1.0);
      ASSERT_TRUE(m == 0.0 || m == 1.0);
      if (m == 1.0) {
        (t < T / 2 ? first_half : second_half) += 1;
        sum += v;
      }
    }
    EXPECT_EQ(first_half, 1);
    EXPECT_EQ(second_half, 1);
    EXPECT_EQ(target[b], sum);
  }
  EXPECT_THROW(AddingTask(1), std::invalid_argument);
}

TEST(AddingTask, StatisticsAndConstantBaseline) {
  const int T = 20, B = 100000;
  AddingTask task(T);
  std::vector<float> x(T * B * 2), target(B);
  Engine e = make_engine("adding_stats", 0);
  task.generate(e, B, x.data(), target.data());
  // Predicting the constant 1: MSE = Var(u1 + u2) = 1/6; (s − 1)⁴ has mean 1/15, so the MSE's
  // standard error is sqrt((1/15 − 1/36)/B).
  double mse = 0, mean = 0;
  for (float s : target) {
    mse += (s - 1.0) * (s - 1.0);
    mean += s;
  }
  mse /= B;
  mean /= B;
  EXPECT_NEAR(adding_task_baseline(), 1.0 / 6.0, 1e-15);
  EXPECT_NEAR(mse, adding_task_baseline(), 5 * std::sqrt((1.0 / 15 - 1.0 / 36) / B));
  EXPECT_NEAR(mean, 1.0, 5 * std::sqrt(1.0 / 6 / B));
  // Marker positions uniform within each half: mean positions (T/2 − 1)/2 and T/2 + (T/2 − 1)/2.
  double p1 = 0, p2 = 0;
  for (int b = 0; b < B; ++b) {
    for (int t = 0; t < T; ++t) {
      if (x[(t * B + b) * 2 + 1] == 1.0f) (t < T / 2 ? p1 : p2) += t;
    }
  }
  const double sd = std::sqrt((100.0 - 1) / 12 / B);  // uniform over 10 positions
  EXPECT_NEAR(p1 / B, 4.5, 5 * sd);
  EXPECT_NEAR(p2 / B, 14.5, 5 * sd);
}

TEST(AddingTask, OddLengthAndDeterminism) {
  AddingTask task(5);  // halves [0, 2) and [2, 5)
  std::vector<double> x(5 * 3 * 2), t(3), x2(x.size()), t2(3);
  Engine e = make_engine("adding_odd", 4), e2 = make_engine("adding_odd", 4);
  task.generate(e, 3, x.data(), t.data());
  task.generate(e2, 3, x2.data(), t2.data());
  EXPECT_EQ(x, x2);
  EXPECT_EQ(t, t2);
  for (int b = 0; b < 3; ++b) {
    EXPECT_EQ(x[(0 * 3 + b) * 2 + 1] + x[(1 * 3 + b) * 2 + 1], 1.0);
  }
}
