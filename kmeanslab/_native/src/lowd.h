// Few features (d < LOWD_MAX): every distance exactly, rows across SIMD
// lanes. A tile of ROWS_PER_TILE rows is held feature-major in float64; the
// loop runs over the centres (broadcast, in registers) and keeps each lane's
// best F and label with compares and blends, so no per-row argmin is needed.
// F is summed in the rule's order (exact.h): with D <= 8 features, one lane
// per feature, added left to right; with more, lanes of features f % 8.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "exact.h"
#include "update.h"

namespace kmeanslab {

// F of one tile's vectors to one centre. IN xt (d, NV) vectors; IN c (d,).
// D is the number of features when known at compile time (1 to 8), else 0.
template <class S, int D, int NV>
inline void lowd_tile_sq_dists(const typename S::vd* xt, const double* c, int64_t d,
                               typename S::vd* out) {
  using vd = typename S::vd;
  if constexpr (D > 0) {
    vd cf[D];
    for (int f = 0; f < D; ++f) cf[f] = S::dset1(c[f]);
    for (int v = 0; v < NV; ++v) {
      vd diff = S::dsub(xt[v], cf[0]);
      vd total = S::dmul(diff, diff);
      for (int f = 1; f < D; ++f) {
        diff = S::dsub(xt[f * NV + v], cf[f]);
        total = S::dadd(total, S::dmul(diff, diff));
      }
      out[v] = total;
    }
  } else {
    for (int v = 0; v < NV; ++v) {
      vd lane[EXACT_LANES];
      for (int64_t f = 0; f < d; ++f) {
        const vd diff = S::dsub(xt[f * NV + v], S::dset1(c[f]));
        const vd sq = S::dmul(diff, diff);
        lane[f % EXACT_LANES] = f < EXACT_LANES ? sq : S::dadd(lane[f % EXACT_LANES], sq);
      }
      vd total = lane[0];
      for (int j = 1; j < EXACT_LANES; ++j) total = S::dadd(total, lane[j]);
      out[v] = total;
    }
  }
}

// One block of rows [starts[b], starts[b + 1]) of a low-dimensional step.
// The D > 8 case needs d >= 8 (every lane holds a feature; LOWD_MAX > 8).
template <class S, class T, int D>
void lowd_block(const StepArgs<T>& a, int64_t b) {
  using vd = typename S::vd;
  constexpr int NV = 4;  // vectors per tile: 4 independent chains hide the add latency
  constexpr int ROWS = NV * S::WD;
  constexpr int64_t MAX_D = D > 0 ? D : LOWD_MAX;
  const int64_t d = a.n_features, k = a.n_clusters;
  BlockUpdate<T> update(a, b);
  alignas(64) double staging[MAX_D * ROWS];
  alignas(64) double best_sq[ROWS];
  alignas(64) double best_label[ROWS];
  vd xt[MAX_D * NV] = {};
  vd dist[NV];
  const int64_t start = a.starts[b], stop = a.starts[b + 1];
  for (int64_t r0 = start; r0 < stop; r0 += ROWS) {
    const int64_t m = stop - r0 < ROWS ? stop - r0 : ROWS;
    // Feature-major staging; rows past the block repeat its last row.
    for (int r = 0; r < ROWS; ++r) {
      const T* x = a.X + (r0 + (r < m ? r : m - 1)) * d;
      for (int64_t f = 0; f < d; ++f) staging[f * ROWS + r] = static_cast<double>(x[f]);
    }
    for (int64_t f = 0; f < d; ++f)
      for (int v = 0; v < NV; ++v) xt[f * NV + v] = S::dload(staging + f * ROWS + v * S::WD);
    vd best[NV], label[NV];
    for (int v = 0; v < NV; ++v) {
      best[v] = S::dset1(std::numeric_limits<double>::infinity());
      label[v] = S::dzero();
    }
    for (int64_t j = 0; j < k; ++j) {
      lowd_tile_sq_dists<S, D, NV>(xt, a.centers + j * d, d, dist);
      const vd jv = S::dset1(static_cast<double>(j));
      for (int v = 0; v < NV; ++v) S::dtake_less(best[v], label[v], dist[v], jv);
    }
    for (int v = 0; v < NV; ++v) {
      S::dstore(best_sq + v * S::WD, best[v]);
      S::dstore(best_label + v * S::WD, label[v]);
    }
    for (int64_t r = 0; r < m; ++r) {
      const int64_t i = r0 + r;
      // An infinite F everywhere (not reachable from the working space)
      // leaves the label at 0, as the scalar path's first-centre start does.
      update.take(a.X + i * d, a.sample_weight[i], static_cast<int32_t>(best_label[r]),
                  best_sq[r], a.labels[i]);
    }
  }
  update.finish(a, b);
  a.n_rechecked[b] = 0;
  a.n_candidates[b] = 0;
}

}  // namespace kmeanslab
