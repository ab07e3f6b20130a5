// Counts C++ heap allocations (operator new) so a test can check that a hot call allocates
// nothing once its workspaces exist. Include it in exactly one translation unit of a test
// executable (it replaces the global operator new/delete there). LAPACK/OpenBLAS-internal
// malloc is outside this count.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>

namespace isobench::testing_alloc {
inline std::size_t g_allocations = 0;
// Heap allocations made so far by operator new in this process.
inline std::size_t allocations() {
  return g_allocations;
}
}  // namespace isobench::testing_alloc

void* operator new(std::size_t n) {
  ++isobench::testing_alloc::g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// GCC does not know this operator new is malloc, so it would flag the matching free.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
#pragma GCC diagnostic pop
