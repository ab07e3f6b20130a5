// A sentence-sentiment classifier as a trainer workload (trainer.hpp): word embeddings
// (embedding.hpp), a many-to-one LSTM (lstm.hpp) with one logit, the sigmoid binary cross-entropy
// (loss_bce.hpp), an optimizer policy (optim.hpp) and an optional soft orthogonality penalty
// (penalty.hpp) on the LSTM's recurrent kernel — what SENT trains (the seed study's second
// experiment; docs/RESEARCH.md §3).
//
//   x   = E[ids]                     (L × B × D) time-major, ids (B × L) from a TextSet
//   z   = lstm(x)                    (B × 1)
//   L   = mean_b bce(σ(z_b), y_b) + λ·P(W)      W the (4H × H) recurrent kernel
//
// The penalty acts on the WHOLE (4H × H) kernel, as the study's Keras code regularized the whole
// (H × 4H) Keras kernel Wᵀ: for so / so_gain_adjusted the Gram matrix is WᵀW (H × H) =
// Σ_gates W_gᵀW_g (penalty.hpp takes the smaller Gram), for seed_notebook KᵀK = WWᵀ (4H × 4H).
// To match, orthogonal init draws the whole kernel (LstmConfig::per_gate_init = false, Keras'
// recurrent_initializer on the whole kernel): W = g·Q with orthonormal columns, WᵀW = g²I, so the
// gain-adjusted penalty is 0 at initialization (with per-gate init WᵀW = 4g²I and it would not be).
// Each gate's block then has singular values ≈ g/2 on average; kernel_sv_* are the H singular
// values of the whole W, which are all g at initialization.
//
// As Keras adds a kernel regularizer: λP(W) joins every batch's loss, λ∂P/∂W joins ∂L/∂W before
// the optimizer step. One step, in the order of ortho_treatment.hpp: batch → forward → loss →
// backward → penalty → optional global gradient-norm clipping (clip_norm, over the LSTM's W, U,
// b, V, c then the embedding table when trainable) → the optimizer (every parameter but W under
// cayley) → the optional hard constraint on W (constraint_scope: the whole kernel by default, as
// the init and the penalty; cayley needs PerGate — then init the blocks yourself, the whole-kernel
// init leaves them non-orthogonal and cayley keeps them so).
//
// Draws: from the run's streams (core/streams.hpp, common random numbers): the LSTM's recurrent
// (whole kernel), input and read-out kernels each from its own (Lstm::init), the embedding table
// from "embedding" (Embedding::init), srip's power-iteration vector from
// seed_of("srip/start_vector"), the per-epoch shuffles from batch_order(train.n) (last partial
// batch kept, as Keras). None is keyed by the treatment (penalty, λ, constraint, rate, gain): two
// runs differing only in it at one seed share their initial weights and batch order.
//
// Evaluation (trainer's evaluate), as RecurrentClassifierWorkload (rnn_classifier.hpp) so SENT's
// traces read like SEED's: loss / train_acc = running means of the training batches since the
// previous evaluation (at step 0: measured on the first kInitialTrainSamples training snippets);
// val_loss / val_acc on the validation part; extra: train_data_loss, penalty, kernel_sv_mean /
// std / min / max, ortho_err = ‖WᵀW/g² − I‖_F (g the init gain for orthogonal init, else 1) and
// the list kernel_sv (descending) when full_spectrum.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "isobench/core/rng.hpp"
#include "isobench/core/streams.hpp"
#include "isobench/data/text.hpp"
#include "isobench/nn/embedding.hpp"
#include "isobench/nn/lstm.hpp"
#include "isobench/optim/optim.hpp"
#include "isobench/ortho/init.hpp"
#include "isobench/ortho/orthogonality.hpp"
#include "isobench/ortho/penalty.hpp"
#include "isobench/train/ortho_treatment.hpp"
#include "isobench/train/running_figures.hpp"
#include "isobench/train/trainer.hpp"

