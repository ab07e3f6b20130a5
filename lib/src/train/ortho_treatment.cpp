// The composed orthogonality treatment: see ortho_treatment.hpp.
#include "isobench/train/ortho_treatment.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "isobench/core/decompositions.hpp"
#include "isobench/core/non_finite.hpp"
#include "isobench/optim/grad_clip.hpp"

namespace isobench {

const char* kernel_scope_name(KernelScope s) {
  switch (s) {
    case KernelScope::Method:
      return "method";
    case KernelScope::PerGate:
      return "per_gate";
    case KernelScope::WholeKernel:
      return "whole_kernel";
  }
  return "?";
}

KernelScope resolved_scope(KernelScope s, const ConstraintSpec& c) {
  if (s != KernelScope::Method) return s;
  return c.active() && constraint_method(c.method).whole_kernel ? KernelScope::WholeKernel
                                                                : KernelScope::PerGate;
}

template <class T>
OrthoTreatment<T>::OrthoTreatment(OrthoTreatmentSpec spec, std::vector<OrthoKernel<T>> kernels,
                                  std::vector<ParamRef<T>> params, const std::string& owner)
    : spec_(std::move(spec)), kernels_(std::move(kernels)), params_(std::move(params)) {
  spec_.scope = resolved_scope(spec_.scope, spec_.constraint);
  auto bad = [&](const std::string& what) { throw std::invalid_argument(owner + ": " + what); };
  if (!std::isfinite(spec_.clip_norm)) bad("clip_norm must be finite");
  for (const auto& k : kernels_) {
    if (!k.weight || !k.grad) bad(k.name + " is declared without its weight or gradient");
    if (k.grad->shape() != k.weight->shape())
      bad(k.name + ": its gradient's shape differs from its weight's");
    const bool listed = std::any_of(params_.begin(), params_.end(), [&](const ParamRef<T>& p) {
      return p.value == k.weight->data() && p.grad == k.grad->data();
    });
    if (!listed) bad(k.name + " is not among the parameters (with its gradient buffer)");
    if (k.gate_blocks < 1 || k.weight->shape(0) % static_cast<std::size_t>(k.gate_blocks) != 0)
      bad(k.name + ": " + std::to_string(k.gate_blocks) + " gate blocks do not tile its " +
          std::to_string(k.weight->shape(0)) + " rows");
  }
  const bool cayley =
      spec_.constraint.active() && constraint_method(spec_.constraint.method).replaces_step;
  for (const auto& k : kernels_)
    if (cayley && k.gate_blocks > 1 && spec_.scope == KernelScope::WholeKernel)
      bad("constraint:" + spec_.constraint.method + " on " + k.name + " as a whole (" +
          std::to_string(k.weight->shape(0)) + " x " + std::to_string(k.weight->shape(1)) +
          ") kernel is not supported (it rotates the stacked gates' space); use the per_gate "
          "scope");

  for (std::size_t i = 0; i < kernels_.size(); ++i) {
    const auto& k = kernels_[i];
    const int rows = static_cast<int>(k.weight->shape(0)),
              cols = static_cast<int>(k.weight->shape(1));
    if (spec_.penalty.active())
      penalty_.emplace_back(spec_.penalty, rows, cols, spec_.penalty_seed + i);
  }
  if (spec_.constraint.active()) {
    for (std::size_t i = 0; i < kernels_.size(); ++i) {
      const auto& k = kernels_[i];
      const int blocks = per_gate(i) ? k.gate_blocks : 1;
      const int rows = static_cast<int>(k.weight->shape(0)) / blocks;
      const int cols = static_cast<int>(k.weight->shape(1));
      for (int b = 0; b < blocks; ++b) {
        Unit u;
        u.kernel = i;
        u.block = blocks > 1;
        u.offset = static_cast<std::size_t>(b) * static_cast<std::size_t>(rows) * cols;
        if (u.block) {
          const typename Matrix<T>::shape_type shape{static_cast<std::size_t>(rows),
                                                     static_cast<std::size_t>(cols)};
          u.w = Matrix<T>(shape, T(0));
          if (cayley) u.g = Matrix<T>(shape, T(0));
        }
        ConstraintSpec cs = spec_.constraint;
        cs.gain = k.gain;
        u.constraint.emplace_back(cs, rows, cols);
        units_.push_back(std::move(u));
      }
    }
    cayley_ = cayley;
  }
  for (const auto& p : params_) {
    const bool under_cayley =
        cayley_ && std::any_of(kernels_.begin(), kernels_.end(), [&](const OrthoKernel<T>& k) {
          return p.value == k.weight->data();
        });
    if (!under_cayley) opt_params_.push_back(p);
  }
}

template <class T>
bool OrthoTreatment<T>::per_gate(std::size_t k) const {
  return kernels_[k].gate_blocks > 1 && spec_.scope == KernelScope::PerGate;
}

template <class T>
double OrthoTreatment<T>::add_penalty(long t, double& loss) {
  if (penalty_.empty()) return 0.0;
  const double s = lambda_multiplier(t);
  if (!(s > 0)) return 0.0;
  double total = 0;
  for (std::size_t i = 0; i < penalty_.size(); ++i) {
    const auto& k = kernels_[i];
    const double p = naming_parameter(
        k.name.c_str(), [&] { return penalty_[i].add_value_and_grad(*k.weight, *k.grad, s); });
    loss += p;
    total += p;
  }
  return total;
}

template <class T>
double OrthoTreatment<T>::clip() {
  last_grad_norm_ = clip_grad_norm(params_, spec_.clip_norm);
  return last_grad_norm_;
}

template <class T>
void OrthoTreatment<T>::apply(Unit& u) {
  const auto& k = kernels_[u.kernel];
  naming_parameter(k.name.c_str(), [&] {
    if (!u.block) {
      if (!u.constraint.empty()) u.constraint[0].apply(*k.weight, k.grad);
      return;
    }
    T* w = k.weight->data() + u.offset;
    const std::size_t n = u.w.size();
    std::copy(w, w + n, u.w.data());
    if (u.g.size() == n)
      std::copy(k.grad->data() + u.offset, k.grad->data() + u.offset + n, u.g.data());
    if (!u.constraint.empty()) u.constraint[0].apply(u.w, u.g.size() == n ? &u.g : nullptr);
    std::copy(u.w.data(), u.w.data() + n, w);
  });
}

template <class T>
void OrthoTreatment<T>::after_update() {
  for (auto& u : units_) apply(u);
}

template <class T>
double OrthoTreatment<T>::penalty_value(long t) {
  double v = 0;
  const double s = lambda_multiplier(t);
  for (std::size_t i = 0; i < penalty_.size(); ++i) {
    const auto& k = kernels_[i];
    v += naming_parameter(k.name.c_str(), [&] { return penalty_[i].value(*k.weight, s); });
  }
  return v;
}

template <class T>
double OrthoTreatment<T>::ortho_err(std::size_t k) const {
  return orthogonality_error(*kernels_.at(k).weight, kernels_[k].gain);
}

template <class T>
double OrthoTreatment<T>::constrained_ortho_err(std::size_t k) const {
  const auto& kr = kernels_.at(k);
  if (!per_gate(k)) return ortho_err(k);
  const std::size_t rows = kr.weight->shape(0) / static_cast<std::size_t>(kr.gate_blocks);
  const std::size_t cols = kr.weight->shape(1);
  Matrix<T> block({rows, cols});
  double worst = 0;
  for (int b = 0; b < kr.gate_blocks; ++b) {
    const T* w = kr.weight->data() + static_cast<std::size_t>(b) * rows * cols;
    std::copy(w, w + rows * cols, block.data());
    const double e = orthogonality_error(block, kr.gain);
    if (!std::isfinite(e)) return e;  // NaN weights: no made-up value
    worst = std::max(worst, e);
  }
  return worst;
}

template <class T>
SpectrumSummary OrthoTreatment<T>::spectrum(std::size_t k) const {
  return kernel_spectrum(*kernels_.at(k).weight, kernels_[k].gain);
}

template <class T>
SpectrumSummary OrthoTreatment<T>::singular_values(std::size_t k) const {
  return summarize_spectrum(*kernels_.at(k).weight);
}

template class OrthoTreatment<float>;
template class OrthoTreatment<double>;

}  // namespace isobench
