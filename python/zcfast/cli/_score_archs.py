"""``zcfast score-archs``: score the architectures of a space into a directory of part files.

zcfast score-archs --space nb201 --sample 1000 --seed 0 --out scores/ [--proxies a,b,c]
zcfast score-archs --archs archs.txt --out scores/ --executor ray --workers 8 [--resume]
zcfast score-archs --all --layers --out layers/ --executor processes

Rows stream to ``--out`` as they are scored (``zcfast.metrics.read_scores`` reads them back);
Ctrl-C or a killed run leaves every finished row there, and ``--resume`` finishes it.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path
from typing import Any

import polars as pl

from zcfast import datasets
from zcfast._params import Int, check, fail
from zcfast.cli._common import INTERRUPTED, add_torch_options, example_batch

__all__ = ["add_score_archs_parser", "run_score_archs"]

#: Exit status when architectures failed (their reasons are printed) and --allow-errors is off.
FAILED = 1
_TABLE_SUFFIXES = (".csv", ".parquet", ".arrow", ".ipc", ".feather")


def add_score_archs_parser(sub: Any) -> None:
    """Adds the ``score-archs`` subcommand to the CLI's subparsers."""
    p = sub.add_parser(
        "score-archs",
        help="score a space's architectures into a directory (resumable, parallel)",
        description="Build and score architectures with zcfast.metrics, streaming the rows to"
        " --out as Parquet part files; Ctrl-C or a crash keeps every finished row, and"
        " --resume scores only what is missing.",
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--archs",
        type=Path,
        help="architectures: a text file with one key per line, or a CSV/Parquet table with"
        " an arch or net column",
    )
    which.add_argument("--sample", type=int, metavar="N", help="N architectures drawn uniformly")
    which.add_argument("--all", action="store_true", help="every architecture of the space")
    p.add_argument("--seed", type=int, default=0, help="sample, weights and noise seed (0)")
    p.add_argument("--proxies", default=None, help="comma-separated proxies (default: all)")
    p.add_argument(
        "--layers",
        action="store_true",
        help="write the per-layer primitive table instead (with --proxies: both tables)",
    )
    p.add_argument("--out", type=Path, required=True, help="directory for the part files")
    p.add_argument(
        "--executor",
        default="inline",
        metavar="inline|processes|ray|ADDRESS",
        help="where architectures are scored: this process, local worker processes, Ray, or"
        " the Ray cluster at host:port / ray://host:port (default inline)",
    )
    p.add_argument("--workers", type=int, default=None, help="worker processes or Ray workers")
    p.add_argument("--chunk-size", type=int, default=None, help="architectures per work unit")
    p.add_argument(
        "--resume",
        action="store_true",
        help="add the missing rows to --out (architectures that failed are scored again)",
    )
    p.add_argument(
        "--allow-errors",
        action="store_true",
        help="exit 0 even when some architectures failed (their reasons are printed)",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_torch_options(p)


def run_score_archs(args: argparse.Namespace) -> int:
    """The ``score-archs`` command; returns the exit status."""
    from zcfast.jobs import check_out_path
    from zcfast.spaces import get_space

    check_out_path(args.out, "--out")  # before anything is scored
    if args.out.exists() and not args.resume:
        expected = "a new directory (or --resume to add the missing rows to an existing one)"
        raise fail("--out", expected, f"the existing {str(args.out)!r}")
    space = get_space(args.space)
    archs = _archs(args, space)
    keys = {_key(space, a) for a in archs}
    before = len(keys & _done_keys(args.out)) if args.out.exists() else 0
    _task, x, y = example_batch(args, space)
    start = time.perf_counter()
    with warnings.catch_warnings():
        # the summary below says what an interruption left; the library's warning would repeat it
        warnings.filterwarnings("ignore", message=".*interrupted;", category=UserWarning)
        try:
            _score(args, space, archs, x, y)
        except KeyboardInterrupt:
            pass  # between architectures (the loop itself returns what it finished)
    elapsed = time.perf_counter() - start
    return _report(args, keys, before, elapsed)


def _score(args: argparse.Namespace, space: Any, archs: list[Any], x: Any, y: Any) -> None:
    from zcfast import metrics

    common: dict[str, Any] = dict(
        inputs=x,
        labels=y,
        task=args.net_task,
        num_classes=args.num_classes,
        input_size=args.input_size,
        device=args.device,
        n_threads=args.threads,
        progress=not args.no_progress,
        seed=args.seed,
        executor=args.executor,
        workers=args.workers,
        out=args.out,
        chunk_size=args.chunk_size,
    )
    proxies = None if args.proxies is None else [p.strip() for p in args.proxies.split(",")]
    if args.layers and proxies is not None:
        metrics.score_archs_and_layers(space, archs, proxies=proxies, **common)
    elif args.layers:
        metrics.layer_primitives_many(space, archs, **common)
    else:
        metrics.score_archs(space, archs, proxies=proxies, **common)


def _archs(args: argparse.Namespace, space: Any) -> list[Any]:
    if args.all:
        return list(space.enumerate())
    if args.sample is not None:
        return list(space.sample(check("--sample", args.sample, Int(1)), seed=args.seed))
    return _read_archs(Path(args.archs))


def _read_archs(path: Path) -> list[Any]:
    """Architectures from a table's ``arch``/``net`` column or from a text file, one per line
    (blank lines and ``#`` comments skipped; a line of digits is an index of the space)."""
    if path.suffix.lower() in _TABLE_SUFFIXES:
        table = datasets.read_table(path)
        column = next((c for c in ("arch", "net") if c in table.columns), None)
        if column is None:
            expected = f"an arch or net column in {path.name}"
            raise fail("--archs", expected, ", ".join(table.columns))
        archs = table[column].drop_nulls().to_list()
        where = f"the {column} column of {path.name}"
    else:
        try:
            lines = path.read_text().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise fail("--archs", "a readable text file", str(exc)) from None
        texts = [line.strip() for line in lines]
        archs = [int(t) if t.isascii() and t.isdigit() and len(t) < 19 else t for t in texts]
        archs = [a for a in archs if a != "" and not str(a).startswith("#")]
        where = path.name
    if not archs:
        raise fail("--archs", f"at least one architecture in {where}", "none")
    return archs


def _key(space: Any, arch: Any) -> str:
    from zcfast.exceptions import ZcfastError

    try:
        return str(space.key(arch))
    except ZcfastError:
        return str(arch)  # scored as an error row under this key


def _done_keys(out: Path) -> set[str]:
    from zcfast.jobs import read_scores

    rows = read_scores(out).filter(pl.col("error").is_null())
    return set(rows.select("arch").collect()["arch"].to_list())


def _report(args: argparse.Namespace, keys: set[str], before: int, elapsed: float) -> int:
    from zcfast.jobs import read_scores

    rows = read_scores(args.out).filter(pl.col("arch").is_in(list(keys)))
    firsts = rows.group_by("arch", maintain_order=True).first().collect()
    failed = firsts.filter(pl.col("error").is_not_null())
    done = firsts.height
    print(
        f"scored:   {done - before} architectures of {args.space} in {elapsed:.1f} s"
        f" ({args.executor}); {before} were there already"
    )
    print(f"errors:   {failed.height} architectures failed")
    for arch, error in failed.select("arch", "error").iter_rows():
        print(f"  failed: {arch}: {error}")
    if done < len(keys):
        print(
            f"stopped:  {len(keys) - done} of {len(keys)} architectures not scored yet;"
            f" rerun with --resume to finish"
        )
        return INTERRUPTED
    print(f"wrote:    {args.out} ({done} architectures; zcfast.metrics.read_scores reads it)")
    if failed.height and not args.allow_errors:
        print(
            "status:   1, because architectures failed (--resume scores them again;"
            " --allow-errors accepts the partial result)"
        )
        return FAILED
    return 0
