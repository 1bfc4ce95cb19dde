"""The ``kmeanslab`` command line: a click group with one module per command.

Commands parse options, call the public API and print; heavy modules are
imported inside command bodies so ``kmeanslab --help`` stays fast.
"""

from .main import cli

__all__ = ["cli"]
