// Binary cross-entropy on logits with a sigmoid read-out, computed stably (the sentiment task's
// K = 1 read-out):
//
// clang-format off
//   L       = 1/n Σ_i [ max(z_i, 0) − z_i·y_i + log(1 + e^{−|z_i|}) ]
//           = mean of −y log σ(z) − (1−y) log(1−σ(z))
//   dL/dz_i = (σ(z_i) − y_i)/n
// clang-format on
//
// The max/|z| form never exponentiates a positive number, so large |z| neither overflows nor
// loses the loss to log(0) (as TensorFlow's sigmoid_cross_entropy_with_logits).
// Shapes: logits, targets01, grad have n entries; targets in [0, 1]; grad may be null.
#pragma once

namespace isobench {

template <class T>
T sigmoid_bce(const T* logits, const T* targets01, int n, T* grad);

// Entries whose logit sign agrees with the 0/1 target (z > 0 ⇔ y ≥ 0.5).
template <class T>
int count_correct_binary(const T* logits, const T* targets01, int n);

}  // namespace isobench
