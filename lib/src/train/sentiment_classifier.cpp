// Sentence-sentiment classifier workload: see sentiment_classifier.hpp.
#include "isobench/train/sentiment_classifier.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "isobench/core/decompositions.hpp"
#include "isobench/core/non_finite.hpp"
#include "isobench/data/batches.hpp"
#include "isobench/objective/loss_bce.hpp"
#include "isobench/ortho/orthogonality.hpp"

namespace isobench {

namespace {
// Where the penalty and constraint act (NonFiniteError messages name it).
constexpr const char* kKernel = "the recurrent kernel";

std::size_t sz(long v) {
  return static_cast<std::size_t>(v);
}

[[noreturn]] void bad(const std::string& what) {
  throw std::invalid_argument("SentimentWorkload: " + what);
}

const SentimentSpec& checked(const SentimentSpec& s, int vocab, const TextSet& train,
                             const TextSet& val) {
  if (s.batch < 1) bad("batch must be >= 1 (got " + std::to_string(s.batch) + ")");
  if (!(s.lr > 0) || !std::isfinite(s.lr)) bad("lr must be a positive number");
  if (s.embed_dim < 1 || s.hidden < 1) bad("embed_dim and hidden must be >= 1");
  if (s.eval_chunk < 1) bad("eval_chunk must be >= 1 (got " + std::to_string(s.eval_chunk) + ")");
  if (vocab < 2) bad("vocab must be >= 2 (padding and unknown)");
  if (train.n < s.batch)
    bad("batch " + std::to_string(s.batch) + " exceeds the " + std::to_string(train.n) +
        " training snippets of " + train.source);
  if (train.max_len < 1) bad("training set " + train.source + " has no sequence length");
  if (val.n > 0 && val.max_len != train.max_len)
    bad("validation sequences (" + std::to_string(val.max_len) + " tokens) differ from training (" +
        std::to_string(train.max_len) + ")");
  return s;
}

LstmConfig lstm_config(const SentimentSpec& s) {
  LstmConfig c{s.embed_dim, s.hidden, 1};
  c.forget_bias = s.forget_bias;
  c.per_gate_init = false;  // the whole kernel, as Keras (header)
  return c;
}

}  // namespace

template <class T, class Update>
SentimentWorkload<T, Update>::SentimentWorkload(const SentimentSpec& spec, int vocab,
                                                const TextSet& train, const TextSet& val,
                                                Update update, const RunStreams& streams)
    : spec_(checked(spec, vocab, train, val)),
      train_(train),
      val_(val),
      shuffles_(streams.batch_order(train.n)),
      lstm_(lstm_config(spec)),
      emb_(vocab, spec.embed_dim),
      opt_(spec.lr, update) {
  lstm_.init(spec_.recurrent, spec_.input, spec_.readout, streams);  // header: draws
  emb_.init(streams);
  penalty_seed_ = streams.seed_of("srip/start_vector");
  const int L = train.max_len, rows = std::max(spec_.batch, spec_.eval_chunk);
  lstm_.reserve(L, rows);
  ids_.assign(sz(rows) * sz(L), 0);
  x_.assign(sz(rows) * sz(L) * sz(spec_.embed_dim), T(0));
  dx_.assign(x_.size(), T(0));
  labels_.assign(sz(rows), T(0));
  dlogits_.assign(sz(rows), T(0));
  index_.assign(sz(rows), 0);
  order_.resize(sz(train.n));
  std::iota(order_.begin(), order_.end(), 0);
  set_embedding_trainable(true);
}

template <class T, class Update>
void SentimentWorkload<T, Update>::set_embedding_trainable(bool on) {
  if (opt_.steps() > 0) bad("set_embedding_trainable must be called before training");
  emb_.set_trainable(on);
  std::vector<ParamRef<T>> params = lstm_.params();
  for (const auto& p : emb_.params()) params.push_back(p);
  OrthoTreatmentSpec ts;
  ts.penalty = spec_.penalty;
  ts.penalty_seed = penalty_seed_;
  ts.clip_norm = spec_.clip_norm;
  ts.constraint = spec_.constraint;
  ts.scope = spec_.constraint_scope;
  OrthoKernel<T> w{&lstm_.recurrent_kernel(), &lstm_.recurrent_kernel_grad(),
                   orthogonality_gain(spec_.recurrent), kKernel, 4};
  treat_ = std::make_unique<OrthoTreatment<T>>(ts, std::vector<OrthoKernel<T>>{w},
                                               std::move(params), "SentimentWorkload");
}

template <class T, class Update>
int SentimentWorkload<T, Update>::steps_per_epoch() const {
  return (train_.n + spec_.batch - 1) / spec_.batch;
}

template <class T, class Update>
void SentimentWorkload<T, Update>::begin_epoch(int /*epoch*/) {
  shuffle_indices(order_, shuffles_);
  batch_in_epoch_ = 0;
}

template <class T, class Update>
void SentimentWorkload<T, Update>::gather(const TextSet& d, const int* idx, int batch) {
  const int L = d.max_len;
  for (int b = 0; b < batch; ++b) {
    const std::int32_t* s = d.sequence(idx[b]);
    std::copy(s, s + L, ids_.data() + sz(b) * sz(L));
    labels_[sz(b)] = static_cast<T>(d.y[sz(idx[b])]);
  }
}

template <class T, class Update>
double SentimentWorkload<T, Update>::loss_and_grad(const std::int32_t* ids, const T* labels,
                                                   int batch) {
  const int L = train_.max_len;
  emb_.forward(ids, batch, L, x_.data());
  const T* logits = lstm_.forward(x_.data(), L, batch);
  const double data = sigmoid_bce(logits, labels, batch, dlogits_.data());
  last_correct_ = count_correct_binary(logits, labels, batch);
  lstm_.backward(dlogits_.data(), emb_.trainable() ? dx_.data() : nullptr);
  emb_.backward(ids, batch, L, dx_.data());
  double total = data;
  last_penalty_ = treat_->add_penalty(t_ + 1, total);
  return total;
}

template <class T, class Update>
double SentimentWorkload<T, Update>::step() {
  if (batch_in_epoch_ >= steps_per_epoch()) begin_epoch(0);  // used without the trainer
  const int b = batch_in_epoch_++;
  const int start = b * spec_.batch, B = std::min(spec_.batch, train_.n - start);
  gather(train_, order_.data() + start, B);                            // batch
  const double total = loss_and_grad(ids_.data(), labels_.data(), B);  // forward … penalty
  treat_->clip();                                                      // clip
  opt_.step(treat_->optimizer_params());                               // update
  treat_->after_update();                                              // constraint
  ++t_;
  running_.add(total, last_penalty_, last_correct_, B);
  return total;
}

template <class T, class Update>
typename SentimentWorkload<T, Update>::Measure SentimentWorkload<T, Update>::measure(
    const TextSet& d, int max_samples) {
  if (d.n > 0 && d.max_len != train_.max_len)
    bad("cannot evaluate on " + d.source + ": sequence length differs from " + train_.source);
  Measure m;
  const int n = max_samples > 0 ? std::min(max_samples, d.n) : d.n;
  double loss = 0;
  long correct = 0;
  for (int start = 0; start < n; start += spec_.eval_chunk) {
    const int B = std::min(spec_.eval_chunk, n - start);
    for (int i = 0; i < B; ++i) index_[sz(i)] = start + i;
    gather(d, index_.data(), B);
    emb_.forward(ids_.data(), B, d.max_len, x_.data());
    const T* logits = lstm_.forward(x_.data(), d.max_len, B);
    loss += static_cast<double>(sigmoid_bce<T>(logits, labels_.data(), B, nullptr)) * B;
    correct += count_correct_binary(logits, labels_.data(), B);
  }
  m.samples = n;
  if (n > 0) {
    m.loss = loss / n;
    m.acc = static_cast<double>(correct) / n;
  }
  return m;
}

template <class T, class Update>
SpectrumSummary SentimentWorkload<T, Update>::kernel_spectrum() {
  return isobench::kernel_spectrum(lstm_.recurrent_kernel(), orthogonality_gain(spec_.recurrent));
}

template <class T, class Update>
void SentimentWorkload<T, Update>::evaluate(EvalRecord& r) {
  if (!running_.empty()) {
    running_.write_and_reset(r);
  } else {  // step 0: nothing trained yet, measure the initial weights
    const Measure m = measure(train_, kInitialTrainSamples);
    const double pen = treat_->has_penalty() ? treat_->penalty_value(1) : 0.0;
    RunningFigures::write(r, m.loss, m.acc, pen);
  }
  if (val_.n > 0) {
    const Measure m = measure(val_);
    r.val_loss = m.loss;
    r.val_acc = m.acc;
  }
  record_kernel_spectrum(kernel_spectrum(), spec_.full_spectrum, r);
}

template <class T, class Update>
bool SentimentWorkload<T, Update>::diverged(const EvalRecord& r) const {
  if (r.val_acc >= 0 && !std::isfinite(r.val_loss)) return true;
  const auto it = r.extra.find("kernel_finite");
  return it != r.extra.end() && it->is_boolean() && !it->template get<bool>();
}

template class SentimentWorkload<float, AdamUpdate>;
template class SentimentWorkload<float, SgdUpdate>;
template class SentimentWorkload<double, AdamUpdate>;
template class SentimentWorkload<double, SgdUpdate>;

}  // namespace isobench
