// Losses over a batch. Each returns the loss and writes dL/d(input) into `grad` (same shape).
//
//   mse_loss        L = 1/(B·K) Σ_bk (y_bk − t_bk)²   (mean over every entry, as PyTorch/Keras)
//                   dL/dy = 2 (y − t)/(B·K)
//   softmax_xent    L = −1/B Σ_b log softmax(z_b)[c_b], via a stable log-sum-exp
//                   dL/dz = (softmax(z) − onehot(c))/B
//
// Shapes: y, t, z, grad are (B × K) row-major; labels has B entries in [0, K).
#pragma once

namespace isobench {

template <class T>
T mse_loss(const T* y, const T* target, int batch, int dim, T* grad);

template <class T>
T softmax_xent(const T* logits, const int* labels, int batch, int classes, T* grad);

// Number of rows whose arg-max equals the label.
template <class T>
int count_correct(const T* logits, const int* labels, int batch, int classes);

}  // namespace isobench
