"""Tests for the shared parameter texts (``kmeanslab._params``): the
docstrings built from them and the command line's help."""

import pytest
from click.testing import CliRunner

from kmeanslab import KMeans, kmeans
from kmeanslab._params import PARAMS, cli_help, fill_doc
from kmeanslab.core import fit_dask

SHARED = ("n_clusters", "init", "n_init", "max_iter", "tol", "random_state",
          "record_labels", "copy_x", "n_threads", "refine", "algorithm")


def _flat(text):
    return " ".join(text.split())


def test_fill_doc_renders_numpydoc_entries():
    def f():
        """Summary.

        Parameters
        ----------
        {tol}
        {max_iter} More.
        other : int
        """

    doc = fill_doc(f).__doc__
    assert "        tol : float, default=1e-4\n            Stop a run" in doc
    assert "            Most iterations of one run. More.\n" in doc
    assert "{" not in doc and "        other : int" in doc


def test_unknown_placeholder_fails_at_import():
    def f():
        """{tolerance}"""

    with pytest.raises(KeyError, match="tolerance"):
        fill_doc(f)


@pytest.mark.parametrize("name", SHARED)
def test_kmeans_and_kmeans_estimator_share_each_text(name):
    for obj in (kmeans, KMeans):
        doc = _flat(obj.__doc__)
        assert f"{name} : {PARAMS[name].type}" in doc
        assert _flat(PARAMS[name].text) in doc


@pytest.mark.parametrize("name", ["n_clusters", "n_init", "max_iter", "tol",
                                  "random_state", "record_labels"])
def test_fit_dask_shares_the_texts(name):
    assert _flat(PARAMS[name].text) in _flat(fit_dask.__doc__)


@pytest.mark.parametrize("option, name", [
    ("--k", "n_clusters"), ("--init", "init"), ("--n-init", "n_init"),
    ("--max-iter", "max_iter"), ("--tol", "tol"),
    ("--random-state", "random_state"), ("--refine", "refine")])
def test_cli_help_uses_the_same_text(option, name):
    from kmeanslab.cli.fit import fit

    param = next(p for p in fit.params if option in p.opts)
    assert param.help.startswith(cli_help(name))
    assert "``" not in param.help and ":func:" not in param.help
    result = CliRunner().invoke(fit, ["--help"], terminal_width=1000)
    assert _flat(PARAMS[name].text) in _flat(result.output)
