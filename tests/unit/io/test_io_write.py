"""Tests for kmeanslab.io._write: atomic, no-clobber writing.

The one place for the writer's mechanics (temporary file, final move, no
partial files, the race with a file that appears meanwhile); the demo,
report and CLI tests check only that they refuse to overwrite.
"""

import os

import numpy as np
import pandas as pd
import pytest

from kmeanslab.io import atomic_write, check_outputs, read_table, write_bytes, write_table
from kmeanslab.io._write import exists_error


def test_write_table_round_trips(tmp_path):
    frame = pd.DataFrame({"label": [0, 1], "distance": [0.5, 1.25]})
    for suffix in (".csv", ".parquet"):
        path = write_table(tmp_path / f"t{suffix}", frame)
        X, names = read_table(path)
        assert names == ["label", "distance"]
        np.testing.assert_array_equal(X, frame.to_numpy(dtype=float))
    write_table(tmp_path / "array.csv", np.eye(2))
    assert (tmp_path / "array.csv").read_text().splitlines()[0] == "x0,x1"
    with pytest.raises(ValueError, match="must end in one of"):
        write_table(tmp_path / "t.xlsx", frame)


def test_writes_refuse_to_overwrite_without_force(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("old")
    for write in (lambda force: write_table(path, np.eye(2), force=force),
                  lambda force: write_bytes(path, b"new", force=force)):
        with pytest.raises(FileExistsError) as info:
            write(False)
        assert str(path) in str(info.value) and "--force" in str(info.value)
        assert path.read_text() == "old"
    write_bytes(path, b"new", force=True)
    assert path.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


class _Interrupted(Exception):
    pass


@pytest.mark.parametrize("existing", [False, True], ids=["new", "replace"])
def test_failing_writer_leaves_no_partial_file(tmp_path, existing):
    path = tmp_path / "out.bin"
    if existing:
        path.write_bytes(b"complete old file")

    def write(tmp):
        with open(tmp, "wb") as stream:
            stream.write(b"half of the ")
            raise _Interrupted

    with pytest.raises(_Interrupted):
        atomic_write(path, write, force=True)
    if existing:
        assert path.read_bytes() == b"complete old file"
    else:
        assert not path.exists()
    assert [p.name for p in tmp_path.iterdir()] == (["out.bin"] if existing else [])


def test_write_table_interrupted_midway_leaves_nothing(tmp_path, monkeypatch):
    def half_written(self, path, **kwargs):
        with open(path, "w") as stream:
            stream.write("label,dist")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_written)
    with pytest.raises(KeyboardInterrupt):
        write_table(tmp_path / "labels.csv", pd.DataFrame({"label": [0, 1]}))
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_keeps_the_suffix_for_format_detection(tmp_path):
    seen = []
    atomic_write(tmp_path / "figure.png", lambda tmp: (seen.append(tmp),
                                                      tmp.write_bytes(b"png")))
    assert seen[0].suffix == ".png" and seen[0].parent == tmp_path
    assert not seen[0].exists()


def test_check_outputs(tmp_path):
    present = tmp_path / "b.csv"
    present.write_text("x")
    check_outputs([tmp_path / "a.csv"])
    with pytest.raises(FileExistsError, match="b.csv already exists.*--force"):
        check_outputs([tmp_path / "a.csv", present])
    check_outputs([present], force=True)
    with pytest.raises(FileExistsError, match="is a directory"):
        check_outputs([tmp_path], force=True)
    assert os.listdir(tmp_path) == ["b.csv"]


def test_a_file_that_appears_while_writing_is_not_replaced(tmp_path):
    target = tmp_path / "out.csv"

    def racing(tmp):
        tmp.write_text("new")
        target.write_text("theirs")

    with pytest.raises(FileExistsError, match="--force"):
        atomic_write(target, racing)
    assert target.read_text() == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


@pytest.mark.parametrize("force", [False, True], ids=["new", "replace"])
def test_publishes_a_finished_file_from_the_same_directory(tmp_path, monkeypatch,
                                                           force):
    target = tmp_path / "out.txt"
    if force:
        target.write_text("old")
    moves = []
    for name in ("replace", "link"):
        real = getattr(os, name)

        def record(src, dst, *args, _real=real, **kwargs):
            moves.append((os.fspath(src), os.fspath(dst), open(src).read()))
            return _real(src, dst, *args, **kwargs)

        monkeypatch.setattr(os, name, record)
    write_bytes(target, b"complete", force=force)
    assert len(moves) == 1
    src, dst, content = moves[0]
    assert os.path.dirname(src) == str(tmp_path) and dst == str(target)
    assert src != dst
    assert content == "complete"  # written in full before it is moved
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_a_failed_move_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "out.txt"
    target.write_text("old")

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_bytes(target, b"new", force=True)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_exists_error_is_one_line_naming_the_file_and_force(tmp_path):
    error = exists_error(tmp_path / "out.csv")
    assert isinstance(error, FileExistsError)
    message = str(error)
    assert message.startswith(f"{tmp_path / 'out.csv'} already exists")
    assert "--force" in message and "\n" not in message and "Errno" not in message


def test_check_outputs_refuses_a_folder_under_a_file(tmp_path):
    blocker = tmp_path / "data.csv"
    blocker.write_text("x")
    with pytest.raises(NotADirectoryError, match=f"{blocker} is a file"):
        check_outputs([tmp_path / "out.csv", blocker / "out" / "labels.csv"])
    assert not (tmp_path / "out.csv").exists()


def test_check_outputs_refuses_a_read_only_folder(tmp_path, monkeypatch):
    from kmeanslab.io import _write

    read_only = tmp_path / "ro"
    read_only.mkdir()
    # Root may write anywhere: deny the access check for that folder only.
    real = os.access
    monkeypatch.setattr(_write.os, "access", lambda path, mode: (
        False if os.fspath(path) == str(read_only) else real(path, mode)))
    with pytest.raises(PermissionError, match=f"cannot write into {read_only / 'new'}"
                                              f": permission denied"):
        check_outputs([read_only / "new" / "a.csv"])
    check_outputs([tmp_path / "a.csv"])


def test_check_outputs_stale_files(tmp_path):
    stale = tmp_path / "moves.csv"
    stale.write_text("old run")
    other = tmp_path / "notes.txt"
    with pytest.raises(FileExistsError, match="holds moves.csv from an earlier run"
                                              ".*--force.* to remove it"):
        check_outputs([tmp_path / "labels.csv"], stale=[stale, other])
    assert check_outputs([tmp_path / "labels.csv"], stale=[stale, other],
                         force=True) == [stale]
    assert check_outputs([tmp_path / "labels.csv"], stale=[other]) == []
