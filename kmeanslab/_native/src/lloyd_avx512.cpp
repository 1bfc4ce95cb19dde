// The AVX-512 instantiation of the step (compiled with -mavx512f/bw/vl/dq).
#include "lloyd_simd.h"
#include "simd_avx512.h"

namespace kmeanslab {

template <class T>
void lloyd_step_avx512(const StepArgs<T>& a, int n_threads) {
  lloyd_step_simd<Avx512, T>(a, n_threads);
}

template void lloyd_step_avx512<float>(const StepArgs<float>&, int);
template void lloyd_step_avx512<double>(const StepArgs<double>&, int);

}  // namespace kmeanslab
