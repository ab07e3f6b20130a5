// What a classification workload writes into the trainer's EvalRecord: the training figures as
// running means since the previous evaluation (as Keras reports them per epoch), and the
// recurrent kernel's spectrum.
#pragma once

#include "isobench/ortho/orthogonality.hpp"
#include "isobench/train/trainer.hpp"

namespace isobench {

// Sums over the batches trained since the last evaluation.
struct RunningFigures {
  double data_loss = 0, penalty = 0;  // Σ batch mean × batch size
  long correct = 0, samples = 0;

  bool empty() const { return samples == 0; }
  // One batch of B samples: its total loss (data + penalty, batch mean), penalty λP(W), hits.
  void add(double total, double batch_penalty, long hits, int B) {
    correct += hits;
    data_loss += (total - batch_penalty) * B;
    penalty += batch_penalty * B;
    samples += B;
  }
  // loss, train_acc and extra {train_data_loss, penalty} of r from the running means; then
  // starts the next interval.
  void write_and_reset(EvalRecord& r) {
    const double n = static_cast<double>(samples);
    r.loss = (data_loss + penalty) / n;
    r.train_acc = static_cast<double>(correct) / n;
    r.extra["train_data_loss"] = data_loss / n;
    r.extra["penalty"] = penalty / n;
    *this = RunningFigures{};
  }
  // The same figures measured directly (step 0, before any training).
  static void write(EvalRecord& r, double data_loss, double acc, double penalty) {
    r.loss = data_loss + penalty;
    r.train_acc = acc;
    r.extra["train_data_loss"] = data_loss;
    r.extra["penalty"] = penalty;
  }
};

// kernel_sv_mean/std/min/max, ortho_err (and the whole list kernel_sv when `full`) into r's
// extra; kernel_finite = false when the kernel holds NaN/Inf.
inline void record_kernel_spectrum(const SpectrumSummary& ks, bool full, EvalRecord& r) {
  if (!ks.finite) {
    r.extra["kernel_finite"] = false;
    return;
  }
  r.extra["kernel_sv_mean"] = ks.mean;
  r.extra["kernel_sv_std"] = ks.std;
  r.extra["kernel_sv_min"] = ks.min;
  r.extra["kernel_sv_max"] = ks.max;
  r.extra["ortho_err"] = ks.ortho_err;
  if (full) r.extra["kernel_sv"] = ks.sv;
}

}  // namespace isobench
