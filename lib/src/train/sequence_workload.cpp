// Recurrent models on sequence problems as trainer workloads: see sequence_workload.hpp.
#include "isobench/train/sequence_workload.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "isobench/core/decompositions.hpp"
#include "isobench/core/non_finite.hpp"
#include "isobench/objective/loss.hpp"

namespace isobench {

const char* recurrent_model_name(RecurrentModel m) {
  return m == RecurrentModel::Rnn ? "rnn" : "lstm";
}

const char* sequence_problem_name(SequenceProblem p) {
  switch (p) {
    case SequenceProblem::RowMnist:
      return "rowmnist";
    case SequenceProblem::PixelMnist:
      return "pixelmnist";
    case SequenceProblem::PermutedMnist:
      return "permmnist";
    case SequenceProblem::Copy:
      return "copy";
    case SequenceProblem::Adding:
      return "adding";
  }
  return "?";
}

SequenceProblem parse_sequence_problem(std::string_view s) {
  for (auto p : {SequenceProblem::RowMnist, SequenceProblem::PixelMnist,
                 SequenceProblem::PermutedMnist, SequenceProblem::Copy, SequenceProblem::Adding})
    if (s == sequence_problem_name(p)) return p;
  throw std::invalid_argument("unknown task '" + std::string(s) +
                              "' (expected rowmnist, pixelmnist, permmnist, copy or adding)");
}

SequenceProtocol SequenceProtocol::keras() {
  SequenceProtocol p;
  p.last_batch = LastBatch::Keep;
  p.train_figures = TrainFigures::Running;
  p.srip_seed_from_streams = true;
  p.eval_chunk = 1000;
  p.kernel_spectrum = true;
  p.full_spectrum = true;
  p.nonfinite_val_diverges = true;
  p.update_on_nonfinite_loss = true;
  p.reshuffle_when_exhausted = true;
  p.clip_readout_before_biases = true;
  return p;
}

bool is_mnist_problem(SequenceProblem p) {
  return p == SequenceProblem::RowMnist || p == SequenceProblem::PixelMnist ||
         p == SequenceProblem::PermutedMnist;
}

namespace {
// Where the penalty and constraint act (NonFiniteError messages name it).
constexpr const char* kKernel = "the recurrent kernel";

[[noreturn]] void bad(const std::string& what) {
  throw std::invalid_argument("SequenceWorkload: " + what);
}

SeqView mnist_view(SequenceProblem p) {
  switch (p) {
    case SequenceProblem::RowMnist:
      return SeqView::Rows;
    case SequenceProblem::PixelMnist:
      return SeqView::Pixels;
    default:
      return SeqView::PermutedPixels;
  }
}

const SequenceWorkloadSpec& checked(const SequenceWorkloadSpec& s, const Dataset* train) {
  if (s.hidden < 1) bad("hidden must be >= 1 (got " + std::to_string(s.hidden) + ")");
  if (s.batch < 1) bad("batch must be >= 1 (got " + std::to_string(s.batch) + ")");
  if (!(s.lr > 0) || !std::isfinite(s.lr)) bad("lr must be a positive number");
  if (!std::isfinite(s.clip_norm)) bad("clip_norm must be finite");
  if (s.protocol.eval_chunk < 0) bad("protocol.eval_chunk must be >= 0 (0: the batch)");
  if (is_mnist_problem(s.problem)) {
    if (!train) bad(std::string(sequence_problem_name(s.problem)) + " needs a training set");
    if (train->rows != 28 || train->cols != 28 || train->classes < 2)
      bad("training set " + train->source + " is not 28x28 images with >= 2 classes");
    if (train->n < s.batch)
      bad("batch " + std::to_string(s.batch) + " exceeds the " + std::to_string(train->n) +
          " training samples of " + train->source);
  } else {
    if (s.problem == SequenceProblem::Copy && s.length < 1)
      bad("copy needs a delay T >= 1 (length, got " + std::to_string(s.length) + ")");
    if (s.problem == SequenceProblem::Adding && s.length < 2)
      bad("adding needs a length T >= 2 (length, got " + std::to_string(s.length) + ")");
    if (s.synthetic_steps_per_epoch < 1) bad("synthetic_steps_per_epoch must be >= 1");
    if (s.eval_samples < 1) bad("eval_samples must be >= 1");
    if (!(s.target_fraction > 0)) bad("target_fraction must be > 0");
  }
  if (s.model == RecurrentModel::Lstm && s.constraint.active() &&
      constraint_method(s.constraint.method).replaces_step &&
      resolved_scope(s.constraint_scope, s.constraint) == KernelScope::WholeKernel)
    bad("constraint:" + s.constraint.method +
        " on the LSTM's whole (4H x H) kernel is not supported (it rotates the 4H-space); "
        "set constraint_scope to per-gate (KernelScope::PerGate)");
  return s;
}

}  // namespace

template <class T>
SequenceWorkload<T>::SequenceWorkload(const SequenceWorkloadSpec& spec, const Dataset* train,
                                      const Dataset* val, const RunStreams& streams)
    : spec_(checked(spec, train)),
      train_(train),
      val_(val),
      model_(std::in_place_index<0>, RnnConfig{1, 1, 1}),
      adam_(std::in_place, spec.lr),
      update_([this](const std::vector<ParamRef<T>>& p) { adam_->step(p); }) {
  // Problem shape.
  if (is_mnist_problem(spec_.problem)) {
    set_up_mnist(mnist_view(spec_.problem));
    if (val_ && val_->n > 0 && (val_->dim() != train_->dim() || val_->classes != outputs_))
      bad("validation set " + val_->source + " differs in image size or classes from " +
          train_->source);
  } else if (spec_.problem == SequenceProblem::Copy) {
    copy_.emplace_back(spec_.length);
    steps_ = copy_[0].steps();
    features_ = CopyTask::kInputs;
    outputs_ = CopyTask::kClasses;
    many_to_many_ = true;
  } else {
    adding_.emplace_back(spec_.length);
    steps_ = adding_[0].steps();
    features_ = AddingTask::kInputs;
    outputs_ = 1;
    many_to_many_ = false;
  }
  // The model (its weights are drawn in set_up).
  if (spec_.model == RecurrentModel::Rnn) {
    RnnConfig c{features_, spec_.hidden, outputs_};
    c.act = spec_.act;
    c.many_to_many = many_to_many_;
    model_.template emplace<0>(c);
  } else {
    LstmConfig c{features_, spec_.hidden, outputs_};
    c.many_to_many = many_to_many_;
    // A penalty or whole-kernel constraint acts on the (4H × H) kernel with target WᵀW = g²I:
    // draw the whole kernel orthogonal then (per-gate blocks would give WᵀW = 4g²I and be pulled
    // apart). A per-gate constraint wants each block g-orthogonal: per-gate init (it wins over a
    // penalty, which it would contradict anyway).
    const bool whole =
        resolved_scope(spec_.constraint_scope, spec_.constraint) == KernelScope::WholeKernel;
    if ((spec_.penalty.active() && !(spec_.constraint.active() && !whole)) ||
        (spec_.constraint.active() && whole))
      c.per_gate_init = false;
    model_.template emplace<1>(c);
  }
  set_up("SequenceWorkload", streams);
}

template <class T>
SequenceWorkload<T>::SequenceWorkload(const SequenceWorkloadSpec& spec, Model model, SeqView view,
                                      const Dataset& train, const Dataset& val, UpdateFn update,
                                      const RunStreams& streams, const std::string& owner)
    : spec_(spec),
      train_(&train),
      val_(&val),
      model_(std::move(model)),
      update_(std::move(update)) {
  auto fail = [&](const std::string& what) { throw std::invalid_argument(owner + ": " + what); };
  if (spec_.batch < 1) fail("batch must be >= 1 (got " + std::to_string(spec_.batch) + ")");
  if (spec_.protocol.eval_chunk < 0) fail("protocol.eval_chunk must be >= 0 (0: the batch)");
  if (train.rows < 1 || train.cols < 1 || train.classes < 2)
    fail("training set " + train.source + " has no pixels or fewer than 2 classes");
  if (train.n < spec_.batch)
    fail("batch " + std::to_string(spec_.batch) + " exceeds the " + std::to_string(train.n) +
         " training samples of " + train.source);
  if (!update_) fail("no optimizer update given");
  set_up_mnist(view);
  spec_.model = model_.index() == 0 ? RecurrentModel::Rnn : RecurrentModel::Lstm;
  std::visit(
      [&](auto& m) {
        const auto& mc = m.config();
        spec_.hidden = mc.hidden;
        if (mc.many_to_many)
          fail("the model must be many-to-one (a read-out of the last step only)");
        if (mc.input_dim != features_)
          fail("the model's input_dim " + std::to_string(mc.input_dim) + " does not fit the " +
               seq_view_name(view) + " view of " + train.source + " (" + std::to_string(features_) +
               " features per step)");
        if (mc.output_dim != outputs_)
          fail("the model's output_dim " + std::to_string(mc.output_dim) + " differs from the " +
               std::to_string(outputs_) + " classes of " + train.source);
      },
      model_);
  if (val.n > 0 && (val.rows != train.rows || val.cols != train.cols || val.classes != outputs_))
    fail("validation set " + val.source + " has a different image size or class count than " +
         train.source);
  set_up(owner, streams);
}

template <class T>
void SequenceWorkload<T>::set_up_mnist(SeqView view) {
  gatherer_.emplace_back(view, train_->rows, train_->cols, spec_.perm_seed);
  steps_ = gatherer_[0].steps();
  features_ = gatherer_[0].features();
  outputs_ = train_->classes;
  many_to_many_ = false;
  batches_.emplace_back(train_->n, spec_.batch, spec_.protocol.last_batch);
}

template <class T>
int SequenceWorkload<T>::eval_chunk() const {
  return !batches_.empty() && spec_.protocol.eval_chunk > 0 ? spec_.protocol.eval_chunk
                                                            : spec_.batch;
}

template <class T>
void SequenceWorkload<T>::set_up(const std::string& owner, const RunStreams& streams) {
  const SequenceProtocol& p = spec_.protocol;
  const int rows = std::max(spec_.batch, eval_chunk());  // the largest forward pass
  // The weights, each from its stream (header: draws).
  std::vector<ParamRef<T>> params;
  Matrix<T>* kernel_grad = nullptr;
  bool rnn_bias = false;
  std::visit(
      [&](auto& m) {
        m.init(spec_.recurrent_init, spec_.input_init, spec_.readout_init, streams);
        m.reserve(steps_, rows);
        params = m.params();  // W first, for both models
        kernel_grad = &m.recurrent_kernel_grad();
        if constexpr (std::is_same_v<std::decay_t<decltype(m)>, Rnn<T>>) rnn_bias = m.config().bias;
      },
      model_);
  // The clipping's norm sum runs over params in order; Rnn::params() is W, U, [b,] V[, c].
  if (p.clip_readout_before_biases && rnn_bias) std::swap(params[2], params[3]);
  gain_ = orthogonality_gain(spec_.recurrent_init);
  OrthoTreatmentSpec ts;
  ts.penalty = spec_.penalty;
  ts.penalty_seed =  // the family's srip seeding (protocol)
      p.srip_seed_from_streams ? streams.seed_of("srip/start_vector") : 0;
  ts.clip_norm = spec_.clip_norm;
  ts.constraint = spec_.constraint;
  ts.scope = spec_.constraint_scope;
  OrthoKernel<T> w{&recurrent_kernel(), kernel_grad, gain_, kKernel,
                   spec_.model == RecurrentModel::Lstm ? 4 : 1};
  treat_ = std::make_unique<OrthoTreatment<T>>(ts, std::vector<OrthoKernel<T>>{w},
                                               std::move(params), owner);

  // MNIST: the shuffles' stream. Synthetic: the training batches' stream and the held-out set,
  // whole batches drawn from its own.
  const int B = spec_.batch;
  if (!batches_.empty()) {
    draws_ = streams.batch_order(train_->n);
  } else {
    const char* task = sequence_problem_name(spec_.problem);
    const std::string params = "length:" + std::to_string(spec_.length);
    draws_ = streams.synthetic(task, params, "train");
    Engine held = streams.synthetic(task, params, "heldout");
    const int chunks = (spec_.eval_samples + B - 1) / B;
    const std::size_t xs = static_cast<std::size_t>(steps_) * B * features_;
    eval_x_.resize(xs * chunks);
    if (!copy_.empty()) {
      eval_labels_.resize(static_cast<std::size_t>(steps_) * B * chunks);
      for (int c = 0; c < chunks; ++c)
        copy_[0].generate(held, B, eval_x_.data() + xs * c,
                          eval_labels_.data() + static_cast<std::size_t>(steps_) * B * c);
    } else {
      eval_values_.resize(static_cast<std::size_t>(B) * chunks);
      for (int c = 0; c < chunks; ++c)
        adding_[0].generate(held, B, eval_x_.data() + xs * c,
                            eval_values_.data() + static_cast<std::size_t>(B) * c);
    }
  }
  x_.resize(static_cast<std::size_t>(steps_) * rows * features_);
  labels_.resize(static_cast<std::size_t>(many_to_many_ ? steps_ : 1) * rows);
  values_.resize(static_cast<std::size_t>(rows));
  dlogits_.resize(static_cast<std::size_t>(many_to_many_ ? steps_ : 1) * rows * outputs_);
  idx_.resize(static_cast<std::size_t>(rows));
  batch_size_ = B;
}

template <class T>
Matrix<T>& SequenceWorkload<T>::recurrent_kernel() {
  return std::visit([](auto& m) -> Matrix<T>& { return m.recurrent_kernel(); }, model_);
}

template <class T>
int SequenceWorkload<T>::steps_per_epoch() const {
  return batches_.empty() ? spec_.synthetic_steps_per_epoch : batches_[0].num_batches();
}

template <class T>
void SequenceWorkload<T>::begin_epoch(int /*epoch*/) {
  if (!batches_.empty()) batches_[0].shuffle(draws_);
  batch_in_epoch_ = 0;
}

template <class T>
const T* SequenceWorkload<T>::forward(const T* x, int B) {
  return std::visit([&](auto& m) { return m.forward(x, steps_, B); }, model_);
}

template <class T>
void SequenceWorkload<T>::backward(const T* dlogits) {
  std::visit([&](auto& m) { m.backward(dlogits); }, model_);
}

template <class T>
void SequenceWorkload<T>::draw_batch() {
  const int B = spec_.batch;
  if (!batches_.empty()) {
    if (batch_in_epoch_ >= batches_[0].num_batches() && spec_.protocol.reshuffle_when_exhausted)
      begin_epoch(0);  // used without the trainer: a new epoch
    const int b = batch_in_epoch_ % batches_[0].num_batches();
    ++batch_in_epoch_;
    batch_size_ = batches_[0].size(b);
    const int* idx = batches_[0].indices(b);
    gatherer_[0].gather(*train_, idx, batch_size_, x_.data());
    gather_labels(*train_, idx, batch_size_, labels_.data());
  } else if (!copy_.empty()) {
    batch_size_ = B;
    copy_[0].generate(draws_, B, x_.data(), labels_.data());
  } else {
    batch_size_ = B;
    adding_[0].generate(draws_, B, x_.data(), values_.data());
  }
}

template <class T>
double SequenceWorkload<T>::data_loss(const T* logits, int B, const int* labels, const T* values,
                                      long* correct) {
  if (!adding_.empty()) return mse_loss(logits, values, B, 1, dlogits_.data());
  const int rows = many_to_many_ ? steps_ * B : B;
  const double loss = softmax_xent(logits, labels, rows, outputs_, dlogits_.data());
  if (correct) {
    if (copy_.empty()) {
      *correct += count_correct(logits, labels, B, outputs_);
    } else {  // the 10 recalled symbols: the last 10 steps
      const std::size_t off = static_cast<std::size_t>(steps_ - CopyTask::kRemember) * B;
      *correct +=
          count_correct(logits + off * outputs_, labels + off, CopyTask::kRemember * B, outputs_);
    }
  }
  return loss;
}

template <class T>
const Matrix<T>& SequenceWorkload<T>::kernel_grad() const {
  return *treat_->kernels()[0].grad;
}

template <class T>
double SequenceWorkload<T>::loss_and_grad(const T* x, const int* labels, const T* values, int B) {
  const T* logits = forward(x, B);  // forward
  long correct = 0;
  const bool running =
      spec_.protocol.train_figures == SequenceProtocol::TrainFigures::Running && !batches_.empty();
  double loss = data_loss(logits, B, labels, values, running ? &correct : nullptr);  // loss
  last_correct_ = correct;
  backward(dlogits_.data());                          // backward
  last_penalty_ = treat_->add_penalty(t_ + 1, loss);  // penalty, for the step this gradient is for
  return loss;
}

template <class T>
double SequenceWorkload<T>::objective_and_gradient() {
  return loss_and_grad(x_.data(), labels_.data(), values_.data(), batch_size_);
}

template <class T>
double SequenceWorkload<T>::objective_and_gradient(const T* x, const int* labels, int B) {
  if (batches_.empty() || B < 1 || B > std::max(spec_.batch, eval_chunk()))
    bad("objective_and_gradient(x, labels, B) needs an MNIST problem and 1 <= B <= " +
        std::to_string(std::max(spec_.batch, eval_chunk())) + " (got " + std::to_string(B) + ")");
  return loss_and_grad(x, labels, nullptr, B);
}

template <class T>
double SequenceWorkload<T>::step() {
  const SequenceProtocol& p = spec_.protocol;
  draw_batch();                                  // batch
  const double loss = objective_and_gradient();  // forward, loss, backward, penalty
  ++t_;
  if (!std::isfinite(loss) && !p.update_on_nonfinite_loss) return loss;
  treat_->clip();                       // clip
  update_(treat_->optimizer_params());  // update (W left out under cayley)
  treat_->after_update();               // constraint
  if (p.train_figures == SequenceProtocol::TrainFigures::Running && !batches_.empty())
    running_.add(loss, last_penalty_, last_correct_, batch_size_);
  return loss;
}

template <class T>
typename SequenceWorkload<T>::Measure SequenceWorkload<T>::measure(const Dataset& d,
                                                                   int max_samples) {
  if (gatherer_.empty())
    bad(std::string("measure on the synthetic task ") + sequence_problem_name(spec_.problem));
  Measure m;
  const int n = max_samples > 0 ? std::min(max_samples, d.n) : d.n;
  if (n <= 0) return m;
  const int chunk = eval_chunk();
  double loss_sum = 0;
  long correct = 0;
  for (int start = 0; start < n; start += chunk) {
    const int B = std::min(chunk, n - start);
    for (int i = 0; i < B; ++i) idx_[static_cast<std::size_t>(i)] = start + i;
    gatherer_[0].gather(d, idx_.data(), B, x_.data());
    gather_labels(d, idx_.data(), B, labels_.data());
    const T* logits = forward(x_.data(), B);
    loss_sum += data_loss(logits, B, labels_.data(), nullptr, &correct) * B;
  }
  m.samples = n;
  m.loss = loss_sum / n;
  m.acc = static_cast<double>(correct) / n;
  return m;
}

template <class T>
typename SequenceWorkload<T>::Measure SequenceWorkload<T>::measure_synthetic() {
  Measure m;
  const int B = spec_.batch;
  const std::size_t xs = static_cast<std::size_t>(steps_) * B * features_;
  const int chunks = static_cast<int>(eval_x_.size() / xs);
  double loss_sum = 0;
  long correct = 0;
  for (int c = 0; c < chunks; ++c) {
    const T* logits = forward(eval_x_.data() + xs * c, B);
    const int* labels =
        copy_.empty() ? nullptr : eval_labels_.data() + static_cast<std::size_t>(steps_) * B * c;
    const T* values =
        adding_.empty() ? nullptr : eval_values_.data() + static_cast<std::size_t>(B) * c;
    loss_sum += data_loss(logits, B, labels, values, &correct);
  }
  m.loss = loss_sum / chunks;
  if (!copy_.empty())
    m.acc = static_cast<double>(correct) / (static_cast<double>(chunks) * B * CopyTask::kRemember);
  return m;
}

template <class T>
void SequenceWorkload<T>::evaluate(EvalRecord& r) {
  const SequenceProtocol& p = spec_.protocol;
  const bool running =
      p.train_figures == SequenceProtocol::TrainFigures::Running && !batches_.empty();
  if (!batches_.empty()) {
    if (!running) {  // Measured
      const Measure tr = measure(*train_, spec_.eval_train);
      r.loss = tr.loss;
      r.train_acc = tr.acc;
    } else if (!running_.empty()) {
      running_.write_and_reset(r);
    } else {  // Running, nothing trained yet: measure the initial weights
      const Measure tr = measure(*train_, spec_.eval_train);
      const double pen = treat_->has_penalty() ? treat_->penalty_value(1) : 0.0;
      RunningFigures::write(r, tr.loss, tr.acc, pen);
    }
    if (val_ && val_->n > 0) {
      const Measure va = measure(*val_, spec_.eval_val);
      r.val_acc = va.acc;
      if (p.nonfinite_val_diverges || std::isfinite(va.loss)) r.val_loss = va.loss;
    }
  } else {
    const Measure m = measure_synthetic();
    r.loss = m.loss;
    r.extra["baseline_loss"] = baseline_loss();
    if (m.acc >= 0) r.extra["copy_acc"] = m.acc;
  }
  if (!running) {
    if (treat_->has_penalty()) r.extra["penalty"] = treat_->penalty_value(t_ > 0 ? t_ : 1);
    r.extra["grad_norm"] = treat_->last_grad_norm();
  }
  if (p.kernel_spectrum) record_kernel_spectrum(kernel_spectrum(), p.full_spectrum, r);
}

template <class T>
double SequenceWorkload<T>::mnist_accuracy(const Dataset& d, int max_samples) {
  if (gatherer_.empty())
    bad(std::string("mnist_accuracy on the synthetic task ") +
        sequence_problem_name(spec_.problem));
  if (d.dim() != train_->dim() || d.classes != outputs_)
    bad("dataset " + d.source + " differs in image size or classes from " + train_->source);
  return measure(d, max_samples).acc;
}

template <class T>
double SequenceWorkload<T>::baseline_loss() const {
  if (!copy_.empty()) return copy_task_baseline(spec_.length);
  if (!adding_.empty()) return adding_task_baseline();
  return std::numeric_limits<double>::quiet_NaN();
}

template <class T>
bool SequenceWorkload<T>::reached_target(const EvalRecord& r) const {
  if (!batches_.empty()) return r.val_acc >= spec_.target_val_acc;
  return r.loss <= spec_.target_fraction * baseline_loss();
}

template <class T>
void SequenceWorkload<T>::state(StateArchive& ar) {
  if (!adam_)
    throw std::invalid_argument(
        "SequenceWorkload: checkpoints need the workload's own Adam; a caller's update has no "
        "state to save");
  ar.io("sequence.draws", draws_);
  for (const ParamRef<T>& p : treat_->params()) ar.io_buffer("sequence.param", p.value, p.size);
  adam_->state(ar);
  for (MiniBatches& b : batches_) b.state(ar);
  ar.io("sequence.batch_in_epoch", batch_in_epoch_);
  ar.io("sequence.batch_size", batch_size_);
  ar.io("sequence.running.data_loss", running_.data_loss);
  ar.io("sequence.running.penalty", running_.penalty);
  ar.io("sequence.running.correct", running_.correct);
  ar.io("sequence.running.samples", running_.samples);
  ar.io("sequence.last_penalty", last_penalty_);
  ar.io("sequence.last_correct", last_correct_);
  ar.io("sequence.t", t_);
  treat_->state(ar);
}

template <class T>
bool SequenceWorkload<T>::diverged(const EvalRecord& r) const {
  if (!std::isfinite(r.loss)) return true;
  if (spec_.protocol.nonfinite_val_diverges && r.val_acc >= 0 && !std::isfinite(r.val_loss))
    return true;
  const auto it = r.extra.find("kernel_finite");  // written by the kernel spectrum
  if (it != r.extra.end() && it->is_boolean() && !it->template get<bool>()) return true;
  return batches_.empty() && r.loss > 1000 * baseline_loss();
}

template <class T>
double SequenceWorkload<T>::orthogonality_error() {
  return isobench::orthogonality_error(recurrent_kernel(), gain_);
}

template <class T>
SpectrumSummary SequenceWorkload<T>::kernel_singular_values() {
  return summarize_spectrum(recurrent_kernel());
}

template <class T>
SpectrumSummary SequenceWorkload<T>::kernel_spectrum() {
  return isobench::kernel_spectrum(recurrent_kernel(), gain_);
}

template class SequenceWorkload<float>;
template class SequenceWorkload<double>;

}  // namespace isobench
