"""Triton kernels for CUDA tensors, imported only by the torch backend, never
at ``import kmeanslab`` (the rest of ``kmeanslab._kernels`` is numba).

- :func:`assign_top2`: fused assignment, tiles of X·Cᵀ with a running best and
  second-best centre per row; the n×k matrix is never written to memory.
- :func:`segment_sums`: deterministic centre-update sums (sort by label, then
  fixed-order segment sums in float64, no atomics).
- :func:`row_sq_norms`: squared row norms in float32.
- :class:`SilhouetteSums`: sums of distances from rows to every cluster for
  the exact silhouette (rows sorted by cluster, no n×n matrix, no atomics).

The host wrappers allocate their outputs and launch the kernels. Kernels are
handed to ``triton.jit`` at their first launch (see ``_launch.py``), so
``TRITON_INTERPRET=1`` (Triton's CPU interpreter, on CPU tensors) is read when
a kernel runs, not when this package is imported.
"""

from ._assign import assign_top2
from ._segments import row_sq_norms, segment_sums
from ._silhouette import SilhouetteSums

__all__ = ["SilhouetteSums", "assign_top2", "row_sq_norms", "segment_sums"]
