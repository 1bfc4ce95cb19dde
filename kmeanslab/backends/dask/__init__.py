"""Dask backend: k-means on a row-chunked ``dask.array.Array`` or Dask DataFrame.

The fit driver and the engine loop (``kmeanslab._engine.run_single``) run
unchanged on the client; a pass over the data is one task per row block
(or per group of blocks, for the steps).

- Each block's rows and weights are packed into one (persisted) result, so
  the scheduler never moves one to meet the other.
- A step runs one task per worker thread over the persisted blocks that
  thread's worker holds (:attr:`DaskBackend.groups`, bundled once), not one
  per block: the scheduler's work and the client's per step grow with the
  number of worker threads. Each block is assigned by the engine's fused
  Lloyd kernel, or on persisted blocks by Hamerly's bounded kernel with its
  bounds kept beside the block's labels (``algorithm="auto"`` runs Hamerly,
  which gives Lloyd's result). A task returns its blocks' new labels (and bounds),
  which stay where they were computed for the next step, and each block's
  partial sums, weights, counts, changed labels and inertia, which alone
  travel to one reduction task that adds them in block order with a tree
  of fixed shape: a fit is bitwise reproducible for a given chunking,
  whatever the workers, their timing or the grouping. One submission per
  step keeps the new labels and brings the reduced total back.
- The centres enter the graph once per pass as one literal node that the
  block tasks depend on: each worker fetches them once, and (unlike
  scattered data) they can be recomputed, so a lost worker's blocks are
  rebuilt from their lineage (redoing the steps so far for those blocks)
  and the fit ends exactly as it would have undisturbed.
- Seeding: on data large next to ``n_clusters`` "k-means||" clusters a
  weighted sample in memory (:func:`kmeanslab.init.sample_init`, one pass);
  otherwise each k-means|| round is one pass and one task per block that
  folds in the previous round's candidates and offers its candidates, and
  one small selection task (:mod:`._seeding`), the weights pass folding in
  the last round's candidates; persisted, the whole seeding is one
  submission.
- Breathing k-means runs the in-memory search (:mod:`kmeanslab.breathing`)
  with its per-cluster errors and removal utilities reduced on the workers.

Work runs on the active ``distributed.Client`` when there is one, else on
Dask's default local scheduler. Within a task the kernels run serially
(compiled without ``parallel`` from the same functions): Dask provides the
parallelism across blocks, and parallel kernels inside threaded workers
would oversubscribe the cores (and are unsafe under numba's workqueue layer).

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
