"""Every example a reader copies from README.md and docs/*.md, run by the test suite.

Sybil (https://sybil.readthedocs.io) finds the examples and makes each one a pytest item; this
module says how each kind of block runs (the root ``conftest.py`` wires it in):

* ```` ```python ```` blocks run in order in one namespace per file, as a reader runs them, in a
  scratch folder that sits next to a link to ``../shared`` (so the ``../shared/data/...`` paths
  of the examples resolve as they do from the repository root, and what the examples write
  stays out of the tree), with one torch thread (two shared cores make torch's spinning worker
  threads several times slower).  Blocks that start with ``>>>`` are doctests.
* Every command of a ```` ```bash ```` block (``sh`` and ``shell`` too; of a ``console`` block,
  the ``$`` lines) is its own item: it runs with bash in that scratch folder, the installed
  ``zcfast`` first on ``PATH``, and must exit with status 0; ``&&`` and ``;`` separate
  commands, ``#`` starts a comment, a trailing backslash continues a line.
* ```` ```text ```` blocks are transcripts and output, and do not run.  A block in any other
  language, or a fence without a language, fails: nothing is left out silently.

Commands that cannot run inside the test suite as written (installing the package the suite
runs in, the test suite itself, experiments that take half an hour) get a ``docs-test``
directive, an HTML comment right before their block (only blank lines between)::

    <!-- docs-test
    pip-installed `pip install`: the test suite runs in the environment this installs
    not-run `python -m pytest`: this command is the test suite that is running
    -->

One rule a line (``<!-- docs-test: RULE -->`` for one): a mode, optionally a command prefix in
backticks (the rule then covers the block's commands that start with those words; without one,
every command of the block), a colon and the reason, which is required.  The modes:

``pip-installed``
    ``pip install ...``: what it would install is installed here, at versions its requirements
    allow (the project with the extras it names, from ``pyproject.toml``, and the packages
    those require; any other requirement as given), and ``zcfast`` imports.
``help``
    a long program: ``PROGRAM [SUBCOMMAND...] --help`` runs from the repository root, exits
    with status 0 and mentions every option the command passes.
``collect-only``
    a pytest command: it runs from the repository root with ``--collect-only`` and must
    collect at least one test.
``not-run``
    not run: its program must exist (a shell script must parse; cargo's ``-p``, ``--bench``
    and ``--test`` names must exist in the workspace), then the item is skipped with the
    reason, so that the summary lists it.
``repo-root``
    runs for real, from the repository root instead of the scratch folder.

A rule that covers no command, a command that two rules cover, an unknown mode, a rule without
a reason or a directive that is not right before a shell block fails.  A command that installs
packages or runs a test suite (pip, pytest, cargo) and has no directive fails without running.
Where ``../shared/data`` is absent, a document that reads it is skipped (failed in CI), as the
data tests are.
"""

from __future__ import annotations

import contextlib
import doctest
import functools
import importlib
import importlib.metadata as metadata
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from sybil import Document, Example, Region
from sybil.evaluators.python import PythonEvaluator
from sybil.parsers.markdown import CodeBlockParser, PythonCodeBlockParser
from sybil.parsers.markdown.lexers import RawFencedCodeBlockLexer

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest depends on tomli there
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

SHELL_LANGUAGES = {"bash", "sh", "shell", "console"}
NOT_RUN_LANGUAGES = {"text"}
MODES = ("pip-installed", "help", "collect-only", "not-run", "repo-root")
# Programs that change the environment or run a test suite: never run without a directive.
GUARDED = {"pip", "pip3", "pytest", "cargo", "maturin"}
RUN_TIMEOUT = 300  # seconds, a command that runs for real
CHECK_TIMEOUT = 180  # seconds, a --help or --collect-only check

_DIRECTIVE = re.compile(r"^[ \t]*<!--[ \t]*docs-test\b:?(?P<body>.*?)-->", re.S | re.M)
_RULE = re.compile(r"^(?P<mode>[\w-]+)(?:\s+`(?P<prefix>[^`]+)`)?\s*:\s*(?P<reason>.*)$")
_FENCES = RawFencedCodeBlockLexer(
    info_pattern=re.compile(r"(?P<info>[^\n]*)$\n", re.M),
    mapping={"info": "info", "source": "source"},
)


