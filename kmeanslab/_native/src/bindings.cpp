// The Python binding of the core (module kmeanslab._native._core): every
// array's dtype, shape and contiguity is checked here, once per call, and
// the GIL is released while the kernels run. The Python wrappers
// (kmeanslab/_native/__init__.py) allocate the outputs.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <stdexcept>
#include <string>

#include "dispatch.h"
#include "screen_rows.h"

namespace nb = nanobind;
using namespace kmeanslab;

template <class T, size_t N>
using In = nb::ndarray<const T, nb::ndim<N>, nb::c_contig, nb::device::cpu>;
template <class T, size_t N>
using Out = nb::ndarray<T, nb::ndim<N>, nb::c_contig, nb::device::cpu>;

namespace {

void require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(std::string("kmeanslab._native: ") + what);
}

template <class T>
void lloyd_step_py(In<T, 2> X, In<T, 1> sample_weight, In<double, 2> centers,
                   In<int64_t, 1> starts, In<float, 2> x32, In<double, 1> norm,
                   In<double, 1> error, Out<int32_t, 1> labels, Out<double, 3> sums,
                   Out<double, 2> weights, Out<int64_t, 2> counts, Out<int64_t, 1> n_changed,
                   Out<double, 1> inertia, Out<int64_t, 1> n_rechecked,
                   Out<int64_t, 1> n_candidates, int isa, int n_threads) {
  StepArgs<T> a;
  a.n_samples = static_cast<int64_t>(X.shape(0));
  a.n_features = static_cast<int64_t>(X.shape(1));
  a.n_clusters = static_cast<int64_t>(centers.shape(0));
  a.n_blocks = static_cast<int64_t>(starts.shape(0)) - 1;
  const int64_t n = a.n_samples, d = a.n_features, k = a.n_clusters, nb_ = a.n_blocks;
  require(d >= 1 && k >= 1 && nb_ >= 1, "empty X, centers or starts");
  require(static_cast<int64_t>(centers.shape(1)) == d, "centers must have X's n_features");
  require(static_cast<int64_t>(sample_weight.shape(0)) == n, "sample_weight must have n rows");
  require(static_cast<int64_t>(labels.shape(0)) == n, "labels must have n rows");
  require(starts.data()[0] == 0 && starts.data()[nb_] == n, "starts must run from 0 to n");
  for (int64_t b = 0; b < nb_; ++b)
    require(starts.data()[b] <= starts.data()[b + 1], "starts must not decrease");
  require(static_cast<int64_t>(sums.shape(0)) == nb_ && static_cast<int64_t>(sums.shape(1)) == k &&
              static_cast<int64_t>(sums.shape(2)) == d,
          "sums must be (n_blocks, k, d)");
  require(static_cast<int64_t>(weights.shape(0)) == nb_ && static_cast<int64_t>(weights.shape(1)) == k,
          "weights must be (n_blocks, k)");
  require(static_cast<int64_t>(counts.shape(0)) == nb_ && static_cast<int64_t>(counts.shape(1)) == k,
          "counts must be (n_blocks, k)");
  for (auto size : {n_changed.shape(0), inertia.shape(0), n_rechecked.shape(0), n_candidates.shape(0)})
    require(static_cast<int64_t>(size) == nb_, "per-block outputs must have n_blocks entries");
  const bool screens = d >= LOWD_MAX;
  if (screens) {
    require(static_cast<int64_t>(x32.shape(0)) == n && static_cast<int64_t>(x32.shape(1)) == d,
            "x32 must be (n, d)");
    require(static_cast<int64_t>(norm.shape(0)) == n && static_cast<int64_t>(error.shape(0)) == n,
            "norm and error must have n rows");
  }
  require(isa >= 0 && isa <= static_cast<int>(Isa::avx512), "unknown isa");
  a.X = X.data();
  a.sample_weight = sample_weight.data();
  a.centers = centers.data();
  a.starts = starts.data();
  a.screen = ScreenRows{x32.data(), norm.data(), error.data()};
  a.labels = labels.data();
  a.sums = sums.data();
  a.weights = weights.data();
  a.counts = counts.data();
  a.n_changed = n_changed.data();
  a.inertia = inertia.data();
  a.n_rechecked = n_rechecked.data();
  a.n_candidates = n_candidates.data();
  nb::gil_scoped_release release;
  lloyd_step(a, static_cast<Isa>(isa), n_threads);
}

template <class T>
void screen_rows_py(In<T, 2> X, Out<float, 2> x32, Out<double, 1> norm, Out<double, 1> error,
                    int n_threads) {
  const int64_t n = static_cast<int64_t>(X.shape(0)), d = static_cast<int64_t>(X.shape(1));
  require(static_cast<int64_t>(norm.shape(0)) == n && static_cast<int64_t>(error.shape(0)) == n,
          "norm and error must have n rows");
  if constexpr (!std::is_same_v<T, float>)
    require(static_cast<int64_t>(x32.shape(0)) == n && static_cast<int64_t>(x32.shape(1)) == d,
            "x32 must be (n, d)");
  nb::gil_scoped_release release;
  screen_rows(X.data(), n, d, x32.data(), norm.data(), error.data(), n_threads);
}

}  // namespace

NB_MODULE(_core, m) {
  m.doc() = "kmeanslab's compiled kernels (see kmeanslab/_native/__init__.py).";
  m.def("best_isa", [] { return static_cast<int>(best_isa()); },
        "The highest instruction set level this CPU runs: 0 scalar, 1 AVX2, 2 AVX-512.");
  m.attr("LOWD_MAX") = LOWD_MAX;
  m.def("lloyd_step", &lloyd_step_py<float>);
  m.def("lloyd_step", &lloyd_step_py<double>);
  m.def("screen_rows", &screen_rows_py<float>);
  m.def("screen_rows", &screen_rows_py<double>);
}
