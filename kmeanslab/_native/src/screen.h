// Many features (d >= LOWD_MAX): screen every (row, centre) pair in float32
// with FMA, keep the centres the bound (bound.h) cannot rule out, and decide
// those by the rule (exact.h). The distance matrix never leaves a tile of
// ROW_TILE rows, and the selection runs on it while it is in L1/L2.
//
// Layout. The centres are packed once per step into panels of NR = 2 W
// centres, feature-major (panel[f][l] is centre l's feature f), so the
// micro-kernel reads each panel with unit stride; the rows are read from the
// float32 copy made once per fit. The micro-kernel keeps an MR x NR block of
// dot products in 2 MR vector registers (12 of AVX2's 16, 12 of AVX-512's 32)
// and per feature does 2 loads, MR broadcasts and 2 MR FMAs.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "bound.h"
#include "exact_simd.h"
#include "update.h"

namespace kmeanslab {

constexpr int MR = 6;
// Rows whose screened distances are held at once: ROW_TILE x k float32
// (192 KiB at k = 1024) stays in L2 beside one panel group.
constexpr int64_t ROW_TILE = 48;
// Bytes of packed centres a panel group may take: it is reused by every
// row of a tile, so it must stay in L2 (half of a 512 KiB L2 minus the tile).
constexpr int64_t GROUP_BYTES = 96 * 1024;

template <int NR>
struct PackedCenters {
  int64_t n_panels = 0, n_features = 0;
  std::vector<float> panels;   // (n_panels, d, NR)
  std::vector<float> sq_norm;  // (n_panels * NR,): fl32(||c||^2), +inf past the last centre
  CenterNorms norms{0.0, 0.0, 0.0};
  bool fits = true;            // false: the float32 screen could overflow

  // IN centers (k, d), float64.
  PackedCenters(const double* centers, int64_t k, int64_t d)
      : n_panels((k + NR - 1) / NR), n_features(d),
        panels(static_cast<size_t>((k + NR - 1) / NR * NR * d), 0.0f),
        sq_norm(static_cast<size_t>((k + NR - 1) / NR * NR),
                std::numeric_limits<float>::infinity()) {
    const double up = 1.0 + 4.0 * (static_cast<double>(d) + 2.0) * U64;
    for (int64_t j = 0; j < k; ++j) {
      const double* c = centers + j * d;
      float* panel = panels.data() + (j / NR) * d * NR + j % NR;
      double sq = 0.0, sq32 = 0.0, sq_err = 0.0;
      for (int64_t f = 0; f < d; ++f) {
        const float c32 = static_cast<float>(c[f]);
        panel[f * NR] = c32;
        sq += c[f] * c[f];
        sq32 += static_cast<double>(c32) * c32;
        const double err = c[f] - static_cast<double>(c32);
        sq_err += err * err;
      }
      sq_norm[j] = static_cast<float>(sq);
      norms.norm = std::fmax(norms.norm, std::sqrt(sq) * up);
      norms.norm32 = std::fmax(norms.norm32, std::sqrt(sq32) * up);
      norms.error = std::fmax(norms.error, std::sqrt(sq_err) * up);
    }
    fits = norms.norm * norms.norm < SCREEN_MAX && norms.norm32 * norms.norm32 < SCREEN_MAX;
  }

  const float* panel(int64_t p) const { return panels.data() + p * n_features * NR; }
};

// The MR x NR screened distances D = s - 2 p of MR rows to one panel.
// IN rows[MR] (d,), IN panel (d, NR), IN sq_norm (NR,); OUT out rows of ld.
template <class S>
inline void screen_micro(const float* const* rows, const float* panel, int64_t d,
                         const float* sq_norm, float* out, int64_t ld) {
  using vf = typename S::vf;
  constexpr int W = S::W;
  vf acc[MR][2];
#pragma GCC unroll 6
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = S::fzero();
  for (int64_t f = 0; f < d; ++f) {
    const vf b0 = S::fload(panel + f * 2 * W);
    const vf b1 = S::fload(panel + f * 2 * W + W);
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) {
      const vf a = S::fset1(rows[r][f]);
      acc[r][0] = S::fmadd(a, b0, acc[r][0]);
      acc[r][1] = S::fmadd(a, b1, acc[r][1]);
    }
  }
  const vf s0 = S::fload(sq_norm), s1 = S::fload(sq_norm + W), m2 = S::fset1(-2.0f);
#pragma GCC unroll 6
  for (int r = 0; r < MR; ++r) {
    S::fstore(out + r * ld, S::fmadd(m2, acc[r][0], s0));
    S::fstore(out + r * ld + W, S::fmadd(m2, acc[r][1], s1));
  }
}

