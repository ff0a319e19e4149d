"""What ``python -m pytest`` collects besides tests/ (see [tool.pytest.ini_options]).

* The examples of README.md and docs/*.md: Sybil finds them, tests/docs_harness.py says how
  each block runs (Python blocks in order in one namespace, every shell command, ``docs-test``
  directives for the commands that cannot run inside the suite).
* The docstring examples of python/zcfast (``--doctest-modules``), run on the zcfast that is
  installed (``import zcfast.x``, not the file by path: CI installs the package, and a source
  file imported by path would be a second copy without the extension), with ``zcfast``, ``np``
  and, where installed, ``torch`` in their namespace.  A module or example that needs an
  optional extra that is not installed (torch, scikit-learn, matplotlib, sympy, ray) is
  skipped, naming it.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import os
import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zcfast  # the installed package, before anything could import python/zcfast by path
from _pytest.doctest import DoctestItem, DoctestModule
from sybil import Sybil

from tests.docs_harness import (
    DocsParser,
    MarkdownDocument,
    make_workdir,
    one_torch_thread,
    require_data,
)

os.environ.setdefault("MPLBACKEND", "Agg")  # plots in examples never open a window

ROOT = Path(__file__).resolve().parent
PACKAGE = ROOT / "python" / "zcfast"
OPTIONAL = ("torch", "sklearn", "matplotlib", "sympy", "ray")

_collect_docs = Sybil(
    parsers=[DocsParser()],
    patterns=["README.md", "docs/*.md"],
    document_types={".md": MarkdownDocument},
    fixtures=["_docs_workdir"],
).pytest()


def _missing_optional(exc: BaseException | None) -> str | None:
    """The optional package an import error is about, if that package is not installed."""
    while exc is not None:
        if isinstance(exc, ImportError):
            name = (exc.name or "").split(".")[0]
            for candidate in [name] if name in OPTIONAL else OPTIONAL:
                if candidate in str(exc) or candidate == name:
                    if importlib.util.find_spec(candidate) is None:
                        return candidate
        exc = exc.__cause__ or exc.__context__
    return None


class InstalledDoctestModule(DoctestModule):
    """The doctests of a file of python/zcfast, taken from the module ``import`` gives."""

    def _getobj(self) -> Any:
        relative = self.path.relative_to(PACKAGE.parent).with_suffix("")
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        try:
            return importlib.import_module(".".join(parts))
        except ImportError as exc:
            missing = _missing_optional(exc)
            if missing is not None:
                pytest.skip(f"{'.'.join(parts)} needs {missing}, which is not installed")
            raise


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(
    file_path: Path, parent: pytest.Collector
) -> Generator[None, list[Any], list[Any]]:
    collectors = yield
    out = []
    for collector in collectors:
        if type(collector) is DoctestModule and PACKAGE in file_path.parents:
            collector = InstalledDoctestModule.from_parent(parent, path=file_path)
        out.append(collector)
    docs = _collect_docs(file_path, parent)
    if docs is not None:
        out.append(docs)
    return out


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A docstring example that fails only because an optional extra is missing is skipped;
    a documentation example that is skipped (a ``not-run`` command) is reported at its line."""
    report = yield
    example = getattr(item, "example", None)
    if example is not None and report.skipped and isinstance(report.longrepr, tuple):
        report.longrepr = (example.path, example.line, report.longrepr[2])
    if isinstance(item, DoctestItem) and report.failed and call.excinfo is not None:
        error = call.excinfo.value
        if isinstance(error, doctest.UnexpectedException):
            missing = _missing_optional(error.exc_info[1])
            if missing is not None:
                report.outcome = "skipped"
                report.longrepr = (str(item.path), 0, f"Skipped: needs {missing} (not installed)")
    return report


@pytest.fixture(autouse=True)
def _installed_zcfast_for_subprocesses() -> None:
    """Worker processes (spawned, so given this process's sys.path) import the zcfast this
    process imported.  Setting up the doctests of a nested package of python/zcfast puts
    python/ at the front of sys.path (pytest's prepend import mode), where an installed (not
    editable) zcfast's source lacks the built extension; that happens whenever the first
    example of such a package runs, so the entry is dropped before every test."""
    source = str(ROOT / "python")
    if not Path(zcfast.__file__).resolve().is_relative_to(ROOT / "python"):
        sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != source]


@pytest.fixture(autouse=True)
def _doctest_context(
    request: pytest.FixtureRequest, doctest_namespace: dict[str, Any]
) -> Iterator[None]:
    """Docstring examples get ``zcfast``, ``np`` and ``torch`` (where installed) in their
    namespace, run from the repository root (their ``../shared/data`` paths are relative to
    it; skipped, or failed in CI, where that data is absent) with one torch thread, and close
    the figures they draw."""
    if not isinstance(request.node, DoctestItem):
        yield
        return
    doctest_namespace.update(zcfast=zcfast, np=np)
    if importlib.util.find_spec("torch") is not None:
        doctest_namespace["torch"] = importlib.import_module("torch")
    require_data("\n".join(example.source for example in request.node.dtest.examples))
    with pytest.MonkeyPatch.context() as patch, one_torch_thread():
        patch.chdir(ROOT)
        yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture(scope="module")
def _docs_workdir(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """The scratch folder one document's examples run in (see tests/docs_harness.py)."""
    require_data(Path(request.node.path).read_text(encoding="utf-8"))
    work = make_workdir(tmp_path_factory.mktemp("docs"))
    with pytest.MonkeyPatch.context() as patch, one_torch_thread():
        patch.chdir(work)
        yield work
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
