// The update half of the fused step: a labelled row joins its block's
// statistics. Rows are added in row order within a block and blocks are
// reduced in block order by the caller, so the sums do not depend on the
// thread count; every path calls this same code, so they do not depend on
// the path either.
#pragma once

#include <cstdint>

#include "step.h"

namespace kmeanslab {

template <class T>
struct BlockUpdate {
  double* sums;       // OUT (k, d): this block's slice of StepArgs::sums
  double* weights;    // OUT (k,)
  int64_t* counts;    // OUT (k,)
  int64_t n_features;
  int64_t changed = 0;
  double inertia = 0.0;

  BlockUpdate(const StepArgs<T>& a, int64_t block)
      : sums(a.sums + block * a.n_clusters * a.n_features),
        weights(a.weights + block * a.n_clusters),
        counts(a.counts + block * a.n_clusters),
        n_features(a.n_features) {
    for (int64_t j = 0; j < a.n_clusters * a.n_features; ++j) sums[j] = 0.0;
    for (int64_t j = 0; j < a.n_clusters; ++j) {
      weights[j] = 0.0;
      counts[j] = 0;
    }
  }

  // IN x (d,): the row; IN w: its weight; IN label, IN sq_dist: F to that
  // centre; INOUT old_label: the row's label, replaced.
  inline void take(const T* x, T w, int32_t label, double sq_dist, int32_t& old_label) {
    changed += old_label != label;
    old_label = label;
    const double weight = static_cast<double>(w);
    // A float32 weight times a float32 value is exact in float64.
    inertia += weight * sq_dist;
    weights[label] += weight;
    // counts holds the rows of positive weight: a cluster is empty when it
    // has none (a zero-weight row cannot give it a mean).
    counts[label] += weight > 0;
    double* s = sums + label * n_features;
    for (int64_t f = 0; f < n_features; ++f) s[f] += weight * static_cast<double>(x[f]);
  }

  void finish(const StepArgs<T>& a, int64_t block) const {
    a.n_changed[block] = changed;
    a.inertia[block] = inertia;
  }
};

}  // namespace kmeanslab