// Row i's label among all k centres by the rule alone (no screen): rows
// whose screen could overflow. Returns the label; OUT sq: its F.
template <class S, class T>
inline int32_t exact_nearest(const T* x, const double* centers, int64_t k, int64_t d, double& sq) {
  int32_t best = 0;
  sq = exact_sq_dist<S>(x, centers, d);
  for (int64_t j = 1; j < k; ++j) {
    const double v = exact_sq_dist<S>(x, centers + j * d, d);
    if (v < sq) {
      sq = v;
      best = static_cast<int32_t>(j);
    }
  }
  return best;
}

// One block of rows [starts[b], starts[b + 1]) of a screened step.
template <class S, class T>
void screen_block(const StepArgs<T>& a, const PackedCenters<2 * S::W>& packed, int64_t b) {
  using vf = typename S::vf;
  constexpr int W = S::W, NR = 2 * W;
  const int64_t d = a.n_features, k = a.n_clusters;
  const int64_t k_padded = packed.n_panels * NR;
  const int64_t group = std::max<int64_t>(1, GROUP_BYTES / (NR * d * 4));
  const ScreenBound bound(d, packed.norms);
  std::vector<float> tile(static_cast<size_t>(ROW_TILE * k_padded));
  std::vector<int32_t> candidates(static_cast<size_t>(k));
  BlockUpdate<T> update(a, b);
  int64_t n_rechecked = 0, n_candidates = 0;
  const int64_t start = a.starts[b], stop = a.starts[b + 1];
  for (int64_t r0 = start; r0 < stop; r0 += ROW_TILE) {
    const int64_t m = std::min(ROW_TILE, stop - r0);
    if (packed.fits) {
      for (int64_t g0 = 0; g0 < packed.n_panels; g0 += group) {
        const int64_t g1 = std::min(packed.n_panels, g0 + group);
        for (int64_t t0 = 0; t0 < m; t0 += MR) {
          const float* rows[MR];
          for (int r = 0; r < MR; ++r)
            rows[r] = a.screen.x32 + (r0 + std::min<int64_t>(t0 + r, m - 1)) * d;
          float* out = tile.data() + t0 * k_padded;
          for (int64_t p = g0; p < g1; ++p)
            screen_micro<S>(rows, packed.panel(p), d, packed.sq_norm.data() + p * NR,
                            out + p * NR, k_padded);
        }
      }
    }
    for (int64_t r = 0; r < m; ++r) {
      const int64_t i = r0 + r;
      const T* x = a.X + i * d;
      const double xn = a.screen.norm[i], xe = a.screen.error[i];
      double sq = 0.0;
      int32_t label = 0;
      if (!packed.fits || !(xn * packed.norms.norm32 < SCREEN_MAX)) {
        label = exact_nearest<S>(x, a.centers, k, d, sq);
        n_rechecked += 1;
        n_candidates += k;
      } else {
        const float* row = tile.data() + r * k_padded;
        vf lowest = S::fload(row);
        for (int64_t j = W; j < k_padded; j += W) lowest = S::fmin(lowest, S::fload(row + j));
        const float threshold = screen_threshold(S::fhmin(lowest), bound.margin(xn, xe));
        const vf t = S::fset1(threshold);
        int64_t n_found = 0;
        // An infinite threshold would take the padding too: measure all.
        for (int64_t j = 0; j < k_padded && threshold < INFINITY; j += W) {
          unsigned mask = S::fle_mask(S::fload(row + j), t);
          while (mask) {
            candidates[n_found++] = static_cast<int32_t>(j + __builtin_ctz(mask));
            mask &= mask - 1;
          }
        }
        if (n_found == 1) {
          label = candidates[0];
          sq = exact_sq_dist<S>(x, a.centers + label * d, d);
        } else {
          // n_found == 0 only if a distance was NaN or the threshold
          // overflowed; measure every centre then.
          if (n_found == 0) {
            for (int64_t j = 0; j < k; ++j) candidates[j] = static_cast<int32_t>(j);
            n_found = k;
          }
          label = candidates[0];
          sq = exact_sq_dist<S>(x, a.centers + label * d, d);
          for (int64_t c = 1; c < n_found; ++c) {
            const double v = exact_sq_dist<S>(x, a.centers + candidates[c] * d, d);
            if (v < sq) {  // candidates are in increasing index: ties keep the lower
              sq = v;
              label = candidates[c];
            }
          }
          n_rechecked += 1;
          n_candidates += n_found;
        }
      }
      update.take(x, a.sample_weight[i], label, sq, a.labels[i]);
    }
  }
  update.finish(a, b);
  a.n_rechecked[b] = n_rechecked;
  a.n_candidates[b] = n_candidates;
}

}  // namespace kmeanslab
