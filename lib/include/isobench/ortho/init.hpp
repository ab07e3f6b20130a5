// Weight initializers as method policy types. W is (fan_out × fan_in) = (rows × cols).
//
//   gaussian        W_ij ~ N(0, σ_w²/fan_in)           (Poole et al. 2016; Saxe 2013 "scaled
//                                                       Gaussian" at σ_w² = 1)        reads σ_w²
//   glorot_uniform  W_ij ~ U(−a, a), a = √(6/(fan_in + fan_out))   (Glorot & Bengio 2010;
//                                                       the Keras default)
//   glorot_normal   W_ij ~ N(0, 2/(fan_in + fan_out))  (untruncated; Keras truncates)
//   he              W_ij ~ N(0, 2/fan_in)               (He et al. 2015)
//   orthogonal      W = g·Q, Q Haar-distributed on the Stiefel manifold: QR of a Gaussian matrix
//                   with the signs of diag(R) folded into Q (Mezzadri 2007; Saxe 2013). Tall:
//                   orthonormal columns; wide: orthonormal rows.                 sets the gain g
//   identity        W = g·I (rectangular: ones on the main diagonal; Le et al. 2015)  sets g
//
// An initialization method is a type with
//   static constexpr const char* name, formula, source;   the `init:` value, one line each
//   static constexpr InitEnsemble ensemble;   the weight ensemble the theory may assume (below)
//   static constexpr bool reads_sw2;          draws with variance InitSpec::sw2 / fan_in
//   static constexpr bool sets_gain;          W = g·(…) with g = InitSpec::gain: ortho_err, the
//                                             constraints and gain-reading penalties use this g
//   template <class T> static void fill(const InitSpec&, Matrix<T>& w, Engine& eng);
// registered by listing it: the built-in ones in BuiltinInits below, a user's with
// ISOBENCH_REGISTER_INIT(Type) in its file in methods/ (method_registry.hpp).
//
// Each policy fills W from the caller's engine; draws are done in double and rounded to T. Every
// built-in policy draws numbers that do not depend on the gain or σ_w² and scales them, so two
// specs differing only in those draw the same numbers from one engine (W ∝ g for orthogonal):
// the common random numbers of training runs rely on it (core/streams.hpp).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "isobench/core/rng.hpp"
#include "isobench/core/streams.hpp"
#include "isobench/core/tensor.hpp"

namespace isobench {

// The weight ensemble an init draws from, for the theory (theory.hpp WeightEnsemble):
//   Gaussian  W_ij iid N(0, σ_w²/fan_in) with σ_w² = InitSpec::sw2 (needs reads_sw2)
//   Haar      W = g·Q, Q Haar on the Stiefel manifold, g = InitSpec::gain (needs sets_gain)
//   None      neither (fixed variances as glorot/he, a deterministic W as identity): the
//             families report no theory_* prediction for it.
enum class InitEnsemble { None, Gaussian, Haar };
const char* init_ensemble_name(InitEnsemble e);  // "none", "gaussian", "haar"

// A runtime description of an initializer: a registered init's name and its two parameters,
// kept apart so that σ_w² and the gain cannot be confused. sw2 may differ from 1 only for an init
// that reads it (gaussian), gain only for one that sets it (orthogonal, identity): initialize()
// and orthogonality_gain() throw std::invalid_argument otherwise. Build them with the named
// constructors.
struct InitSpec {
  std::string method = "gaussian";  // a registered init (`./isobench methods` lists them)
  double sw2 = 1.0;                 // σ_w²: variance σ_w²/fan_in (inits with reads_sw2)
  double gain = 1.0;                // g: W = g·(…) (inits with sets_gain)

  static InitSpec gaussian(double sw2 = 1.0) { return {"gaussian", sw2, 1.0}; }
  static InitSpec orthogonal(double gain = 1.0) { return {"orthogonal", 1.0, gain}; }
  static InitSpec identity(double gain = 1.0) { return {"identity", 1.0, gain}; }
  static InitSpec glorot_uniform() { return {"glorot_uniform", 1.0, 1.0}; }
  static InitSpec glorot_normal() { return {"glorot_normal", 1.0, 1.0}; }
  static InitSpec he() { return {"he", 1.0, 1.0}; }
  // Any registered init, the parameter it declares set from σ_w² the way RQA/RQC set theirs: sw2
  // for an init that reads σ_w², gain √σ_w² for one that sets a gain, nothing for the others.
  static InitSpec at_sw2(std::string method, double sw2);
};

struct GaussianInit {
  static constexpr const char* name = "gaussian";
  static constexpr const char* formula = "W_ij ~ N(0, σ_w²/fan_in)";
  static constexpr const char* source = "Poole et al. 2016; Saxe et al. 2013 (scaled Gaussian)";
  static constexpr InitEnsemble ensemble = InitEnsemble::Gaussian;
  static constexpr bool reads_sw2 = true, sets_gain = false;
  template <class T>
  static void fill(const InitSpec& s, Matrix<T>& w, Engine& eng) {
    GaussianInit{s.sw2}(w, eng);
  }

