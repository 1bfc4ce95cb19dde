"""The ``kmeanslab`` command group (console script ``kmeanslab``)."""

from __future__ import annotations

import click

from .demo import demo


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kmeanslab", prog_name="kmeanslab")
def cli():
    """kmeanslab: fast, traceable k-means clustering."""


cli.add_command(demo)


if __name__ == "__main__":  # python -m kmeanslab.cli.main
    cli()
