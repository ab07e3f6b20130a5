// Weight initializers, as plain policy classes. W is (fan_out × fan_in) = (rows × cols).
//
//   GaussianInit{sw2}     W_ij ~ N(0, σ_w²/fan_in)           (Poole et al. 2016; Saxe 2013 "scaled
//                                                             Gaussian" at σ_w² = 1)
//   GlorotUniformInit     W_ij ~ U(−a, a), a = √(6/(fan_in + fan_out))   (Glorot & Bengio 2010;
//                                                             the Keras default)
//   GlorotNormalInit      W_ij ~ N(0, 2/(fan_in + fan_out))  (untruncated; Keras truncates)
//   HeInit                W_ij ~ N(0, 2/fan_in)               (He et al. 2015)
//   OrthogonalInit{gain}  W = gain·Q, Q Haar-distributed on the Stiefel manifold: QR of a
//                         Gaussian matrix with the signs of diag(R) folded into Q (Mezzadri 2007;
//                         Saxe 2013). Tall: orthonormal columns; wide: orthonormal rows.
//   IdentityInit{gain}    W = gain·I (rectangular: ones on the main diagonal; Le et al. 2015)
//
// Each policy fills W from the caller's engine; draws are done in double and rounded to T.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "isobench/rng.hpp"
#include "isobench/tensor.hpp"

namespace isobench {

enum class InitKind { Gaussian, Orthogonal, GlorotUniform, GlorotNormal, He, Identity };

struct GaussianInit {
  double sw2 = 1.0;  // σ_w²: the variance is σ_w²/fan_in
  template <class T>
  void operator()(Matrix<T>& w, Engine& eng) const;
};
struct GlorotUniformInit {
  template <class T>
  void operator()(Matrix<T>& w, Engine& eng) const;
};
struct GlorotNormalInit {
  template <class T>
  void operator()(Matrix<T>& w, Engine& eng) const;
};
struct HeInit {
  template <class T>
  void operator()(Matrix<T>& w, Engine& eng) const;
};
struct OrthogonalInit {
  double gain = 1.0;
  // false reproduces the common bug (Q of a plain QR, not Haar); only the tests use it.
  bool fix_signs = true;
  template <class T>
  void operator()(Matrix<T>& w, Engine& eng) const;
};
struct IdentityInit {
  double gain = 1.0;
  template <class T>
  void operator()(Matrix<T>& w, Engine& eng) const;
};

// A runtime description of an initializer, for configurations built from names.
// `scale` is σ_w² for gaussian, the gain for orthogonal and identity, unused otherwise.
struct InitSpec {
  InitKind kind = InitKind::Gaussian;
  double scale = 1.0;
};

template <class T>
void initialize(const InitSpec& spec, Matrix<T>& w, Engine& eng);

const char* init_name(InitKind k);
InitKind parse_init(std::string_view s);

}  // namespace isobench
