"""The sweep over k: :func:`choose_k`, its result :class:`KSelection`, the
evaluation of one k (:class:`_Sweep`) and the running of those tasks, in
order or on a thread pool, behind a progress bar.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from .._rowdist import check_metric
from .._validation import check_int, check_sparse_X, check_X
from ..backends import is_sparse, is_torch_tensor
from ._common import (CRITERIA, CRITERION_ALIASES, REFERENCES, SILHOUETTE_METHODS,
                      SILHOUETTE_STREAM, SkippedKWarning, base_seed, check_choice,
                      check_fit_params, check_ks, check_subsample, format_ks,
                      n_distinct_rows, stream)
from ._explain import criterion_picks, explain, vote
from ._gap import ReferenceSampler, gap_for_k
from ._stability import stability_scores

__all__ = ["KSelection", "SkippedKWarning", "choose_k"]

# tqdm's layout without its rate: "k/s" would read as thousands per second,
# and one k can take minutes. Shows "choose_k:  33%|###    | 3/9 k [00:04<00:08, k=5]".
PROGRESS_FORMAT = ("{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} {unit} "
                   "[{elapsed}<{remaining}{postfix}]")


@dataclass(frozen=True, eq=False)
class KSelection:
    """The outcome of :func:`choose_k`.

    Attributes
    ----------
    ks : tuple of int
        The ks of the table, increasing.
    table : tuple of dict
        One row per k with keys ``k``, ``inertia``, the criteria's columns
        (``silhouette`` [and ``silhouette_low``, ``silhouette_high`` when
        sampled], ``calinski_harabasz``, ``davies_bouldin``, ``gap``,
        ``gap_se``, ``stability``, ``stability_std``), ``n_iter``,
        ``fit_seconds`` (the wall time of the fit, after a warm-up fit has
        compiled the kernels, so that the first k is not charged for it)
        and ``skipped`` (None, or why the k was not scored; its scores are
        then NaN).
    picks : dict of str to int or None
        The k each criterion picks: ``inertia`` the Kneedle elbow, the
        highest ``silhouette``, ``calinski_harabasz`` and ``stability``, the
        lowest ``davies_bouldin`` and the 1-standard-error ``gap`` pick. None
        when a criterion picks nothing (an inertia curve without a knee).
    recommended_k : int or None
        The k most criteria pick; a tie goes to the silhouette's pick when it
        is among the tied ks, otherwise to the smallest tied k.
    explanation : str
        Plain-language reasons for the recommendation.
    models : dict of int to KMeansResult
        The fit of each scored k.
    criteria : tuple of str
        The criteria scored, in the order given; the elbow is named
        "inertia" whether it was asked for as "elbow" or "inertia".
    silhouette : str
        Silhouette method used ("exact", "sampled" or "simplified").
    """

    ks: tuple
    table: tuple = field(repr=False)
    picks: dict = field(default_factory=dict)
    recommended_k: object = None
    explanation: str = field(default="", repr=False)
    models: dict = field(default_factory=dict, repr=False)
    criteria: tuple = CRITERIA
    silhouette: str = "exact"

    def to_pandas(self):
        """The table as a pandas DataFrame indexed by k, with the verdict.

        Returns
        -------
        pandas.DataFrame
            The columns of ``table`` and two more: ``picked_by``, the
            criteria that pick each k (comma-separated, empty for none), and
            ``recommended``, True on the row of ``recommended_k``.
        """
        import pandas as pd

        frame = pd.DataFrame(list(self.table)).set_index("k")
        frame["picked_by"] = [",".join(name for name, k in self.picks.items()
                                       if k == row_k) for row_k in frame.index]
        frame["recommended"] = frame.index == self.recommended_k
        return frame

    def plot(self, fig=None):
        """One panel per criterion, its pick marked, the recommended k shaded.

        Parameters
        ----------
        fig : matplotlib Figure, default=None
            Empty figure to draw into; a new pyplot figure when None.

        Returns
        -------
        matplotlib Figure
        """
        from ..plotting import plot_selection

        return plot_selection(self, fig=fig)

    def summary(self):
        """The table, the picks and the recommendation as text.

        Returns
        -------
        str
        """
        df = self.to_pandas()
        # The ks not scored have no numbers: the explanation lists them (a
        # range beyond the data would otherwise print a row per k).
        df = df[df["skipped"].isna()].drop(columns=["fit_seconds", "skipped",
                                                    "picked_by", "recommended"])
        table = (df.to_string(float_format=lambda value: f"{value:.4g}")
                 if len(df) else "(no k was scored)")
        picks = ", ".join(f"{name}: {'-' if k is None else k}"
                          for name, k in self.picks.items())
        lines = [f"k selection over k = {format_ks(self.ks)}", table,
                 f"picks: {picks}", f"recommended k: {self.recommended_k}",
                 self.explanation]
        return "\n".join(lines)

    def __str__(self):
        return self.summary()


def _threading_layer_is_threadsafe():
    """False for numba's "workqueue" layer, which aborts when parallel
    kernels are launched from several threads at once."""
    import numba

    from ..core import kmeans

    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet: run one
        kmeans(np.array([[0.0], [1.0]]), 1, n_init=1)
        layer = numba.threading_layer()
    return layer != "workqueue"


class _Sweep:
    """Everything the evaluation of one k needs; ``__call__(k)`` is the task
    that runs serially or in a worker thread."""

    def __init__(self, X, criteria, silhouette, silhouette_n_samples, seed,
                 fit_params, n_distinct, n_refs, reference, n_runs, subsample,
                 n_threads, metric="euclidean"):
        self.X = X
        self.metric = metric
        # A torch tensor X is fitted and silhouette-scored on its device;
        # the criteria that run on NumPy data (Calinski-Harabasz,
        # Davies-Bouldin, the simplified silhouette, the gap's reference
        # sampler) share one host copy, made here when one of them is asked.
        self.device = X.device if is_torch_tensor(X) else None
        host_needed = (silhouette == "simplified" and "silhouette" in criteria) or any(
            name in criteria for name in ("calinski_harabasz", "davies_bouldin", "gap"))
        if self.device is not None:
            from ..metrics import _host_copy

            self.X_unit = _host_copy(X) if host_needed else None
            self.fit = _kmeans()
        elif metric == "cosine":
            # Spherical k-means; the centroid-based criteria measure the
            # unit rows (chord distances).
            from ..spherical import spherical_kmeans, unit_rows

            self.fit = spherical_kmeans
            self.X_unit = unit_rows(X)[0]
        else:
            self.fit = _kmeans()
            self.X_unit = X
        self.criteria = criteria
        self.silhouette = silhouette
        self.silhouette_n_samples = silhouette_n_samples
        self.seed = seed
        self.fit_params = dict(fit_params, n_threads=n_threads)
        self.n_distinct = n_distinct
        self.n_refs = n_refs
        self.n_runs = n_runs
        self.subsample = subsample
        self.sampler = (ReferenceSampler(self.X_unit, reference) if "gap" in criteria
                        else None)
        self.columns = _columns(criteria, silhouette)

    def empty_row(self, k, reason):
        row = {name: float("nan") for name in self.columns}
        row.update(k=k, n_iter=0, fit_seconds=float("nan"), skipped=reason)
        return row

    def __call__(self, k):
        from .._threads import thread_limit

        if k > self.n_distinct:
            return self.empty_row(k, f"X has only {self.n_distinct} distinct points, "
                                     f"fewer than k"), None
        with thread_limit(self.fit_params["n_threads"]):
            start = time.perf_counter()
            model = self.fit(self.X, k, random_state=self.seed, **self.fit_params)
            fit_seconds = time.perf_counter() - start
            n_found = int(np.count_nonzero(np.bincount(model.labels, minlength=k)))
            if n_found < k:
                return self.empty_row(k, f"the fit found only {n_found} non-empty "
                                         f"clusters"), model
            row = self.empty_row(k, None)
            row.update(inertia=float(model.inertia), n_iter=int(model.n_iter),
                       fit_seconds=fit_seconds)
            row.update(self._scores(k, model))
        return row, model

    def warm_up(self, k):
        """Fit ``k`` once on a few rows of X with the algorithm the sweep's
        fits will run, so that numba compiles (or loads) their kernels here
        and not inside the first k's ``fit_seconds``."""
        from .._threads import thread_limit
        from ..core import resolve_algorithm

        n_samples, n_features = self.X.shape
        algorithm = resolve_algorithm(self.fit_params.get("algorithm", "auto"),
                                      n_samples, n_features, k,
                                      sparse=is_sparse(self.X))
        rows = self.X[:min(n_samples, max(2 * k, 64))]
        if isinstance(rows, np.ndarray):
            rows = np.ascontiguousarray(rows)
        params = dict(self.fit_params, algorithm=algorithm, n_init=1, max_iter=2)
        with thread_limit(params["n_threads"]), warnings.catch_warnings():
            # A few rows may hold fewer distinct points than k.
            warnings.simplefilter("ignore")
            self.fit(rows, min(k, rows.shape[0]), random_state=0, **params)

    def _scores(self, k, model):
        from .. import metrics

        X, labels, out = self.X, model.labels, {}
        if "silhouette" in self.criteria:
            out.update(self._silhouette(k, model))
        if "calinski_harabasz" in self.criteria:
            out["calinski_harabasz"] = float(
                metrics.calinski_harabasz_score(self.X_unit, labels))
        if "davies_bouldin" in self.criteria:
            out["davies_bouldin"] = float(
                metrics.davies_bouldin_score(self.X_unit, labels))
        if "gap" in self.criteria:
            gap, gap_se, _, _ = gap_for_k(k, model.inertia, self.sampler,
                                          self.seed, self.n_refs, self.fit_params,
                                          device=self.device)
            out.update(gap=gap, gap_se=gap_se)
        if ("stability" in self.criteria
                and k <= int(round(self.subsample * X.shape[0]))):
            scores = stability_scores(X, k, self.n_runs, self.subsample, self.seed,
                                      self.fit_params, fit=self.fit)
            out.update(stability=float(scores.mean()), stability_std=float(scores.std()))
        return out

    def _silhouette(self, k, model):
        from .. import metrics

        X, labels = self.X, model.labels
        if self.silhouette == "exact":
            return {"silhouette": float(metrics.silhouette_score(
                X, labels, metric=self.metric,
                n_threads=self.fit_params["n_threads"]))}
        if self.silhouette == "simplified":
            return {"silhouette": float(metrics.simplified_silhouette(
                self.X_unit, labels, model.centers))}
        est = metrics.silhouette_estimate(
            X, labels, n_samples=self.silhouette_n_samples,
            random_state=stream(self.seed, SILHOUETTE_STREAM, k), metric=self.metric)
        return {"silhouette": float(est.estimate), "silhouette_low": float(est.low),
                "silhouette_high": float(est.high)}


