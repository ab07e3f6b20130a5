// An MLP image classifier as a trainer workload (trainer.hpp): mini-batch softmax cross-entropy,
// an optimizer policy (optim.hpp), and an optional soft orthogonality penalty (penalty.hpp) on
// every square hidden weight — what research questions C and E train.
//
//   logits = MLP(x),  x ∈ R^{d_0} (flat image), d_L = classes
//   loss   = softmax_xent(logits, labels)  +  Σ_{l square} λ·s(t)·P(W_l)
//
// "Square hidden weights" are W_2..W_{L−1} (width × width); the input layer (width × d_0) and the
// read-out (classes × width) are never penalized (Bansal et al. 2018 regularize every conv/FC
// kernel, but for an MLP only the square maps can be orthogonal both ways). s(t) is the λ
// schedule's multiplier at optimizer step t (ConstantLambda or StepDecayLambda).
//
// One step, in the order of ortho_treatment.hpp: batch → forward → loss → backward → penalty →
// optional global gradient-norm clipping (clip_norm, over net().params() in order) → the
// optimizer (every parameter but the square weights under cayley) → the optional hard constraint
// on every square hidden weight (cayley instead of the optimizer's step for them, with its own
// rate; qr / polar / margin after it; gain g = the init's for orthogonal init, else 1).
//
// Each step draws the next mini-batch of a per-epoch shuffle (MiniBatches, LastBatch::Drop so
// every step sees `batch` samples). Draws come from the run's streams (core/streams.hpp, common
// random numbers): W_l and b_l each from its own ("mlp/weightL", "mlp/biasL": Mlp::init), srip's
// start vectors from seed_of("srip/start_vector"), the shuffles from batch_order(train.n) — none
// keyed by the treatment (penalty, λ, constraint, rate, optimizer, gain), so two runs that differ
// only in it at one seed start from the same weights and see the same batches; the init's method
// does change the weights but not the order. Deterministic given the streams.
// Evaluation measures loss and accuracy on the first `eval_train` training samples and accuracy
// on the first `eval_val` validation samples (0: all), in chunks.
// `input_scale` multiplies every input (train, validation and test alike), e.g. to put the first
// pre-activation's variance at the mean-field fixed point q* (docs/RESEARCH.md §2, "inputs at q*").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "isobench/core/rng.hpp"
#include "isobench/core/streams.hpp"
#include "isobench/core/tensor.hpp"
#include "isobench/data/datasets.hpp"
#include "isobench/nn/activation.hpp"
#include "isobench/nn/mlp.hpp"
#include "isobench/optim/optim.hpp"
#include "isobench/ortho/init.hpp"
#include "isobench/ortho/penalty.hpp"
#include "isobench/train/ortho_treatment.hpp"
#include "isobench/train/trainer.hpp"

namespace isobench {

struct ClassifierSpec {
  int depth = 4;  // weight matrices (≥ 1)
  int width = 128;
  Activation act = Activation::Tanh;
  InitSpec init = InitSpec::gaussian(1.0);  // every weight; biases ~ N(0, sb2)
  double sb2 = 0.0;
  double input_scale = 1.0;  // every input is multiplied by this before the first layer
  int batch = 64;
  double lr = 1e-3;
  PenaltySpec penalty;                             // inactive ("none"): no penalty
  std::optional<StepDecayLambda> lambda_schedule;  // empty: constant λ
  double clip_norm = 0;                            // > 0: global gradient-norm clipping
  ConstraintSpec constraint;                       // on every square hidden weight; inactive: none
  int eval_train = 1000;                           // training samples evaluated (0: all)
  int eval_val = 0;                                // validation samples evaluated (0: all)
  double target_val_acc = 0.9;                     // reached_target: val_acc ≥ this
};

// Update: SgdUpdate or AdamUpdate (optim.hpp). T: float or double.
template <class T, class Update>
class MlpClassifierWorkload {
 public:
  // `train` and `val` must outlive the workload; val may be empty (n = 0) when eval_val is unused.
  // The weights and biases are drawn at construction, the shuffles per epoch (header: streams).
  // Throws std::invalid_argument naming the setting for a bad spec (depth < 1, width < 1,
  // batch < 1, batch > train.n, lr ≤ 0) or std::invalid_argument for a dataset whose dimension
  // or classes do not fit.
  MlpClassifierWorkload(const ClassifierSpec& spec, const Dataset& train, const Dataset& val,
                        Update update, const RunStreams& streams);
  MlpClassifierWorkload(const MlpClassifierWorkload&) = delete;  // treat_ points into net_
  MlpClassifierWorkload& operator=(const MlpClassifierWorkload&) = delete;

  // --- the trainer interface (trainer.hpp) ---
  int steps_per_epoch() const { return batches_.num_batches(); }
  void begin_epoch(int epoch);
  double step();  // returns data loss + penalty of this batch (before the update)
  void evaluate(EvalRecord& r);
  bool reached_target(const EvalRecord& r) const { return r.val_acc >= spec_.target_val_acc; }
  bool diverged(const EvalRecord& r) const;
  // Checkpoints (trainer.hpp, state_archive.hpp): the shuffle engine, every weight and bias, the
  // optimizer, this epoch's order and position, the step count and the treatment's state.
  void state(StateArchive& ar);

  // Accuracy and mean cross-entropy of the current weights on the first `max_samples` of d
  // (-1 or 0: all).
  double accuracy(const Dataset& d, int max_samples = -1) { return measure(d, max_samples).acc; }
  double loss(const Dataset& d, int max_samples = -1) { return measure(d, max_samples).loss; }

  // max over the square hidden weights of ‖WᵀW/g² − I‖_F, g = the init gain for orthogonal
  // init (1 otherwise) — docs/CONTRACT.md `ortho_err`; 0 when the net has none (depth ≤ 2).
  double max_orthogonality_error() const;
  // λ·s(t)·ΣP(W_l) of the current weights at the last step's multiplier (0 without penalty).
  double penalty_value();
  // Layers l with a square hidden weight (2..L−1).
  const std::vector<int>& square_layers() const { return square_; }

  Mlp<T>& net() { return net_; }
  const ClassifierSpec& spec() const { return spec_; }
  long steps_taken() const { return t_; }
  const MiniBatches& batches() const { return batches_; }  // this epoch's order
  double lambda_multiplier(long t) const;
  const OrthoTreatment<T>& treatment() const { return *treat_; }

 private:
  struct Measure {
    double loss = 0, acc = 0;
  };
  Measure measure(const Dataset& d, int max_samples);
  void scale_inputs(int rows);  // x_[0 .. rows·d_0) *= input_scale

  ClassifierSpec spec_;
  const Dataset& train_;
  const Dataset& val_;
  Engine order_;  // the shuffles: streams.batch_order(train.n)
  Mlp<T> net_;
  Optimizer<T, Update> opt_;
  MiniBatches batches_;
  std::vector<int> square_;          // penalized / constrained layers
  std::vector<Matrix<T>> grad_buf_;  // with a penalty: weight grad + penalty grad, per square layer
  std::unique_ptr<OrthoTreatment<T>> treat_;  // over the net's params (square grads redirected)
  std::vector<T> x_, dlogits_;
  std::vector<int> labels_, eval_idx_;
  int batch_in_epoch_ = 0, eval_chunk_ = 0;
  long t_ = 0;
};

extern template class MlpClassifierWorkload<float, SgdUpdate>;
extern template class MlpClassifierWorkload<float, AdamUpdate>;
extern template class MlpClassifierWorkload<double, SgdUpdate>;
extern template class MlpClassifierWorkload<double, AdamUpdate>;

}  // namespace isobench
