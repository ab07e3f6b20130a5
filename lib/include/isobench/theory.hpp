// Theory of signal propagation at initialization: what mean-field theory and free probability
// predict for the input-output Jacobian J = ∏_{l=L..1} D_l W_l of a deep MLP (RESEARCH.md §2).
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
// Expectations: tanh by Gauss–Hermite quadrature (kGaussHermiteNodes ≥ 101 nodes); hard-tanh in
// closed form, E[φ²] = q(erf(a/√2) − 2aϕ(a)) + erfc(a/√2) and μ_k = p = erf(1/√(2q)) with
// a = 1/√q, ϕ the standard normal density; ReLU E[φ²] = q/2, μ_k = 1/2; linear E[φ²] = q, μ_k = 1.
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

#include "isobench/activation.hpp"

namespace isobench {

// Gauss–Hermite rule for E_h[g(h)], h ~ N(0, 1): nodes and weights (weights sum to 1).
inline constexpr int kGaussHermiteNodes = 151;
struct GaussRule {
  std::vector<double> nodes, weights;
};
// The probabilists' rule with n nodes (Golub–Welsch eigenvalues, polished by Newton on the
// orthonormal Hermite recurrence). Exact for polynomials of degree ≤ 2n − 1.
GaussRule gauss_hermite_normal(int n);
// The shared kGaussHermiteNodes rule (computed once).
const GaussRule& normal_quadrature();

// E_h[φ(√q h)²], for the length map. Throws std::invalid_argument for sigmoid (not covered).
double mean_square_activation(Activation act, double q);
// μ_k(q) = E_h[φ'(√q h)^{2k}], k ≥ 1.
double derivative_moment(Activation act, double q, int k);

struct MeanField {
  Activation act = Activation::Tanh;
  double sw2 = 1, sb2 = 0;
  double q_star = 0;  // fixed point of the length map (0 when the origin is the only one)
  bool q_exists = true;  // false: q grows without bound (linear σ_w² > 1, ReLU σ_w² ≥ 2 with bias)
  bool q_unique = true;  // false: every q is a fixed point (linear (1, 0), ReLU (2, 0))
  // The q at which inputs are drawn and D is evaluated: q* when it exists, is unique and is
  // positive, else 1 (RESEARCH.md: "where q* is 0 or not unique use q = 1").
  double q_input = 1;
  // Evaluated at q* (at q_input when there is no unique finite q*, which happens only for
  // linear and ReLU, whose μ_k do not depend on q).
  double chi = 1, mu1 = 1, mu2 = 1;
};

// The fixed point q* (largest root, bisection to machine precision), χ, μ₁, μ₂.
// Throws std::invalid_argument unless σ_w² > 0 and σ_b² ≥ 0 are finite, or for sigmoid.
MeanField mean_field(Activation act, double sw2, double sb2);

// σ_w² on the critical line χ(σ_w², σ_b²) = 1. Linear: 1. ReLU: 2 (with σ_b² > 0 there is no
// finite fixed point there: q grows linearly). tanh, hard-tanh: bisection in σ_w² to ~1e-12.
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
// generating function of D² at the q where mf's μ_k are evaluated (tanh by graded Gauss–Legendre
// quadrature that resolves the peak at h = 0; linear, ReLU, hard-tanh in closed form p(1 − ε)/ε).
double d2_moment_generating(const MeanField& mf, double eps);

}  // namespace isobench
