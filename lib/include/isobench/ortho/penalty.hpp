// Soft orthogonality penalties: value and gradient, for any weight matrix W (rows × cols,
// isobench's row-major (out × in) layout), with preallocated workspaces.
//
// Every penalty is a registered method (method_registry.hpp): a policy type with its name, formula,
// source, FLOP count and workspace — the built-in ones below live in penalty_methods.hpp, a user's
// in methods/NAME.hpp (EXTENDING in the README). OrthoPenalty runs any of them by name.
//
// Notation: r × c = shape of W, g = gain, λ = PenaltySpec::lambda (times the schedule's scale).
// The Gram matrix is the smaller one, as in `ortho_err` (orthogonality.hpp): C = WᵀW (c × c) when W
// is tall or square, C = WWᵀ (r × r) when W is wide; n is its side. E = C − I.
//
//   so                λ‖WᵀW − I‖_F²                       SO, Bansal, Chen & Wang 2018 (NeurIPS)
//                     ∂/∂W = 4λ W E                        (wide: 4λ E W)
//   so_gain_adjusted  λ‖WᵀW/g² − I‖_F²                    the seed study (Hlav 2019): keeps W ≈ g·Q
//                     ∂/∂W = (4λ/g⁴) W (WᵀW − g² I)        so P = ∇P = 0 at W = g·Q
//   dso               λ(‖WᵀW − I‖_F² + ‖WWᵀ − I‖_F²)     double SO, Bansal 2018
//                     ∂/∂W = 4λ [W (WᵀW − I) + (WWᵀ − I) W]
//                     (non-square W: the larger Gram has rank min(r, c), so its term cannot
//                     vanish; DSO is meant for square or nearly square W)
//   mc                λ‖WᵀW − I‖_∞ = λ max_ij |E_ij|       mutual coherence, Bansal 2018
//                     subgradient at the arg-max (i, j), s = sign E_ij: s·(W_{:,j} into column i
//                     + W_{:,i} into column j) (wide: the same on rows)
//   srip              λ σ_max(WᵀW − I)                     spectral RIP, Bansal 2018
//                     σ_max by power iteration on the symmetric E (E v = Wᵀ(W v) − v, no Gram
//                     matrix formed, O(k·r·c)); the vector v is kept across calls (warm start) and
//                     seeded from an Engine. Value |vᵀEv| (Rayleigh quotient, ‖v‖ = 1); gradient
//                     2·sign(vᵀEv)·(W v) vᵀ (wide: 2·sign·v (Wᵀv)ᵀ), the exact gradient once v is
//                     the top eigenvector (converged, top eigenvalue unique in modulus). The
//                     paper's σ, not the σ² with one cold-started iteration of Bansal's released
//                     code.
//   seed_notebook     λ·mean((KᵀK/g² − 1)²)                what the seed study's Keras code ran:
//                     K = Wᵀ is the Keras (in × out) kernel, so KᵀK = WWᵀ (r × r) whatever W's
//                     shape; "− 1" subtracts 1 from EVERY entry (not the identity); mean over the
//                     r² entries.  ∂/∂W = (4λ/(g² r²)) (WWᵀ/g² − 11ᵀ) W.
//
// Normalisation (docs/CONTRACT.md `norm`): PenaltyNorm::Sum is the papers' sum over the entries;
// PenaltyNorm::Mean divides by the number of entries of the Gram matrix, n² (as the study's Keras
// code, K.mean). For dso each of the two terms is divided by its own Gram's size; for mc and srip
// Mean divides by n² too (a uniform scale, so that `norm:mean` means the same everywhere). For
// seed_notebook Mean is its definition; Sum drops the 1/r².
//
// The gain g is read by so_gain_adjusted and seed_notebook only; so, dso, mc and srip pull
// towards the identity, as the papers define them.
//
// Schedules (Bansal 2018 decay λ during training): ConstantLambda and StepDecayLambda return the
// multiplier `lambda_scale` to pass to add_value_and_grad at a given optimizer step.
//
// Cost (square n × n, GEMM FLOPs): so / so_gain_adjusted / seed_notebook 4n³, dso 8n³, mc 2n³,
// srip (4k + 2)n² for k power iterations (matrix-vector products only).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "isobench/core/rng.hpp"
#include "isobench/core/state_archive.hpp"
#include "isobench/core/tensor.hpp"

