"""What the subcommands share: output files, the space/task/batch options of the commands that
run PyTorch, exit statuses and the Ctrl-C convention."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from zcfast._params import fail
from zcfast.exceptions import ConfigError

__all__ = [
    "INTERRUPTED",
    "add_torch_options",
    "check_writable",
    "example_batch",
    "note",
    "write_json",
]

#: Exit status of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
INTERRUPTED = 130


def note(text: str) -> None:
    """A line about where things came from, on stderr (stdout stays the result)."""
    print(text, file=sys.stderr)


def check_writable(path: Path | None, option: str) -> None:
    """Refuse an output path that cannot be written before a long run, not after it."""
    if path is None:
        return
    parent = path.resolve().parent
    if (
        path.is_dir()
        or not parent.is_dir()
        or not os.access(parent, os.W_OK)
        or (path.exists() and not os.access(path, os.W_OK))
    ):
        found = f"{str(path)!r} (a directory, or a folder that does not exist or cannot be written)"
        raise fail(option, "a writable file path", found)


def exactly_one(options: str, first: bool, second: bool) -> None:
    """Refuse both or neither of two options that go together (``"FILE, --demo"``)."""
    if first == second:
        raise fail(options, "exactly one of them", "both" if first else "neither", ConfigError)


def write_json(path: Path, payload: Any, option: str = "--out") -> None:
    """Writes ``payload`` to ``path``; should that still fail after the run (the disk filled
    up, the folder went away), the JSON goes to stdout so that the result is not lost."""
    text = json.dumps(payload, indent=2)
    try:
        path.write_text(text)
    except OSError as exc:
        print(text)
        found = f"{exc.strerror or exc}; the result was printed to stdout instead"
        raise fail(option, f"to write {str(path)!r}", found) from None


def add_torch_options(p: argparse.ArgumentParser, *, task: bool = True) -> None:
    """The options of the commands that build and score networks (``task=False``: the
    command has its own ``--task``, and sets ``args.net_task`` itself)."""
    group = p.add_argument_group("networks and the batch they are scored on")
    group.add_argument(
        "--space", default="nb201", help="search space (default nb201; see zcfast.spaces)"
    )
    if task:
        group.add_argument(
            "--task", dest="net_task", default=None, help="task of the space (default: its first)"
        )
    group.add_argument(
        "--num-classes",
        type=int,
        default=None,
        help="classifier outputs for a classification space without --task",
    )
    group.add_argument(
        "--data",
        default="digits",
        help="batch source: digits (scikit-learn's, offline), noise, or a CIFAR-10 folder"
        " (torchvision layout, not downloaded) (default digits)",
    )
    group.add_argument("--batch-size", type=int, default=64, help="samples in the batch (64)")
    group.add_argument(
        "--input-size", type=int, default=None, help="image side (default: the task's)"
    )
    group.add_argument("--device", default=None, help="torch device (default: CUDA when present)")
    group.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads while scoring (default: torch's, one per core; fewer on a busy"
        " machine)",
    )


def example_batch(args: argparse.Namespace, space: Any) -> tuple[Any, Any, Any]:
    """``(task, inputs, labels)`` of the torch options: the task at ``--input-size`` and a
    batch of ``--data`` for it."""
    task = space.task(args.net_task)
    if args.num_classes is not None:
        task = task.with_classes(args.num_classes)
    if args.input_size is not None:
        task = task.with_input_size(args.input_size)
    x, y = task.example_batch(args.batch_size, seed=args.seed, source=args.data)
    return task, x, y
