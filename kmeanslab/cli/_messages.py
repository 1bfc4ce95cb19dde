"""The command line's wording for the library's messages.

The library names its Python parameters in errors and warnings
(``n_clusters must be >= 1``, ``k_range has repeated values``, ``pass
force=True``); on the command line the same condition must read with the
option the user typed (``--k must be >= 1``, ``--k has repeated values``,
``pass --force``). :func:`cli_message` rewrites one message, so that every
command says the same thing the same way. Pure Python: imported for
``--help``.
"""

from __future__ import annotations

import re

__all__ = ["OPTION_OF", "cli_message"]

#: The option that sets each library parameter named in messages.
OPTION_OF = {
    "n_clusters": "--k",
    "k_range": "--k",
    "init": "--init",
    "n_init": "--n-init",
    "max_iter": "--max-iter",
    "tol": "--tol",
    "random_state": "--random-state",
    "refine": "--refine",
    "columns": "--columns",
    "criteria": "--criteria",
    "silhouette": "--silhouette",
    "header": "--header/--no-header",
    "keep_index": "--keep-index",
    "lang": "--lang",
}

_NAMES = "|".join(sorted(map(re.escape, OPTION_OF), key=len, reverse=True))
# Library messages that already give the option beside the parameter:
# "force=True (--force on the command line)".
_BOTH = re.compile(r"(?:\w+=\S+|\w+=) \((--[\w-]+) on the command line\)")
# "name=value" (a parameter and its value) and "name must/has/is ..." or
# "name:" (a parameter as the subject), not the same word in prose.
_ASSIGNED = re.compile(rf"(?<![\w.-])({_NAMES})=(?=\S)")
_SUBJECT = re.compile(rf"(?<![\w.-])({_NAMES})(?=(?: must| has| is|:))")
_N_SAMPLES = re.compile(r"\bn_samples=(\d+)")


def cli_message(message):
    """``message`` with the command line's names for the library's
    parameters.

    Parameters
    ----------
    message : str
        An error or warning text from the library.

    Returns
    -------
    str

    Examples
    --------
    >>> cli_message("k_range has repeated values: [2, 2]")
    '--k has repeated values: [2, 2]'
    >>> cli_message("out/labels.csv already exists; pass force=True "
    ...             "(--force on the command line) to overwrite it")
    'out/labels.csv already exists; pass --force to overwrite it'
    >>> cli_message("n_clusters=500 is larger than n_samples=150")
    '--k 500 is larger than the number of samples (150)'
    >>> cli_message("the silhouette needs 2 <= k")
    'the silhouette needs 2 <= k'
    """
    message = _BOTH.sub(lambda m: m.group(1), message)
    message = _ASSIGNED.sub(lambda m: OPTION_OF[m.group(1)] + " ", message)
    message = _SUBJECT.sub(lambda m: OPTION_OF[m.group(1)], message)
    return _N_SAMPLES.sub(r"the number of samples (\1)", message)
