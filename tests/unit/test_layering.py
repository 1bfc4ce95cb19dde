"""The package's layers import downwards only, checked by parsing every
module's imports (including those inside functions) with ``ast``.

Written over whatever files exist, so modules that are added, split or
moved are checked too."""

import ast
from pathlib import Path

import pytest

import kmeanslab

PACKAGE = Path(kmeanslab.__file__).parent
ROOT = PACKAGE.parent

# Modules above the backends and kernels: the fit driver and everything
# built on it.
ABOVE_BACKENDS = ("kmeanslab.core", "kmeanslab.estimator", "kmeanslab.selection",
                  "kmeanslab.plotting", "kmeanslab.report", "kmeanslab._driver",
                  "kmeanslab.init", "kmeanslab.breathing", "kmeanslab.cli",
                  "kmeanslab.demo")
# Presentation draws results it is given: it never fits.
FITTING = ("kmeanslab.core", "kmeanslab.estimator")


def _module_name(path, root):
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported_modules(path, root=ROOT):
    """Absolute names of the modules ``path`` (a file under ``root``)
    imports (``from a import b`` gives both ``a`` and ``a.b``, since b may
    be a module)."""
    name = _module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _files(*patterns):
    return sorted({p for pattern in patterns for p in PACKAGE.glob(pattern)})


def _violations(files, forbidden):
    out = []
    for path in files:
        for module in imported_modules(path):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                out.append(f"{path.relative_to(ROOT)} imports {module}")
    return out


def test_imported_modules_resolves_relative_imports(tmp_path):
    package = tmp_path / "kmeanslab" / "backends" / "dask"
    package.mkdir(parents=True)
    module = package / "_tasks.py"
    module.write_text("from ... import core\nfrom .._cpu import x\n"
                      "def f():\n    import kmeanslab.selection\n")
    found = imported_modules(module, root=tmp_path)
    assert {"kmeanslab.core", "kmeanslab.backends._cpu",
            "kmeanslab.selection"} <= found


@pytest.mark.parametrize("folder", ["backends", "_kernels"])
def test_backends_and_kernels_import_nothing_above_them(folder):
    files = _files(f"{folder}/**/*.py")
    assert files
    assert _violations(files, ABOVE_BACKENDS) == []


def test_presentation_imports_no_fitting_code():
    files = _files("plotting.py", "plotting/**/*.py", "report.py",
                   "report/**/*.py", "_plot_*.py")
    assert files
    assert _violations(files, FITTING) == []
