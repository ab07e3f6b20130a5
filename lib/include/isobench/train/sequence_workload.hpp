// Recurrent models on sequence problems as trainer workloads (trainer.hpp): what RQD and TASK
// train, and — through RecurrentClassifierWorkload (rnn_classifier.hpp), a facade over this class —
// SEED. There is ONE sequential-MNIST training step and evaluation; where the families differ
// (batching, training figures, draw use, evaluation chunks, divergence rules), SequenceProtocol
// says so, option by option, so no family's numbers changed when the two implementations were
// folded.
//
// Model: a vanilla RNN (rnn.hpp) or an LSTM (lstm.hpp), built from the spec or handed in by the
// caller. Problems (docs/RESEARCH.md §3):
//   rowmnist / pixelmnist / permmnist  sequential MNIST (batches.hpp views: 28 steps × 28 pixels,
//                                      784 × 1, 784 × 1 under a fixed permutation); many-to-one
//                                      softmax read-out of h_T, cross-entropy. (A caller-built
//                                      model takes images of any size under any SeqView.)
//   copy     copy memory, delay T (tasks.hpp, Arjovsky et al. 2016 §4.1): T + 20 steps, softmax
//            read-out at every step, mean per-step cross-entropy; baseline 10·log 8/(T + 20).
//   adding   adding problem, length T (Arjovsky et al. 2016 §4.2): linear read-out of h_T, MSE;
//            baseline 1/6.
//
// One step, top to bottom, in the order of ortho_treatment.hpp (the treatment owns the last four):
//   batch      the next mini-batch (MNIST: of the epoch's shuffle; synthetic: drawn fresh)
//   → forward  → loss (data loss) → backward (every parameter's gradient)
//   → penalty  L += λ·P(W) on the recurrent kernel W only, λ∂P/∂W into ∂L/∂W (as Keras adds a
//              kernel regularizer); for the LSTM on the whole (4H × H) kernel [W_i; W_f; W_g; W_o]
//   → clip     global gradient-norm clipping of every gradient (Pascanu et al. 2013), clip_norm > 0
//   → update   the optimizer (Adam at spec.lr, or the caller's) on every parameter except W under
//              cayley
//   → constraint  cayley's step W ← (I + η/2 A)⁻¹(I − η/2 A) W, A = G Wᵀ − W Gᵀ, with its own
//              rate η, instead of the optimizer's for W; qr / polar / margin put W back on / into
//              a band around the scaled orthogonal manifold right after the update
//              (constraint.hpp).
// The constraint's gain g is the recurrent init's (orthogonality_gain: OrthogonalInit{g},
// IdentityInit{g}); 1 for other inits. On the LSTM the constraint acts on the whole kernel
// (constraint_scope WholeKernel) or on each H × H gate block (PerGate; the only scope cayley
// accepts on the LSTM). A margin m ≥ 1 (Vorontsov's widest, m = 1) is the band [0, g(1 + m)].
//
// Draws come from the run's streams (core/streams.hpp, common random numbers), each keyed by what
// it draws and the seed, none by the treatment (penalty, λ, norm, constraint, margin, rate,
// optimizer, the init's gain):
//   weights     W, U, V each from its own (Rnn::init "rnn/…", Lstm::init "lstm/…"; the LSTM's
//               per-gate or whole-kernel W are different streams, chosen as below)
//   MNIST       the per-epoch shuffles from batch_order(train.n)
//   synthetic   the training batches from synthetic(TASK, "length:T", "train"), the held-out set
//               from synthetic(TASK, "length:T", "heldout") (TASK copy or adding)
//   srip        its power-iteration vector from seed_of("srip/start_vector") when
//               protocol.srip_seed_from_streams (SEED); otherwise seed 0 (RQD/TASK).
// So two runs differing only in the treatment at one seed start from the same weights and see
// the same batches in the same order.
//
// Data: MNIST steps walk a per-epoch shuffle of the training set; the synthetic problems draw a
// fresh batch every step, and an "epoch" is `synthetic_steps_per_epoch` steps (the evaluation
// cadence). Evaluation: MNIST — the training figures (protocol.train_figures), then loss and
// accuracy on the first eval_val validation samples (0: all); synthetic — loss on a fixed held-out
// set of eval_samples sequences drawn once at construction, plus copy_acc, the accuracy on the 10
// recalled symbols, and extra penalty (λP(W) now) and grad_norm (the last step's, before clipping).
//
// Targets (reached_target): MNIST val_acc ≥ target_val_acc; synthetic held-out loss ≤
// target_fraction · baseline. Divergence: a non-finite loss; a synthetic loss above
// 1000 · baseline; the protocol's own rules (nonfinite_val_diverges).
//
// Shapes: every batch is time-major (T × B × F).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "isobench/core/rng.hpp"
#include "isobench/core/streams.hpp"
#include "isobench/core/tensor.hpp"
#include "isobench/data/batches.hpp"
#include "isobench/data/datasets.hpp"
#include "isobench/data/tasks.hpp"
#include "isobench/nn/activation.hpp"
#include "isobench/nn/lstm.hpp"
#include "isobench/nn/rnn.hpp"
#include "isobench/optim/optim.hpp"
#include "isobench/ortho/constraint.hpp"
#include "isobench/ortho/init.hpp"
#include "isobench/ortho/orthogonality.hpp"
#include "isobench/ortho/penalty.hpp"
#include "isobench/train/ortho_treatment.hpp"
#include "isobench/train/running_figures.hpp"
#include "isobench/train/trainer.hpp"