namespace isobench {

enum class PenaltyNorm { Sum, Mean };

struct PenaltySpec {
  // A registered penalty's name (`reg:` in run names; `./isobench methods` lists them), or "none".
  std::string method = "none";
  PenaltyNorm norm = PenaltyNorm::Sum;
  double lambda = 0.0;
  double gain = 1.0;        // so_gain_adjusted, seed_notebook (methods that read the gain)
  int srip_iterations = 2;  // power iterations per call (Bansal 2018 use 2, warm-started here)
  // Whether a penalty is set (callers test this, not the name).
  bool active() const { return method != "none"; }
};

// What one penalty method computes on one (rows × cols) kernel: made by the registry from the
// method's policy type (method_registry.hpp). `work` holds the method's workspace(rows, cols)
// entries. grad == nullptr: the value only.
template <class T>
class PenaltyTerm {
 public:
  virtual ~PenaltyTerm() = default;
  // lam = λ × the schedule's multiplier (> 0). Returns lam·P(W) with the spec's normalisation;
  // grad += lam·∂P/∂W when grad is not null.
  virtual double run(const T* w, T* grad, double lam, T* work) = 0;
  // Methods with state across calls (srip's warm-started vector): keep and put back, so that
  // value() never changes training. No-ops for stateless methods.
  virtual void save_state() {}
  virtual void restore_state() {}
  // Its part of a checkpoint (trainer.hpp): the state kept across calls. A method with state
  // (save_state) but no state(StateArchive&) of its own throws StateError: its runs cannot
  // checkpoint.
  virtual void state(StateArchive& /*ar*/) {}
};

// The registry entry of a penalty (built from the policy type, method_registry.hpp).
struct PenaltyMethod {
  std::string name, formula, source;
  bool builtin = true;
  bool reads_gain = false;          // uses PenaltySpec::gain (else pulls towards I)
  std::vector<double> lambda_grid;  // λ values a method comparison tries (user methods)
  // The method's own measurement, reported beside ortho_err in its runs (max over the penalized
  // kernels; e.g. brock_offdiag's offdiag_energy): its counter name ("" for none) and function of
  // a (rows × cols) kernel.
  std::string measure_name;
  double (*measure)(const float* w, int rows, int cols) = nullptr;
  double (*flops)(const PenaltySpec&, int rows, int cols) = nullptr;
  std::size_t (*workspace)(int rows, int cols) = nullptr;  // entries of T
  std::unique_ptr<PenaltyTerm<float>> (*make_float)(const PenaltySpec&, int rows, int cols,
                                                    std::uint64_t seed) = nullptr;
  std::unique_ptr<PenaltyTerm<double>> (*make_double)(const PenaltySpec&, int rows, int cols,
                                                      std::uint64_t seed) = nullptr;
};

// Every registered penalty: the built-in ones, then the user's (methods/), in list order.
const std::vector<PenaltyMethod>& penalty_methods();
// The entry named `name`; std::invalid_argument listing the valid names otherwise ("none" is not
// a method: it has no entry).
const PenaltyMethod& penalty_method(std::string_view name);
// `name` when it is "none" or a registered penalty; else std::invalid_argument listing the names.
std::string parse_penalty(std::string_view name);

// The registered penalties that are not built in (the user's, methods/), in registry order.
std::vector<PenaltyMethod> user_penalties();

const char* penalty_norm_name(PenaltyNorm n);
PenaltyNorm parse_penalty_norm(std::string_view s);

// GEMM FLOPs of one add_value_and_grad call (the `gflops` counter of PERF/penalty); 0 for none.
double penalty_flops(const PenaltySpec& spec, int rows, int cols);

// How hard a penalty pulls: ‖λ∂P/∂W‖_F / ‖∂L_data/∂W‖_F, where `total_grad` is the gradient of
// data loss plus penalty at W (so the data part is total_grad − λ∂P/∂W). Returns a negative
// value when the data gradient is exactly zero (no ratio). Allocates a gradient-sized scratch:
// for reports at the end of a run, not for training steps.
template <class T>
double penalty_grad_ratio(const PenaltySpec& spec, const Matrix<T>& w, const Matrix<T>& total_grad);

template <class T>
class OrthoPenalty {
 public:
  // Validates the spec (a registered method or none, λ ≥ 0 and finite, g > 0,
  // srip_iterations ≥ 1) and allocates every workspace for a (rows × cols) weight. `seed` seeds
  // methods with random state (srip's power-iteration vector).
  OrthoPenalty(PenaltySpec spec, int rows, int cols, std::uint64_t seed = 0);

