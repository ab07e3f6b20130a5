// A recurrent sequence classifier as a trainer workload (trainer.hpp): a many-to-one recurrent
// model (Rnn<T> or Lstm<T>, built by the caller), softmax cross-entropy on the last step's logits,
// an optimizer policy (optim.hpp) and the orthogonality treatment of the recurrent kernel
// (ortho_treatment.hpp) — what SEED trains (the seed study, Hlav 2019; docs/RESEARCH.md §3).
//
// It is a thin facade: SequenceWorkload (sequence_workload.hpp), the one sequential-MNIST training
// step and evaluation, does the work under SequenceProtocol::keras() — SEED's protocol, each option
// documented there — with the caller's model and an Optimizer<T, Update>.
//
//   x_1..x_T = the image viewed as a sequence (SeqView: Rows = 28 steps × 28 pixels, …)
//   logits   = model(x)                                         (B × K), K = classes
//   loss     = softmax_xent(logits, labels) + λ·P(W)            P on the recurrent kernel W
//
// One step, top to bottom (ortho_treatment.hpp's order):
//   batch       the next mini-batch of the epoch's shuffle (the last one may be partial)
//   → forward → loss → backward
//   → penalty   λP(W) to the loss of every batch, λ∂P/∂W into ∂L/∂W (as Keras adds a kernel
//               regularizer); for an Lstm on the whole (4H × H) recurrent kernel
//   → clip      optional global gradient-norm clipping (over W, U, V, b, c in that order)
//   → update    the optimizer on every parameter but W under cayley
//   → constraint  the optional hard constraint on W (cayley instead of the optimizer's step for
//               W, with its own rate; qr / polar / margin after it; gain g = the recurrent init's,
//               as ortho_err's); for an Lstm on each H × H gate block unless constraint_scope is
//               WholeKernel (cayley: per gate only). The model's own config chooses its init
//               (per_gate_init).
//
// Draws: from the run's streams (core/streams.hpp, common random numbers; SequenceWorkload's
// header): each of the recurrent, input and read-out kernels from its own stream (Rnn::init,
// Lstm::init), srip's power-iteration vector from seed_of("srip/start_vector"), the per-epoch
// shuffles from batch_order(train.n) (MiniBatches, LastBatch::Keep as Keras: the last partial
// batch is trained on, so every sample is seen once per epoch). None is keyed by the treatment
// (penalty, λ, norm, constraint, rate, optimizer, gain): two runs differing only in it at one seed
// share their initial weights (W ∝ g for orthogonal init) and batch order. Deterministic.
//
// Evaluation (trainer's evaluate), all of the CURRENT weights unless stated:
//   loss, train_acc  the running mean of the training batches' loss (data + penalty) and accuracy
//                    since the previous evaluation — Keras's per-epoch `loss` / `accuracy` (weights
//                    change during it); at step 0, measured on the first kInitialTrainSamples
//                    training samples instead;
//   val_loss, val_acc  on the first `eval_val` validation samples (0: all), in chunks;
//   extra            train_data_loss, penalty (the running means of the two loss parts), and the
//                    recurrent kernel's singular values: kernel_sv_mean, kernel_sv_std,
//                    kernel_sv_min, kernel_sv_max, ortho_err = ‖WᵀW/g² − I‖_F (g = the init gain
//                    for orthogonal / identity init, else 1; docs/CONTRACT.md), and with
//                    `full_spectrum` the whole list kernel_sv (descending) — the data of the
//                    study's Figures 7–8.
// Divergence: a non-finite batch loss stops the trainer at once (the step is still applied, so
// the final kernel reads non-finite); diverged() also flags a non-finite validation loss or
// recurrent kernel.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "isobench/core/rng.hpp"
#include "isobench/core/streams.hpp"
#include "isobench/core/tensor.hpp"
#include "isobench/data/batches.hpp"
#include "isobench/data/datasets.hpp"
#include "isobench/nn/lstm.hpp"
#include "isobench/nn/rnn.hpp"
#include "isobench/optim/optim.hpp"
#include "isobench/ortho/init.hpp"
#include "isobench/ortho/orthogonality.hpp"
#include "isobench/ortho/penalty.hpp"
#include "isobench/train/ortho_treatment.hpp"
#include "isobench/train/sequence_workload.hpp"
#include "isobench/train/trainer.hpp"

