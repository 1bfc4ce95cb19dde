#include "screen_rows.h"

#include <cmath>
#include <type_traits>

#include "bound.h"

namespace kmeanslab {

template <class T>
void screen_rows(const T* X, int64_t n, int64_t d, float* x32, double* norm, double* error,
                 int n_threads) {
  const double up = 1.0 + 4.0 * (static_cast<double>(d) + 2.0) * U64;
#pragma omp parallel for schedule(static) num_threads(n_threads > 0 ? n_threads : 1)
  for (int64_t i = 0; i < n; ++i) {
    const T* x = X + i * d;
    double sq = 0.0, sq_err = 0.0;
    for (int64_t f = 0; f < d; ++f) {
      const float v = static_cast<float>(x[f]);
      if constexpr (!std::is_same_v<T, float>) x32[i * d + f] = v;
      sq += static_cast<double>(v) * v;
      const double err = static_cast<double>(x[f]) - static_cast<double>(v);
      sq_err += err * err;
    }
    norm[i] = std::sqrt(sq) * up;
    error[i] = std::sqrt(sq_err) * up;
  }
}

template void screen_rows<float>(const float*, int64_t, int64_t, float*, double*, double*, int);
template void screen_rows<double>(const double*, int64_t, int64_t, float*, double*, double*, int);

}  // namespace kmeanslab