def _kmeans():
    from ..core import kmeans

    return kmeans


def _columns(criteria, silhouette):
    columns = ["k", "inertia"]
    if "silhouette" in criteria:
        columns.append("silhouette")
        if silhouette == "sampled":
            columns += ["silhouette_low", "silhouette_high"]
    for name, extra in (("calinski_harabasz", ()), ("davies_bouldin", ()),
                        ("gap", ("gap_se",)), ("stability", ("stability_std",))):
        if name in criteria:
            columns += [name, *extra]
    return columns + ["n_iter", "fit_seconds", "skipped"]


def _run_tasks(task, ks, n_jobs, progress):
    """``[task(k) for k in ks]``, on ``n_jobs`` threads, with a progress bar."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from tqdm import tqdm

    results = {}
    with tqdm(total=len(ks), desc="choose_k", unit="k", bar_format=PROGRESS_FORMAT,
              disable=not progress) as bar:
        if n_jobs == 1:
            for k in ks:
                bar.set_postfix_str(f"k={k}")
                results[k] = task(k)
                bar.update()
        else:
            pool = ThreadPoolExecutor(max_workers=n_jobs)
            try:
                # Largest k first: the slowest tasks start early.
                futures = {pool.submit(task, k): k for k in reversed(ks)}
                for future in as_completed(futures):
                    results[futures[future]] = future.result()
                    bar.update()
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
    return [results[k] for k in ks]


def _check_criteria(criteria):
    """The criteria as a tuple of names of ``CRITERIA`` ("elbow" becomes
    "inertia"), in the order given."""
    if isinstance(criteria, str):
        criteria = (criteria,)
    try:
        given = tuple(criteria)
    except TypeError:
        raise TypeError(f"criteria must be a sequence of names, got {criteria!r}") from None
    criteria = tuple(CRITERION_ALIASES.get(c, c) if isinstance(c, str) else c
                     for c in given)
    unknown = [c for c in criteria if c not in CRITERIA]
    if unknown or not criteria:
        aliases = ", ".join(f"{alias!r} for {name!r}"
                            for alias, name in CRITERION_ALIASES.items())
        raise ValueError(f"criteria must be a non-empty selection of {CRITERIA} "
                         f"({aliases}), got {given!r}")
    if len(set(criteria)) != len(criteria):
        raise ValueError(f"criteria has repeated names: {given!r}")
    return criteria


# Criteria defined only for 2 <= k <= n_samples - 1, as choose_k reports them.
_BOUNDED = {"silhouette": "the silhouette", "calinski_harabasz": "Calinski-Harabasz",
            "davies_bouldin": "Davies-Bouldin"}


def k_bounds_reason(criteria, n_samples):
    """Why choose_k scores only 2 <= k <= n_samples - 1, for these criteria."""
    bounded = [label for name, label in _BOUNDED.items() if name in criteria]
    if bounded:
        names = (" and ".join(bounded) if len(bounded) <= 2
                 else ", ".join(bounded[:-1]) + " and " + bounded[-1])
        return (f"{names} {'needs' if len(bounded) == 1 else 'need'} "
                f"2 <= k <= n_samples - 1 = {n_samples - 1}")
    return (f"choose_k compares 2 <= k <= n_samples - 1 = {n_samples - 1}: with "
            f"k = 1 or one sample per cluster there is no grouping to choose")


def _check_n_jobs(n_jobs):
    import os

    if n_jobs == -1:
        return os.cpu_count() or 1
    return check_int(n_jobs, "n_jobs", 1)


def choose_k(X, k_range=range(2, 11), *, criteria=CRITERIA, silhouette="exact",
             n_init="auto", random_state=None, n_jobs=1, progress=True,
             silhouette_n_samples=2000, n_refs=10, reference="uniform", n_runs=5,
             subsample=0.8, metric="euclidean", **kmeans_params):
    """Fit k-means for each k and compare the fits with several criteria.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Data; float32 and float64 are kept, other types become float64.
        Sparse X is clustered sparse (see :func:`kmeanslab.kmeans`) and
        scored by every criterion but "gap", whose uniform reference data
        would be dense: the default criteria then leave it out, and asking
        for it raises a ValueError. A torch tensor (the ``torch`` extra, CPU
        or CUDA) stays on its device for every fit (the gap's reference
        sets and the stability subsamples included) and for the exact and
        sampled silhouette; Calinski-Harabasz, Davies-Bouldin, the
        simplified silhouette and the gap's reference sampler read one
        host copy of it, made only when one of them is asked for. With
        ``metric="euclidean"`` only.
    k_range : iterable of int, default=range(2, 11)
        ks to try, each in [2, n_samples - 1] (the silhouette,
        Calinski-Harabasz and Davies-Bouldin are defined there only, and
        every criterion is compared over the same ks): ks outside are dropped
        with a :class:`SkippedKWarning` that says why for the criteria
        asked (a ValueError when none remain). A k above the number of
        distinct rows of X gets a table row marked ``skipped``.
    criteria : sequence of str, default=all six
        Any of "elbow" (the Kneedle elbow of the inertia curve; "inertia"
        names the same criterion), "silhouette", "calinski_harabasz",
        "davies_bouldin", "gap" (see :func:`gap_statistic`) and "stability"
        (see :func:`stability`). Results name the elbow "inertia", after the
        table column it is read from: ``criteria``, ``picks`` and the table
        of the returned KSelection are the same whichever name was given.
    silhouette : {"exact", "sampled", "simplified"}, default="exact"
        "exact": :func:`kmeanslab.metrics.silhouette_score`,
        O(n_samples^2); "sampled": :func:`kmeanslab.metrics.silhouette_estimate`
        with a confidence interval; "simplified":
        :func:`kmeanslab.metrics.simplified_silhouette` with the fitted
        centres, O(n_samples * k).
    n_init : int or "auto", default="auto"
        Restarts of every fit.
    random_state : int, numpy Generator, RandomState or None, default=None
        An int is passed unchanged to the fit of every k, so the models are
        those of ``KMeans(k, random_state=random_state)``; the gap's
        reference sets, the subsamples and the sampled silhouette draw from
        streams derived from it and k.
    n_jobs : int, default=1
        ks evaluated at once on a thread pool (-1: one per CPU). Results are
        identical for every n_jobs (``fit_seconds`` aside).
    progress : bool, default=True
        Show a tqdm progress bar over the ks (on stderr): ks done out of ks
        asked and the time, no rate.
    silhouette_n_samples : int, default=2000
        Points scored by the sampled silhouette.
    n_refs : int, default=10
        Reference data sets of the gap statistic.
    reference : {"uniform", "pca"}, default="uniform"
        Reference distribution of the gap statistic.
    n_runs : int, default=5
        Subsamples clustered per k for stability.
    subsample : float, default=0.8
        Fraction of the rows in each stability subsample; a k above that
        many rows gets a NaN stability.
    metric : {"euclidean", "cosine"}, default="euclidean"
        "cosine" fits spherical k-means
        (:func:`kmeanslab.spherical_kmeans`; ``inertia`` is then its
        objective, the sum of 1 - cos), scores the exact and sampled
        silhouette with cosine distances, and Calinski-Harabasz,
        Davies-Bouldin and the simplified silhouette on the rows scaled to
        unit norm; "gap" is left out as for sparse X, and ``copy_x`` does
        not apply.
    **kmeans_params
        ``init`` (a name or callable), ``max_iter``, ``tol``, ``algorithm``,
        ``n_threads``, ``copy_x``: passed to every :func:`kmeanslab.kmeans`
        call.

    Returns
    -------
    KSelection
        ``table``, ``picks``, ``recommended_k``, ``explanation``, ``models``;
        ``to_pandas()``, ``plot()``, ``summary()``.

    Raises
    ------
    ValueError
        If X is malformed or all its rows are identical (a single distinct
        point), if no k of ``k_range`` is in [2, n_samples - 1], or if a
        criterion name or other parameter is invalid (or a criterion is
        named twice, such as "elbow" and "inertia").
    TypeError
        For parameters of the wrong type and unknown keyword arguments.

    Warns
    -----
    SkippedKWarning
        When some ks of ``k_range`` are outside [2, n_samples - 1].

    See Also
    --------
    find_knee, gap_statistic, stability
    kmeanslab.metrics : the silhouette, Calinski-Harabasz and Davies-Bouldin.

    Notes
    -----
    Each k is fitted once and that fit serves every criterion; the gap
    statistic adds ``n_refs`` fits per k on reference data and stability
    ``n_runs`` fits on subsamples. Picks: the elbow is
    :func:`find_knee` (convex, decreasing, S=1) on inertia versus k; the
    silhouette, Calinski-Harabasz (Calinski & Harabasz 1974) and stability
    picks are their maxima, Davies-Bouldin's (Davies & Bouldin 1979) its
    minimum, the gap's the 1-standard-error rule (Tibshirani et al. 2001);
    ties go to the smaller k. The recommendation is a majority vote.
    Worker threads share the cores: each gets ``n_threads`` (default: the
    numba thread count divided by ``n_jobs``). numba's "workqueue" threading
    layer cannot run kernels from several threads at once; with it, n_jobs
    falls back to 1 with a RuntimeWarning (install tbb or use OpenMP).

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from kmeanslab.selection import choose_k
    >>> X, _ = make_blobs(500, centers=3, cluster_std=0.6, random_state=1)
    >>> sel = choose_k(X, range(2, 7), criteria=("elbow", "silhouette",
    ...                "calinski_harabasz", "davies_bouldin"),
    ...                random_state=0, progress=False)
    >>> sel.picks
    {'inertia': 3, 'silhouette': 3, 'calinski_harabasz': 3, 'davies_bouldin': 3}
    >>> sel.recommended_k
    3
    """
    sparse = is_sparse(X)
    metric = check_metric(metric)
    if is_torch_tensor(X):
        from ..backends.torch._backend import check_torch_X

        if metric == "cosine":
            raise ValueError("metric='cosine' fits spherical k-means, which runs on "
                             "NumPy data; for a torch tensor X pass X.cpu().numpy()")
        X = check_torch_X(X)
    else:
        X = check_sparse_X(X) if sparse else check_X(X)
    n_samples = X.shape[0]
    no_gap = sparse or metric == "cosine"
    if no_gap and criteria is CRITERIA:
        criteria = tuple(c for c in CRITERIA if c != "gap")
    criteria = _check_criteria(criteria)
    if no_gap and "gap" in criteria:
        raise ValueError("criteria 'gap' needs dense reference data the size of "
                         "X in Euclidean space; leave it out for sparse X or "
                         "metric='cosine'")
    if metric == "cosine" and "copy_x" in kmeans_params:
        raise TypeError("copy_x does not apply to metric='cosine' (spherical "
                        "k-means never centres)")
    silhouette = check_choice(silhouette, "silhouette", SILHOUETTE_METHODS)
    silhouette_n_samples = check_int(silhouette_n_samples, "silhouette_n_samples", 2)
    n_refs = check_int(n_refs, "n_refs", 1)
    reference = check_choice(reference, "reference", REFERENCES)
    n_runs = check_int(n_runs, "n_runs", 2)
    subsample = check_subsample(subsample)
    n_jobs = _check_n_jobs(n_jobs)
    fit_params = check_fit_params(n_init, kmeans_params)
    n_distinct = n_distinct_rows(X)
    if n_distinct == 1:
        raise ValueError("X has a single distinct point (all rows are identical); "
                         "there is no k >= 2 to choose")
    ks = check_ks(k_range, 2, n_samples - 1, k_bounds_reason(criteria, n_samples))
    n_jobs = min(n_jobs, len(ks))
    if n_jobs > 1 and not _threading_layer_is_threadsafe():
        warnings.warn("numba's workqueue threading layer cannot run kernels from "
                      "several threads; choose_k runs with n_jobs=1",
                      RuntimeWarning, stacklevel=2)
        n_jobs = 1
    n_threads = fit_params.pop("n_threads", None)
    if n_threads is None and n_jobs > 1:
        import numba

        n_threads = max(1, numba.get_num_threads() // n_jobs)
    sweep = _Sweep(X, criteria, silhouette, silhouette_n_samples,
                   base_seed(random_state), fit_params, n_distinct, n_refs,
                   reference, n_runs, subsample, n_threads, metric)
    sweep.warm_up(ks[0])
    if n_jobs > 1:
        # One outer BLAS limit: the per-fit limits entered and left by the
        # worker threads in any order then all restore this one's setting.
        from .._threads import single_threaded_blas

        with single_threaded_blas():
            results = _run_tasks(sweep, ks, n_jobs, progress)
    else:
        results = _run_tasks(sweep, ks, n_jobs, progress)
    rows = tuple(row for row, _ in results)
    models = {k: model for k, (row, model) in zip(ks, results) if row["skipped"] is None}
    picks, gap_how = criterion_picks(rows, criteria)
    recommended, votes, tied = vote(picks)
    explanation = explain(rows, picks, recommended, votes, tied, silhouette, gap_how)
    return KSelection(ks=ks, table=rows, picks=picks, recommended_k=recommended,
                      explanation=explanation, models=models, criteria=criteria,
                      silhouette=silhouette)
