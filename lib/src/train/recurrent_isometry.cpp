#include "isobench/train/recurrent_isometry.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace isobench {
namespace {
std::size_t sz(int v) {
  return static_cast<std::size_t>(v);
}
}  // namespace

void RecurrentIsometry::add(const JacobianSpectrum& sp, double log_sv2, int of,
                            bool keep_spectrum) {
  const double n = of;
  sv2_mean += sp.sv2_mean / n;
  sv2_var += sp.sv2_var / n;
  log_sv2_mean += log_sv2 / n;
  resolved = resolved && sp.resolved == static_cast<int>(sp.sv2.size()) && sp.representable;
  double dist = 0;
  for (double v : sp.sv2) dist += std::abs(std::log(v));
  log_sv2_dist += dist / static_cast<double>(sp.sv2.size()) / n;
  sequence_log_sv2_mean.push_back(log_sv2);
  if (keep_spectrum) sv2.push_back(sp.sv2);
}

nlohmann::json RecurrentIsometry::trace_line(int steps) const {
  return {{"kind", "jacobian_final"},
          {"steps", steps},
          {"sequences", sv2.size()},
          {"sv2", sv2},
          {"log_sv2_mean", sequence_log_sv2_mean}};
}

template <class T>
RnnIsometryProbe<T>::RnnIsometryProbe(Rnn<T>& model, const Dataset& val, SeqView view,
                                      int sequences, int final_sequences, int grad_batch)
    : model_(model),
      steps_(view_steps(view, val.rows, val.cols)),
      features_(view_features(view, val.rows, val.cols)),
      sequences_(sequences),
      final_sequences_(final_sequences),
      grad_batch_(grad_batch),
      jp_(model.config().hidden) {
  if (sequences < 1 || final_sequences < sequences || grad_batch < 1)
    throw std::invalid_argument(
        "RnnIsometryProbe: need 1 <= sequences <= final_sequences and grad_batch >= 1");
  if (val.n < std::max(final_sequences, grad_batch))
    throw std::invalid_argument("RnnIsometryProbe: the validation set holds " +
                                std::to_string(val.n) + " samples, fewer than the " +
                                std::to_string(std::max(final_sequences, grad_batch)) +
                                " measured");
  if (model.config().many_to_many)
    throw std::invalid_argument("RnnIsometryProbe: the model must be many-to-one");
  if (model.config().input_dim != features_)
    throw std::invalid_argument("RnnIsometryProbe: the model's input size is not the view's");
  const BatchGatherer gather(view, val.rows, val.cols);
  for (int s = 0; s < final_sequences; ++s) {
    std::vector<double> x(sz(steps_) * sz(features_));
    gather.gather(val, &s, 1, x.data());
    xs_.push_back(std::move(x));
  }
  std::vector<int> idx(sz(grad_batch));
  for (int i = 0; i < grad_batch; ++i) idx[sz(i)] = i;
  grad_x_.resize(sz(steps_) * sz(grad_batch) * sz(features_));
  gather.gather(val, idx.data(), grad_batch, grad_x_.data());
  grad_labels_.resize(sz(grad_batch));
  gather_labels(val, idx.data(), grad_batch, grad_labels_.data());
}

template <class T>
void RnnIsometryProbe<T>::copy_weights() {
  auto widen = [](const auto& src, Matrix<double>& dst) {
    if (dst.shape() != src.shape()) dst.resize({src.shape(0), src.shape(1)});
    std::copy(src.begin(), src.end(), dst.begin());
  };
  widen(model_.recurrent_kernel(), w_);
  widen(model_.input_kernel(), u_);
  widen(model_.readout(), v_);
  b_.assign(model_.bias().begin(), model_.bias().end());
  c_.assign(model_.readout_bias().begin(), model_.readout_bias().end());
}

template <class T>
RecurrentIsometry RnnIsometryProbe<T>::measure(int sequences, bool keep_spectra) {
  copy_weights();
  const bool bias = model_.config().bias;
  RecurrentIsometry m;
  for (int s = 0; s < sequences; ++s) {
    rnn_jacobian_through_time(model_.config().act, w_, u_, bias ? b_.data() : nullptr,
                              xs_[sz(s)].data(), steps_, jp_);
    const JacobianSpectrum sp = jp_.spectrum();
    m.add(sp, sp.log_sv2_mean, sequences, keep_spectra);
  }
  return m;
}

template <class T>
void RnnIsometryProbe<T>::on_measure(EvalRecord& r) {
  // A measurement that fails (weights already non-finite: the trainer stops the run as diverged
  // on its own; an overflowing product) says so in the record and changes nothing else.
  try {
    const RecurrentIsometry m = measure(sequences_, false);
    // Only finite numbers (a singular factor's log-det is −∞; double's range, docs/CONTRACT.md).
    if (std::isfinite(m.sv2_mean)) r.extra["jac_sv2_mean"] = m.sv2_mean;
    if (std::isfinite(m.log_sv2_mean)) r.extra["jac_log_sv2_mean"] = m.log_sv2_mean;
    if (m.resolved && std::isfinite(m.log_sv2_dist)) r.extra["jac_log_sv2_dist"] = m.log_sv2_dist;
    const bool bias = model_.config().bias;
    r.extra["hidden_grad_norm"] = rnn_hidden_grad_norms(
        model_.config().act, w_, u_, bias ? b_.data() : nullptr, v_, bias ? c_.data() : nullptr,
        grad_x_.data(), steps_, grad_batch_, grad_labels_.data());
  } catch (const std::exception& e) {
    r.extra["jac_error"] = e.what();
  }
}

template <class T>
RecurrentIsometry RnnIsometryProbe<T>::final_measure() {
  return measure(final_sequences_, true);
}

template <class T>
nlohmann::json RnnIsometryProbe<T>::trace_line(const RecurrentIsometry& m, int steps) {
  return m.trace_line(steps);
}

template class RnnIsometryProbe<float>;
template class RnnIsometryProbe<double>;

}  // namespace isobench
