"""Numba kernels. No validation, warnings or Python objects here: callers
allocate every buffer and pass contiguous float32/float64 arrays."""
