// MLP classifier workload: see mlp_classifier.hpp.
#include "isobench/train/mlp_classifier.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "isobench/core/decompositions.hpp"
#include "isobench/core/non_finite.hpp"
#include "isobench/data/batches.hpp"
#include "isobench/objective/loss.hpp"
#include "isobench/ortho/orthogonality.hpp"

namespace isobench {

namespace {

constexpr int kEvalChunk = 500;  // samples per evaluation forward pass

const ClassifierSpec& checked(const ClassifierSpec& s, const Dataset& train) {
  auto bad = [](const std::string& what) {
    throw std::invalid_argument("MlpClassifierWorkload: " + what);
  };
  if (s.depth < 1) bad("depth must be >= 1 (got " + std::to_string(s.depth) + ")");
  if (s.width < 1) bad("width must be >= 1 (got " + std::to_string(s.width) + ")");
  if (s.batch < 1) bad("batch must be >= 1 (got " + std::to_string(s.batch) + ")");
  if (!(s.lr > 0) || !std::isfinite(s.lr)) bad("lr must be a positive number");
  if (!(s.input_scale > 0) || !std::isfinite(s.input_scale))
    bad("input_scale must be a positive number");
  if (train.n < s.batch)
    bad("batch " + std::to_string(s.batch) + " exceeds the " + std::to_string(train.n) +
        " training samples of " + train.source);
  if (train.dim() < 1 || train.classes < 2)
    bad("training set " + train.source + " has no pixels or fewer than 2 classes");
  return s;
}

MlpConfig mlp_config(const ClassifierSpec& s, const Dataset& train) {
  MlpConfig c;
  c.input_dim = train.dim();
  c.width = s.width;
  c.depth = s.depth;
  c.output_dim = train.classes;
  c.act = s.act;
  c.bias = true;
  c.activate_output = false;
  return c;
}

}  // namespace

template <class T, class Update>
MlpClassifierWorkload<T, Update>::MlpClassifierWorkload(const ClassifierSpec& spec,
                                                        const Dataset& train, const Dataset& val,
                                                        Update update, const RunStreams& streams)
    : spec_(checked(spec, train)),
      train_(train),
      val_(val),
      order_(streams.batch_order(train.n)),
      net_(mlp_config(spec, train)),
      opt_(spec.lr, update),
      batches_(train.n, spec.batch, LastBatch::Drop) {
  if (val_.n > 0 && (val_.dim() != train_.dim() || val_.classes != train_.classes))
    throw std::invalid_argument("MlpClassifierWorkload: validation set " + val_.source +
                                " has a different image size or class count than " + train_.source);
  // Draws (header): each weight and bias from its stream, srip's seed from its own.
  net_.init(spec_.init, spec_.sb2, streams);
  for (int l = 2; l <= spec_.depth - 1; ++l) square_.push_back(l);
  const bool penalized = spec_.penalty.active();
  const std::uint64_t penalty_seed = streams.seed_of("srip/start_vector");
  std::vector<ParamRef<T>> params = net_.params();
  std::vector<OrthoKernel<T>> kernels;
  const double g = orthogonality_gain(spec_.init);
  // With a penalty the square weights' gradients live in grad_buf_ (the net's own stay the data
  // gradients); the treatment's kernels point at whichever buffer the optimizer reads.
  if (penalized)
    grad_buf_.assign(square_.size(), Matrix<T>({static_cast<std::size_t>(spec_.width),
                                                static_cast<std::size_t>(spec_.width)},
                                               T(0)));
  for (std::size_t i = 0; i < square_.size(); ++i) {
    Matrix<T>* grad =
        penalized ? &grad_buf_[i] : const_cast<Matrix<T>*>(&net_.weight_grad(square_[i]));
    for (auto& p : params)
      if (p.value == net_.weight(square_[i]).data()) p.grad = grad->data();
    kernels.push_back({&net_.weight(square_[i]), grad, g,
                       "the weight of layer " + std::to_string(square_[i]), 1});
  }
  OrthoTreatmentSpec ts;
  ts.penalty = spec_.penalty;
  if (spec_.lambda_schedule) ts.lambda_schedule = *spec_.lambda_schedule;
  ts.penalty_seed = penalty_seed;
  ts.clip_norm = spec_.clip_norm;
  ts.constraint = spec_.constraint;
  treat_ = std::make_unique<OrthoTreatment<T>>(ts, std::move(kernels), std::move(params),
                                               "MlpClassifierWorkload");
  eval_chunk_ = kEvalChunk;
  net_.reserve(std::max(spec_.batch, eval_chunk_));
  const int classes = train_.classes;
  x_.resize(static_cast<std::size_t>(std::max(spec_.batch, eval_chunk_)) * train_.dim());
  labels_.resize(static_cast<std::size_t>(std::max(spec_.batch, eval_chunk_)));
  dlogits_.resize(static_cast<std::size_t>(std::max(spec_.batch, eval_chunk_)) * classes);
  eval_idx_.resize(static_cast<std::size_t>(eval_chunk_));
}

template <class T, class Update>
void MlpClassifierWorkload<T, Update>::scale_inputs(int rows) {
  if (spec_.input_scale == 1.0) return;
  const T a = static_cast<T>(spec_.input_scale);
  const std::size_t n = static_cast<std::size_t>(rows) * train_.dim();
  for (std::size_t i = 0; i < n; ++i) x_[i] *= a;
}

template <class T, class Update>
void MlpClassifierWorkload<T, Update>::begin_epoch(int /*epoch*/) {
  batches_.shuffle(order_);
  batch_in_epoch_ = 0;
}

template <class T, class Update>
double MlpClassifierWorkload<T, Update>::lambda_multiplier(long t) const {
  return treat_->lambda_multiplier(t);
}

template <class T, class Update>
double MlpClassifierWorkload<T, Update>::step() {
  const int B = spec_.batch, K = train_.classes;
  const int* idx = batches_.indices(batch_in_epoch_ % batches_.num_batches());
  ++batch_in_epoch_;
  gather_batch(train_, idx, B, SeqView::Flat, x_.data());  // batch
  scale_inputs(B);
  gather_labels(train_, idx, B, labels_.data());
  const T* logits = net_.forward(x_.data(), B);                               // forward
  double loss = softmax_xent(logits, labels_.data(), B, K, dlogits_.data());  // loss
  net_.backward(dlogits_.data());                                             // backward
  ++t_;
  if (!grad_buf_.empty())
    for (std::size_t i = 0; i < square_.size(); ++i) grad_buf_[i] = net_.weight_grad(square_[i]);
  treat_->add_penalty(t_, loss);          // penalty
  treat_->clip();                         // clip
  opt_.step(treat_->optimizer_params());  // update
  treat_->after_update();                 // constraint
  return loss;
}

template <class T, class Update>
typename MlpClassifierWorkload<T, Update>::Measure MlpClassifierWorkload<T, Update>::measure(
    const Dataset& d, int max_samples) {
  Measure m;
  const int n = max_samples > 0 ? std::min(max_samples, d.n) : d.n;
  if (n == 0) return m;
  if (d.dim() != train_.dim() || d.classes != train_.classes)
    throw std::invalid_argument("MlpClassifierWorkload: dataset " + d.source +
                                " has a different image size or class count than " + train_.source);
  const int K = d.classes;
  double loss_sum = 0;
  long correct = 0;
  for (int start = 0; start < n; start += eval_chunk_) {
    const int B = std::min(eval_chunk_, n - start);
    for (int i = 0; i < B; ++i) eval_idx_[static_cast<std::size_t>(i)] = start + i;
    gather_batch(d, eval_idx_.data(), B, SeqView::Flat, x_.data());
    scale_inputs(B);
    gather_labels(d, eval_idx_.data(), B, labels_.data());
    const T* logits = net_.forward(x_.data(), B);
    loss_sum +=
        static_cast<double>(softmax_xent(logits, labels_.data(), B, K, dlogits_.data())) * B;
    correct += count_correct(logits, labels_.data(), B, K);
  }
  m.loss = loss_sum / n;
  m.acc = static_cast<double>(correct) / n;
  return m;
}

template <class T, class Update>
void MlpClassifierWorkload<T, Update>::evaluate(EvalRecord& r) {
  const Measure tr = measure(train_, spec_.eval_train);
  r.loss = tr.loss;
  r.train_acc = tr.acc;
  if (val_.n > 0) {
    const Measure va = measure(val_, spec_.eval_val);
    r.val_acc = va.acc;
    if (std::isfinite(va.loss)) r.val_loss = va.loss;
  }
}

template <class T, class Update>
void MlpClassifierWorkload<T, Update>::state(StateArchive& ar) {
  ar.io("mlp.order_engine", order_);
  for (const ParamRef<T>& p : net_.params()) ar.io_buffer("mlp.param", p.value, p.size);
  opt_.state(ar);
  batches_.state(ar);
  ar.io("mlp.batch_in_epoch", batch_in_epoch_);
  ar.io("mlp.t", t_);
  treat_->state(ar);
}

template <class T, class Update>
bool MlpClassifierWorkload<T, Update>::diverged(const EvalRecord& r) const {
  return !std::isfinite(r.loss);
}

template <class T, class Update>
double MlpClassifierWorkload<T, Update>::max_orthogonality_error() const {
  double worst = 0;
  for (std::size_t i = 0; i < square_.size(); ++i) {
    const double e = treat_->ortho_err(i);
    if (!std::isfinite(e)) return e;  // NaN weights: no made-up value (std::max would drop NaN)
    worst = std::max(worst, e);
  }
  return worst;
}

template <class T, class Update>
double MlpClassifierWorkload<T, Update>::penalty_value() {
  return treat_->penalty_value(t_ > 0 ? t_ : 1);
}

template class MlpClassifierWorkload<float, SgdUpdate>;
template class MlpClassifierWorkload<float, AdamUpdate>;
template class MlpClassifierWorkload<double, SgdUpdate>;
template class MlpClassifierWorkload<double, AdamUpdate>;

}  // namespace isobench
