"""A text corpus that needs no download: the docstrings of the Python
standard library and of the installed numpy, scipy, scikit-learn and pandas.

:func:`load_docstrings` collects the function, class and method docstrings
of the public modules with :mod:`inspect` (in a separate Python process, so
that importing hundreds of modules leaves the caller untouched),
deduplicates them by text, and caches the result as JSON, keyed by the
Python and package versions, so later calls read the file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DOCSTRING_PACKAGES", "DocstringCorpus", "load_docstrings"]

#: The third-party packages whose docstrings make up the corpus.
DOCSTRING_PACKAGES = ("numpy", "scipy", "sklearn", "pandas")

# Modules never imported: they open windows or browsers, print on import,
# need a display or a build toolchain, or are test suites and examples.
_SKIPPED = frozenset({
    "antigravity", "this", "idlelib", "turtle", "turtledemo", "tkinter",
    "ensurepip", "lib2to3", "pydoc_data", "venv", "xxsubtype", "xxlimited",
    "msilib", "winreg", "winsound", "_msi", "nturl2path", "msvcrt",
    "numpy.distutils", "numpy.f2py", "numpy.testing", "numpy.conftest",
    "scipy.conftest", "sklearn.conftest", "pandas.conftest", "pandas.testing",
    "sklearn.externals", "scipy._lib", "pandas.util._test_decorators",
})
# Docstrings shorter than this many characters ("Return self.") say too
# little to cluster.
_MIN_CHARS = 40
# The layout of the cached file; a change makes every cache stale.
_FORMAT = 1


@dataclass(frozen=True, eq=False)
class DocstringCorpus:
    """The docstring corpus.

    Attributes
    ----------
    documents : tuple of str
        The docstrings (cleaned with :func:`inspect.cleandoc`), each once.
    names : tuple of str
        The qualified name of the first object found with each docstring
        (``"numpy.linalg.svd"``, ``"json.JSONDecoder.decode"``).
    sources : tuple of str
        Where each came from: ``"stdlib"`` or a package of
        :data:`DOCSTRING_PACKAGES`.
    versions : dict of str to str
        The Python version and the version of each package read.
    """

    documents: tuple
    names: tuple
    sources: tuple
    versions: dict

    def __len__(self):
        return len(self.documents)

    def select(self, sources):
        """The documents of the given sources only.

        Parameters
        ----------
        sources : iterable of str
            Any of ``"stdlib"`` and :data:`DOCSTRING_PACKAGES`.

        Returns
        -------
        DocstringCorpus
        """
        keep = set(sources)
        rows = [i for i, source in enumerate(self.sources) if source in keep]
        return DocstringCorpus(
            documents=tuple(self.documents[i] for i in rows),
            names=tuple(self.names[i] for i in rows),
            sources=tuple(self.sources[i] for i in rows),
            versions=dict(self.versions))


def _versions(packages):
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for package in packages:
        distribution = "scikit-learn" if package == "sklearn" else package
        try:
            out[package] = version(distribution)
        except PackageNotFoundError:
            out[package] = "missing"
    return out


def _cache_dir(cache_dir):
    if cache_dir is not None:
        return Path(cache_dir)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kmeanslab"


def load_docstrings(*, packages=DOCSTRING_PACKAGES, stdlib=True, cache=True,
                    cache_dir=None):
    """The docstrings of the standard library and of numpy, scipy,
    scikit-learn and pandas, as a text corpus.

    Parameters
    ----------
    packages : sequence of str, default=DOCSTRING_PACKAGES
        Installed packages to read (a package that is not installed is
        left out).
    stdlib : bool, default=True
        Read the standard library too.
    cache : bool, default=True
        Read the corpus from the cache when there, and write it there after
        building it.
    cache_dir : str or Path, default=None
        The cache folder; ``$XDG_CACHE_HOME/kmeanslab`` (else
        ``~/.cache/kmeanslab``) when None. The file's name holds a digest of
        the versions, so an upgrade builds a new corpus.

    Returns
    -------
    DocstringCorpus

    Notes
    -----
    Building imports every public module of the packages (not test suites,
    examples or modules that open windows), in a separate process, and takes
    about a minute; each function, class and method defined in those
    packages contributes its docstring if it has one of at least 40
    characters not seen before. With scikit-learn 1.9, numpy 2.4, scipy 1.17
    and pandas 3.1 on Python 3.11 that is about 11,000 documents, 6,600 of
    them from the four packages (15,000 terms and 470,000 non-zeros with
    ``TfidfVectorizer(min_df=2, stop_words="english")``). The corpus depends
    on the installed versions: compare results on the same ones.

    Examples
    --------
    >>> from kmeanslab.datasets import load_docstrings
    >>> corpus = load_docstrings(packages=(), stdlib=True)  # doctest: +SKIP
    >>> corpus.sources[0], len(corpus) > 1000  # doctest: +SKIP
    ('stdlib', True)
    """
    packages = tuple(packages)
    versions = _versions(packages)
    key = json.dumps([_FORMAT, stdlib, versions], sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    path = _cache_dir(cache_dir) / f"docstrings-{digest}.json.gz"
    if cache and path.exists():
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            data = json.load(stream)
    else:
        data = _build(packages, stdlib)
        if cache:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".partial")
            with gzip.open(partial, "wt", encoding="utf-8") as stream:
                json.dump(data, stream)
            os.replace(partial, path)
    return DocstringCorpus(documents=tuple(data["documents"]),
                           names=tuple(data["names"]),
                           sources=tuple(data["sources"]), versions=versions)


def _build(packages, stdlib):
    """Run :func:`_collect` in a fresh interpreter (what modules print on
    import goes nowhere); returns its data."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "docstrings.json"
        command = [sys.executable, "-m", "kmeanslab.datasets._docstrings",
                   str(out), "1" if stdlib else "0", *packages]
        done = subprocess.run(command, capture_output=True, timeout=1800,
                              cwd=tmp, env=dict(os.environ, MPLBACKEND="Agg",
                                                PYTHONWARNINGS="ignore"))
        if done.returncode != 0 or not out.exists():
            raise RuntimeError("collecting the docstrings failed:\n"
                               + done.stderr.decode(errors="replace")[-3000:])
        return json.loads(out.read_text(encoding="utf-8"))


