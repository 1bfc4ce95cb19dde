"""The ``kmeanslab`` command group (console script ``kmeanslab``)."""

from __future__ import annotations

import click

from .choose_k import choose_k
from .demo import demo
from .fit import fit


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kmeanslab", prog_name="kmeanslab")
def cli():
    """kmeanslab: fast, traceable k-means clustering."""


cli.add_command(demo)
cli.add_command(fit)
cli.add_command(choose_k)


if __name__ == "__main__":  # python -m kmeanslab.cli.main
    cli()
