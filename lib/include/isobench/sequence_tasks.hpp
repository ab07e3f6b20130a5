// Recurrent models on sequence problems as trainer tasks (trainer.hpp): what RQD and TASK train.
//
// Model: a vanilla RNN (rnn.hpp) or an LSTM (lstm.hpp). Problems (RESEARCH.md §3):
//   rowmnist / pixelmnist / permmnist  sequential MNIST (batches.hpp views: 28 steps × 28 pixels,
//                                      784 × 1, 784 × 1 under a fixed permutation); many-to-one
//                                      softmax read-out of h_T, cross-entropy.
//   copy     copy memory, delay T (tasks.hpp, Arjovsky et al. 2016 §4.1): T + 20 steps, softmax
//            read-out at every step, mean per-step cross-entropy; baseline 10·log 8/(T + 20).
//   adding   adding problem, length T (Arjovsky et al. 2016 §4.2): linear read-out of h_T, MSE;
//            baseline 1/6.
//
// One step on a batch, in the order of ortho_treatment.hpp (the treatment owns the last four):
//   batch → forward → loss → backward → penalty L += λ·P(W) (on the recurrent kernel W only)
//   → global gradient-norm clipping of every gradient (Pascanu et al. 2013) when clip_norm > 0
//   → Adam (optim.hpp) on every parameter except W under cayley
//   → constraint: cayley's step W ← (I + η/2 A)⁻¹(I − η/2 A) W, A = G Wᵀ − W Gᵀ, with its own
//     rate η, instead of Adam's for W; qr / polar / margin put W back on / into a band around the
//     scaled orthogonal manifold right after the Adam step (constraint.hpp).
// The constraint's gain g is the recurrent init's (OrthogonalInit{g}, IdentityInit{g}); 1 for
// other inits. For the LSTM, the penalty acts on the whole (4H × H) kernel [W_i; W_f; W_g; W_o];
// the constraint on the whole kernel (constraint_scope WholeKernel, the default) or on each H × H
// gate block (PerGate; the only scope cayley accepts on the LSTM). A margin m ≥ 1 (Vorontsov's
// widest, m = 1) is the band [0, g(1 + m)]: only the upper end binds. srip's vector is seeded 0.
//
// Data: MNIST steps walk a per-epoch shuffle of the training set (LastBatch::Drop); the synthetic
// problems draw a fresh batch every step from the task's engine, and an "epoch" is
// `synthetic_steps_per_epoch` steps (the evaluation cadence). Evaluation: MNIST — loss and
// accuracy on the first eval_train training samples, accuracy on the first eval_val validation
// samples (0: all); synthetic — loss on a fixed held-out set of eval_samples sequences drawn once
// at construction (from a separate engine), plus copy_acc, the accuracy on the 10 recalled symbols.
//
// Targets (reached_target): MNIST val_acc ≥ target_val_acc; synthetic held-out loss ≤
// target_fraction · baseline. Divergence: a non-finite loss, or a synthetic loss above
// 1000 · baseline.
//
// Shapes: every batch is time-major (T × B × F); the engine is copied and draws, in order, the
// model's weights (W, U, V), the held-out set's seed, then shuffles / training batches.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <variant>
#include <vector>

#include "isobench/activation.hpp"
#include "isobench/batches.hpp"
#include "isobench/constraint.hpp"
#include "isobench/datasets.hpp"
#include "isobench/init.hpp"
#include "isobench/lstm.hpp"
#include "isobench/optim.hpp"
#include "isobench/ortho_treatment.hpp"
#include "isobench/penalty.hpp"
#include "isobench/rng.hpp"
#include "isobench/rnn.hpp"
#include "isobench/spectra.hpp"
#include "isobench/tasks.hpp"
#include "isobench/tensor.hpp"
#include "isobench/trainer.hpp"

namespace isobench {

enum class RecurrentModel { Rnn, Lstm };
enum class SequenceProblem { RowMnist, PixelMnist, PermutedMnist, Copy, Adding };

// CONTRACT.md values: rnn, lstm; rowmnist, pixelmnist, permmnist, copy, adding.
const char* recurrent_model_name(RecurrentModel m);
const char* sequence_problem_name(SequenceProblem p);
SequenceProblem parse_sequence_problem(std::string_view s);
bool is_mnist_problem(SequenceProblem p);

struct SequenceTaskSpec {
  RecurrentModel model = RecurrentModel::Rnn;
  SequenceProblem problem = SequenceProblem::RowMnist;
  int length = 0;  // copy: the delay T (≥ 1); adding: the length T (≥ 2); MNIST: unused
  int hidden = 128;
  Activation act = Activation::Tanh;                    // RNN only (the LSTM's gates are fixed)
  InitSpec recurrent_init = InitSpec::orthogonal(1.0);  // W (LSTM: each gate's H × H block)
  InitSpec input_init = InitSpec::glorot_uniform();     // U
  InitSpec readout_init = InitSpec::glorot_uniform();   // V
  int batch = 128;
  double lr = 1e-3;           // Adam
  double clip_norm = 0;       // global gradient-norm clipping; ≤ 0: none
  PenaltySpec penalty;        // on W; kind None: no penalty
  ConstraintSpec constraint;  // on W; kind None: none. Its gain is replaced by the init's gain.
  // LSTM: the constraint on the whole (4H × H) kernel (its init drawn whole too) or on each gate
  // block (each block drawn g-orthogonal: per-gate init).
  KernelScope constraint_scope = KernelScope::WholeKernel;
  // MNIST
  int eval_train = 1000;        // training samples evaluated (0: all)
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
class SequenceTask {
 public:
  // MNIST problems need `train` (and `val` when eval_val is used; may be empty); both must outlive
  // the task. Synthetic problems ignore them (pass nullptr). Throws std::invalid_argument naming
  // the setting for a bad spec (hidden, batch, lr, length, a missing or too small dataset, a
  // constraint on a non-orthogonalizable kernel, …).
  SequenceTask(const SequenceTaskSpec& spec, const Dataset* train, const Dataset* val, Engine eng);
  SequenceTask(const SequenceTask&) = delete;
  SequenceTask& operator=(const SequenceTask&) = delete;

