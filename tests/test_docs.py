"""The harness that runs the examples of README.md and docs/*.md (tests/docs_harness.py),
on small Markdown documents written here: what runs, what is checked instead, what fails."""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import pytest
from sybil import Document
from sybil.example import SybilFailure

from tests.docs_harness import (
    Command,
    DocsFailure,
    DocsParser,
    MarkdownDocument,
    Problem,
    check_collect_only,
    check_help,
    missing_requirements,
    pip_targets,
    split_commands,
)

FENCE = "```"


def parse(tmp_path: Path, text: str) -> MarkdownDocument:
    path = tmp_path / "doc.md"
    path.write_text(textwrap.dedent(text).replace("'''", FENCE), encoding="utf-8")
    document = MarkdownDocument.parse(str(path), DocsParser())
    assert isinstance(document, MarkdownDocument)
    return document


def outcomes(document: Document) -> list[tuple[int, str]]:
    """(line, "ok" | "skipped: ..." | "failed: ...") of every example, evaluated in order."""
    out = []
    for example in document.examples():
        try:
            example.evaluate()
        except SybilFailure as exc:
            out.append((example.line, f"failed: {exc.result}"))
        except pytest.skip.Exception as exc:
            out.append((example.line, f"skipped: {exc.msg}"))
        else:
            out.append((example.line, "ok"))
    return out


def command(text: str) -> Command:
    (c,) = split_commands(text, "bash")
    return c


def test_python_blocks_share_one_namespace_in_order(tmp_path: Path) -> None:
    document = parse(
        tmp_path,
        """\
        '''python
        a = 1
        '''
        Text.
        '''python
        assert a == 1
        b = a + 1
        '''
        '''python
        >>> b
        2
        '''
        """,
    )
    assert outcomes(document) == [(1, "ok"), (5, "ok"), (10, "ok")]


def test_a_failing_python_block_shows_its_own_lines(tmp_path: Path) -> None:
    document = parse(
        tmp_path,
        """\
        Text.
        '''python
        a = 1
        b = a / 0
        '''
        """,
    )
    ((line, result),) = outcomes(document)
    assert line == 2 and result.startswith("failed: Traceback (most recent call last):")
    assert 'doc.md", line 4, in <module>\n    b = a / 0\n' in result
    assert result.endswith("ZeroDivisionError: division by zero\n")
    assert "Text." not in result and "sybil" not in result


def test_text_blocks_do_not_run_and_unknown_languages_fail(tmp_path: Path) -> None:
    document = parse(
        tmp_path,
        """\
        '''text
        $ rm -rf /
        '''
        '''
        no language
        '''
        '''toml
        a = 1
        '''
        """,
    )
    results = outcomes(document)
    assert [line for line, _ in results] == [4, 7]
    assert all("say which it is" in r for _, r in results)
    assert "'(none)'" in results[0][1] and "'toml'" in results[1][1]


def test_every_shell_command_runs_and_must_succeed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    document = parse(
        tmp_path,
        """\
        '''bash
        # a comment
        echo one > one.txt && echo "two && # not a comment" > two.txt  # a comment
        test -f one.txt; test -f two.txt \\
            && grep -q "two && # not" two.txt
        false
        '''
        """,
    )
    examples = list(document.examples())
    assert [e.parsed.text for e in examples] == [
        "echo one > one.txt",
        'echo "two && # not a comment" > two.txt',
        "test -f one.txt",
        "test -f two.txt",
        'grep -q "two && # not" two.txt',
        "false",
    ]
    assert [(e.line, e.column) for e in examples] == [
        (3, 1),
        (3, 23),
        (4, 1),
        (4, 18),
        (5, 8),
        (6, 1),
    ]
    results = outcomes(document)
    assert [r for _, r in results[:5]] == ["ok"] * 5
    assert results[5][1].startswith("failed: `false` (in ") and "status 1" in results[5][1]


def test_console_blocks_run_their_prompt_lines(tmp_path: Path) -> None:
    commands = split_commands("$ echo a \\\n  b\na b\n$ true\noutput\n", "console")
    assert [(c.text, c.line, c.column) for c in commands] == [
        ("echo a    b", 0, 2),
        ("true", 3, 2),
    ]


def test_an_unreadable_command_fails(tmp_path: Path) -> None:
    document = parse(
        tmp_path,
        """\
        '''bash
        echo "unbalanced
        '''
        """,
    )
    assert outcomes(document) == [
        (2, 'failed: `echo "unbalanced` cannot be read as a shell command')
    ]


def test_a_command_that_cannot_run_needs_a_directive(tmp_path: Path) -> None:
    document = parse(
        tmp_path,
        """\
        '''bash
        pip install definitely-not-a-package-zcfast
        python -m pytest
        '''
        """,
    )
    results = outcomes(document)
    assert len(results) == 2
    assert all("add a docs-test directive" in r for _, r in results)


def test_directives_choose_how_commands_are_checked(tmp_path: Path) -> None:
    document = parse(
        tmp_path,
        """\
        <!-- docs-test
        not-run `python -m pytest`: this command is the test suite itself
        pip-installed `pip install`: the suite runs in that environment
        -->

        '''bash
        pip install "pytest>=1" && python -m pytest
        echo runs
        '''
        """,
    )
    assert outcomes(document) == [
        (7, "ok"),
        (7, "skipped: not run (`python -m pytest`): this command is the test suite itself"),
        (8, "ok"),
    ]


