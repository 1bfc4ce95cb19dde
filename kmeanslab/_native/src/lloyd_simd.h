// One Lloyd step on a SIMD instruction set S: the low-dimensional exact
// pass (lowd.h) below LOWD_MAX features, the float32 screen with its
// recheck (screen.h) from there on. Included once per instruction set by
// lloyd_<isa>.cpp, which is compiled with that set's flags.
#pragma once

#include "lowd.h"
#include "parallel.h"
#include "screen.h"

namespace kmeanslab {

template <class S, class T, int D>
void lowd_step(const StepArgs<T>& a, int n_threads) {
  parallel_blocks(a.n_blocks, n_threads, [&](int64_t b) { lowd_block<S, T, D>(a, b); });
}

template <class S, class T>
void lloyd_step_simd(const StepArgs<T>& a, int n_threads) {
  if (a.n_features < LOWD_MAX) {
    // The feature count as a template argument up to 8, so the per-centre
    // loop is unrolled with the centre in registers.
    switch (a.n_features) {
      case 1: return lowd_step<S, T, 1>(a, n_threads);
      case 2: return lowd_step<S, T, 2>(a, n_threads);
      case 3: return lowd_step<S, T, 3>(a, n_threads);
      case 4: return lowd_step<S, T, 4>(a, n_threads);
      case 5: return lowd_step<S, T, 5>(a, n_threads);
      case 6: return lowd_step<S, T, 6>(a, n_threads);
      case 7: return lowd_step<S, T, 7>(a, n_threads);
      case 8: return lowd_step<S, T, 8>(a, n_threads);
      default: return lowd_step<S, T, 0>(a, n_threads);
    }
  }
  const PackedCenters<2 * S::W> packed(a.centers, a.n_clusters, a.n_features);
  parallel_blocks(a.n_blocks, n_threads, [&](int64_t b) { screen_block<S, T>(a, packed, b); });
}

}  // namespace kmeanslab