  // --- the trainer interface (trainer.hpp) ---
  int steps_per_epoch() const;
  void begin_epoch(int epoch);
  double step();  // draw_batch(), objective_and_gradient(), clip, update; returns the objective
  void evaluate(EvalRecord& r);
  bool reached_target(const EvalRecord& r) const;
  bool diverged(const EvalRecord& r) const;

  // --- pieces of step(), public for tests ---
  // The next training batch into the task's buffers.
  void draw_batch();
  // Data loss + penalty on the last drawn batch; fills every gradient, W's (kernel_grad()) with
  // the penalty's gradient included. No update.
  double objective_and_gradient();
  const Matrix<T>& kernel_grad() const;  // ∂(loss + penalty)/∂W

  // MNIST problems: accuracy of the current weights on the first max_samples of d (≤ 0: all),
  // e.g. the test set at the end. An error for the synthetic problems.
  double mnist_accuracy(const Dataset& d, int max_samples = 0);

  // The trivial solution's loss (copy_task_baseline / adding_task_baseline); NaN for MNIST.
  double baseline_loss() const;
  // W: (H × H) for the RNN, (4H × H) for the LSTM.
  Matrix<T>& recurrent_kernel();
  // g: the recurrent init's gain (orthogonal / identity), else 1.
  double kernel_gain() const { return gain_; }
  // ‖WᵀW/g² − I‖_F of the whole W (CONTRACT.md ortho_err).
  double orthogonality_error();
  // The same over the units the constraint acts on: the largest over the LSTM's gate blocks under
  // the PerGate scope, else orthogonality_error().
  double constrained_orthogonality_error() const { return treat_->constrained_ortho_err(0); }
  SingularValueStats kernel_singular_values();
  // Every parameter, W first (values and the gradients the update uses).
  const std::vector<ParamRef<T>>& params() const { return treat_->params(); }
  const OrthoTreatment<T>& treatment() const { return *treat_; }
  const SequenceTaskSpec& spec() const { return spec_; }
  int seq_steps() const { return steps_; }
  int features() const { return features_; }
  int outputs() const { return outputs_; }
  long steps_taken() const { return t_; }
  double last_grad_norm() const { return treat_->last_grad_norm(); }  // before clipping

 private:
  struct Measure {
    double loss = 0, acc = -1;
  };
  const T* forward(const T* x, int B);
  void backward(const T* dlogits);
  // Loss (and dlogits) of logits for targets starting at sample `first` of the current target
  // buffers; adds the correct count to *correct when non-null.
  double data_loss(const T* logits, int B, const int* labels, const T* values, long* correct);
  Measure measure_mnist(const Dataset& d, int max_samples);
  Measure measure_synthetic();

  SequenceTaskSpec spec_;
  const Dataset* train_;
  const Dataset* val_;
  Engine eng_;
  std::variant<Rnn<T>, Lstm<T>> model_;
  int steps_ = 0, features_ = 0, outputs_ = 0;
  bool many_to_many_ = false;
  double gain_ = 1.0;
  Optimizer<T, AdamUpdate> opt_;
  // Penalty, clipping, constraint on W (params: every parameter, W first); built once the model
  // exists. It points into model_, so the task is neither copied nor moved.
  std::unique_ptr<OrthoTreatment<T>> treat_;
  // MNIST
  std::vector<BatchGatherer> gatherer_;  // 0 or 1
  std::vector<MiniBatches> batches_;     // 0 or 1
  int batch_in_epoch_ = 0;
  // synthetic
  std::vector<CopyTask> copy_;
  std::vector<AddingTask> adding_;
  std::vector<T> eval_x_, eval_values_;  // the held-out set, (steps × eval_samples × F)
  std::vector<int> eval_labels_;
  // batch buffers: x (steps × B × F), labels (MNIST B; copy steps × B), values (adding B)
  std::vector<T> x_, values_, dlogits_;
  std::vector<int> labels_, idx_;
  long t_ = 0;
};

extern template class SequenceTask<float>;
extern template class SequenceTask<double>;

}  // namespace isobench
