// AVX2 + FMA operations for the templated kernels (lowd.h, screen.h,
// exact_simd.h). Only lloyd_avx2.cpp includes this file; it is compiled
// with -mavx2 -mfma and only called once the CPU has been checked for both.
#pragma once

#include <immintrin.h>

namespace kmeanslab {

struct Avx2 {
  static constexpr int W = 8;    // float32 lanes
  static constexpr int WD = 4;   // float64 lanes
  using vf = __m256;
  using vd = __m256d;

  static vf fzero() { return _mm256_setzero_ps(); }
  static vf fload(const float* p) { return _mm256_loadu_ps(p); }
  static vf fset1(float v) { return _mm256_set1_ps(v); }
  static vf fmadd(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
  static void fstore(float* p, vf v) { _mm256_storeu_ps(p, v); }
  static vf fmin(vf a, vf b) { return _mm256_min_ps(a, b); }
  static float fhmin(vf v) {
    __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_min_ps(m, _mm_movehl_ps(m, m));
    m = _mm_min_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
  }
  // Bit l set where lane l of a is <= t (false for NaN).
  static unsigned fle_mask(vf a, vf t) {
    return static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(a, t, _CMP_LE_OQ)));
  }

  static vd dzero() { return _mm256_setzero_pd(); }
  static vd dset1(double v) { return _mm256_set1_pd(v); }
  static vd dload(const double* p) { return _mm256_loadu_pd(p); }
  static vd dload(const float* p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }
  static void dstore(double* p, vd v) { _mm256_storeu_pd(p, v); }
  static vd dsub(vd a, vd b) { return _mm256_sub_pd(a, b); }
  static vd dmul(vd a, vd b) { return _mm256_mul_pd(a, b); }
  static vd dadd(vd a, vd b) { return _mm256_add_pd(a, b); }
  // Lanes of b where b < a strictly, else a's; the same choice for c/d.
  static void dtake_less(vd& best, vd& best_label, vd value, vd label) {
    const vd less = _mm256_cmp_pd(value, best, _CMP_LT_OQ);
    best = _mm256_blendv_pd(best, value, less);
    best_label = _mm256_blendv_pd(best_label, label, less);
  }
};

}  // namespace kmeanslab
