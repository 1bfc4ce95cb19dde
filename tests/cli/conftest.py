"""Fixtures shared by the CLI tests: running ``kmeanslab`` in a click
CliRunner, checking its one-line errors, and writing input files."""

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from kmeanslab.cli.main import cli


@pytest.fixture(scope="session")
def invoke():
    """A function running ``kmeanslab ARGS...`` in a CliRunner.

    Each argument goes through ``str()`` (paths and numbers may be passed
    as they are); keyword arguments go to ``CliRunner.invoke``. stdout and
    stderr are kept apart (``result.stdout``, ``result.stderr``).
    """
    def invoke(*args, **kwargs):
        return CliRunner().invoke(cli, [str(arg) for arg in args], **kwargs)

    return invoke


@pytest.fixture(scope="session")
def assert_one_line_error():
    """A function asserting that a command failed as a usage error (exit
    status 2) with one ``Error: ...`` line on stderr, nothing on stdout, no
    traceback, and every given fragment in that line."""
    def check(result, *fragments):
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
        message = result.stderr.strip()
        assert len(message.splitlines()) == 1, message
        assert message.startswith("Error: ")
        assert "Traceback" not in result.output
        for fragment in fragments:
            assert fragment in message

    return check


@pytest.fixture
def data_file(tmp_path):
    """A function writing ``content`` to ``tmp_path / name`` and returning
    the path.

    ``content`` is text or bytes (written as they are), an ndarray (``.npy``
    with ``np.save``, else comma-separated text without a header), a
    DataFrame (``.parquet``, else CSV without the index), or None (nothing
    is written: a missing file).
    """
    def write(name, content):
        path = tmp_path / name
        if isinstance(content, str):
            path.write_text(content)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, np.ndarray):
            if path.suffix == ".npy":
                np.save(path, content)
            else:
                np.savetxt(path, content, delimiter=",")
        elif isinstance(content, pd.DataFrame):
            if path.suffix == ".parquet":
                content.to_parquet(path)
            else:
                content.to_csv(path, index=False)
        elif content is not None:
            raise TypeError(f"cannot write {type(content).__name__} to {path}")
        return path

    return write