# ---------------------------------------------------------------------------------------------
# Directives
# ---------------------------------------------------------------------------------------------


class DocsFailure(Exception):
    """A command or block that does not pass: the message is the test's failure."""


@dataclass(frozen=True)
class Rule:
    """One line of a ``docs-test`` directive."""

    mode: str
    prefix: tuple[str, ...] | None
    reason: str

    def covers(self, tokens: list[str]) -> bool:
        return self.prefix is None or tuple(tokens[: len(self.prefix)]) == self.prefix

    def describe(self) -> str:
        where = f" `{' '.join(self.prefix)}`" if self.prefix else ""
        return f"{self.mode}{where}"


@dataclass
class Directive:
    """A ``docs-test`` comment: its place in the document, its rules, what is wrong with it."""

    start: int
    end: int
    rules: list[Rule] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def parse_directive(start: int, end: int, body: str) -> Directive:
    directive = Directive(start, end)
    lines = [line.strip() for line in body.strip().splitlines() if line.strip()]
    if not lines:
        directive.errors.append("an empty docs-test directive: expected MODE [`PREFIX`]: REASON")
    for line in lines:
        match = _RULE.match(line)
        if match is None:
            directive.errors.append(f"{line!r}: expected MODE [`COMMAND PREFIX`]: REASON")
            continue
        mode, prefix, reason = match["mode"], match["prefix"], match["reason"].strip()
        if mode not in MODES:
            directive.errors.append(f"{line!r}: unknown mode {mode!r}; modes: {', '.join(MODES)}")
            continue
        if len(reason.split()) < 3:
            directive.errors.append(f"{line!r}: the reason is required (a few words)")
            continue
        words = tuple(shlex.split(prefix)) if prefix is not None else None
        if words == ():
            directive.errors.append(f"{line!r}: an empty command prefix")
            continue
        directive.rules.append(Rule(mode, words, reason))
    return directive


def find_directives(text: str) -> list[Directive]:
    return [parse_directive(m.start(), m.end(), m["body"]) for m in _DIRECTIVE.finditer(text)]


# ---------------------------------------------------------------------------------------------
# Shell commands
# ---------------------------------------------------------------------------------------------


@dataclass
class Command:
    """One shell command of a block and how it is checked."""

    text: str  # as written (quotes, globs), without comment
    tokens: list[str]
    line: int  # 0-based line of the block's source the command starts on
    column: int  # 0-based column within that line
    rule: Rule | None = None
    language: str = "bash"

    def __str__(self) -> str:
        return self.text


def _split_line(line: str) -> Iterator[tuple[int, str]]:
    """(offset, text) of each command of one logical line: ``&&`` and ``;`` separate
    commands, ``#`` at the start of a word ends the line; quotes and backslashes respected."""
    start, i, quote = 0, 0, ""
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 1
            elif c == quote:
                quote = ""
        elif c == "\\":
            i += 1
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1].isspace()):
            break
        elif c == ";" or line.startswith("&&", i):
            yield start, line[start:i]
            i += 1 if c == ";" else 2
            start = i
            continue
        i += 1
    yield start, line[start:i]


def split_commands(source: str, language: str) -> list[Command]:
    """The commands of a shell block, with where each starts in the block."""
    physical = source.splitlines()
    logical: list[tuple[str, list[tuple[int, int]]]] = []  # text, (line, column) per char
    text, where = "", []
    for number, raw in enumerate(physical):
        line = raw
        if language == "console":
            if not text:
                if not line.startswith("$ "):
                    continue  # output
                line = line[2:]
                offset = 2
            else:
                offset = 0
        else:
            offset = 0
        continued = line.endswith("\\") and not line.endswith("\\\\")
        body = line[:-1] if continued else line
        text += body + (" " if continued else "")
        where += [(number, offset + k) for k in range(len(body))] + ([(number, 0)] * continued)
        if not continued:
            logical.append((text, where))
            text, where = "", []
    if text:
        logical.append((text, where))
    commands = []
    for text, where in logical:
        for offset, segment in _split_line(text):
            stripped = segment.strip()
            if not stripped:
                continue
            start = offset + len(segment) - len(segment.lstrip())
            row, column = where[start]
            try:
                tokens = shlex.split(stripped)
            except ValueError:  # unbalanced quotes: _evaluate reports it
                tokens = []
            commands.append(Command(stripped, tokens, row, column, language=language))
    return commands


