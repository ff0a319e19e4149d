"""The ``zcfast`` command line: one module per subcommand.

``zcfast evolve`` / ``zcfast score`` (:mod:`._evolve`), ``zcfast search`` (:mod:`._search`),
``zcfast score-archs`` (:mod:`._score_archs`); what they share is in :mod:`._common`.
``python -m zcfast`` is the same program.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from zcfast.cli._evolve import add_evolve_parsers, run_evolve, run_score
from zcfast.cli._score_archs import add_score_archs_parser, run_score_archs
from zcfast.cli._search import add_search_parser, run_search
from zcfast.exceptions import ZcfastError

__all__ = ["main"]

_COMMANDS = {
    "evolve": run_evolve,
    "score": run_score,
    "search": run_search,
    "score-archs": run_score_archs,
}


def _parser() -> argparse.ArgumentParser:
    from zcfast import __version__

    parser = argparse.ArgumentParser(
        prog="zcfast",
        description="Evolve training-free performance predictors (zero-cost proxies) for NAS.",
    )
    parser.add_argument("--version", action="version", version=f"zcfast {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    add_evolve_parsers(sub)
    add_search_parser(sub)
    add_score_archs_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``zcfast`` command: 0 on success, 2 (one ``zcfast: error:`` line on
    stderr) for a zcfast error, argparse's status 2 and usage for a malformed command line,
    130 when Ctrl-C stopped a run (after printing what it finished)."""
    args = _parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            # interruptions are reported by the commands themselves, in their summary
            warnings.filterwarnings("ignore", message=".*interrupted", category=UserWarning)
            return _COMMANDS[args.command](args)
    except ZcfastError as exc:
        print(f"zcfast: error: {exc}", file=sys.stderr)
        return 2
