// F(x, c) of exact.h, vectorised across features: the eight lanes of the
// rule are EXACT_LANES / S::WD float64 vectors, the tail features are added
// to their lanes one by one, and the lanes are added left to right, so the
// result equals exact_sq_dist_scalar to the bit.
#pragma once

#include <cstdint>

#include "exact.h"

namespace kmeanslab {

// IN x (d,), IN c (d,); returns F(x, c).
template <class S, class T>
inline double exact_sq_dist(const T* x, const double* c, int64_t d) {
  constexpr int NV = EXACT_LANES / S::WD;
  static_assert(NV * S::WD == EXACT_LANES, "a vector width that divides 8");
  typename S::vd acc[NV];
  for (int v = 0; v < NV; ++v) acc[v] = S::dzero();
  const int64_t d8 = d - d % EXACT_LANES;
  for (int64_t f = 0; f < d8; f += EXACT_LANES) {
    for (int v = 0; v < NV; ++v) {
      const auto diff = S::dsub(S::dload(x + f + v * S::WD), S::dload(c + f + v * S::WD));
      acc[v] = S::dadd(acc[v], S::dmul(diff, diff));
    }
  }
  alignas(64) double lane[EXACT_LANES];
  for (int v = 0; v < NV; ++v) S::dstore(lane + v * S::WD, acc[v]);
  for (int64_t f = d8; f < d; ++f) {
    const double diff = static_cast<double>(x[f]) - c[f];
    lane[f - d8] += diff * diff;
  }
  double total = lane[0];
  for (int j = 1; j < EXACT_LANES; ++j) total += lane[j];
  return total;
}

}  // namespace kmeanslab
