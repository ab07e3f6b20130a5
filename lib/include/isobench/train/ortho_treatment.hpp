// One orthogonality treatment for every training workload: the soft penalty with its λ schedule,
// global gradient-norm clipping, the hard constraint, and the measurements ortho_err and the
// kernel spectrum — composed at run time from a spec, for the list of kernels a model declares.
//
// A workload's step then reads top to bottom in one order (every workload, every treatment):
//
//   batch → forward → loss → backward
//   → penalty     loss += Σ_k λ·s(t)·P(W_k),  ∂L/∂W_k += λ·s(t)·∂P/∂W_k   add_penalty(t, loss)
//   → clip        ‖g‖ = √(Σ_p Σ_i g_{p,i}²) over every parameter; g ← g·c/‖g‖ when ‖g‖ > c
//                 (Pascanu, Mikolov & Bengio 2013; grad_clip.hpp)                clip()
//   → update      the optimizer on optimizer_params(): every parameter except the
//                 kernels under cayley                                 opt.step(optimizer_params())
//   → constraint  cayley: W ← (I + η/2·A)⁻¹(I − η/2·A)W, A = G Wᵀ − W Gᵀ, with its own rate η,
//                 INSTEAD of the optimizer step (Wisdom et al. 2016; Vorontsov et al. 2017);
//                 qr / polar / margin: W put back on / into a band around {WᵀW = g²I} right
//                 AFTER it (constraint.hpp)                                       after_update()
//
// s(t) is the λ schedule's multiplier at optimizer step t (ConstantLambda, StepDecayLambda of
// penalty.hpp; empty: 1); a multiplier ≤ 0 skips the penalty for that step. The constraint's gain
// is each kernel's own g (the init's gain, orthogonality_gain in orthogonality.hpp). A margin m ≥ 1
// (Vorontsov's widest, m = 1) is the band [0, g(1 + m)]: only the upper end binds (the margin
// method's own rule, constraint_methods.hpp).
//
// Kernels: each a (rows × cols) weight W, the gradient buffer the optimizer reads (the penalty
// adds into it in place), its gain g and a name for error messages ("the recurrent kernel").
// An LSTM's (4H × H) recurrent kernel declares gate_blocks = 4: its stacked H × H blocks
// [W_i; W_f; W_g; W_o]. The penalty always acts on the whole kernel (as the seed study's Keras
// regularizer did); the constraint acts on each gate block (KernelScope::PerGate), or on the whole
// kernel (KernelScope::WholeKernel: WᵀW = g²I with orthonormal columns). Cayley on a whole
// (4H × H) kernel is refused: A = G Wᵀ − W Gᵀ would rotate the 4H-space, not keep WᵀW.
//
// Measurements: ortho_err(k) = ‖WᵀW/g² − I‖_F of the whole kernel (docs/CONTRACT.md ortho_err,
// orthogonality.hpp); constrained_ortho_err(k) = the largest of that over the units the constraint
// acts on (the gate blocks under PerGate); spectrum(k) = kernel_spectrum (orthogonality.hpp).
//
// srip seeding: kernel k's power-iteration vector is seeded with penalty_seed + k; the workload
// chooses penalty_seed (SequenceWorkload per its protocol: 0 for RQD/TASK; SEED and the other
// classifiers the run's streams.seed_of("srip/start_vector"), core/streams.hpp), so runs
// differing only in λ or the norm share srip's start vectors.
//
// Allocation: every workspace (penalties, constraints, gate-block scratch) is allocated at
// construction; add_penalty, clip and after_update do not allocate.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "isobench/core/state_archive.hpp"
#include "isobench/core/tensor.hpp"
#include "isobench/ortho/constraint.hpp"
#include "isobench/ortho/orthogonality.hpp"
#include "isobench/ortho/penalty.hpp"

