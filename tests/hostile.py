"""A harness for hostile-input cases: each runs in a persistent worker process, so that a
crash (abort, segfault) or a hang is recorded as that case's failure instead of taking the
test session with it.

A case is a few lines of Python run in a namespace holding ``zcfast``, ``np``, ``pd``,
``pl``, ``Path``, ``tmp`` (a fresh directory) and the case's ``params``; it passes when it
finishes (``expect="ok"``) or raises the named zcfast exception whose message says what was
expected (``expect="ShapeError"``, optionally ``match=`` a regex the message contains).
Anything else fails: another exception type (a bare ``KeyError``, a pyo3 ``PanicException``),
a zcfast error without "expected" in its message, a dead worker or a case past its timeout.

Used by the ``hostile_worker`` fixture of ``tests/conftest.py``::

    CASES = [Case("evolve-nan-targets", "zcfast.evolve(X, [np.nan] * 5)", "InvalidValueError")]

    @pytest.mark.parametrize("case", CASES, ids=case_id)
    def test_hostile(case, hostile_worker):
        hostile_worker.check(case)
"""

from __future__ import annotations

import base64
import json
import os
import pickle
import re
import selectors
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TIMEOUT = 30.0
# A fresh worker imports zcfast, numpy, pandas and polars before it says it is ready.
START_TIMEOUT = 120.0


@dataclass(frozen=True)
class Case:
    """One hostile input: ``code`` to run and the outcome it must have."""

    id: str
    code: str
    expect: str = "ok"
    match: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT


def case_id(case: Case) -> str:
    return case.id


@dataclass(frozen=True)
class Outcome:
    """What a case did: ``kind`` is ok, raised, crashed or hung."""

    kind: str
    error_type: str = ""
    error_mro: tuple[str, ...] = ()
    message: str = ""
    detail: str = ""

    def describe(self) -> str:
        if self.kind == "raised":
            return f"raised {self.error_type}: {self.message}\n{self.detail}"
        return f"{self.kind} {self.detail}".strip()


class Worker:
    """One long-lived Python process that runs cases sent to it, restarted after a crash."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None

    def run(self, code: str, params: dict[str, Any] | None = None, timeout: float = 30) -> Outcome:
        proc = self._ensure()
        if proc is None:
            return Outcome("crashed", detail=f"worker did not start within {START_TIMEOUT:.0f} s")
        request = {"code": code, "params": _encode(params or {})}
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(json.dumps(request).encode() + b"\n")
            proc.stdin.flush()
        except BrokenPipeError:
            return self._dead()
        line = _read_line(proc.stdout, timeout)
        if line is None:
            self.close()
            return Outcome("hung", detail=f"no answer within {timeout:.0f} s")
        if not line:
            return self._dead()
        return Outcome(**json.loads(line))

    def check(self, case: Case) -> None:
        """Runs ``case`` and fails the calling test unless it had the outcome it expects."""
        outcome = self.run(case.code, case.params, case.timeout)
        problem = judge(case, outcome)
        if problem:
            raise AssertionError(f"{case.id}: {problem}\n--- code ---\n{case.code}")

    def close(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            for pipe in (self._proc.stdin, self._proc.stdout):
                if pipe is not None:
                    pipe.close()
            self._proc = None

    def _ensure(self) -> subprocess.Popen[bytes] | None:
        """The running worker, started (and its imports done) if need be."""
        if self._proc is None or self._proc.poll() is not None:
            self.close()  # a crashed worker's pipes
            env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONFAULTHANDLER": "1"}
            self._proc = subprocess.Popen(
                [sys.executable, "-c", "from tests.hostile import serve; serve()"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                cwd=ROOT,
                env=env,
            )
            assert self._proc.stdout is not None
            if _read_line(self._proc.stdout, START_TIMEOUT) != b"ready\n":
                self.close()
                return None
        return self._proc

    def _dead(self) -> Outcome:
        code = self._proc.wait() if self._proc is not None else None
        self._proc = None
        return Outcome("crashed", detail=f"worker exited with status {code}")


def judge(case: Case, outcome: Outcome) -> str:
    """Why ``outcome`` is not what ``case`` expects ('' when it is)."""
    if case.expect == "ok":
        return "" if outcome.kind == "ok" else f"expected success, got {outcome.describe()}"
    if outcome.kind != "raised":
        return f"expected {case.expect}, got {outcome.describe()}"
    if case.expect not in outcome.error_mro:
        return f"expected {case.expect}, got {outcome.describe()}"
    if "ZcfastError" not in outcome.error_mro:
        return f"expected a zcfast error, got {outcome.describe()}"
    if "expected" not in outcome.message:
        return f"expected a message saying what was expected, got {outcome.message!r}"
    if case.match and not re.search(case.match, outcome.message):
        return f"expected a message matching {case.match!r}, got {outcome.message!r}"
    return ""


def _encode(params: dict[str, Any]) -> str:
    return base64.b64encode(pickle.dumps(params)).decode()


def _read_line(stream: Any, timeout: float) -> bytes | None:
    """One line from ``stream``; ``None`` when none arrives within ``timeout`` seconds."""
    with selectors.DefaultSelector() as sel:
        sel.register(stream, selectors.EVENT_READ)
        if not sel.select(timeout):
            return None
    return stream.readline()


def serve() -> None:
    """The worker's loop: one JSON request per line in, one JSON outcome per line out."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout = sys.stderr  # what a case prints must not reach the answer stream
    base = _namespace()
    answers.write("ready\n")
    answers.flush()
    for line in sys.stdin:
        request = json.loads(line)
        params = pickle.loads(base64.b64decode(request["params"]))
        with tempfile.TemporaryDirectory() as tmp:
            namespace = {**base, "params": params, "tmp": Path(tmp)}
            outcome = _execute(request["code"], namespace)
        answers.write(json.dumps(outcome) + "\n")
        answers.flush()


def _namespace() -> dict[str, Any]:
    import warnings

    import numpy as np
    import pandas as pd
    import polars as pl
    import zcfast

    warnings.simplefilter("ignore")
    return {"zcfast": zcfast, "np": np, "pd": pd, "pl": pl, "Path": Path, "cli": cli}


def cli(*args: str, status: int = 2) -> str:
    """Runs ``zcfast args...`` in this process and returns its stderr; raises AssertionError
    unless it exits with ``status`` and, for a usage error (2), says why in one line."""
    import contextlib
    import io

    from zcfast.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse's own usage errors
            code = exc.code if isinstance(exc.code, int) else 1
    text = err.getvalue()
    assert code == status, f"zcfast {' '.join(args)}: exit status {code}, stderr {text!r}"
    if status == 2:
        lines = [line for line in text.splitlines() if line.strip()]
        assert "Traceback" not in text, f"zcfast {' '.join(args)}: traceback\n{text}"
        assert lines and "error" in lines[-1], f"zcfast {' '.join(args)}: no error line: {text!r}"
    return text


def _execute(code: str, namespace: dict[str, Any]) -> dict[str, Any]:
    try:
        exec(compile(code, "<case>", "exec"), namespace)
    except BaseException as exc:
        return {
            "kind": "raised",
            "error_type": type(exc).__name__,
            "error_mro": [c.__name__ for c in type(exc).__mro__],
            "message": str(exc)[:2000],
            "detail": "".join(traceback.format_exception(exc)[-3:])[:2000],
        }
    return {"kind": "ok"}
