"""The run loop shared by every evolution entry point: step, report, stop.

Generations run one native call at a time, so that the progress bar, the stopping rules, the
callback and Ctrl-C are handled between them; a Ctrl-C stops after the current generation
and keeps what was found.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from zcfast import _core
from zcfast._settings import Settings
from zcfast.exceptions import ArgumentTypeError

__all__ = ["Callback", "RunLog", "run_generations"]

Callback = Callable[[dict[str, Any]], "bool | None"]


@dataclass
class RunLog:
    """What the loop did: per-generation statistics and why it stopped."""

    history: list[dict[str, Any]]
    stop_reason: str
    started: float

    @property
    def interrupted(self) -> bool:
        return self.stop_reason == "interrupted"

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


def run_generations(
    core: _core.Evolver,
    settings: Settings,
    *,
    started: float,
    callback: Callback | None = None,
    progress: bool = False,
    label: str = "evolve",
) -> RunLog:
    """Steps ``core`` until ``settings.generations``, a stopping rule, the callback or Ctrl-C."""
    if callback is not None and not callable(callback):
        raise ArgumentTypeError(
            f"callback: expected a function of the generation's statistics, found"
            f" {type(callback).__name__}"
        )
    log = RunLog(history=[], stop_reason="generations", started=started)
    bar = _progress_bar(settings.generations, label) if progress else None
    try:
        while len(log.history) < settings.generations:
            t0 = time.perf_counter()
            stats = core.step(1)[0]
            stats["seconds"] = time.perf_counter() - t0
            log.history.append(stats)
            if bar is not None:
                bar.set_postfix(
                    best=f"{stats['best_fitness']:.4f}", size=stats["best_size"], refresh=False
                )
                bar.update(1)
            reason = _stop_reason(settings, stats, log, callback)
            if reason is not None:
                log.stop_reason = reason
                break
    except KeyboardInterrupt:
        if not log.history:
            raise
        log.stop_reason = "interrupted"
        warnings.warn(
            f"{label}: interrupted after {len(log.history)} generation(s); returning the best"
            " so far",
            RuntimeWarning,
            stacklevel=3,
        )
    finally:
        if bar is not None:
            bar.close()
    return log


def _stop_reason(
    settings: Settings, stats: dict[str, Any], log: RunLog, callback: Callback | None
) -> str | None:
    if settings.target_fitness is not None and stats["best_fitness"] >= settings.target_fitness:
        return "target_fitness"
    if settings.time_limit is not None and log.elapsed() >= settings.time_limit:
        return "time_limit"
    if callback is not None and _callback_says_stop(callback(dict(stats))):
        return "callback"
    return None


def _callback_says_stop(answer: object) -> bool:
    # Only None and booleans: an array or a string here is a bug in the callback, and
    # Python's truthiness would either raise or silently stop the run.
    if answer is None or isinstance(answer, (bool, np.bool_)):
        return bool(answer)
    raise ArgumentTypeError(
        f"callback: expected it to return None, True (stop) or False, found {type(answer).__name__}"
    )


def _progress_bar(total: int, label: str) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=label, unit="gen", leave=False)
