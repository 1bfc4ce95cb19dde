// The portable path and the reference for every other: each row measured
// against every centre by the label rule (exact.h), no screen. Also what
// the SIMD paths fall back to for rows or steps their screen cannot bound.
#include <cmath>

#include "exact.h"
#include "parallel.h"
#include "update.h"

namespace kmeanslab {

template <class T>
void lloyd_step_scalar(const StepArgs<T>& a, int n_threads) {
  const int64_t d = a.n_features, k = a.n_clusters;
  parallel_blocks(a.n_blocks, n_threads, [&](int64_t b) {
    BlockUpdate<T> update(a, b);
    for (int64_t i = a.starts[b]; i < a.starts[b + 1]; ++i) {
      const T* x = a.X + i * d;
      int32_t best = 0;
      double best_sq = exact_sq_dist_scalar(x, a.centers, d);
      for (int64_t j = 1; j < k; ++j) {
        const double sq = exact_sq_dist_scalar(x, a.centers + j * d, d);
        if (sq < best_sq) {  // strictly nearer: ties keep the lower index
          best_sq = sq;
          best = static_cast<int32_t>(j);
        }
      }
      update.take(x, a.sample_weight[i], best, best_sq, a.labels[i]);
    }
    update.finish(a, b);
    a.n_rechecked[b] = 0;
    a.n_candidates[b] = 0;
  });
}

template void lloyd_step_scalar<float>(const StepArgs<float>&, int);
template void lloyd_step_scalar<double>(const StepArgs<double>&, int);

}  // namespace kmeanslab
