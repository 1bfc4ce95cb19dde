"""The docstring corpus (``kmeanslab.datasets.load_docstrings``): collected
in a separate process, deduplicated, cached by versions."""

import pytest

from kmeanslab.datasets import DocstringCorpus, load_docstrings
from kmeanslab.datasets import _docstrings


def test_collects_once_then_reads_the_cache(tmp_path, monkeypatch):
    corpus = load_docstrings(packages=("json",), stdlib=False, cache_dir=tmp_path)
    assert isinstance(corpus, DocstringCorpus)
    assert len(corpus) > 10 and set(corpus.sources) == {"json"}
    assert len(set(corpus.documents)) == len(corpus)
    assert all(len(doc) >= 40 for doc in corpus.documents)
    assert "json.JSONDecoder.decode" in corpus.names
    assert corpus.versions["json"] == "missing"  # no distribution of that name
    assert len(list(tmp_path.glob("docstrings-*.json.gz"))) == 1

    def fail(*args):
        raise AssertionError("built again instead of reading the cache")

    monkeypatch.setattr(_docstrings, "_build", fail)
    again = load_docstrings(packages=("json",), stdlib=False, cache_dir=tmp_path)
    assert again.documents == corpus.documents and again.names == corpus.names


def test_select_and_no_cache(tmp_path):
    corpus = load_docstrings(packages=("json", "csv"), stdlib=False,
                             cache=False, cache_dir=tmp_path)
    assert not list(tmp_path.iterdir())
    only_csv = corpus.select(["csv"])
    assert set(only_csv.sources) == {"csv"}
    assert len(only_csv) + len(corpus.select(["json"])) == len(corpus)


def test_a_failing_build_says_so(monkeypatch, tmp_path):
    monkeypatch.setattr(_docstrings.sys, "executable", "false")
    with pytest.raises(RuntimeError, match="collecting the docstrings failed"):
        load_docstrings(packages=("json",), stdlib=False, cache_dir=tmp_path)
