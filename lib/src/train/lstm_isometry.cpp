// SENT's Jacobian-through-time probe: see lstm_isometry.hpp.
#include "isobench/train/lstm_isometry.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "isobench/measure/lstm_jacobian.hpp"

namespace isobench {
namespace {
std::size_t sz(int v) {
  return static_cast<std::size_t>(v);
}

[[noreturn]] void bad(const std::string& what) {
  throw std::invalid_argument("LstmIsometryProbe: " + what);
}
}  // namespace

template <class T>
LstmIsometryProbe<T>::LstmIsometryProbe(Lstm<T>& model, const Embedding<T>& emb, const TextSet& val,
                                        int sequences, int final_sequences, int grad_batch)
    : model_(model),
      emb_(emb),
      steps_(val.max_len),
      sequences_(sequences),
      final_sequences_(final_sequences),
      grad_batch_(grad_batch),
      jp_(2 * model.config().hidden, /*with_qr=*/false) {
  if (sequences < 1 || final_sequences < 1 || grad_batch < 0)
    bad("need sequences >= 1, final_sequences >= 1 and grad_batch >= 0");
  const int need = std::max({sequences, final_sequences, grad_batch});
  if (val.n < need)
    bad("the validation set " + val.source + " holds " + std::to_string(val.n) +
        " snippets, fewer than the " + std::to_string(need) + " measured");
  if (steps_ < 1) bad("the validation set " + val.source + " has no sequence length");
  const LstmConfig& c = model.config();
  if (c.many_to_many || c.output_dim != 1) bad("the model must be many-to-one with one logit");
  if (c.input_dim != emb.dim()) bad("the model's input size is not the embedding's dimension");
  ids_.assign(val.ids.begin(), val.ids.begin() + static_cast<long>(sz(need) * sz(steps_)));
  for (std::int32_t id : ids_)
    if (id < 0 || id >= emb.vocab())
      bad("token id " + std::to_string(id) + " of " + val.source + " is outside the embedding");
  labels_.assign(val.y.begin(), val.y.begin() + grad_batch);
}

template <class T>
void LstmIsometryProbe<T>::copy_weights() {
  auto widen = [](const auto& src, Matrix<double>& dst) {
    if (dst.shape() != src.shape()) dst.resize({src.shape(0), src.shape(1)});
    std::copy(src.begin(), src.end(), dst.begin());
  };
  widen(model_.recurrent_kernel(), w_);
  widen(model_.input_kernel(), u_);
  b_.assign(model_.bias().begin(), model_.bias().end());
  v_.assign(model_.readout().begin(), model_.readout().end());
  c0_ = static_cast<double>(model_.readout_bias()(0));
}

template <class T>
void LstmIsometryProbe<T>::embed(const std::int32_t* ids, int count, std::vector<double>& x) const {
  const int D = emb_.dim();
  x.resize(sz(count) * sz(steps_) * sz(D));
  const Matrix<T>& table = emb_.table();
  for (int k = 0; k < count * steps_; ++k) {
    const T* row = table.data() + sz(ids[k]) * sz(D);  // ids checked in the constructor
    std::copy(row, row + D, x.begin() + static_cast<long>(sz(k) * sz(D)));
  }
}

template <class T>
void LstmIsometryProbe<T>::on_measure(EvalRecord& r) {
  // A measurement that fails (weights already non-finite: the trainer stops the run as diverged
  // on its own; an overflowing product) says so in the record and changes nothing else.
  try {
    copy_weights();
    const int D = emb_.dim(), B = grad_batch_;
    embed(ids_.data(), sequences_, x_);
    double sv2 = 0, log_det = 0;
    for (int s = 0; s < sequences_; ++s) {
      const double* x = x_.data() + sz(s) * sz(steps_) * sz(D);
      log_det += lstm_jacobian_through_time(w_, u_, b_.data(), x, steps_, jp_) / sequences_;
      sv2 += jp_.sv2_mean() / sequences_;
    }
    if (!std::isfinite(sv2)) throw std::runtime_error("jac_sv2_mean is not finite");
    r.extra["jac_sv2_mean"] = sv2;
    // −∞ (a singular factor) has no JSON number: the field is then absent.
    if (std::isfinite(log_det)) r.extra["jac_log_sv2_mean"] = log_det / jp_.size();
    if (B > 0) {
      embed(ids_.data(), B, x_);  // (B × T × D) → time-major (T × B × D)
      xg_.resize(x_.size());
      for (int b = 0; b < B; ++b)
        for (int t = 0; t < steps_; ++t)
          std::copy_n(x_.begin() + static_cast<long>((sz(b) * sz(steps_) + sz(t)) * sz(D)), D,
                      xg_.begin() + static_cast<long>((sz(t) * sz(B) + sz(b)) * sz(D)));
      r.extra["state_grad_norm"] = lstm_state_grad_norms(w_, u_, b_.data(), v_.data(), c0_,
                                                         xg_.data(), steps_, B, labels_.data());
    }
  } catch (const std::exception& e) {
    r.extra["jac_error"] = e.what();
  }
}

template <class T>
RecurrentIsometry LstmIsometryProbe<T>::final_measure() {
  copy_weights();
  const int D = emb_.dim();
  embed(ids_.data(), final_sequences_, x_);
  RecurrentIsometry m;
  for (int s = 0; s < final_sequences_; ++s) {
    const double log_det = lstm_jacobian_through_time(
        w_, u_, b_.data(), x_.data() + sz(s) * sz(steps_) * sz(D), steps_, jp_);
    // The closed-form log-det (lstm_jacobian.hpp), not the QR's.
    m.add(jp_.spectrum(), log_det / jp_.size(), final_sequences_, /*keep_spectrum=*/true);
  }
  return m;
}

template <class T>
nlohmann::json LstmIsometryProbe<T>::trace_line(const RecurrentIsometry& m, int steps) {
  return m.trace_line(steps);
}

template class LstmIsometryProbe<float>;
template class LstmIsometryProbe<double>;

}  // namespace isobench
