// The AVX2 + FMA instantiation of the step (compiled with -mavx2 -mfma).
#include "lloyd_simd.h"
#include "simd_avx2.h"

namespace kmeanslab {

template <class T>
void lloyd_step_avx2(const StepArgs<T>& a, int n_threads) {
  lloyd_step_simd<Avx2, T>(a, n_threads);
}

template void lloyd_step_avx2<float>(const StepArgs<float>&, int);
template void lloyd_step_avx2<double>(const StepArgs<double>&, int);

}  // namespace kmeanslab