namespace isobench {

enum class RecurrentModel { Rnn, Lstm };
enum class SequenceProblem { RowMnist, PixelMnist, PermutedMnist, Copy, Adding };

// docs/CONTRACT.md values: rnn, lstm; rowmnist, pixelmnist, permmnist, copy, adding.
const char* recurrent_model_name(RecurrentModel m);
const char* sequence_problem_name(SequenceProblem p);
SequenceProblem parse_sequence_problem(std::string_view s);
bool is_mnist_problem(SequenceProblem p);

// Where the sequential-MNIST families train and measure differently: each family's protocol,
// kept as it was when SEED's RecurrentClassifierWorkload and RQD/TASK's SequenceWorkload were one
// class each, so that folding them changed no number. The defaults are RQD/TASK's ("measured");
// SequenceProtocol::keras() is SEED's (the seed study ran Keras's fit, and SEED reproduces it).
// Options about batches and training figures apply to the MNIST problems only.
struct SequenceProtocol {
  // The last partial batch of an epoch. SEED: Keep (Keras's fit trains on it, so every sample is
  // seen once per epoch). RQD/TASK: Drop (every step a full batch; n mod batch samples sit out).
  LastBatch last_batch = LastBatch::Drop;
  // What an evaluation reports as loss / train_acc.
  //   Measured (RQD/TASK): the current weights on the first eval_train training samples; extra
  //            penalty = λP(W) of the current weights and grad_norm = the last step's gradient
  //            norm before clipping.
  //   Running  (SEED): the means over the batches trained since the previous evaluation (loss =
  //            data + penalty, Keras's per-epoch `loss` / `accuracy`; the weights change during
  //            it), extra train_data_loss and penalty, the two parts; with nothing trained yet
  //            (step 0) measured on the first eval_train training samples instead.
  enum class TrainFigures { Measured, Running };
  TrainFigures train_figures = TrainFigures::Measured;
  // Seed of srip's power-iteration vector. SEED: the run's streams.seed_of("srip/start_vector");
  // RQD/TASK: 0 (header: draws).
  bool srip_seed_from_streams = false;
  // Samples per evaluation forward pass; 0: the batch (RQD/TASK). SEED: 1000. Chunks of a
  // different size sum the loss in a different order, so this is part of the protocol.
  int eval_chunk = 0;
  // The recurrent kernel's singular values in every evaluation's extra (kernel_sv_mean/std/min/
  // max, ortho_err; kernel_finite = false for a NaN/Inf kernel) and, with full_spectrum, the
  // whole list kernel_sv — SEED's traces (the study's Figures 7–8). RQD/TASK measure the kernel
  // at the end only.
  bool kernel_spectrum = false;
  bool full_spectrum = false;
  // Divergence beyond a non-finite training loss. SEED: val_loss is written as measured and a
  // non-finite one is divergence, as is a non-finite kernel (kernel_finite). RQD/TASK: val_loss
  // is written only when finite.
  bool nonfinite_val_diverges = false;
  // A step whose loss is not finite: SEED still clips, updates and constrains (so its final
  // kernel reads non-finite, as Keras's would); RQD/TASK stop before the clip. The trainer ends
  // the run at once either way.
  bool update_on_nonfinite_loss = false;
  // step() called past the epoch's last batch without begin_epoch (outside the trainer): SEED
  // reshuffles (a new epoch); RQD/TASK wrap around the same order.
  bool reshuffle_when_exhausted = false;
  // The order of the clipping's norm sum for an RNN with biases. SEED: W, U, V, b, c (the order
  // of Rnn::clip_grad_norm); RQD/TASK: params() order W, U, b, V, c. (The sum is over the same
  // squares; only its floating-point rounding depends on the order.)
  bool clip_readout_before_biases = false;