namespace isobench {

struct SentimentSpec {
  int embed_dim = 300;  // D (the study: 300-d pretrained vectors)
  int hidden = 128;     // H
  InitSpec recurrent = InitSpec::orthogonal(1.0);
  InitSpec input = InitSpec::glorot_uniform();
  InitSpec readout = InitSpec::glorot_uniform();
  double forget_bias = 1.0;  // Keras unit_forget_bias
  int batch = 128;
  double lr = 1e-4;
  PenaltySpec penalty;        // on the whole recurrent kernel; None: no penalty
  double clip_norm = 0;       // > 0: global gradient-norm clipping
  ConstraintSpec constraint;  // on the recurrent kernel; inactive: none; gain = the init's
  KernelScope constraint_scope = KernelScope::Method;  // Lstm: as the method declares
  int eval_chunk = 1000;                               // snippets per evaluation forward pass
  bool full_spectrum = true;                           // kernel_sv list in every evaluation
  double target_val_acc = 0.7;                         // reached_target: val_acc ≥ this
};

// T: float or double; Update: AdamUpdate or SgdUpdate.
template <class T, class Update>
class SentimentWorkload {
 public:
  static constexpr int kInitialTrainSamples = 1000;

  // `train` and `val` must outlive the workload (val may be empty); vocab = the embedding's rows
  // (every id of the data must be below it). Throws std::invalid_argument naming the setting for
  // batch < 1 or > train.n, lr ≤ 0, embed_dim / hidden < 1, eval_chunk < 1, sequences of
  // different lengths in train and val; the penalty's own checks apply.
  SentimentWorkload(const SentimentSpec& spec, int vocab, const TextSet& train, const TextSet& val,
                    Update update, const RunStreams& streams);
  SentimentWorkload(const SentimentWorkload&) = delete;  // treat_ points into lstm_
  SentimentWorkload& operator=(const SentimentWorkload&) = delete;

  // --- trainer interface ---
  int steps_per_epoch() const;
  void begin_epoch(int epoch);
  double step();
  void evaluate(EvalRecord& r);
  bool reached_target(const EvalRecord& r) const { return r.val_acc >= spec_.target_val_acc; }
  bool diverged(const EvalRecord& r) const;

  struct Measure {
    double loss = 0, acc = 0;
    int samples = 0;
  };
  // Mean BCE and accuracy of the current weights on the first max_samples of d (≤ 0: all).
  Measure measure(const TextSet& d, int max_samples = 0);

  // Data loss + λP(W) of one batch of ids (B × L) and 0/1 labels (B); every gradient left in the
  // model and embedding; no update. For tests and probes.
  double loss_and_grad(const std::int32_t* ids, const T* labels, int batch);

  // The recurrent kernel's singular values, their docs/CONTRACT.md summary and ortho_err
  // (kernel_spectrum, orthogonality.hpp).
  SpectrumSummary kernel_spectrum();
  const OrthoTreatment<T>& treatment() const { return *treat_; }

  // Freeze (false) or fine-tune (true) the embedding table; call before training.
  void set_embedding_trainable(bool on);
  Embedding<T>& embedding() { return emb_; }
  Lstm<T>& model() { return lstm_; }
  const SentimentSpec& spec() const { return spec_; }
  long steps_taken() const { return t_; }
  const std::vector<int>& order() const { return order_; }  // this epoch's snippet order

 private:
  void gather(const TextSet& d, const int* idx, int batch);  // → ids_, labels_

  SentimentSpec spec_;
  const TextSet& train_;
  const TextSet& val_;
  Engine shuffles_;  // streams.batch_order(train.n)
  Lstm<T> lstm_;
  Embedding<T> emb_;
  Optimizer<T, Update> opt_;
  std::uint64_t penalty_seed_ = 0;
  std::unique_ptr<OrthoTreatment<T>> treat_;  // penalty, clipping, constraint on W
  std::vector<int> order_, index_;
  std::vector<std::int32_t> ids_;  // (max(B, chunk) × L)
  std::vector<T> x_, dx_, labels_, dlogits_;
  int batch_in_epoch_ = 0;
  long t_ = 0;
  RunningFigures running_;  // training figures since the previous evaluation
  double last_penalty_ = 0;
  int last_correct_ = 0;
};

extern template class SentimentWorkload<float, AdamUpdate>;
extern template class SentimentWorkload<float, SgdUpdate>;
extern template class SentimentWorkload<double, AdamUpdate>;
extern template class SentimentWorkload<double, SgdUpdate>;

}  // namespace isobench