  double sw2 = 1.0;  // σ_w²: the variance is σ_w²/fan_in
  template <class T>
  void operator()(Matrix<T>& w, Engine& eng) const;
};
struct GlorotUniformInit {
  static constexpr const char* name = "glorot_uniform";
  static constexpr const char* formula = "W_ij ~ U(−a, a), a = √(6/(fan_in + fan_out))";
  static constexpr const char* source = "Glorot & Bengio 2010 (the Keras default)";
  static constexpr InitEnsemble ensemble = InitEnsemble::None;
  static constexpr bool reads_sw2 = false, sets_gain = false;
  template <class T>
  static void fill(const InitSpec&, Matrix<T>& w, Engine& eng) {
    GlorotUniformInit{}(w, eng);
  }

  template <class T>
  void operator()(Matrix<T>& w, Engine& eng) const;
};
struct GlorotNormalInit {
  static constexpr const char* name = "glorot_normal";
  static constexpr const char* formula = "W_ij ~ N(0, 2/(fan_in + fan_out)), untruncated";
  static constexpr const char* source = "Glorot & Bengio 2010";
  // Gaussian, but its variance is fixed, not the σ_w² the theory is evaluated at.
  static constexpr InitEnsemble ensemble = InitEnsemble::None;
  static constexpr bool reads_sw2 = false, sets_gain = false;
  template <class T>
  static void fill(const InitSpec&, Matrix<T>& w, Engine& eng) {
    GlorotNormalInit{}(w, eng);
  }

  template <class T>
  void operator()(Matrix<T>& w, Engine& eng) const;
};
struct HeInit {
  static constexpr const char* name = "he";
  static constexpr const char* formula = "W_ij ~ N(0, 2/fan_in)";
  static constexpr const char* source = "He et al. 2015";
  static constexpr InitEnsemble ensemble = InitEnsemble::None;  // fixed σ_w² = 2, as glorot
  static constexpr bool reads_sw2 = false, sets_gain = false;
  template <class T>
  static void fill(const InitSpec&, Matrix<T>& w, Engine& eng) {
    HeInit{}(w, eng);
  }

  template <class T>
  void operator()(Matrix<T>& w, Engine& eng) const;
};
struct OrthogonalInit {
  static constexpr const char* name = "orthogonal";
  static constexpr const char* formula = "W = g·Q, Q Haar: QR of a Gaussian, signs of diag(R) in Q";
  static constexpr const char* source = "Saxe et al. 2013; Mezzadri 2007 (the sign fix)";
  static constexpr InitEnsemble ensemble = InitEnsemble::Haar;
  static constexpr bool reads_sw2 = false, sets_gain = true;
  template <class T>
  static void fill(const InitSpec& s, Matrix<T>& w, Engine& eng) {
    OrthogonalInit{s.gain}(w, eng);
  }

  double gain = 1.0;
  // false reproduces the common bug (Q of a plain QR, not Haar); only the tests use it.
  bool fix_signs = true;
  template <class T>
  void operator()(Matrix<T>& w, Engine& eng) const;
};
struct IdentityInit {
  static constexpr const char* name = "identity";
  static constexpr const char* formula = "W = g·I (rectangular: ones on the main diagonal)";
  static constexpr const char* source = "Le, Jaitly & Hinton 2015 (IRNN)";
  static constexpr InitEnsemble ensemble = InitEnsemble::None;  // deterministic
  static constexpr bool reads_sw2 = false, sets_gain = true;
  template <class T>
  static void fill(const InitSpec& s, Matrix<T>& w, Engine& eng) {
    IdentityInit{s.gain}(w, eng);
  }

  double gain = 1.0;
  template <class T>
  void operator()(Matrix<T>& w, Engine& eng) const;
};

using BuiltinInits = std::tuple<GaussianInit, OrthogonalInit, GlorotUniformInit, GlorotNormalInit,
                                HeInit, IdentityInit>;

// The registry entry of an initialization (built from its policy type, method_registry.hpp).
struct InitMethod {
  std::string name, formula, source;
  bool builtin = true;
  InitEnsemble ensemble = InitEnsemble::None;
  bool reads_sw2 = false, sets_gain = false;
  void (*fill_float)(const InitSpec&, Matrix<float>&, Engine&) = nullptr;
  void (*fill_double)(const InitSpec&, Matrix<double>&, Engine&) = nullptr;
};

// Every registered init: the built-in ones, then the user's (methods/), in list order.
const std::vector<InitMethod>& init_methods();
// The entry named `name`; std::invalid_argument listing the valid names otherwise.
const InitMethod& init_method(std::string_view name);
// `name` when it is a registered init; else std::invalid_argument listing the names.
std::string parse_init(std::string_view name);
// The registered inits that are not built in (the user's, methods/), in registry order.
std::vector<InitMethod> user_inits();

// The entry of spec.method after checking the spec: σ_w² > 0 and finite, g > 0 and finite, and
// sw2 (gain) left at 1 unless the init reads σ_w² (sets a gain). std::invalid_argument naming
// the init and the parameter otherwise.
const InitMethod& checked_init(const InitSpec& spec);

// Fills w (rows × cols) by spec's init from eng (checked_init first).
template <class T>
void initialize(const InitSpec& spec, Matrix<T>& w, Engine& eng);
// The same from the run's stream for this matrix: streams.weights(role, spec.method, rows, cols)
// — keyed by the matrix's role, the init's name and shape and the seed, not the gain or σ_w².
template <class T>
void initialize(const InitSpec& spec, Matrix<T>& w, const RunStreams& streams,
                std::string_view role);

}  // namespace isobench