  static SequenceProtocol keras();  // SEED's protocol (each option's SEED value above)
};

struct SequenceWorkloadSpec {
  RecurrentModel model = RecurrentModel::Rnn;
  SequenceProblem problem = SequenceProblem::RowMnist;
  int length = 0;  // copy: the delay T (≥ 1); adding: the length T (≥ 2); MNIST: unused
  int hidden = 128;
  Activation act = Activation::Tanh;                    // RNN only (the LSTM's gates are fixed)
  InitSpec recurrent_init = InitSpec::orthogonal(1.0);  // W (LSTM: each gate's H × H block)
  InitSpec input_init = InitSpec::glorot_uniform();     // U
  InitSpec readout_init = InitSpec::glorot_uniform();   // V
  int batch = 128;
  double lr = 1e-3;      // Adam
  double clip_norm = 0;  // global gradient-norm clipping; ≤ 0: none
  PenaltySpec penalty;   // on W; inactive ("none"): no penalty
  ConstraintSpec
      constraint;  // on W; inactive ("none"): none. Its gain is replaced by the init's gain.
  // LSTM: the constraint on the whole (4H × H) kernel (its init drawn whole too) or on each gate
  // block (each block drawn g-orthogonal: per-gate init).
  KernelScope constraint_scope = KernelScope::Method;  // Lstm: as the method declares
  SequenceProtocol protocol;  // how MNIST problems train and measure (default: RQD/TASK's)
  // MNIST
  int eval_train = 1000;        // training samples evaluated (0: all; Running: step 0 only)
  int eval_val = 0;             // validation samples evaluated (0: all)
  std::uint64_t perm_seed = 0;  // permmnist's fixed permutation (pixel_permutation)
  double target_val_acc = 0.9;
  // synthetic
  int synthetic_steps_per_epoch = 100;
  int eval_samples = 512;
  double target_fraction = 0.5;  // target: held-out loss ≤ target_fraction · baseline
};

// T: float or double.
template <class T>
class SequenceWorkload {
 public:
  using Model = std::variant<Rnn<T>, Lstm<T>>;
  // One optimizer step on the parameters given (the treatment's optimizer_params()).
  using UpdateFn = std::function<void(const std::vector<ParamRef<T>>&)>;

  // The model built from the spec (model, hidden, act; the LSTM's per-gate init chosen from the
  // treatment), updated by Adam at spec.lr. MNIST problems need `train` (28 × 28 images; and `val`
  // when eval_val is used; may be empty); both must outlive the workload. Synthetic problems ignore
  // them (pass nullptr). Throws std::invalid_argument naming the setting for a bad spec (hidden,
  // batch, lr, length, a missing or too small dataset, a constraint on a non-orthogonalizable
  // kernel, …).
  SequenceWorkload(const SequenceWorkloadSpec& spec, const Dataset* train, const Dataset* val,
                   const RunStreams& streams);
  // A caller-built, many-to-one model (its config chooses hidden size, activation, bias, the
  // LSTM's per_gate_init; initialized here from the spec's inits) classifying images of any size
  // viewed as `view` (spec.problem, model, hidden and act are not used; spec.perm_seed is), updated
  // by `update` instead of Adam (spec.lr is not used). `owner` prefixes error messages (the
  // facade's name). Throws std::invalid_argument for a many-to-many model or one whose input_dim /
  // output_dim does not fit the view / classes of `train`, a too small `train`, or a `val` of
  // another image size or class count.
  SequenceWorkload(const SequenceWorkloadSpec& spec, Model model, SeqView view,
                   const Dataset& train, const Dataset& val, UpdateFn update,
                   const RunStreams& streams, const std::string& owner = "SequenceWorkload");
  SequenceWorkload(const SequenceWorkload&) = delete;
  SequenceWorkload& operator=(const SequenceWorkload&) = delete;

  // --- the trainer interface (trainer.hpp) ---
  int steps_per_epoch() const;
  void begin_epoch(int epoch);
  double step();  // draw_batch(), objective_and_gradient(), clip, update, constraint; the objective
  void evaluate(EvalRecord& r);
  bool reached_target(const EvalRecord& r) const;
  bool diverged(const EvalRecord& r) const;
  // Checkpoints (trainer.hpp, state_archive.hpp): the draws engine, every parameter, the Adam
  // state, this epoch's order and position, the figures since the last evaluation, the step count
  // and the treatment's state. A workload updated by a caller's UpdateFn (second constructor)
  // cannot save its update's state: std::invalid_argument.
  void state(StateArchive& ar);

  // --- pieces of step(), public for tests ---
  // The next training batch into the workload's buffers (MNIST under LastBatch::Keep: the epoch's
  // last batch may be partial).
  void draw_batch();
  // Data loss + penalty on the last drawn batch; fills every gradient, W's (kernel_grad()) with
  // the penalty's gradient included. No update.
  double objective_and_gradient();
  // The same on a given batch of a many-to-one classification problem: x (T × B × F) time-major,
  // labels B class indices, B ≤ max(batch, eval_chunk). For probes (SEED's penalty_grad_ratio).
  double objective_and_gradient(const T* x, const int* labels, int B);
  const Matrix<T>& kernel_grad() const;  // ∂(loss + penalty)/∂W