def _program(tokens: list[str]) -> tuple[list[str], list[str]]:
    """The program part of a command (``python script.py``, ``python -m mod``, ``name``)
    and the rest."""
    if tokens and tokens[0] in ("python", "python3"):
        if len(tokens) > 2 and tokens[1] == "-m":
            return tokens[:3], tokens[3:]
        return tokens[:2], tokens[2:]
    return tokens[:1], tokens[1:]


def _guarded(tokens: list[str]) -> bool:
    head, _ = _program(tokens)
    return bool(head) and (head[0] in GUARDED or (len(head) == 3 and head[2] in GUARDED))


def _environment() -> dict[str, str]:
    # not an xdist worker's variables: a documented `pytest` command runs on its own (with them,
    # pytest-benchmark would take itself for a worker and refuse --benchmark-only)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST_")}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("MPLBACKEND", "Agg")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _run(text: str, cwd: Path, timeout: int) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["bash", "-o", "errexit", "-o", "pipefail", "-c", text],
            cwd=cwd,
            env=_environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise DocsFailure(f"`{text}` (in {cwd}) ran longer than {timeout} s") from exc


def _tail(result: subprocess.CompletedProcess[str], lines: int = 40) -> str:
    out = (result.stdout or "") + (result.stderr or "")
    return "\n".join(out.rstrip().splitlines()[-lines:])


def _expect_success(result: subprocess.CompletedProcess[str], what: str) -> None:
    if result.returncode != 0:
        raise DocsFailure(f"{what} exited with status {result.returncode}:\n{_tail(result)}")


def run_for_real(command: Command, cwd: Path) -> None:
    _expect_success(_run(command.text, cwd, RUN_TIMEOUT), f"`{command}` (in {cwd})")


def check_help(command: Command) -> None:
    head, rest = _program(command.tokens)
    words = []
    for token in rest:
        if token.startswith("-"):
            break
        words.append(token)
    options = sorted({t.split("=", 1)[0] for t in rest if t.startswith("-") and t != "-"})
    line = shlex.join([*head, *words, "--help"])
    result = _help(line)
    _expect_success(result, f"`{line}` (instead of `{command}`)")
    missing = [
        o for o in options if not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", result.stdout)
    ]
    if missing:
        raise DocsFailure(f"`{line}` does not mention {', '.join(missing)}:\n{_tail(result)}")


@functools.cache
def _help(line: str) -> subprocess.CompletedProcess[str]:
    """The output of a ``--help`` run, once per session (two commands may share it)."""
    return _run(line, ROOT, CHECK_TIMEOUT)


def check_collect_only(command: Command) -> None:
    head, _ = _program(command.tokens)
    if head[0] != "pytest" and head[-1] != "pytest":
        raise DocsFailure(f"`{command}`: collect-only is for pytest commands")
    line = f"{command.text} --collect-only -q -p no:cacheprovider"
    result = _run(line, ROOT, CHECK_TIMEOUT)
    if result.returncode == 5:
        raise DocsFailure(f"`{line}` collected no test:\n{_tail(result)}")
    _expect_success(result, f"`{line}` (instead of `{command}`)")


def check_exists(command: Command) -> None:
    """The program of a command that is not run exists (and parses, for a script)."""
    head, rest = _program(command.tokens)
    if not head:
        raise DocsFailure(f"`{command}`: no program")
    program = head[0]
    if "/" in program:
        path = ROOT / program
        if not path.is_file() or not os.access(path, os.X_OK):
            raise DocsFailure(f"`{command}`: {program} is not an executable file in {ROOT}")
        if path.suffix == ".sh":
            _expect_success(_run(f"bash -n {shlex.quote(str(path))}", ROOT, 30), f"bash -n {path}")
        return
    if shutil.which(program, path=_environment()["PATH"]) is None:
        raise DocsFailure(f"`{command}`: {program} is not on PATH")
    if program in ("python", "python3") and len(head) == 3:
        if importlib.util.find_spec(head[2]) is None:
            raise DocsFailure(f"`{command}`: no module {head[2]}")
    elif program in ("python", "python3"):
        script = ROOT / head[1]
        if not script.is_file():
            raise DocsFailure(f"`{command}`: {head[1]} is not a file in {ROOT}")
        compile(script.read_text(encoding="utf-8"), str(script), "exec")
    elif program == "cargo":
        _check_cargo_names(command, rest)


