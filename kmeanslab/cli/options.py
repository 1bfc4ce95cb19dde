"""Options and errors shared by the ``kmeanslab`` commands.

Each option is defined once here so every command spells it, and documents
it, the same way.
"""

from __future__ import annotations

from pathlib import Path

import click

__all__ = [
    "CommandError",
    "force_option",
    "lang_option",
    "out_option",
    "quiet_option",
]

# Kept in step with kmeanslab.plotting.LANGUAGES (checked by the CLI tests);
# importing plotting here would slow down ``kmeanslab --help``.
LANGUAGES = ("en", "ja")


class CommandError(click.ClickException):
    """A user error: one "Error: ..." line on stderr and exit code 2 (the
    code click uses for usage errors), never a traceback."""

    exit_code = 2


def out_option(default):
    """``--out DIR``: the directory output files are written to."""
    return click.option(
        "--out", "out_dir", default=default, show_default=True,
        type=click.Path(file_okay=False, dir_okay=True, writable=True,
                        path_type=Path),
        help="Directory for the output files (created if missing).")


force_option = click.option(
    "--force", is_flag=True, default=False,
    help="Overwrite output files that already exist.")

quiet_option = click.option(
    "--quiet", "-q", is_flag=True, default=False,
    help="No progress bar and no report; print only the files written.")

lang_option = click.option(
    "--lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
    help="Language of the figures' text; 'ja' needs pip install kmeanslab[ja].")