  // MNIST problems: mean cross-entropy and accuracy of the current weights on the first
  // max_samples of d (≤ 0: all), in chunks of the protocol's eval_chunk; acc = -1 for no sample.
  // d must have the training set's image size and classes (not checked here).
  struct Measure {
    double loss = 0, acc = -1;
    int samples = 0;
  };
  Measure measure(const Dataset& d, int max_samples = 0);
  // Its accuracy, e.g. on the test set at the end; an error for the synthetic problems or a d of
  // another image size or class count.
  double mnist_accuracy(const Dataset& d, int max_samples = 0);

  // The trivial solution's loss (copy_task_baseline / adding_task_baseline); NaN for MNIST.
  double baseline_loss() const;
  // W: (H × H) for the RNN, (4H × H) for the LSTM.
  Matrix<T>& recurrent_kernel();
  // ‖WᵀW/g² − I‖_F of the whole W (docs/CONTRACT.md ortho_err), g = orthogonality_gain of the
  // recurrent init.
  double orthogonality_error();
  // The same over the units the constraint acts on: the largest over the LSTM's gate blocks under
  // the PerGate scope, else orthogonality_error().
  double constrained_orthogonality_error() const { return treat_->constrained_ortho_err(0); }
  SpectrumSummary kernel_singular_values();
  // The recurrent kernel's singular values and ortho_err now (one SVD, O(H³)).
  SpectrumSummary kernel_spectrum();
  // Every parameter, W first (values and the gradients the update uses).
  const std::vector<ParamRef<T>>& params() const { return treat_->params(); }
  const OrthoTreatment<T>& treatment() const { return *treat_; }
  Model& model() { return model_; }
  const SequenceWorkloadSpec& spec() const { return spec_; }
  int seq_steps() const { return steps_; }
  int features() const { return features_; }
  int outputs() const { return outputs_; }
  long steps_taken() const { return t_; }
  // MNIST: this epoch's order; nullptr for the synthetic problems.
  const MiniBatches* batches() const { return batches_.empty() ? nullptr : &batches_[0]; }
  double last_grad_norm() const { return treat_->last_grad_norm(); }  // before clipping
  double last_penalty() const { return last_penalty_; }  // λP(W) of the last objective

 private:
  // Shape of the MNIST problems; the model's weights, the one draw, the treatment, the held-out
  // set and the buffers (header: draws).
  void set_up_mnist(SeqView view);
  void set_up(const std::string& owner, const RunStreams& streams);
  const T* forward(const T* x, int B);
  void backward(const T* dlogits);
  // Loss (and dlogits) of logits for B samples; adds the correct count to *correct when
  // non-null.
  double data_loss(const T* logits, int B, const int* labels, const T* values, long* correct);
  double loss_and_grad(const T* x, const int* labels, const T* values, int B);
  int eval_chunk() const;
  Measure measure_synthetic();

  SequenceWorkloadSpec spec_;
  const Dataset* train_;
  const Dataset* val_;
  Engine draws_;  // MNIST: the shuffles; synthetic: the training batches (header: draws)
  Model model_;
  int steps_ = 0, features_ = 0, outputs_ = 0;
  bool many_to_many_ = false;
  double gain_ = 1.0;
  std::optional<Optimizer<T, AdamUpdate>> adam_;  // the workload's own update (first constructor)
  UpdateFn update_;                               // adam_ at spec.lr unless the caller's
  // Penalty, clipping, constraint on W (params: every parameter, W first); built once the model
  // exists. It points into model_, so the workload is neither copied nor moved.
  std::unique_ptr<OrthoTreatment<T>> treat_;
  // MNIST
  std::vector<BatchGatherer> gatherer_;  // 0 or 1
  std::vector<MiniBatches> batches_;     // 0 or 1
  int batch_in_epoch_ = 0;
  int batch_size_ = 0;       // samples in the last drawn batch
  RunningFigures running_;   // TrainFigures::Running: the batches since the previous evaluation
  double last_penalty_ = 0;  // λP(W) of the last objective
  long last_correct_ = 0;    // hits of the last training objective (Running)
  // synthetic
  std::vector<CopyTask> copy_;
  std::vector<AddingTask> adding_;
  std::vector<T> eval_x_, eval_values_;  // the held-out set, (steps × eval_samples × F)
  std::vector<int> eval_labels_;
  // batch buffers: x (steps × rows × F), labels (MNIST rows; copy steps × B), values (adding B),
  // rows = max(batch, eval_chunk)
  std::vector<T> x_, values_, dlogits_;
  std::vector<int> labels_, idx_;
  long t_ = 0;
};

extern template class SequenceWorkload<float>;
extern template class SequenceWorkload<double>;

}  // namespace isobench