  // W: (rows × cols). grad: (rows × cols), grad += λ·lambda_scale·∂P/∂W.
  // Returns λ·lambda_scale·P(W), the term added to the loss. Does not allocate.
  // A NaN or Inf in W or grad (when the penalty is active): NonFiniteError naming "reg:<name>".
  double add_value_and_grad(const Matrix<T>& w, Matrix<T>& grad, double lambda_scale = 1.0);
  // λ·lambda_scale·P(W) alone; a method with state (srip) iterates from its current state and
  // then restores it, so evaluation never changes training. A NaN or Inf in W: NonFiniteError.
  double value(const Matrix<T>& w, double lambda_scale = 1.0);

  const PenaltySpec& spec() const { return spec_; }
  int rows() const { return rows_; }
  int cols() const { return cols_; }
  // Checkpoints (state_archive.hpp): the method's state across calls (srip's vector), if any.
  void state(StateArchive& ar) {
    if (term_) term_->state(ar);
  }

 private:
  double run(const Matrix<T>& w, T* grad, double lambda_scale);
  void check_shape(const Matrix<T>& w, const char* what) const;
  // Whether run() computes anything (the NaN/Inf check is skipped exactly when it does not).
  bool active(double lambda_scale) const { return term_ && spec_.lambda * lambda_scale != 0.0; }
  const char* kernel_name() const { return kernel_.c_str(); }  // "reg:<name>"

  PenaltySpec spec_;
  std::string kernel_;  // NonFiniteError's kernel name
  int rows_, cols_;
  std::unique_ptr<PenaltyTerm<T>> term_;  // null for none
  std::vector<T> work_;                   // the method's workspace
};

// Building blocks of the built-in penalties, for methods of one's own (penalty_methods.hpp shows
// their use). w: (r × c) row-major; grad may be null (value only); gram: an n × n workspace.
//
// scale·‖C/g² − B‖_F², C = WᵀW (gram_of_columns, n = c) or WWᵀ (n = r), B = I or 11ᵀ (all_ones);
// grad += scale·(4/g²)·W E or E W, E = C/g² − B.
template <class T>
double gram_frobenius_term(const T* w, T* grad, int r, int c, bool gram_of_columns, double inv_g2,
                           bool all_ones, double scale, T* gram);
// The smaller Gram C = WᵀW (r ≥ c; n = c) or WWᵀ (n = r) into gram (n × n). Returns n.
template <class T>
int smaller_gram(const T* w, int r, int c, T* gram);

// λ multiplier per optimizer step t (counted from 1).
struct ConstantLambda {
  double operator()(long /*t*/) const { return 1.0; }
};
// Piecewise-constant decay: the multiplier is scales[i] from optimizer step milestones[i] on
// (milestones ascending), 1 before the first. Bansal et al. 2018's released code
// (VITA-Group/Orthogonality-in-CNNs, adjust_ortho_decay_rate) multiplies the initial λ by 1e-3,
// 1e-4, 1e-6 and finally 0 after epochs 20, 50, 70 and 120: bansal2018(steps_per_epoch).
struct StepDecayLambda {
  std::vector<long> milestones;
  std::vector<double> scales;
  StepDecayLambda(std::vector<long> milestones_, std::vector<double> scales_);
  // Every milestone multiplies the current λ by `factor` (factor^k after the k-th milestone).
  static StepDecayLambda geometric(std::vector<long> milestones_, double factor);
  // The schedule of Bansal et al. 2018 in optimizer steps, for `steps_per_epoch`.
  static StepDecayLambda bansal2018(long steps_per_epoch);
  double operator()(long t) const;
};

}  // namespace isobench
