// AVX-512 (F, BW, VL, DQ) operations for the templated kernels. Only
// lloyd_avx512.cpp includes this file; it is compiled with those flags and
// only called once the CPU has been checked for them.
#pragma once

#include <immintrin.h>

namespace kmeanslab {

struct Avx512 {
  static constexpr int W = 16;   // float32 lanes
  static constexpr int WD = 8;   // float64 lanes
  using vf = __m512;
  using vd = __m512d;

  static vf fzero() { return _mm512_setzero_ps(); }
  static vf fload(const float* p) { return _mm512_loadu_ps(p); }
  static vf fset1(float v) { return _mm512_set1_ps(v); }
  static vf fmadd(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
  static void fstore(float* p, vf v) { _mm512_storeu_ps(p, v); }
  static vf fmin(vf a, vf b) { return _mm512_min_ps(a, b); }
  static float fhmin(vf v) { return _mm512_reduce_min_ps(v); }
  static unsigned fle_mask(vf a, vf t) {
    return static_cast<unsigned>(_mm512_cmp_ps_mask(a, t, _CMP_LE_OQ));
  }

  static vd dzero() { return _mm512_setzero_pd(); }
  static vd dset1(double v) { return _mm512_set1_pd(v); }
  static vd dload(const double* p) { return _mm512_loadu_pd(p); }
  static vd dload(const float* p) { return _mm512_cvtps_pd(_mm256_loadu_ps(p)); }
  static void dstore(double* p, vd v) { _mm512_storeu_pd(p, v); }
  static vd dsub(vd a, vd b) { return _mm512_sub_pd(a, b); }
  static vd dmul(vd a, vd b) { return _mm512_mul_pd(a, b); }
  static vd dadd(vd a, vd b) { return _mm512_add_pd(a, b); }
  static void dtake_less(vd& best, vd& best_label, vd value, vd label) {
    const __mmask8 less = _mm512_cmp_pd_mask(value, best, _CMP_LT_OQ);
    best = _mm512_mask_blend_pd(less, best, value);
    best_label = _mm512_mask_blend_pd(less, best_label, label);
  }
};

}  // namespace kmeanslab