def _module_names(root):
    """The public modules of package ``root`` (itself included), sorted."""
    import importlib
    import pkgutil

    names = [root]
    try:
        package = importlib.import_module(root)
    except Exception:  # noqa: BLE001 - a module that fails to import is left out
        return []
    path = getattr(package, "__path__", None)
    if path is not None:
        for info in pkgutil.walk_packages(path, prefix=root + ".",
                                          onerror=lambda name: None):
            parts = info.name.split(".")
            if any(part.startswith("_") or part in ("tests", "testing", "conftest")
                   for part in parts[1:]):
                continue
            names.append(info.name)
    return sorted(n for n in names
                  if not any(n == s or n.startswith(s + ".") for s in _SKIPPED))


def _collect(stdlib, packages):
    """Docstrings of the functions, classes and methods defined in the
    public modules of the standard library and of ``packages``."""
    import contextlib
    import importlib
    import inspect
    import io
    import warnings

    documents, names, sources = [], [], []
    seen_objects, seen_texts = set(), set()

    def add(obj, name, source):
        doc = getattr(obj, "__doc__", None)
        if id(obj) in seen_objects or not isinstance(doc, str):
            return
        seen_objects.add(id(obj))
        text = inspect.cleandoc(doc)
        if len(text) < _MIN_CHARS or text in seen_texts:
            return
        seen_texts.add(text)
        documents.append(text)
        names.append(name)
        sources.append(source)

    roots = []
    if stdlib:
        roots += [("stdlib", name) for name in sorted(sys.stdlib_module_names)
                  if not name.startswith("_") and name not in _SKIPPED]
    roots += [(package, package) for package in packages]
    for source, root in roots:
        for module_name in _module_names(root):
            try:
                with contextlib.redirect_stdout(io.StringIO()), \
                        warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    module = importlib.import_module(module_name)
            except Exception:  # noqa: BLE001 - left out, as above
                continue
            top = module_name.split(".")[0]
            for attr, obj in sorted(vars(module).items()):
                if attr.startswith("_"):
                    continue
                defined_in = str(getattr(obj, "__module__", None) or "")
                if defined_in.split(".")[0] != top:
                    continue
                if inspect.isclass(obj):
                    add(obj, f"{module_name}.{attr}", source)
                    for method_name, method in sorted(vars(obj).items()):
                        if method_name.startswith("_"):
                            continue
                        method = getattr(method, "__func__", method)
                        if inspect.isroutine(method):
                            add(method, f"{module_name}.{attr}.{method_name}",
                                source)
                elif inspect.isroutine(obj) or type(obj).__name__ == "ufunc":
                    add(obj, f"{module_name}.{attr}", source)
    return {"documents": documents, "names": names, "sources": sources}


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(_collect(sys.argv[2] == "1",
                                                     sys.argv[3:])),
                                 encoding="utf-8")