def _check_cargo_names(command: Command, args: list[str]) -> None:
    result = _run("cargo metadata --no-deps --format-version 1 --offline", ROOT, 60)
    _expect_success(result, "cargo metadata")
    packages = json.loads(result.stdout)["packages"]
    wanted: dict[str, str] = {"-p": "", "--package": "", "--bench": "bench", "--test": "test"}
    names: dict[str, set[str]] = {"": {p["name"] for p in packages}}
    for kind in ("bench", "test"):
        names[kind] = {t["name"] for p in packages for t in p["targets"] if kind in t["kind"]}
    for option, value in zip(args, args[1:]):
        target = wanted.get(option)
        if target is not None and value not in names[target]:
            what = target or "package"
            raise DocsFailure(f"`{command}`: no {what} {value!r} in the cargo workspace")


# ---------------------------------------------------------------------------------------------
# pip install: what it would install is installed
# ---------------------------------------------------------------------------------------------

_PIP_FLAGS = {"-U", "--upgrade", "-q", "--quiet", "--user", "--no-deps", "--pre", "-v"}
_PIP_VALUED = {"--only-binary", "--no-binary", "-c", "--constraint", "-i", "--index-url"}


def _project() -> dict[str, Any]:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return dict(tomllib.load(fh)["project"])


def pip_targets(command: Command) -> list[tuple[str, set[str]]]:
    """(distribution, extras) for each requirement of ``pip install ...`` (``.``, ``-e .``,
    ``.[a,b]``, a wheel of the project, ``name[a,b]>=1``)."""
    _, args = _program(command.tokens)  # pip install ..., python -m pip install ...
    if not args or args[0] != "install":
        raise DocsFailure(f"`{command}`: pip-installed is for `pip install` commands")
    project = canonicalize_name(_project()["name"])
    targets: list[tuple[str, set[str]]] = []
    args = args[1:]
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg in ("-e", "--editable"):
            continue
        if arg in _PIP_VALUED:
            i += 1
            continue
        if arg.startswith("-"):
            if arg.split("=", 1)[0] in _PIP_FLAGS | _PIP_VALUED:
                continue
            raise DocsFailure(f"`{command}`: pip option {arg} is not known to docs-test")
        local = re.fullmatch(r"\.(?:\[(?P<extras>[^\]]*)\])?", arg)
        if local is not None:
            extras = {e.strip() for e in (local["extras"] or "").split(",") if e.strip()}
            targets.append((project, extras))
        elif arg.endswith(".whl"):
            name = Path(arg).name.split("-", 1)[0]
            targets.append((canonicalize_name(name), set()))
        else:
            try:
                req = Requirement(arg)
            except InvalidRequirement as exc:
                raise DocsFailure(f"`{command}`: {arg!r} is not a requirement") from exc
            targets.append((canonicalize_name(req.name), set(req.extras)))
    if not targets:
        raise DocsFailure(f"`{command}`: installs nothing")
    return targets


def _applies(req: Requirement, extras: Iterable[str]) -> bool:
    """Whether a requirement applies here with these extras (``extra == ...`` markers)."""
    return req.marker is None or any(req.marker.evaluate({"extra": e}) for e in ("", *extras))


