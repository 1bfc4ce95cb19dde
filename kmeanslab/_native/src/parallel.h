// Threads: the rows are split into blocks by the caller from n_samples alone
// (kmeanslab._kernels.common.block_starts), each block writes only its own
// slice of the outputs, and the caller reduces the slices in block order.
// Which thread runs which block therefore changes nothing in the results.
#pragma once

#include <cstdint>

namespace kmeanslab {

// Calls body(b) for every block b in [0, n_blocks) on at most n_threads
// OpenMP threads (blocks handed out one at a time, so a thread slowed by a
// busy machine does not hold up the others).
template <class Body>
void parallel_blocks(int64_t n_blocks, int n_threads, const Body& body) {
  if (n_threads <= 1 || n_blocks <= 1) {
    for (int64_t b = 0; b < n_blocks; ++b) body(b);
    return;
  }
#pragma omp parallel for schedule(dynamic, 1) num_threads(n_threads)
  for (int64_t b = 0; b < n_blocks; ++b) body(b);
}

}  // namespace kmeanslab
