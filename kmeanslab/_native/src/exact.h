// The label rule: a row's label is its nearest centre by F, the lowest index
// on exact ties, on every path.
//
// F(x, c) is the float64 squared distance by direct differences, summed in
// one fixed order: feature f goes to lane f % 8, each lane adds its squared
// differences in increasing f, and the eight lanes are then added left to
// right. With at most 8 features that is the plain sequential sum. Every
// SIMD variant computes these same operations (no FMA: the build turns
// contraction off), so F is the same to the bit whatever path measures it.
#pragma once

#include <cstdint>

namespace kmeanslab {

constexpr int EXACT_LANES = 8;

// IN x (d,), IN c (d,); returns F(x, c).
template <class T>
inline double exact_sq_dist_scalar(const T* x, const double* c, int64_t d) {
  double lane[EXACT_LANES] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int64_t f = 0; f < d; ++f) {
    const double diff = static_cast<double>(x[f]) - c[f];
    lane[f % EXACT_LANES] += diff * diff;
  }
  double total = lane[0];
  for (int j = 1; j < EXACT_LANES; ++j) total += lane[j];
  return total;
}

}  // namespace kmeanslab
