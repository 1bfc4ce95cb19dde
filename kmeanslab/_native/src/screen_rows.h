// The rows as the screen reads them, made once per fit.
#pragma once

#include <cstdint>

namespace kmeanslab {

// IN X (n, d); OUT x32 (n, d) float32 rounding of X (unused, may be null,
// when T is float); OUT norm (n,): ||x32||; OUT error (n,): ||x - x32||;
// both rounded up by a relative 4 (d + 2) u64 so they bound the exact norms.
template <class T>
void screen_rows(const T* X, int64_t n, int64_t d, float* x32, double* norm, double* error,
                 int n_threads);

}  // namespace kmeanslab
