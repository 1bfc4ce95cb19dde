"""The option lists (``kmeanslab._options``) are the ones the library
checks and the command line offers, and the command line's help loads no
numerical library."""

import subprocess
import sys

import pytest

from kmeanslab import _options, _validation


def test_validation_uses_the_lists():
    assert _validation.INIT_NAMES is _options.INIT_NAMES
    assert _validation.ALGORITHMS is _options.ALGORITHMS
    for name in _options.INIT_NAMES:
        assert _validation.check_init(name, 2, 2, float) == name
    with pytest.raises(ValueError, match="refine must be None or 'breathing'"):
        _validation.check_refine("breathe")


def test_library_lists_agree():
    from kmeanslab import plotting, selection

    assert selection.CRITERIA == _options.CRITERIA
    assert selection.CRITERION_ALIASES == _options.CRITERION_ALIASES
    assert selection.SILHOUETTE_METHODS == _options.SILHOUETTE_METHODS
    assert plotting.LANGUAGES == _options.LANGUAGES


def test_every_language_has_every_message():
    from kmeanslab.plotting._style import MESSAGES

    assert set(MESSAGES) == set(_options.LANGUAGES)
    keys = [set(messages) for messages in MESSAGES.values()]
    assert all(k == keys[0] for k in keys)


def test_cli_offers_the_lists():
    from kmeanslab.cli.choose_k import choose_k
    from kmeanslab.cli.fit import fit

    def choices(command, option):
        return tuple(next(p for p in command.params if option in p.opts).type.choices)

    assert choices(fit, "--init") == _options.INIT_NAMES
    assert choices(fit, "--refine") == _options.REFINE_METHODS + ("none",)
    assert choices(fit, "--lang") == _options.LANGUAGES
    assert choices(fit, "--format") == _options.TABLE_FORMATS
    assert choices(choose_k, "--silhouette") == _options.SILHOUETTE_METHODS


@pytest.mark.parametrize("args", [["--help"], ["fit", "--help"],
                                  ["choose-k", "--help"], ["demo", "--help"]],
                         ids=["main", "fit", "choose-k", "demo"])
def test_help_imports_no_numerical_library(args):
    # A fresh interpreter: this one has long since imported them.
    code = ("import sys\n"
            "from kmeanslab.cli.main import cli\n"
            "try:\n"
            f"    cli({args!r})\n"
            "except SystemExit:\n"
            "    pass\n"
            "print(sorted(m for m in ('numpy', 'numba', 'sklearn', 'pandas', "
            "'scipy', 'matplotlib', 'dask') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