namespace isobench {

struct RecurrentClassifierSpec {
  // Initializers of the recurrent kernel W, the input kernel U and the read-out V (biases zero).
  InitSpec recurrent = InitSpec::orthogonal(1.0);
  InitSpec input = InitSpec::glorot_uniform();
  InitSpec readout = InitSpec::glorot_uniform();
  SeqView view = SeqView::Rows;  // how an image becomes a sequence (batches.hpp)
  std::uint64_t perm_seed = 0;   // SeqView::PermutedPixels only
  int batch = 128;
  double lr = 1e-4;
  PenaltySpec penalty;        // on the recurrent kernel; inactive ("none"): no penalty
  double clip_norm = 0;       // > 0: global gradient-norm clipping at this norm
  ConstraintSpec constraint;  // on the recurrent kernel; inactive: none; gain = the init's
  KernelScope constraint_scope = KernelScope::Method;  // Lstm: as the method declares
  int eval_val = 0;                                    // validation samples evaluated (0: all)
  int eval_chunk = 1000;                               // samples per evaluation forward pass
  bool kernel_spectrum = true;  // kernel_sv_* and ortho_err in every evaluation's extra
  bool full_spectrum = true;    // …and the whole list kernel_sv
  double target_val_acc = 0.9;  // reached_target: val_acc ≥ this
};

// Model: Rnn<T> or Lstm<T> (rnn.hpp, lstm.hpp), many-to-one, output_dim = the classes.
// Update: AdamUpdate or SgdUpdate (optim.hpp). T: float or double.
template <class Model, class Update>
class RecurrentClassifierWorkload {
 public:
  using T = typename std::remove_reference_t<decltype(*std::declval<Model&>().params()[0].value)>;
  static constexpr int kInitialTrainSamples = 1000;

  // `model` is constructed by the caller (its config chooses hidden size, activation, bias) and
  // initialized here from the spec. `train` and `val` must outlive the workload; val may be empty.
  // Throws std::invalid_argument naming the setting for a bad spec (batch < 1, batch > train.n,
  // lr ≤ 0 or not finite, eval_chunk < 1, clip_norm < 0), a many-to-many model, or a model whose
  // input size / class count does not fit the data and view; the penalty's own checks apply.
  RecurrentClassifierWorkload(const RecurrentClassifierSpec& spec, Model model,
                              const Dataset& train, const Dataset& val, Update update,
                              const RunStreams& streams);
  RecurrentClassifierWorkload(const RecurrentClassifierWorkload&) =
      delete;  // the core points into itself
  RecurrentClassifierWorkload& operator=(const RecurrentClassifierWorkload&) = delete;

  // --- the trainer interface (trainer.hpp) ---
  int steps_per_epoch() const { return core_.steps_per_epoch(); }
  void begin_epoch(int epoch) { core_.begin_epoch(epoch); }  // reshuffles the training order
  double step() { return core_.step(); }  // one optimizer step; the batch's data loss + penalty
  void evaluate(EvalRecord& r) { core_.evaluate(r); }
  bool reached_target(const EvalRecord& r) const { return core_.reached_target(r); }
  bool diverged(const EvalRecord& r) const { return core_.diverged(r); }

  // Mean cross-entropy and accuracy of the current weights on the first `max_samples` of d
  // (≤ 0: all), in chunks of eval_chunk; d must have the training set's image size.
  struct Measure {
    double loss = 0, acc = 0;
    int samples = 0;
  };
  Measure measure(const Dataset& d, int max_samples = 0);

  // Data loss + λP(W) of one batch, gradients of every parameter left in the model (the
  // recurrent kernel's including λ∂P/∂W); no update. x: (T × B × F) time-major in T,
  // labels: B class indices, B ≤ max(batch, eval_chunk). For tests (gradient checks) and probes.
  double loss_and_grad(const T* x, const int* labels, int batch) {
    return core_.objective_and_gradient(x, labels, batch);
  }

  // The recurrent kernel's singular values now (one SVD, O(H³)).
  SpectrumSummary kernel_spectrum() { return core_.kernel_spectrum(); }
  const OrthoTreatment<T>& treatment() const { return core_.treatment(); }

  Model& model() { return std::get<Model>(core_.model()); }
  const RecurrentClassifierSpec& spec() const { return spec_; }
  long steps_taken() const { return core_.steps_taken(); }
  const MiniBatches& batches() const { return *core_.batches(); }  // this epoch's order
  int sequence_steps() const { return core_.seq_steps(); }         // T
  int sequence_features() const { return core_.features(); }       // F

 private:
  RecurrentClassifierSpec spec_;
  const Dataset& train_;
  SequenceWorkload<T> core_;  // the one sequential-MNIST step and evaluation, SEED's protocol
};

extern template class RecurrentClassifierWorkload<Rnn<float>, AdamUpdate>;
extern template class RecurrentClassifierWorkload<Rnn<float>, SgdUpdate>;
extern template class RecurrentClassifierWorkload<Rnn<double>, AdamUpdate>;
extern template class RecurrentClassifierWorkload<Rnn<double>, SgdUpdate>;
extern template class RecurrentClassifierWorkload<Lstm<float>, AdamUpdate>;
extern template class RecurrentClassifierWorkload<Lstm<float>, SgdUpdate>;
extern template class RecurrentClassifierWorkload<Lstm<double>, AdamUpdate>;
extern template class RecurrentClassifierWorkload<Lstm<double>, SgdUpdate>;

}  // namespace isobench
