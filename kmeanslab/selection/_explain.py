"""The verdict of a sweep over k: each criterion's pick, the majority vote
and the plain-language explanation of the recommended k.
"""

from __future__ import annotations

import numpy as np

from ._common import format_ks
from ._gap import one_se_pick
from ._knee import find_knee

__all__ = ["ELBOW_MIN_KS", "criterion_picks", "explain", "vote"]

#: Scored ks the elbow needs. Kneedle (S=1) takes a local maximum of its
#: difference curve only when the curve then drops by 1 / (n_ks - 1); with
#: evenly spaced ks the maximum is at most 1 - 1 / (n_ks - 1) and the curve
#: ends at 0, so no knee can be found in fewer than 4.
ELBOW_MIN_KS = 4

# How the explanation names each criterion.
_LABELS = {
    "inertia": "the elbow of the inertia curve",
    "silhouette": "the silhouette",
    "calinski_harabasz": "Calinski-Harabasz",
    "davies_bouldin": "Davies-Bouldin",
    "gap": "the gap statistic",
    "stability": "stability",
}


def criterion_picks(rows, criteria):
    """The k each criterion picks from the scored rows of a sweep.

    Parameters
    ----------
    rows : sequence of dict
        The sweep's table rows (see :class:`~kmeanslab.selection.KSelection`);
        rows with a ``skipped`` reason are ignored.
    criteria : tuple of str
        Criterion names as in ``CRITERIA``.

    Returns
    -------
    picks : dict of str to int or None
        The Kneedle elbow of the inertia (None with fewer than 3 scored ks
        or no knee), the lowest Davies-Bouldin, the one-standard-error gap
        pick and the highest value of every other criterion; non-finite
        values are passed over.
    gap_how : str or None
        How the gap pick was made (see :func:`one_se_pick`).
    """
    scored = [row for row in rows if row["skipped"] is None]
    ks = np.array([row["k"] for row in scored])

    def column(name):
        return np.array([row[name] for row in scored], dtype=np.float64)

    def extreme(name, best):
        values = column(name)
        ok = np.flatnonzero(np.isfinite(values))
        if not ok.size:
            return None
        return int(ks[ok[best(values[ok])]])

    picks, gap_how = {}, None
    for name in criteria:
        if name == "inertia":
            picks[name] = (find_knee(ks, column("inertia")).knee
                           if len(ks) >= 3 else None)
        elif name == "davies_bouldin":
            picks[name] = extreme(name, np.argmin)
        elif name == "gap":
            picks[name], gap_how = one_se_pick(ks, column("gap"), column("gap_se"))
        else:
            picks[name] = extreme(name, np.argmax)
    return picks, gap_how


def vote(picks):
    """Majority vote over the picks.

    Parameters
    ----------
    picks : dict of str to int or None
        As returned by :func:`criterion_picks`; None casts no vote.

    Returns
    -------
    recommended : int or None
        The k with the most votes; among tied ks the silhouette's pick when
        it is one of them, otherwise the smallest. None when nothing voted.
    votes : dict of int to int
        Votes per k.
    tied : list of int
        The ks with the most votes, increasing.
    """
    votes = {}
    for k in picks.values():
        if k is not None:
            votes[k] = votes.get(k, 0) + 1
    if not votes:
        return None, votes, []
    most = max(votes.values())
    tied = sorted(k for k, n in votes.items() if n == most)
    if len(tied) == 1:
        return tied[0], votes, tied
    silhouette_pick = picks.get("silhouette")
    return (silhouette_pick if silhouette_pick in tied else tied[0]), votes, tied


def _reason(name, k, rows, silhouette, gap_how):
    row = next(row for row in rows if row["k"] == k)
    if name == "inertia":
        return f"the inertia curve bends most sharply (Kneedle) at k={k}"
    if name == "silhouette":
        return (f"the {silhouette} silhouette is highest at k={k} "
                f"({row['silhouette']:.3f})")
    if name == "calinski_harabasz":
        return (f"the Calinski-Harabasz index (between- over within-cluster "
                f"dispersion) is highest at k={k}")
    if name == "davies_bouldin":
        return (f"the Davies-Bouldin index (cluster spread over separation) is "
                f"lowest at k={k} ({row['davies_bouldin']:.3f})")
    if name == "gap" and gap_how == "only":
        return f"k={k} is the only k with a finite gap statistic"
    if name == "gap" and gap_how == "largest":
        return (f"the gap statistic rises up to k={k}, the largest k it scored, "
                f"so the best k may lie beyond the range")
    if name == "gap":
        return (f"the gap statistic's one-standard-error rule picks k={k}, the "
                f"smallest k whose gap is within one standard error of the next k's")
    return (f"clusterings of random subsamples agree best at k={k} "
            f"(mean adjusted Rand index {row['stability']:.3f})")


