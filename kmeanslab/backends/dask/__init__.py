"""Dask backend: k-means on a row-chunked ``dask.array.Array`` or Dask DataFrame.

The fit driver and the engine loop (``kmeanslab._engine.run_single``) run
unchanged on the client; every pass over the data is one task per row block.

- Each block's rows and weights are packed into one (persisted) result, so
  the scheduler never moves one to meet the other.
- ``step`` runs the engine's fused Lloyd kernel on each block with that
  block's previous labels (to count the changed ones). A task returns the
  block's new labels, which stay where they were computed (persisted, and
  next step's task for the block runs there), and its partial sums, weights,
  counts, changed labels and inertia, which alone travel to a reduction tree
  of fixed shape that adds them in block order: a fit is bitwise
  reproducible for a given chunking whatever the workers or their timing.
- The centres enter the graph once per pass as one literal node that the
  block tasks depend on: each worker fetches them once, and (unlike
  scattered data) they can be recomputed, so a lost worker's blocks are
  rebuilt from their lineage (redoing the steps so far for those blocks)
  and the fit ends exactly as it would have undisturbed.
- The k-means|| candidate rounds are one graph (every round's sampling
  depends on the previous round's potential inside the graph), so they cost
  one round trip to the scheduler rather than two per round.

Work runs on the active ``distributed.Client`` when there is one, else on
Dask's default local scheduler. Within a task the kernels run serially
(compiled without ``parallel`` from the same functions): Dask provides the
parallelism across blocks, and parallel kernels inside threaded workers
would oversubscribe the cores (and are unsafe under numba's workqueue layer).

Only Lloyd runs here: "hamerly", "elkan" and "auto" fall back to it (the
bounds would have to live beside the labels on the workers, for little gain
when a pass is dominated by scheduling or reading the data).

Modules: ``_input`` (X and weights as dask arrays, estimator input checks),
``_client`` (connecting to a scheduler), ``_tasks`` (what runs on a block),
``_graph`` (task keys, the reduction tree, labels held per block),
``_seeding`` (weighted sampling and the k-means|| rounds) and ``_backend``
(:class:`DaskBackend`, lazy predict and transform). The fit itself is
:func:`kmeanslab.core.fit_dask` (or :func:`kmeanslab.kmeans` on a dask
collection).
"""

try:
    import dask  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "the Dask backend needs dask: pip install kmeanslab[dask]") from exc

from ._backend import DaskBackend, predict_dask, transform_dask
from ._client import connect
from ._input import as_dask_array, feature_names, validate_dask_X

__all__ = ["DaskBackend", "as_dask_array", "connect", "feature_names",
           "predict_dask", "transform_dask", "validate_dask_X"]
