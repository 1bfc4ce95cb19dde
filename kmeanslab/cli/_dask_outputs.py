"""``kmeanslab fit --workers/--scheduler`` on data larger than memory: the
input read in chunks on the workers, the per-point table computed there and
written a few blocks at a time, the figures drawn from a sample of rows.

The client never holds all the rows or all the labels: at most a few blocks
of the per-point table (:func:`kmeanslab.backends.dask._files.write_point_tables`)
and ``_SCATTER_MAX_POINTS`` sampled rows for the cluster figure.
"""

from __future__ import annotations

from types import SimpleNamespace

from .fit import _AMBIGUITY, _SCATTER_MAX_POINTS, _TABLES, _FitOutputs
from .options import CommandError, cli_message

__all__ = ["DaskFitOutputs", "load_dask_data"]


def load_dask_data(path, columns, standardize, header=None, keep_index=False):
    """:func:`kmeanslab.cli.options.load_data` for a Dask fit: ``(table,
    X_model, scaler)`` with ``table.X`` and ``X_model`` lazy dask arrays
    (standardizing takes one pass for the means and deviations)."""
    from ..backends.dask._files import open_table
    from ..io import DataFileError

    try:
        table = open_table(path, columns=columns, header=header,
                           keep_index=keep_index)
    except DataFileError as exc:
        raise CommandError(cli_message(str(exc))) from None
    except (TypeError, ValueError) as exc:  # a malformed --columns
        raise CommandError(f"--columns: {cli_message(str(exc))}") from None
    X = table.X
    if not standardize:
        return table, X, None
    import dask
    import numpy as np
    from sklearn.preprocessing import StandardScaler

    mean, var = dask.compute(X.mean(axis=0, dtype=np.float64),
                             X.var(axis=0, dtype=np.float64))
    scaler = StandardScaler()
    scaler.mean_, scaler.var_ = mean, var
    # As scikit-learn does: constant features are left unscaled.
    scaler.scale_ = np.where(var > 0, np.sqrt(var), 1.0)
    scaler.n_features_in_, scaler.n_samples_seen_ = X.shape[1], X.shape[0]
    X_model = ((X - mean) / scaler.scale_).astype(X.dtype)
    return table, X_model, scaler


class DaskFitOutputs(_FitOutputs):
    """What ``kmeanslab fit`` derives from a fit on Dask, and writes,
    without gathering the rows: sizes reduced on the workers, the labels
    table written block by block, the cluster figure from at most
    ``_SCATTER_MAX_POINTS`` sampled rows, no silhouette."""

    def compute(self, progress=None):
        import dask.array as da

        from ..backends.dask._files import point_tables, sample_rows

        model = self.model
        centers = model.cluster_centers_
        self.centers = (centers if self.scaler is None
                        else self.scaler.inverse_transform(centers))
        labels = model.labels_
        self.sizes = da.bincount(labels, minlength=model.n_clusters).compute()
        n_samples = self.X.shape[0]
        # point_diagnostics' default temperature: the mean squared distance
        # to the nearest centre, which is the fit's inertia per sample.
        self.diagnostics = point_tables(self.X_model, centers, labels,
                                        ambiguity=_AMBIGUITY,
                                        temperature=model.inertia_ / n_samples)
        self.n_ambiguous = 0
        self.silhouette_skipped = ("on a Dask cluster (its exact O(n^2) "
                                   "computation needs every sample in one process)")
        self.sample_model, self.sample_labels = sample_rows(
            self.X_model, labels, _SCATTER_MAX_POINTS)
        self.sample_X = (self.sample_model if self.scaler is None
                         else sample_rows(self.X, labels, _SCATTER_MAX_POINTS)[0])

    def _prepare(self, frame):
        import numpy as np

        self.n_ambiguous += int(frame["ambiguous"].sum())
        # With one centre there is no runner-up: empty, not infinite.
        for column in ("second_distance", "margin"):
            frame[column] = frame[column].where(np.isfinite(frame[column]))
        return frame

    def write_tables(self, out_dir, table_format, force):
        import pandas as pd

        from ..backends.dask._files import write_point_tables
        from ..io import atomic_write, write_table

        self.n_ambiguous = 0
        written = [atomic_write(
            out_dir / f"labels.{table_format}",
            lambda tmp: write_point_tables(tmp, self.diagnostics, table_format,
                                           prepare=self._prepare),
            force=force)]
        names = _TABLES[1:] + (("moves",) if self.model.refine else ())
        centers = pd.DataFrame(self.centers, columns=self.names)
        centers.insert(0, "size", self.sizes)
        centers.insert(0, "cluster", range(len(self.sizes)))
        tables = [centers, self.model.trace_.to_pandas()]
        if self.model.refine:
            tables.append(self.model.trace_.moves_to_pandas())
        if table_format == "parquet":
            # Parquet wants one type per column: lists of ints, not objects.
            tables[1]["relocated"] = tables[1]["relocated"].map(
                lambda clusters: [int(c) for c in clusters])
        return written + [write_table(out_dir / f"{name}.{table_format}", table,
                                      force=force)
                          for name, table in zip(names, tables)]

    def _draw_clusters(self, ax):
        # The in-memory figure, drawn from the sampled rows.
        sample = SimpleNamespace(
            X=self.sample_X, X_model=self.sample_model, centers=self.centers,
            names=self.names, lang=self.lang,
            model=SimpleNamespace(labels_=self.sample_labels,
                                  cluster_centers_=self.model.cluster_centers_))
        return _FitOutputs._draw_clusters(sample, ax)

    def _n_ambiguous(self):
        return self.n_ambiguous
