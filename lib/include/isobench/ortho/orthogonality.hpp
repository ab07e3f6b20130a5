// How orthogonal a weight matrix is: the orthogonality error ortho_err against the init's gain g,
// and the summary of its singular values — what the training families report of a kernel
// (docs/CONTRACT.md counters kernel_sv_*, ortho_err) and, for the input-output Jacobian, what
// RQA and RQC report (sv2_*, sv_min, cond; measure/spectra.hpp forms the Jacobian).
//
//   ortho_err = ‖WᵀW/g² − I‖_F  (W tall or square)   or   ‖WWᵀ/g² − I‖_F  (W wide)
//
// g is the init's gain (orthogonality_gain): an orthogonal or identity init W = g·Q sits at
// ortho_err = 0, as do the constraints that keep W on the scaled manifold (constraint.hpp).
#pragma once

#include <optional>
#include <vector>

#include "isobench/core/tensor.hpp"
#include "isobench/ortho/init.hpp"

namespace isobench {

// Frobenius norm of AᵀA/g² − I (A tall or square) or AAᵀ/g² − I (A wide): `ortho_err`.
// The Gram matrix is formed in double.
template <class T>
double orthogonality_error(const Matrix<T>& a, double gain = 1.0);

// The gain g that ortho_err divides by: InitSpec::gain for an init that declares sets_gain
// (orthogonal, identity), 1 for every other. std::invalid_argument for a bad spec (checked_init).
double orthogonality_gain(const InitSpec& init);

// Summary of singular values s_i (docs/CONTRACT.md counters), one type for every spectrum:
//   sv                   the values summarized (kernel_spectrum: descending, from dgesdd)
//   mean, std, min, max  of s_i (population std): the kernel_sv_* counters
//   sv2_mean, sv2_var, sv2_max   mean, population variance and max of s_i²: the Jacobian's
//   sv_min               min, reported as 0 when min ≤ n·ε·max (singular to machine precision,
//                        LAPACK's rank threshold; ε the double epsilon, n = count): sv_min counter
//   cond                 max / min, absent under that same threshold
//   ortho_err            ‖WᵀW/g² − I‖_F of the kernel (kernel_spectrum only, else 0)
//   finite               false: the kernel held NaN/Inf and nothing else is filled
//                        (kernel_spectrum only; the families' kernel_finite)
struct SpectrumSummary {
  std::vector<double> sv;
  double mean = 0, std = 0, min = 0, max = 0;
  double sv2_mean = 0, sv2_var = 0, sv2_max = 0;
  double sv_min = 0;
  std::optional<double> cond;
  double ortho_err = 0;
  bool finite = true;
};

// The summary of the given singular values (ortho_err 0, finite true). An empty list:
// std::invalid_argument; a NaN or Inf among them: NonFiniteError (non_finite.hpp) naming
// summarize_spectrum.
SpectrumSummary summarize_spectrum(std::vector<double> sv);
// The summary of W's singular values (decompositions.hpp). W holding NaN or Inf: NonFiniteError
// naming singular_values.
template <class T>
SpectrumSummary summarize_spectrum(const Matrix<T>& w);

// A kernel W's spectrum and ortho_err against gain g, as the training families report it every
// evaluation: summarize_spectrum(W) with ortho_err filled; a W holding NaN or Inf gives
// finite = false and nothing else (no exception).
template <class T>
SpectrumSummary kernel_spectrum(const Matrix<T>& w, double gain);

}  // namespace isobench
