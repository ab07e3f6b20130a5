// Recurrent classifier task: see rnn_classifier.hpp.
#include "isobench/rnn_classifier.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "isobench/linalg.hpp"
#include "isobench/loss.hpp"
#include "isobench/lstm.hpp"
#include "isobench/non_finite.hpp"
#include "isobench/rnn.hpp"
#include "isobench/spectra.hpp"

namespace isobench {

namespace {
// Where the penalty and constraint act (NonFiniteError messages name it).
constexpr const char* kKernel = "the recurrent kernel";

std::size_t sz(long v) {
  return static_cast<std::size_t>(v);
}

[[noreturn]] void bad(const std::string& what) {
  throw std::invalid_argument("RecurrentClassifierTask: " + what);
}

const RecurrentClassifierSpec& checked(const RecurrentClassifierSpec& s, const Dataset& train) {
  if (s.batch < 1) bad("batch must be >= 1 (got " + std::to_string(s.batch) + ")");
  if (!(s.lr > 0) || !std::isfinite(s.lr)) bad("lr must be a positive number");
  if (s.eval_chunk < 1) bad("eval_chunk must be >= 1 (got " + std::to_string(s.eval_chunk) + ")");
  if (!(s.clip_norm >= 0)) bad("clip_norm must be >= 0 (0: no clipping)");
  if (train.n < s.batch)
    bad("batch " + std::to_string(s.batch) + " exceeds the " + std::to_string(train.n) +
        " training samples of " + train.source);
  if (train.rows < 1 || train.cols < 1 || train.classes < 2)
    bad("training set " + train.source + " has no pixels or fewer than 2 classes");
  return s;
}

}  // namespace

template <class Model, class Update>
RecurrentClassifierTask<Model, Update>::RecurrentClassifierTask(const RecurrentClassifierSpec& spec,
                                                                Model model, const Dataset& train,
                                                                const Dataset& val, Update update,
                                                                Engine eng)
    : spec_(checked(spec, train)),
      train_(train),
      val_(val),
      eng_(std::move(eng)),
      model_(std::move(model)),
      opt_(spec.lr, update),
      batches_(train.n, spec.batch, LastBatch::Keep),
      gatherer_(spec.view, train.rows, train.cols, spec.perm_seed) {
  const auto& mc = model_.config();
  if (mc.many_to_many) bad("the model must be many-to-one (a read-out of the last step only)");
  if (mc.input_dim != gatherer_.features())
    bad("the model's input_dim " + std::to_string(mc.input_dim) + " does not fit the " +
        seq_view_name(spec_.view) + " view of " + train.source + " (" +
        std::to_string(gatherer_.features()) + " features per step)");
  if (mc.output_dim != train.classes)
    bad("the model's output_dim " + std::to_string(mc.output_dim) + " differs from the " +
        std::to_string(train.classes) + " classes of " + train.source);
  if (val_.n > 0 &&
      (val_.rows != train_.rows || val_.cols != train_.cols || val_.classes != train_.classes))
    bad("validation set " + val_.source + " has a different image size or class count than " +
        train_.source);
  // Draw order (header): weights, the penalty's seed, then the shuffles.
  model_.init(spec_.recurrent, spec_.input, spec_.readout, eng_);
  const std::uint64_t penalty_seed = eng_();
  // The clipping's norm sum runs over W, U, V, b, c (the models' clip_grad_norm order); the
  // optimizer's order does not matter. Rnn::params() is W, U, [b,] V[, c].
  std::vector<ParamRef<T>> params = model_.params();
  if constexpr (std::is_same_v<Model, Rnn<T>>)
    if (mc.bias) std::swap(params[2], params[3]);
  OrthoTreatmentSpec ts;
  ts.penalty = spec_.penalty;
  ts.penalty_seed = penalty_seed;
  ts.clip_norm = spec_.clip_norm;
  ts.constraint = spec_.constraint;
  ts.scope = spec_.constraint_scope;
  const int gates = std::is_same_v<Model, Lstm<T>> ? 4 : 1;
  OrthoKernel<T> w{&model_.recurrent_kernel(), &model_.recurrent_kernel_grad(), ortho_gain(),
                   kKernel, gates};
  treat_ = std::make_unique<OrthoTreatment<T>>(ts, std::vector<OrthoKernel<T>>{w},
                                               std::move(params), "RecurrentClassifierTask");
  const int rows = std::max(spec_.batch, spec_.eval_chunk);
  model_.reserve(gatherer_.steps(), rows);
  x_.assign(sz(gatherer_.steps()) * sz(rows) * sz(gatherer_.features()), T(0));
  dlogits_.assign(sz(rows) * sz(train.classes), T(0));
  labels_.assign(sz(rows), 0);
  index_.assign(sz(rows), 0);
}

template <class Model, class Update>
void RecurrentClassifierTask<Model, Update>::begin_epoch(int /*epoch*/) {
  batches_.shuffle(eng_);
  batch_in_epoch_ = 0;
}

template <class Model, class Update>
double RecurrentClassifierTask<Model, Update>::loss_and_grad(const T* x, const int* labels,
                                                             int batch) {
  const int K = train_.classes;
  const T* logits = model_.forward(x, gatherer_.steps(), batch);
  const double data = softmax_xent(logits, labels, batch, K, dlogits_.data());
  last_correct_ = count_correct(logits, labels, batch, K);
  model_.backward(dlogits_.data());
  double total = data;
  last_penalty_ = treat_->add_penalty(t_ + 1, total);
  return total;
}

template <class Model, class Update>
double RecurrentClassifierTask<Model, Update>::step() {
  if (batch_in_epoch_ >= batches_.num_batches()) begin_epoch(0);  // used without the trainer
  const int b = batch_in_epoch_++;
  const int B = batches_.size(b);
  const int* idx = batches_.indices(b);
  gatherer_.gather(train_, idx, B, x_.data());  // batch
  gather_labels(train_, idx, B, labels_.data());
  const double total = loss_and_grad(x_.data(), labels_.data(), B);  // forward … penalty
  treat_->clip();                                                    // clip
  opt_.step(treat_->optimizer_params());                             // update
  treat_->after_update();                                            // constraint
  ++t_;
  running_.add(total, last_penalty_, last_correct_, B);
  return total;
}

template <class Model, class Update>
typename RecurrentClassifierTask<Model, Update>::Measure
RecurrentClassifierTask<Model, Update>::measure(const Dataset& d, int max_samples) {
  if (d.rows != train_.rows || d.cols != train_.cols || d.classes != train_.classes)
    bad("cannot evaluate on " + d.source + ": image size or class count differs from " +
        train_.source);
  Measure m;
  const int n = max_samples > 0 ? std::min(max_samples, d.n) : d.n;
  double loss = 0;
  long correct = 0;
  for (int start = 0; start < n; start += spec_.eval_chunk) {
    const int B = std::min(spec_.eval_chunk, n - start);
    for (int i = 0; i < B; ++i) index_[sz(i)] = start + i;
    gatherer_.gather(d, index_.data(), B, x_.data());
    gather_labels(d, index_.data(), B, labels_.data());
    const T* logits = model_.forward(x_.data(), gatherer_.steps(), B);
    loss +=
        static_cast<double>(softmax_xent(logits, labels_.data(), B, d.classes, dlogits_.data())) *
        B;
    correct += count_correct(logits, labels_.data(), B, d.classes);
  }
  m.samples = n;
  if (n > 0) {
    m.loss = loss / n;
    m.acc = static_cast<double>(correct) / n;
  }
  return m;
}

template <class Model, class Update>
double RecurrentClassifierTask<Model, Update>::ortho_gain() const {
  return orthogonality_gain(spec_.recurrent);
}

template <class Model, class Update>
KernelSpectrum RecurrentClassifierTask<Model, Update>::kernel_spectrum() {
  return isobench::kernel_spectrum(model_.recurrent_kernel(), ortho_gain());
}

template <class Model, class Update>
void RecurrentClassifierTask<Model, Update>::evaluate(EvalRecord& r) {
  if (!running_.empty()) {
    running_.write_and_reset(r);
  } else {  // step 0: nothing trained yet, measure the initial weights
    const Measure m = measure(train_, kInitialTrainSamples);
    const double pen = treat_->has_penalty() ? treat_->penalty_value(1) : 0.0;
    RunningFigures::write(r, m.loss, m.acc, pen);
  }
  if (val_.n > 0) {
    const Measure m = measure(val_, spec_.eval_val);
    r.val_loss = m.loss;
    r.val_acc = m.acc;
  }
  if (spec_.kernel_spectrum) record_kernel_spectrum(kernel_spectrum(), spec_.full_spectrum, r);
}

template <class Model, class Update>
bool RecurrentClassifierTask<Model, Update>::diverged(const EvalRecord& r) const {
  if (r.val_acc >= 0 && !std::isfinite(r.val_loss)) return true;
  const auto it = r.extra.find("kernel_finite");
  return it != r.extra.end() && it->is_boolean() && !it->template get<bool>();
}

template class RecurrentClassifierTask<Rnn<float>, AdamUpdate>;
template class RecurrentClassifierTask<Rnn<float>, SgdUpdate>;
template class RecurrentClassifierTask<Rnn<double>, AdamUpdate>;
template class RecurrentClassifierTask<Rnn<double>, SgdUpdate>;
template class RecurrentClassifierTask<Lstm<float>, AdamUpdate>;
template class RecurrentClassifierTask<Lstm<float>, SgdUpdate>;
template class RecurrentClassifierTask<Lstm<double>, AdamUpdate>;
template class RecurrentClassifierTask<Lstm<double>, SgdUpdate>;

}  // namespace isobench