def missing_requirements(name: str, extras: set[str]) -> list[str]:
    """What is missing here of distribution ``name`` with ``extras`` and everything they
    require, at the versions required (the project's own requirements from pyproject.toml)."""
    problems: list[str] = []
    seen: set[tuple[str, frozenset[str]]] = set()
    project = _project()
    project_name = canonicalize_name(project["name"])

    def requirements_of(dist: str, wanted: set[str]) -> list[Requirement]:
        if dist == project_name:
            optional = project.get("optional-dependencies", {})
            problems.extend(f"{dist} has no extra {e!r}" for e in sorted(wanted - set(optional)))
            lines = list(project["dependencies"])
            lines += [r for e in sorted(wanted & set(optional)) for r in optional[e]]
            reqs = [Requirement(line) for line in lines]
            return [r for r in reqs if _applies(r, ())]
        reqs = [Requirement(line) for line in metadata.requires(dist) or []]
        return [r for r in reqs if _applies(r, wanted)]

    def visit(dist: str, wanted: set[str], req: Requirement | None) -> None:
        if (dist, frozenset(wanted)) in seen:
            return
        seen.add((dist, frozenset(wanted)))
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            problems.append(f"{req or dist} is not installed")
            return
        if req is not None and not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req} is not met ({dist} {version} is installed)")
        for sub in requirements_of(dist, wanted):
            visit(canonicalize_name(sub.name), set(sub.extras), sub)

    visit(name, extras, None)
    if name == project_name:
        try:
            importlib.import_module(f"{project_name}._core")
        except ImportError as exc:
            problems.append(f"{project_name} does not import: {exc}")
    return problems


def check_pip_installed(command: Command) -> None:
    problems = [
        p for name, extras in pip_targets(command) for p in missing_requirements(name, extras)
    ]
    if problems:
        raise DocsFailure(
            f"`{command}`: the test suite runs in the environment this command sets up, but"
            f" here {'; '.join(problems)}"
        )


# ---------------------------------------------------------------------------------------------
# Sybil parsers
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A block or directive that cannot be tested as it stands: its example fails."""

    message: str


def fail_problem(example: Example) -> str:
    message: str = example.parsed.message
    return message


def evaluate_command(example: Example) -> str | None:
    """Runs or checks one command; the failure message (Sybil reports it), or None."""
    try:
        _evaluate(example.parsed)
    except DocsFailure as exc:
        return str(exc)
    return None


def _evaluate(command: Command) -> None:
    if not command.tokens:
        raise DocsFailure(f"`{command}` cannot be read as a shell command")
    rule = command.rule
    if rule is None:
        if _guarded(command.tokens):
            raise DocsFailure(
                f"`{command}` installs packages or runs a test suite and cannot run inside the"
                " test suite as written: add a docs-test directive before its block (see"
                " tests/docs_harness.py)"
            )
        run_for_real(command, Path.cwd())
    elif rule.mode == "repo-root":
        run_for_real(command, ROOT)
    elif rule.mode == "pip-installed":
        check_pip_installed(command)
    elif rule.mode == "help":
        check_help(command)
    elif rule.mode == "collect-only":
        check_collect_only(command)
    elif rule.mode == "not-run":
        check_exists(command)
        pytest.skip(f"not run (`{command}`): {rule.reason}")
    else:  # parse_directive admits only MODES
        raise DocsFailure(f"unknown mode {rule.mode}")


class PythonBlockEvaluator:
    """Sybil's evaluator, but an exception fails the example with its traceback from the
    document's own line on (pytest would print the document from its first line)."""

    def __init__(self) -> None:
        self._run = PythonEvaluator()

    def __call__(self, example: Example) -> str | None:
        try:
            self._run(example)
        except Exception as exc:
            tb = exc.__traceback__
            while tb is not None and tb.tb_frame.f_code.co_filename != example.path:
                tb = tb.tb_next
            return "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))
        return None


