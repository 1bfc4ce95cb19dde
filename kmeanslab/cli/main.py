"""The ``kmeanslab`` command group (console script ``kmeanslab``)."""

from __future__ import annotations

import click

from .choose_k import choose_k
from .demo import demo
from .fit import fit

# Exit status of a command stopped with Ctrl-C: 128 + SIGINT, as shells
# report a process ended by that signal.
EXIT_INTERRUPTED = 130


class _Group(click.Group):
    """The group, keeping the arguments it was called with (for run.json's
    ``repeat`` line) and ending on Ctrl-C with one line and exit status 130
    rather than click's "Aborted!" and 1."""

    def make_context(self, info_name, args, parent=None, **extra):
        ctx = super().make_context(info_name, list(args), parent=parent, **extra)
        ctx.meta["kmeanslab.argv"] = list(args)
        return ctx

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("\nInterrupted.", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kmeanslab", prog_name="kmeanslab")
def cli():
    """kmeanslab: fast, traceable k-means clustering."""


cli.add_command(demo)
cli.add_command(fit)
cli.add_command(choose_k)


if __name__ == "__main__":  # python -m kmeanslab.cli.main
    cli()