def _join(words):
    words = list(words)
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def explain(rows, picks, recommended, votes, tied, silhouette, gap_how):
    """The plain-language reasons for the recommended k.

    Parameters
    ----------
    rows : sequence of dict
        The sweep's table rows.
    picks, gap_how
        As returned by :func:`criterion_picks`.
    recommended, votes, tied
        As returned by :func:`vote`.
    silhouette : str
        The silhouette method ("exact", "sampled" or "simplified").

    Returns
    -------
    str
        Sentences saying which criteria agree or disagree and why, how a tie
        was broken, whether the sampled silhouette's pick is uncertain and
        which ks were not scored.
    """
    sentences = []
    voting = {name: k for name, k in picks.items() if k is not None}
    if "inertia" in picks and picks["inertia"] is None:
        sentences.append(_no_elbow([row["k"] for row in rows
                                    if row["skipped"] is None]))
    if recommended is None:
        sentences.append("No criterion picked a k.")
    elif len(votes) == 1:
        names = _join(_LABELS[n] for n in voting)
        if len(voting) == 1:
            why = _reason(next(iter(voting)), recommended, rows, silhouette, gap_how)
            sentences.append(f"Only {names} picked a k: k={recommended}, because "
                             f"{why}.")
        else:
            sentences.append(f"All {len(voting)} criteria that picked a k ({names}) "
                             f"agree on k={recommended}.")
    else:
        by_k = sorted(votes, key=lambda k: (-votes[k], k))
        parts = [f"{_join(_LABELS[n] for n, p in voting.items() if p == k)} "
                 f"{'pick' if votes[k] > 1 else 'picks'} k={k}" for k in by_k]
        sentences.append("The criteria disagree: " + "; ".join(parts) + ".")
        for name, k in voting.items():
            why = _reason(name, k, rows, silhouette, gap_how)
            sentences.append(why[0].upper() + why[1:] + ".")
        if len(tied) == 1:
            sentences.append(f"k={recommended} is recommended because it has the most "
                             f"votes ({votes[recommended]} of {len(voting)}).")
        elif recommended == picks.get("silhouette"):
            sentences.append(f"{_join(f'k={k}' for k in tied)} tie with {votes[recommended]} "
                             f"votes each; the silhouette's pick, k={recommended}, "
                             f"breaks the tie.")
        else:
            sentences.append(f"{_join(f'k={k}' for k in tied)} tie with {votes[recommended]} "
                             f"votes each; without a silhouette pick among them the "
                             f"smallest, k={recommended}, is recommended (the simpler "
                             f"model).")
    if gap_how == "largest" and len(votes) == 1:
        sentences.append(f"The gap statistic rises up to k={picks['gap']}, the largest "
                         f"k it scored: the best k may lie beyond the range.")
    sentences += _silhouette_uncertainty(rows, picks, silhouette)
    sentences += _not_scored(rows)
    return " ".join(sentences)


def _no_elbow(scored_ks):
    """Why the inertia curve casts no vote."""
    n = len(scored_ks)
    evenly_spaced = n < 3 or len(set(np.diff(scored_ks))) == 1
    if n < ELBOW_MIN_KS and evenly_spaced:
        return (f"The elbow needs at least {ELBOW_MIN_KS} scored ks and "
                f"{'only ' if n else ''}{n} {'was' if n == 1 else 'were'} scored, "
                f"so the inertia curve casts no vote.")
    return "The inertia curve has no clear elbow, so it casts no vote."


def _not_scored(rows):
    """One sentence listing the ks not scored, grouped by reason."""
    reasons = {}
    for row in rows:
        if row["skipped"]:
            reasons.setdefault(row["skipped"], []).append(row["k"])
    if not reasons:
        return []
    groups = [f"k={format_ks(ks) if len(ks) > 1 else ks[0]} ({reason})"
              for reason, ks in reasons.items()]
    return ["Not scored: " + "; ".join(groups) + "."]


def _silhouette_uncertainty(rows, picks, silhouette):
    best = picks.get("silhouette")
    if silhouette != "sampled" or best is None:
        return []
    scored = [row for row in rows if row["skipped"] is None
              and np.isfinite(row["silhouette"])]
    top = next(row for row in scored if row["k"] == best)
    overlapping = [row["k"] for row in scored if row["k"] != best
                   and row["silhouette_high"] >= top["silhouette_low"]]
    if not overlapping:
        return []
    return [f"The sampled silhouette's confidence interval at k={best} "
            f"[{top['silhouette_low']:.3f}, {top['silhouette_high']:.3f}] overlaps "
            f"those of k={_join(map(str, overlapping))}, so its pick is uncertain; "
            f"use silhouette='exact' or a larger silhouette_n_samples to settle it."]
