// The arguments of one Lloyd step, as raw pointers and sizes.
//
// The caller (bindings.cpp, checked there once per call) owns every buffer;
// the kernels only read the IN arrays and write the OUT arrays.
#pragma once

#include <cstdint>

namespace kmeanslab {

// The instruction sets a kernel has a variant for, lowest first. A forced
// level (KMEANSLAB_ISA) selects it or any lower one.
enum class Isa : int { scalar = 0, avx2 = 1, avx512 = 2 };

// What the screen needs of the rows, made once per fit (see screen_copy in
// bindings.cpp): the rows rounded to float32 and, per row, the float64 norm
// of that copy and of its rounding error.
struct ScreenRows {
  const float* x32 = nullptr;      // IN (n, d): float32 copy of X (X itself for float32 data)
  const double* norm = nullptr;    // IN (n,): ||x32_i||, rounded up
  const double* error = nullptr;   // IN (n,): ||x_i - x32_i||, rounded up (0 for float32 data)
};

template <class T>
struct StepArgs {
  int64_t n_samples = 0, n_features = 0, n_clusters = 0, n_blocks = 0;
  const T* X = nullptr;                 // IN (n, d), C-contiguous
  const T* sample_weight = nullptr;     // IN (n,)
  const double* centers = nullptr;      // IN (k, d): the centres, exactly (float32 centres widened)
  const int64_t* starts = nullptr;      // IN (n_blocks + 1,): the fixed partition of the rows
  ScreenRows screen;                    // IN: used when the step screens (n_features >= LOWD_MAX)
  int32_t* labels = nullptr;            // INOUT (n,): previous labels in, nearest centre out
  double* sums = nullptr;               // OUT (n_blocks, k, d): weighted sums of the rows per cluster
  double* weights = nullptr;            // OUT (n_blocks, k): total weight per cluster
  int64_t* counts = nullptr;            // OUT (n_blocks, k): rows of positive weight per cluster
  int64_t* n_changed = nullptr;         // OUT (n_blocks,): rows whose label changed
  double* inertia = nullptr;            // OUT (n_blocks,): sum of w * F(x, centre of its label)
  int64_t* n_rechecked = nullptr;       // OUT (n_blocks,): rows the screen could not decide
  int64_t* n_candidates = nullptr;      // OUT (n_blocks,): centres measured exactly for those rows
};

// Below this many features the step measures every distance exactly
// (lowd.h); from it on it screens in float32 and rechecks (screen.h). At 16
// features the float32 screen with its recheck and the exact float64 pass
// cost about the same per distance on AVX2 (measured, 1M rows, k = 8 to 256).
constexpr int64_t LOWD_MAX = 16;

// One Lloyd step over all blocks with n_threads threads, per instruction
// set. Every variant gives the same labels, statistics and inertia to the
// bit (the rule is exact.h's; the additions are made in the same order).
template <class T> void lloyd_step_scalar(const StepArgs<T>& a, int n_threads);
template <class T> void lloyd_step_avx2(const StepArgs<T>& a, int n_threads);
template <class T> void lloyd_step_avx512(const StepArgs<T>& a, int n_threads);

}  // namespace kmeanslab