class PythonBlockParser(PythonCodeBlockParser):
    """Sybil's parser of Python blocks (``>>>`` blocks are doctests), with that evaluator."""

    def __init__(self) -> None:
        super().__init__(doctest_optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        self.codeblock_parser = CodeBlockParser("python", PythonBlockEvaluator())


class DocsParser:
    """Every fenced block and ``docs-test`` directive of a Markdown document: Python blocks
    through Sybil's parser, shell commands one example each, problems as failing examples."""

    def __init__(self) -> None:
        self.python = PythonBlockParser()

    def __call__(self, document: Document) -> Iterable[Region]:
        text = document.text
        line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        directives = find_directives(text)
        after = {self._next_content(text, d.end): d for d in directives}
        used: set[int] = set()
        yield from self.python(document)
        for fence in _FENCES(document):
            info = str(fence.lexemes["info"]).strip()
            language = info.split()[0].lower() if info else ""
            start = self._fence_line_start(text, fence.start)
            directive = after.get(start)
            if directive is not None:
                used.add(directive.start)
            if language == "python":
                if directive is not None:
                    yield self._problem(
                        directive, "docs-test directives are for shell blocks; Python blocks run"
                    )
                continue
            if language in NOT_RUN_LANGUAGES:
                if directive is not None:
                    yield self._problem(directive, f"a {language} block does not run")
                continue
            if language not in SHELL_LANGUAGES:
                known = ", ".join(sorted({"python", *SHELL_LANGUAGES, *NOT_RUN_LANGUAGES}))
                yield Region(
                    fence.start,
                    fence.end,
                    Problem(
                        f"a fenced block in language {language or '(none)'!r}: say which"
                        f" it is ({known}) so that the docs tests run it or know not to"
                    ),
                    fail_problem,
                )
                continue
            yield from self._shell_regions(fence, language, directive, text, line_starts)
        for directive in directives:
            if directive.start not in used:
                yield self._problem(
                    directive, "a docs-test directive must come right before a shell block"
                )

    @staticmethod
    def _fence_line_start(text: str, position: int) -> int:
        return text.rfind("\n", 0, position) + 1

    @staticmethod
    def _next_content(text: str, position: int) -> int:
        """The start of the line of the first non-blank character at or after ``position``."""
        end = len(text) - len(text[position:].lstrip())
        return text.rfind("\n", 0, end) + 1

    @staticmethod
    def _problem(directive: Directive, message: str) -> Region:
        return Region(directive.start, directive.end, Problem(message), fail_problem)

    def _shell_regions(
        self,
        fence: Region,
        language: str,
        directive: Directive | None,
        text: str,
        line_starts: list[int],
    ) -> Iterator[Region]:
        source = str(fence.lexemes["source"])
        commands = split_commands(source, language)
        rules = directive.rules if directive is not None else []
        errors = list(directive.errors) if directive is not None else []
        for rule in rules:
            if not any(rule.covers(c.tokens) for c in commands):
                errors.append(f"rule {rule.describe()} covers no command of the block")
        for command in commands:
            covering = [r for r in rules if r.covers(command.tokens)]
            if len(covering) > 1:
                names = " and ".join(r.describe() for r in covering)
                errors.append(f"`{command}` is covered by two rules ({names})")
            command.rule = covering[0] if covering else None
        if directive is not None and errors:
            yield self._problem(directive, "; ".join(errors))
            return
        if not commands:
            yield Region(
                fence.start, fence.end, Problem("a shell block with no command"), fail_problem
            )
            return
        fence_line = text.count("\n", 0, fence.start)
        opening = text[line_starts[fence_line] :].split("\n", 1)[0]
        indent = len(opening) - len(opening.lstrip(" \t>"))  # of an indented block's lines
        for command in commands:
            start = line_starts[fence_line + 1 + command.line] + indent + command.column
            yield Region(start, start + 1, command, evaluate_command)


class MarkdownDocument(Document):
    """A Markdown document whose examples know their own line and column (Sybil's count
    columns from the previous example, which is wrong for two commands on one line)."""

    def examples(self) -> Iterator[Example]:
        for _, region in self.regions:
            line = self.text.count("\n", 0, region.start) + 1
            column = region.start - self.text.rfind("\n", 0, region.start)
            yield Example(self, line, column, region, self.namespace)


# ---------------------------------------------------------------------------------------------
# The scratch folder a document runs in
# ---------------------------------------------------------------------------------------------


def require_data(text: str) -> None:
    """Skip (fail in CI) a document that reads ../shared/data where it is absent, as the
    data tests do (see tests/conftest.py)."""
    data = SHARED / "data"
    if "../shared/data" in text and not data.exists():
        if os.environ.get("CI"):
            pytest.fail(f"reference data missing at {data}: CI must have ../shared/data")
        pytest.skip(f"reference data not present at {data} (the examples read it)")


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """Examples compute with one torch thread (where torch is installed): on two cores shared
    with anything else, torch's spinning worker threads make them several times slower."""
    if importlib.util.find_spec("torch") is None:
        yield
        return
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def make_workdir(base: Path) -> Path:
    """``base/work``, next to ``base/shared`` (a link to ../shared), for a document to run in."""
    if SHARED.exists():
        (base / "shared").symlink_to(SHARED, target_is_directory=True)
    work = base / "work"
    work.mkdir()
    return work