namespace isobench {

// Where a constraint acts on a kernel made of gate blocks (an LSTM's recurrent kernel). Method:
// as the constraint method declares — each H × H gate block, unless it declares whole_kernel.
enum class KernelScope { Method, PerGate, WholeKernel };
// CONTRACT-style names: method, per_gate, whole_kernel.
const char* kernel_scope_name(KernelScope s);
// The scope a constraint acts in: `s` itself, or for Method the constraint method's declaration
// (PerGate when no constraint is set).
KernelScope resolved_scope(KernelScope s, const ConstraintSpec& c);

// A kernel a model declares for the treatment. weight and grad must outlive the treatment and
// keep their storage (no reallocation).
template <class T>
struct OrthoKernel {
  Matrix<T>* weight = nullptr;  // W (rows × cols)
  Matrix<T>* grad = nullptr;    // ∂L/∂W (rows × cols): the buffer the optimizer and clip read
  double gain = 1.0;            // g of the constraint and of ortho_err
  std::string name;             // for error messages, e.g. "the recurrent kernel", "W_3"
  int gate_blocks = 1;          // LSTM: 4 (rows = 4·cols)
};

struct OrthoTreatmentSpec {
  PenaltySpec penalty;                          // inactive: no penalty
  std::function<double(long)> lambda_schedule;  // s(t) at optimizer step t; empty: 1
  std::uint64_t penalty_seed = 0;               // srip: kernel k's vector seed is this + k
  double clip_norm = 0;                         // > 0: global gradient-norm clipping; ≤ 0: none
  ConstraintSpec constraint;                    // inactive: none; its gain is each kernel's
  KernelScope scope = KernelScope::Method;      // kernels with gate blocks (LSTM)
};

// T: float or double.
template <class T>
class OrthoTreatment {
 public:
  // params: every trainable parameter of the workload, in the order of the clipping's norm sum (the
  // optimizer's order does not change numbers); a kernel's grad must be its ParamRef's grad.
  // owner prefixes error messages ("SequenceWorkload"). Throws std::invalid_argument naming the
  // setting: clip_norm not finite, a kernel not in params, gate blocks that do not tile the
  // kernel, a non-finite margin, cayley on a whole gate-blocked kernel; the penalty's and the
  // constraint's own checks apply.
  OrthoTreatment(OrthoTreatmentSpec spec, std::vector<OrthoKernel<T>> kernels,
                 std::vector<ParamRef<T>> params, const std::string& owner);

  // Penalty at optimizer step t (counted from 1): adds each kernel's λ·s(t)·P(W_k) to `loss` in
  // kernel order (so the floating-point sum is the workloads' own) and λ·s(t)·∂P/∂W_k into its
  // grad. Returns Σ_k λ·s(t)·P(W_k) (0 without penalty). A NaN/Inf: NonFiniteError naming the
  // kernel.
  double add_penalty(long t, double& loss);
  // Global-norm clipping at clip_norm (none when ≤ 0); returns the norm before clipping (always
  // measured, kept as last_grad_norm()).
  double clip();
  // What the optimizer updates: params minus the kernels under cayley.
  const std::vector<ParamRef<T>>& optimizer_params() const { return opt_params_; }
  // The constraint, right after the optimizer step (cayley uses the clipped gradient).
  void after_update();

  // λ·s(t)·ΣP(W_k) of the current weights, kernels summed in order from 0 (evaluation; srip's
  // vector is restored).
  double penalty_value(long t);
  double ortho_err(std::size_t k) const;
  double constrained_ortho_err(std::size_t k) const;
  SpectrumSummary spectrum(std::size_t k) const;
  // Singular values of kernel k (a NaN/Inf: NonFiniteError naming singular_values).
  SpectrumSummary singular_values(std::size_t k) const;

  double lambda_multiplier(long t) const {
    return spec_.lambda_schedule ? spec_.lambda_schedule(t) : 1.0;
  }
  bool has_penalty() const { return !penalty_.empty(); }
  bool has_constraint() const { return spec_.constraint.active(); }
  bool cayley() const { return cayley_; }
  // Whether the constraint of kernel k acts per gate block.
  bool per_gate(std::size_t k) const;
  double last_grad_norm() const { return last_grad_norm_; }
  // Checkpoints (state_archive.hpp): the last gradient norm (evaluations report it) and each
  // penalty's state across calls (srip's vector); constraints keep none between steps (their
  // buffers are scratch).
  void state(StateArchive& ar) {
    ar.io("treatment.last_grad_norm", last_grad_norm_);
    for (auto& p : penalty_) p.state(ar);
  }
  const OrthoTreatmentSpec& spec() const { return spec_; }
  const std::vector<OrthoKernel<T>>& kernels() const { return kernels_; }
  const std::vector<ParamRef<T>>& params() const { return params_; }

 private:
  // One unit a constraint acts on: a whole kernel, or one gate block through scratch copies.
  struct Unit {
    std::size_t kernel = 0;
    std::size_t offset = 0;  // first entry of the block in W (row-major, blocks are row ranges)
    bool block = false;      // false: act on the kernel's own matrix
    Matrix<T> w, g;          // block scratch (rows/blocks × cols)
    std::vector<OrthoConstraint<T>> constraint;  // 0 or 1
  };
  void apply(Unit& u);

  OrthoTreatmentSpec spec_;
  std::vector<OrthoKernel<T>> kernels_;
  std::vector<ParamRef<T>> params_, opt_params_;
  std::vector<OrthoPenalty<T>> penalty_;  // one per kernel, or none
  std::vector<Unit> units_;               // constraint units, or none
  bool cayley_ = false;
  double last_grad_norm_ = 0;
};

extern template class OrthoTreatment<float>;
extern template class OrthoTreatment<double>;

}  // namespace isobench
