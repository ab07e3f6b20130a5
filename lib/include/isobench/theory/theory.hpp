// Theory of signal propagation at initialization: what mean-field theory and free probability
// predict for the input-output Jacobian J = ∏_{l=L..1} D_l W_l of a deep MLP (docs/RESEARCH.md §2).
//
// Mean field (Poole, Lahiri, Raghu, Sohl-Dickstein & Ganguli 2016, "Exponential expressivity in
// deep neural networks through transient chaos"; Schoenholz, Gilmer, Ganguli & Sohl-Dickstein
// 2017, "Deep information propagation"). Weights with variance σ_w²/N, biases with variance σ_b²,
// h ~ N(0, 1):
//
// clang-format off
//   q_l = σ_w² E_h[φ(√q_{l−1} h)²] + σ_b²   (the length map, fixed point q*)
//   χ   = σ_w² E_h[φ'(√q* h)²]                (χ < 1 ordered, χ > 1 chaotic, χ = 1 critical)
//   μ_k = E_h[φ'(√q* h)^{2k}]                 (moments of D², so χ = σ_w² μ₁)
// clang-format on
//
// The expectations come from the activation's policy (activation.hpp, activation_moments.hpp):
// Gauss–Hermite quadrature (kGaussHermiteNodes = 151 nodes) by default — tanh, and any new
// smooth activation — and closed forms where the policy states them: hard-tanh E[φ²] =
// q(erf(a/√2) − 2aϕ(a)) + erfc(a/√2) and μ_k = p = erf(1/√(2q)) with a = 1/√q, ϕ the standard
// normal density; ReLU E[φ²] = q/2, μ_k = 1/2; linear E[φ²] = q, μ_k = 1. This file dispatches
// over the policy list `Activations` (no switch), so theory.cpp need not change for a new one.
//
// Free probability (Pennington, Schoenholz & Ganguli 2017, "Resurrecting the sigmoid in deep
// learning through dynamical isometry: theory and practice"; 2018, "The emergence of spectral
// universality in deep networks"), N → ∞, every layer's D at q*:
//
// clang-format off
//   S_{JJᵀ}(z) = ∏_l S_{D²}(z) S_{WWᵀ}(z),  S_{WWᵀ} = 1/(σ_w²(1+z)) Gaussian, 1/σ_w² orthogonal
//   mean      m₁ = χ^L
//   variance  σ² = χ^{2L} · L · (μ₂/μ₁² − 1 − s₁),   s₁ = −1 Gaussian, 0 orthogonal
//   max       λ_max = min_{z>0} (1+z)/(z S_{JJᵀ}(z))   (upper edge of the support)
// clang-format on
//
// With M(x) = Σ_{k≥1} m_k x^k = E[xd/(1 − xd)] (d = φ'(√q* h)²) the S-transform is
// S(z) = ((1+z)/z) M⁻¹(z). Rather than invert M, λ_max is minimised over x = 1 − ε directly
// (z = M(1 − ε) is monotone in ε). For linear Gaussian networks this gives the Fuss–Catalan edge
// (L+1)^{L+1}/L^L.
#pragma once

#include <vector>

#include "isobench/core/normal_quadrature.hpp"
#include "isobench/nn/activation.hpp"

namespace isobench {

// What the theory takes from an activation policy P (activation_moments.hpp), as one table per
// policy so that theory.cpp is compiled once and also serves policies outside `Activations`
// (activation_theory_of<P>()).
struct ActivationTheory {
  const char* name;
  LengthMap length_map;
  double phi0, dphi0;  // φ(0), φ'(0): checked against what length_map assumes
  double (*mean_square)(double q);
  double (*derivative_moment)(double q, int k);
  double (*d2_moment_generating)(double q, double eps);
};
template <class P>
const ActivationTheory& activation_theory_of() {
  static const ActivationTheory t{P::name,
                                  P::length_map,
                                  P::f(0.0),
                                  P::df(0.0, P::f(0.0)),
                                  &P::mean_square,
                                  &P::derivative_moment,
                                  &P::d2_moment_generating};
  return t;
}
// The table of a built-in activation (from `Activations`).
const ActivationTheory& activation_theory(Activation act);

// E_h[φ(√q h)²], for the length map. Throws std::invalid_argument for q < 0 or an activation the
// theory does not cover (sigmoid).
double mean_square_activation(const ActivationTheory& act, double q);
double mean_square_activation(Activation act, double q);
// μ_k(q) = E_h[φ'(√q h)^{2k}], k ≥ 1.
double derivative_moment(const ActivationTheory& act, double q, int k);
double derivative_moment(Activation act, double q, int k);

struct MeanField {
  const ActivationTheory* activation = nullptr;  // set by mean_field()
  double sw2 = 1, sb2 = 0;
  double q_star = 0;  // fixed point of the length map (0 when the origin is the only one)
  bool q_exists = true;  // false: q grows without bound (linear σ_w² > 1, ReLU σ_w² ≥ 2 with bias)
  bool q_unique = true;  // false: every q is a fixed point (linear (1, 0), ReLU (2, 0))
  // The q at which inputs are drawn and D is evaluated: q* when it exists, is unique and is
  // positive, else 1 (docs/RESEARCH.md: "where q* is 0 or not unique use q = 1").
  double q_input = 1;
  // Evaluated at q* (at q_input when there is no unique finite q*, which happens only for
  // homogeneous activations (linear, ReLU), whose μ_k do not depend on q).
  double chi = 1, mu1 = 1, mu2 = 1;
};

// The fixed point q* (largest root, bisection to machine precision), χ, μ₁, μ₂.
// Throws std::invalid_argument unless σ_w² > 0 and σ_b² ≥ 0 are finite, for an activation the
// theory does not cover (sigmoid), or for a Saturating policy with φ(0) ≠ 0 or φ'(0) ≠ 1.
MeanField mean_field(const ActivationTheory& act, double sw2, double sb2);
MeanField mean_field(Activation act, double sw2, double sb2);

// σ_w² on the critical line χ(σ_w², σ_b²) = 1. Linear: 1. ReLU: 2 (with σ_b² > 0 there is no
// finite fixed point there: q grows linearly); any homogeneous activation 1/μ₁. tanh, hard-tanh
// (any saturating activation): bisection in σ_w² to ~1e-12.
double critical_sw2(const ActivationTheory& act, double sb2);
double critical_sw2(Activation act, double sb2);

enum class WeightEnsemble { Gaussian, Orthogonal };

// The spectrum of JJᵀ predicted by free probability for L = depth layers at the mean field `mf`.
struct FreeSpectrum {
  double mean = 1, var = 0, max = 1;
};
double jjt_mean(const MeanField& mf, int depth);  // χ^L
double jjt_variance(const MeanField& mf, int depth,
                    WeightEnsemble w);  // χ^{2L} L (μ₂/μ₁² − 1 − s₁)
double jjt_max_eigenvalue(const MeanField& mf, int depth, WeightEnsemble w);
FreeSpectrum jjt_spectrum(const MeanField& mf, int depth, WeightEnsemble w);

// M_{D²}(x) = E[xd/(1 − xd)], d = φ'(√q h)², as a function of ε = 1 − x ∈ (0, 1]: the moment
// generating function of D² at the q where mf's μ_k are evaluated, from the activation's policy
// (tanh and the default by graded Gauss–Legendre quadrature that resolves the peak at h = 0;
// linear, ReLU, hard-tanh in closed form p(1 − ε)/ε). Throws std::invalid_argument when mf was
// not made by mean_field().
double d2_moment_generating(const MeanField& mf, double eps);

}  // namespace isobench
