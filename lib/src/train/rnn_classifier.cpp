// Recurrent classifier workload: see rnn_classifier.hpp. A facade: SequenceWorkload
// (sequence_workload.cpp) trains and evaluates under SEED's protocol; this file maps the spec and
// keeps its checks.
#include "isobench/train/rnn_classifier.hpp"

#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace isobench {

namespace {

[[noreturn]] void bad(const std::string& what) {
  throw std::invalid_argument("RecurrentClassifierWorkload: " + what);
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

// The spec of the common implementation: SEED's protocol with the spec's evaluation settings.
SequenceWorkloadSpec core_spec(const RecurrentClassifierSpec& s, int initial_train_samples) {
  SequenceWorkloadSpec c;
  c.recurrent_init = s.recurrent;
  c.input_init = s.input;
  c.readout_init = s.readout;
  c.perm_seed = s.perm_seed;
  c.batch = s.batch;
  c.lr = s.lr;  // the optimizer's, handed over with it
  c.penalty = s.penalty;
  c.clip_norm = s.clip_norm;
  c.constraint = s.constraint;
  c.constraint_scope = s.constraint_scope;
  c.protocol = SequenceProtocol::keras();
  c.protocol.eval_chunk = s.eval_chunk;
  c.protocol.kernel_spectrum = s.kernel_spectrum;
  c.protocol.full_spectrum = s.full_spectrum;
  c.eval_train = initial_train_samples;  // step 0's training figures (Running otherwise)
  c.eval_val = s.eval_val;
  c.target_val_acc = s.target_val_acc;
  return c;
}

}  // namespace

template <class Model, class Update>
RecurrentClassifierWorkload<Model, Update>::RecurrentClassifierWorkload(
    const RecurrentClassifierSpec& spec, Model model, const Dataset& train, const Dataset& val,
    Update update, const RunStreams& streams)
    : spec_(checked(spec, train)),
      train_(train),
      core_(
          core_spec(spec_, kInitialTrainSamples), std::move(model), spec_.view, train, val,
          [opt = Optimizer<T, Update>(spec_.lr, update)](
              const std::vector<ParamRef<T>>& p) mutable { opt.step(p); },
          streams, "RecurrentClassifierWorkload") {}

template <class Model, class Update>
typename RecurrentClassifierWorkload<Model, Update>::Measure
RecurrentClassifierWorkload<Model, Update>::measure(const Dataset& d, int max_samples) {
  if (d.rows != train_.rows || d.cols != train_.cols || d.classes != train_.classes)
    bad("cannot evaluate on " + d.source + ": image size or class count differs from " +
        train_.source);
  const auto m = core_.measure(d, max_samples);
  Measure r;
  r.samples = m.samples;
  if (m.samples > 0) {
    r.loss = m.loss;
    r.acc = m.acc;
  }
  return r;
}

template class RecurrentClassifierWorkload<Rnn<float>, AdamUpdate>;
template class RecurrentClassifierWorkload<Rnn<float>, SgdUpdate>;
template class RecurrentClassifierWorkload<Rnn<double>, AdamUpdate>;
template class RecurrentClassifierWorkload<Rnn<double>, SgdUpdate>;
template class RecurrentClassifierWorkload<Lstm<float>, AdamUpdate>;
template class RecurrentClassifierWorkload<Lstm<float>, SgdUpdate>;
template class RecurrentClassifierWorkload<Lstm<double>, AdamUpdate>;
template class RecurrentClassifierWorkload<Lstm<double>, SgdUpdate>;

}  // namespace isobench