@pytest.mark.parametrize(
    ("directive", "block", "message"),
    [
        ("not-run: x", "'''bash\ntrue\n'''", "the reason is required"),
        ("sometimes: a good reason here", "'''bash\ntrue\n'''", "unknown mode 'sometimes'"),
        ("no reason at all", "'''bash\ntrue\n'''", "expected MODE [`COMMAND PREFIX`]: REASON"),
        ("", "'''bash\ntrue\n'''", "an empty docs-test directive"),
        (
            "not-run `cargo test`: CI runs it elsewhere",
            "'''bash\ntrue\n'''",
            "rule not-run `cargo test` covers no command",
        ),
        (
            "not-run: nothing runs here\nhelp `true`: it runs far too long",
            "'''bash\ntrue\n'''",
            "is covered by two rules",
        ),
        ("not-run: python always runs", "'''python\nx = 1\n'''", "Python blocks run"),
        ("not-run: text never runs", "'''text\nx\n'''", "a text block does not run"),
        ("not-run: nothing follows it", "Some text.", "must come right before a shell block"),
    ],
)
def test_a_wrong_directive_fails(tmp_path: Path, directive: str, block: str, message: str) -> None:
    text = f"<!-- docs-test\n{directive}\n-->\n{block}\n"
    document = MarkdownDocument.parse(str(_write(tmp_path, text)), DocsParser())
    failures = [r for _, r in outcomes(document) if r.startswith("failed")]
    assert len(failures) == 1
    assert message in failures[0]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "doc.md"
    path.write_text(text.replace("'''", FENCE), encoding="utf-8")
    return path


def test_one_line_directive_and_repo_root(tmp_path: Path) -> None:
    document = parse(
        tmp_path,
        """\
        <!-- docs-test: repo-root: the command reads files of the repository -->
        '''sh
        test -f pyproject.toml && test -d tests
        '''
        """,
    )
    assert outcomes(document) == [(3, "ok"), (3, "ok")]


def test_pip_targets() -> None:
    assert pip_targets(command('pip install -e ".[test,torch]"')) == [("zcfast", {"test", "torch"})]
    assert pip_targets(command("pip install . 'zcfast[plot]' dist/zcfast-*.whl scipy>=1")) == [
        ("zcfast", set()),
        ("zcfast", {"plot"}),
        ("zcfast", set()),
        ("scipy", set()),
    ]
    assert pip_targets(command("python -m pip install --upgrade --only-binary :all: ray")) == [
        ("ray", set())
    ]
    with pytest.raises(DocsFailure, match="pip option --target is not known"):
        pip_targets(command("pip install --target x zcfast"))


def test_missing_requirements() -> None:
    assert missing_requirements("zcfast", {"test"}) == []
    assert missing_requirements("zcfast", {"no-such-extra"}) == [
        "zcfast has no extra 'no-such-extra'"
    ]
    assert missing_requirements("definitely-not-a-package-zcfast", set()) == [
        "definitely-not-a-package-zcfast is not installed"
    ]


def test_help_checks_the_options_the_command_uses(tmp_path: Path) -> None:
    script = tmp_path / "long.py"
    script.write_text(
        "import argparse\n"
        "parser = argparse.ArgumentParser()\n"
        "parser.add_argument('--layers', action='store_true')\n"
        "parser.parse_args()\n"
        "raise SystemExit('ran for real')\n"
    )
    check_help(command(f"{sys.executable} {script} --layers"))
    with pytest.raises(DocsFailure, match="does not mention --cells"):
        check_help(command(f"{sys.executable} {script} --layers --cells 5"))


def test_collect_only_needs_a_test(tmp_path: Path) -> None:
    empty = tmp_path / "test_nothing.py"
    empty.write_text("X = 1\n")
    with pytest.raises(DocsFailure, match="collected no test"):
        check_collect_only(command(f"python -m pytest {empty}"))


@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not on PATH")
def test_not_run_checks_what_it_can(tmp_path: Path) -> None:
    document = parse(
        tmp_path,
        """\
        <!-- docs-test: not-run: these would take far too long -->
        '''bash
        cargo bench -p zcfast-core --bench kernels
        cargo bench -p zcfast-core --bench no_such_bench
        scripts/no_such_script.sh
        python scripts/no_such_script.py
        '''
        """,
    )
    results = [r for _, r in outcomes(document)]
    assert results[0].startswith("skipped: not run (`cargo bench")
    assert "no bench 'no_such_bench' in the cargo workspace" in results[1]
    assert "scripts/no_such_script.sh is not an executable file" in results[2]
    assert "scripts/no_such_script.py is not a file" in results[3]


def test_problems_are_examples_that_fail(tmp_path: Path) -> None:
    document = parse(tmp_path, "'''rust\nfn main() {}\n'''\n")
    (example,) = document.examples()
    assert isinstance(example.parsed, Problem)


def test_docstring_examples_say_why_they_are_skipped() -> None:
    """Every docstring example runs (--doctest-modules); one that cannot says why, in a comment
    on its line: ``>>> f()  # cannot run here: needs a GPU  # doctest: +SKIP``."""
    package = Path(__file__).resolve().parents[1] / "python" / "zcfast"
    unexplained = [
        f"{path.relative_to(package.parent)}:{number}"
        for path in sorted(package.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "+SKIP" in line and "# cannot run here:" not in line
    ]
    assert unexplained == [], "doctest +SKIP without '# cannot run here: REASON'"
