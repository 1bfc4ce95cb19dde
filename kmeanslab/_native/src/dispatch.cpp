// Run-time dispatch: the CPU's features are read once, and each call runs the
// variant of the level it asks for (at most the detected one).
#include "dispatch.h"

namespace kmeanslab {

Isa best_isa() {
#if KMEANSLAB_X86
  static const Isa detected = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("fma"))
      return Isa::avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::avx2;
    return Isa::scalar;
  }();
  return detected;
#else
  return Isa::scalar;
#endif
}

template <class T>
void lloyd_step(const StepArgs<T>& a, Isa isa, int n_threads) {
  if (isa > best_isa()) isa = best_isa();
  switch (isa) {
#if KMEANSLAB_X86
    case Isa::avx512: return lloyd_step_avx512(a, n_threads);
    case Isa::avx2: return lloyd_step_avx2(a, n_threads);
#endif
    default: return lloyd_step_scalar(a, n_threads);
  }
}

template void lloyd_step<float>(const StepArgs<float>&, Isa, int);
template void lloyd_step<double>(const StepArgs<double>&, Isa, int);

}  // namespace kmeanslab
