"""Many architectures of a search space: proxy matrices and long per-layer tables.

:func:`score_archs`, :func:`layer_primitives_many` and :func:`score_archs_and_layers` validate
their arguments into a :class:`ScoreJob`, the picklable "score these architectures" call, and
hand it to :func:`zcfast.metrics._runner.run_job`, which decides where its chunks run (in this
process, local worker processes or Ray) and where the rows go (memory or an ``out=``
directory).  Wherever a chunk runs, every architecture goes through the one loop here
(:func:`_for_each_arch`): built fresh with a fixed seed, evaluated, a failure turned into an
error row, Ctrl-C ending the loop with the finished rows.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast, overload

import torch
from torch import nn

from zcfast._messages import describe_value
from zcfast.exceptions import ArgumentTypeError, InvalidValueError, ZcfastError
from zcfast.metrics._api import compute, compute_and_layers
from zcfast.metrics._common import (
    LossFn,
    check_dtype,
    check_inputs,
    check_label_range,
    check_labels,
    check_loss_fn,
    check_options,
    check_seed,
    normalize_proxies,
    resolve_device,
)
from zcfast.metrics._layers import LAYER_COLUMNS
from zcfast.metrics._runner import run_job

if TYPE_CHECKING:
    import polars as pl

    from zcfast.spaces import SearchSpace

T = TypeVar("T")

#: What a job computes: the proxy matrix, the layer table, or both from one pass.
JobKind = Literal["proxies", "layers", "both"]

#: The tables each kind of job produces, the first being the one every chunk has a row in.
TABLES: dict[str, tuple[str, ...]] = {
    "proxies": ("proxies",),
    "layers": ("layers",),
    "both": ("proxies", "layers"),
}


#: What scoring uses of a :class:`SearchSpace` (a space made only for scoring needs no more).
_SCORING_MEMBERS = ("name", "key", "build")


def _space(space: Any) -> SearchSpace:
    from zcfast.spaces import get_space

    if isinstance(space, str):
        return get_space(space)
    if all(hasattr(space, m) for m in _SCORING_MEMBERS):
        return cast("SearchSpace", space)
    raise ArgumentTypeError(
        f"space: expected a search-space name or a SearchSpace, found {type(space).__name__}"
    )


def _arch_list(archs: Any) -> list[Any]:
    """``archs`` as a list; a lone string or a non-iterable is an error, not iterated."""
    if isinstance(archs, (str, bytes)):
        raise ArgumentTypeError(
            f"archs: expected an iterable of architectures, found a single string {archs!r} "
            f"(wrap one architecture in a list)"
        )
    if not isinstance(archs, Iterable):
        raise ArgumentTypeError(
            f"archs: expected an iterable of architectures, found {type(archs).__name__} "
            f"(wrap one architecture in a list)"
        )
    return list(archs)


@dataclass
class _Outcome(Generic[T]):
    """One architecture's key and either its value or the error message."""

    key: str
    value: T | None
    error: str | None


@dataclass
class ChunkResult:
    """What scoring a chunk gives: a frame per table, how many architectures it holds, and
    whether Ctrl-C ended the loop before the chunk's last architecture."""

    frames: dict[str, pl.DataFrame]
    n_done: int
    interrupted: bool = False


@dataclass
class ScoreJob:
    """Everything needed to score architectures, validated once: the unit of work executors
    send to their workers (picklable when the space and ``loss_fn`` are).

    The batch is kept on the CPU; :meth:`place` moves it to the device of the process that
    scores, once per process (the placed copy is not pickled).
    """

    kind: JobKind
    space: SearchSpace
    inputs: torch.Tensor
    labels: torch.Tensor
    num_classes: int
    input_size: int
    device: str | None
    dtype: torch.dtype
    seed: int
    proxies: tuple[str, ...]
    loss_fn: LossFn | None
    compute_kwargs: dict[str, Any]
    _placed: tuple[torch.device, torch.Tensor, torch.Tensor] | None = field(
        default=None, repr=False, compare=False
    )

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_placed": None}

    @property
    def tables(self) -> tuple[str, ...]:
        return TABLES[self.kind]

    def place(
        self, worker_index: int | None = None
    ) -> tuple[torch.device, torch.Tensor, torch.Tensor]:
        """The device this process scores on and the batch there (moved on the first call).

        ``device=None`` means CUDA when this process sees a GPU, else the CPU; a worker that
        sees several GPUs (local worker processes) takes GPU ``worker_index`` modulo their
        number.
        """
        if self._placed is None:
            dev = self.check_device()
            if dev.type == "cuda" and dev.index is None and worker_index is not None:
                dev = torch.device("cuda", worker_index % max(1, torch.cuda.device_count()))
            self._placed = (dev, self.inputs.to(dev), self.labels.to(dev))
        return self._placed

    def check_device(self) -> torch.device:
        """The device this process would score on; :class:`DeviceError` if it cannot use it."""
        cuda = torch.cuda.is_available()
        return resolve_device(self.device, torch.device("cuda" if cuda else "cpu"))

    def key_or_error(self, arch: Any) -> tuple[str, str | None]:
        """The space's key of ``arch``, or ``str(arch)`` and the message when it is malformed."""
        try:
            return self.space.key(arch), None
        except ZcfastError as exc:
            return str(arch), f"{type(exc).__name__}: {exc}"

    def __call__(
        self, archs: Sequence[Any], on_arch: Callable[[int], None] | None = None
    ) -> ChunkResult:
        """Scores ``archs`` in order; ``on_arch(1)`` after each (a progress bar's update)."""
        outcomes, interrupted = _for_each_arch(self, archs, on_arch)
        return ChunkResult(self._frames(outcomes), len(outcomes), interrupted)

    def failed(self, archs: Sequence[Any], message: str) -> ChunkResult:
        """Error rows for ``archs``, none of which could be scored (e.g. its worker kept dying)."""
        keys = [self.key_or_error(arch)[0] for arch in archs]
        return ChunkResult(self._frames([_Outcome(k, None, message) for k in keys]), len(keys))

    def empty_frames(self) -> dict[str, pl.DataFrame]:
        """The job's tables with no rows (their columns and dtypes)."""
        return self._frames([])

    def evaluate(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> Any:
        """The job's values for one built network: proxies, layer table, or both."""
        kw = {"loss_fn": self.loss_fn, "seed": self.seed, **self.compute_kwargs}
        if self.kind == "proxies":
            return compute(net, x, y, list(self.proxies), **kw)
        both = compute_and_layers(net, x, y, list(self.proxies), **kw)
        return both if self.kind == "both" else both[1]

    def _frames(self, outcomes: Sequence[_Outcome[Any]]) -> dict[str, pl.DataFrame]:
        if self.kind == "proxies":
            return {"proxies": _proxy_frame(outcomes, self.proxies)}
        if self.kind == "layers":
            return {"layers": _layers_frame(outcomes)}
        scores, tables = _split(outcomes)
        return {"proxies": _proxy_frame(scores, self.proxies), "layers": _layers_frame(tables)}

    def describe(self) -> dict[str, Any]:
        """What the rows are scores of, as JSON values: what an ``out=`` directory records."""
        loss = self.loss_fn
        return {
            "tables": list(self.tables),
            "space": self.space.name,
            "proxies": list(self.proxies),
            "batch": {
                "fingerprint": batch_fingerprint(self.inputs, self.labels),
                "inputs": list(self.inputs.shape),
                "labels": list(self.labels.shape),
            },
            "seed": self.seed,
            "columns": {t: _column_types(t, self.proxies) for t in self.tables},
            "settings": {
                "num_classes": self.num_classes,
                "input_size": self.input_size,
                "dtype": str(self.dtype),
                "loss_fn": None if loss is None else f"{loss.__module__}.{loss.__qualname__}",
                **{k: self.compute_kwargs[k] for k in sorted(self.compute_kwargs)},
            },
        }


def _column_types(table: str, names: Sequence[str]) -> list[list[str]]:
    """``[[column, polars dtype name], ...]`` of one of a job's tables."""
    schema = proxies_schema(names) if table == "proxies" else layers_schema()
    return [[column, str(dtype)] for column, dtype in schema.items()]


def batch_fingerprint(inputs: torch.Tensor, labels: torch.Tensor) -> str:
    """SHA-256 of the batch's dtypes, shapes and bytes: the same batch gives the same hash.

    Example
    -------
    >>> x, y = torch.zeros(2, 3, 4, 4), torch.tensor([0, 1])
    >>> batch_fingerprint(x, y) == batch_fingerprint(x.clone(), y.clone())
    True
    """
    digest = hashlib.sha256()
    for t in (inputs, labels):
        flat = t.detach().cpu().contiguous().reshape(-1)
        digest.update(f"{t.dtype}{tuple(t.shape)}".encode())
        digest.update(flat.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _make_job(
    kind: JobKind,
    space: Any,
    inputs: Any,
    labels: Any,
    num_classes: Any,
    *,
    proxies: Sequence[str],
    device: Any,
    dtype: torch.dtype | None,
    input_size: int | None,
    loss_fn: LossFn | None,
    seed: int,
    compute_kwargs: dict[str, Any],
) -> ScoreJob:
    """Validates the arguments shared by every architecture of a run (up front, once)."""
    sp = _space(space)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise InvalidValueError(
            f"num_classes: expected a positive int, found {describe_value(num_classes)}"
        )
    # the checks only: where the chunks run (a Ray node's GPU) decides whether it is available
    resolve_device(device, torch.device("cpu"), check=False)
    dt = check_dtype(dtype) or torch.get_default_dtype()
    check_loss_fn(loss_fn)
    seed = check_seed(seed)
    check_options(**compute_kwargs)
    cpu = torch.device("cpu")
    x = check_inputs(inputs, dt, cpu)
    y = check_labels(labels, int(x.shape[0]), cpu, integer=loss_fn is None)
    if loss_fn is None:
        check_label_range(y, num_classes)
    if input_size is not None and (
        isinstance(input_size, bool) or not isinstance(input_size, int) or input_size < 1
    ):
        raise InvalidValueError(
            f"input_size: expected a positive int or None, found {describe_value(input_size)}"
        )
    size = int(input_size) if input_size is not None else int(x.shape[-1])
    dev = None if device is None else str(device)
    return ScoreJob(
        kind, sp, x, y, num_classes, size, dev, dt, seed, tuple(proxies), loss_fn, compute_kwargs
    )


def _for_each_arch(
    job: ScoreJob, archs: Sequence[Any], on_arch: Callable[[int], None] | None
) -> tuple[list[_Outcome[Any]], bool]:
    """``job.evaluate`` on each architecture, built fresh after ``torch.manual_seed(seed)``.

    A malformed key or a failing build/evaluation gives an outcome with ``error`` set and the
    loop goes on; Ctrl-C ends it: the finished outcomes and ``True``.
    """
    outcomes: list[_Outcome[Any]] = []
    try:
        for arch in archs:
            outcomes.append(_one_arch(job, arch))
            if on_arch is not None:
                on_arch(1)
    except KeyboardInterrupt:
        return outcomes, True
    return outcomes, False


def _one_arch(job: ScoreJob, arch: Any) -> _Outcome[Any]:
    key, error = job.key_or_error(arch)
    if error is not None:
        return _Outcome(key, None, error)
    device, x, y = job.place()
    try:
        # a private RNG state: the seed fixes the weights without touching the caller's RNG
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(job.seed)
            net = job.space.build(arch, job.num_classes, input_size=job.input_size)
        net = net.to(device=device, dtype=job.dtype)
        return _Outcome(key, job.evaluate(net, x, y), None)
    except Exception as exc:
        if device.type == "cuda":
            torch.cuda.empty_cache()
        return _Outcome(key, None, f"{type(exc).__name__}: {exc}")


# ----------------------------------------------------------------------------------------------
# tables


def proxies_schema(names: Sequence[str]) -> dict[str, Any]:
    """Polars schema of :func:`score_archs`' table for the proxies ``names``."""
    import polars as pl

    return {"arch": pl.String, **dict.fromkeys(names, pl.Float64), "error": pl.String}


def _proxy_frame(
    outcomes: Sequence[_Outcome[dict[str, float]]], names: Sequence[str]
) -> pl.DataFrame:
    """``arch``, one Float64 column per proxy (null on failure), ``error``."""
    import polars as pl

    data: dict[str, Any] = {"arch": pl.Series("arch", [o.key for o in outcomes], dtype=pl.String)}
    for p in names:
        values = [None if o.value is None else o.value[p] for o in outcomes]
        data[p] = pl.Series(p, values, dtype=pl.Float64)
    data["error"] = pl.Series("error", [o.error for o in outcomes], dtype=pl.String)
    return pl.DataFrame(data)


def layers_schema() -> dict[str, Any]:
    """Polars schema of :func:`layer_primitives_many`' table."""
    import polars as pl

    dtypes = {"str": pl.String, "int64": pl.Int64, "float64": pl.Float64}
    return {
        "arch": pl.String,
        **{c: dtypes[k] for c, k in LAYER_COLUMNS.items()},
        "error": pl.String,
    }


def _layers_frame(outcomes: Sequence[_Outcome[pl.DataFrame]]) -> pl.DataFrame:
    """``arch``, the :data:`LAYER_COLUMNS`, ``error``: a block of rows per architecture, one
    row of nulls (but ``arch`` and ``error``) for a failed one."""
    import polars as pl

    schema = layers_schema()
    blocks = []
    for o in outcomes:
        if o.value is None:
            row = dict.fromkeys(schema) | {"arch": o.key, "error": o.error}
            blocks.append(pl.DataFrame([row], schema=schema))
        else:
            blocks.append(
                o.value.select(
                    pl.lit(o.key, dtype=pl.String).alias("arch"),
                    pl.all(),
                    pl.lit(None, dtype=pl.String).alias("error"),
                )
            )
    return pl.concat(blocks, how="vertical") if blocks else pl.DataFrame(schema=schema)


def _split(
    outcomes: Sequence[_Outcome[tuple[dict[str, float], pl.DataFrame]]],
) -> tuple[list[_Outcome[dict[str, float]]], list[_Outcome[pl.DataFrame]]]:
    """Outcomes of (proxies, layer table) pairs as two lists of outcomes."""
    scores = [_Outcome(o.key, None if o.value is None else o.value[0], o.error) for o in outcomes]
    tables = [_Outcome(o.key, None if o.value is None else o.value[1], o.error) for o in outcomes]
    return scores, tables


#: Keyword arguments each function passes on (the others it handles itself).
_PASSED_ON = {
    "score_archs": ("swap_samples", "swap_mu", "swap_sigma", "tf32", "fused"),
    "layer_primitives_many": ("swap_samples", "tf32"),
    "score_archs_and_layers": ("swap_samples", "swap_mu", "swap_sigma", "tf32"),
}


def _check_passed_on(caller: str, kwargs: dict[str, Any]) -> None:
    """Reject an unknown keyword up front (inside the loop it would fail every architecture)."""
    unknown = sorted(set(kwargs) - set(_PASSED_ON[caller]))
    if unknown:
        raise ArgumentTypeError(
            f"{caller}: expected keyword arguments from {', '.join(_PASSED_ON[caller])}, "
            f"found {', '.join(unknown)}"
        )


# ----------------------------------------------------------------------------------------------
# public

#: Where an ``out=`` directory may be given.
OutPath = str | os.PathLike[str]


@overload
def score_archs(
    space: SearchSpace | str,
    archs: Iterable[Any],
    *,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    num_classes: int,
    out: None = None,
    **kwargs: Any,
) -> pl.DataFrame: ...
@overload
def score_archs(
    space: SearchSpace | str,
    archs: Iterable[Any],
    *,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    num_classes: int,
    out: OutPath,
    **kwargs: Any,
) -> pl.LazyFrame: ...
def score_archs(
    space: SearchSpace | str,
    archs: Iterable[Any],
    *,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    num_classes: int,
    proxies: str | Iterable[str] | None = None,
    device: str | torch.device | None = None,
    progress: bool = True,
    seed: int = 0,
    input_size: int | None = None,
    dtype: torch.dtype | None = None,
    loss_fn: LossFn | None = None,
    executor: str | None = None,
    workers: int | None = None,
    out: OutPath | None = None,
    chunk_size: int | None = None,
    **compute_kwargs: Any,
) -> pl.DataFrame | pl.LazyFrame:
    """Proxies of many architectures: one row per architecture, the matrix ``zcfast.evolve`` takes.

    Each architecture is built fresh (PyTorch default init after ``torch.manual_seed(seed)``,
    so a row does not depend on the others, their order or where it was computed) and scored
    with :func:`compute` on the same batch.  An architecture that fails (malformed key, out of
    memory, ...) yields a row of nulls with the message in ``error``; the loop goes on.  Ctrl-C
    stops cleanly: the architectures finished so far are returned (with a :class:`UserWarning`
    saying how many were left), so a long scoring run is never lost.

    Parameters
    ----------
    space:
        A :class:`zcfast.spaces.SearchSpace` or its name (``"nb201"``).
    archs:
        An iterable of architectures in any encoding the space accepts (for NB201: tuples,
        ``"(4, 0, 3, 1, 4, 3)"`` strings as in the ``net`` column of the shared data, official
        strings, indices).  A single string or a non-iterable raises ``ArgumentTypeError``.
    inputs, labels:
        The batch shared by all architectures (validated once, up front).
    num_classes:
        Classifier outputs of the built networks.
    proxies:
        Proxy names (default: all).
    device:
        Default: CUDA when the scoring process has it, else CPU.
    progress:
        Show a tqdm progress bar (when tqdm is installed).
    seed:
        Seed set before building each network (its weights) and passed to :func:`compute`.
    input_size:
        Passed to ``space.build`` (default: ``inputs.shape[-1]``).
    dtype, loss_fn, **compute_kwargs:
        Passed to :func:`compute`.
    executor:
        Where chunks of architectures are scored: ``None``/``"inline"`` (this process),
        ``"processes"`` (local worker processes), ``"ray"`` (the Ray connection already open,
        else a local Ray instance for this call) or a Ray address (``"host:port"`` of a
        cluster's head, or ``"ray://host:port"``; needs ``pip install 'zcfast[ray]'``).  A
        worker that dies has its chunk scored again elsewhere.
    workers:
        Chunks scored at once: worker processes (default: one per core), or Ray workers
        (actors; default: one per GPU of the cluster, else one per CPU; each takes one GPU
        when the cluster has any).
    out:
        A directory to stream the rows to, as Parquet part files (see
        :func:`zcfast.metrics.read_scores`); a rerun with the same ``out=`` skips the
        architectures already there.  The rows are then returned as a ``polars.LazyFrame``
        over the directory instead of being held in memory.
    chunk_size:
        Architectures per unit of work (and per part file); default: about eight chunks per
        worker, at most 32 architectures each.

    Returns
    -------
    polars.DataFrame (polars.LazyFrame with ``out=``)
        ``arch`` (the space's key, str), one Float64 column per proxy (null on failure) and
        ``error`` (str, null when fine).

    Example
    -------
    >>> from zcfast.spaces import nb201
    >>> x, y = torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,))
    >>> df = score_archs("nb201", nb201.sample(3, seed=0), inputs=x, labels=y,
    ...                  num_classes=10, proxies=["synflow", "params"], progress=False)
    >>> df.columns
    ['arch', 'params', 'synflow', 'error']
    """
    names = normalize_proxies(proxies)
    _check_passed_on("score_archs", compute_kwargs)
    job = _make_job(
        "proxies",
        space,
        inputs,
        labels,
        num_classes,
        proxies=names,
        device=device,
        dtype=dtype,
        input_size=input_size,
        loss_fn=loss_fn,
        seed=seed,
        compute_kwargs=compute_kwargs,
    )
    frames = run_job(
        job,
        _arch_list(archs),
        caller="score_archs",
        executor=executor,
        workers=workers,
        out=out,
        chunk_size=chunk_size,
        progress=progress,
    )
    return frames["proxies"]


@overload
def layer_primitives_many(
    space: SearchSpace | str,
    archs: Iterable[Any],
    *,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    num_classes: int,
    out: None = None,
    **kwargs: Any,
) -> pl.DataFrame: ...
@overload
def layer_primitives_many(
    space: SearchSpace | str,
    archs: Iterable[Any],
    *,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    num_classes: int,
    out: OutPath,
    **kwargs: Any,
) -> pl.LazyFrame: ...
def layer_primitives_many(
    space: SearchSpace | str,
    archs: Iterable[Any],
    *,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    num_classes: int,
    device: str | torch.device | None = None,
    progress: bool = True,
    seed: int = 0,
    input_size: int | None = None,
    dtype: torch.dtype | None = None,
    loss_fn: LossFn | None = None,
    executor: str | None = None,
    workers: int | None = None,
    out: OutPath | None = None,
    chunk_size: int | None = None,
    **compute_kwargs: Any,
) -> pl.DataFrame | pl.LazyFrame:
    """:func:`layer_primitives` of many architectures, as one long table.

    Architectures are built and handled exactly as in :func:`score_archs` (fresh network after
    ``torch.manual_seed(seed)``, error rows, progress bar, Ctrl-C returns the finished ones,
    executors, ``out=`` and resuming).

    Parameters
    ----------
    space, archs, inputs, labels, num_classes, device, progress, seed, input_size, executor, \
workers, out, chunk_size:
        As in :func:`score_archs`.
    dtype, loss_fn, **compute_kwargs:
        Passed to :func:`layer_primitives` (``swap_samples``, ``tf32``).

    Returns
    -------
    polars.DataFrame (polars.LazyFrame with ``out=``)
        ``arch`` (the space's key), the :data:`LAYER_COLUMNS` (one row per weight layer of
        each architecture, in its ``named_modules()`` order), ``error`` (str, null when fine).
        A failing architecture gives one row: ``arch``, nulls, and its message in ``error``.

    Example
    -------
    >>> x, y = torch.randn(4, 3, 8, 8), torch.tensor([0, 1, 2, 3])
    >>> df = layer_primitives_many("nb201", ["(2, 2, 0, 4, 2, 0)", 0], inputs=x, labels=y,
    ...                            num_classes=10, progress=False)
    >>> df["arch"].unique(maintain_order=True).to_list()
    ['(2, 2, 0, 4, 2, 0)', '(4, 3, 3, 0, 0, 0)']
    """
    _check_passed_on("layer_primitives_many", compute_kwargs)
    job = _make_job(
        "layers",
        space,
        inputs,
        labels,
        num_classes,
        proxies=(),
        device=device,
        dtype=dtype,
        input_size=input_size,
        loss_fn=loss_fn,
        seed=seed,
        compute_kwargs=compute_kwargs,
    )
    frames = run_job(
        job,
        _arch_list(archs),
        caller="layer_primitives_many",
        executor=executor,
        workers=workers,
        out=out,
        chunk_size=chunk_size,
        progress=progress,
    )
    return frames["layers"]


@overload
def score_archs_and_layers(
    space: SearchSpace | str,
    archs: Iterable[Any],
    *,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    num_classes: int,
    out: None = None,
    **kwargs: Any,
) -> tuple[pl.DataFrame, pl.DataFrame]: ...
@overload
def score_archs_and_layers(
    space: SearchSpace | str,
    archs: Iterable[Any],
    *,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    num_classes: int,
    out: OutPath,
    **kwargs: Any,
) -> tuple[pl.LazyFrame, pl.LazyFrame]: ...
def score_archs_and_layers(
    space: SearchSpace | str,
    archs: Iterable[Any],
    *,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    num_classes: int,
    proxies: str | Iterable[str] | None = None,
    device: str | torch.device | None = None,
    progress: bool = True,
    seed: int = 0,
    input_size: int | None = None,
    dtype: torch.dtype | None = None,
    loss_fn: LossFn | None = None,
    executor: str | None = None,
    workers: int | None = None,
    out: OutPath | None = None,
    chunk_size: int | None = None,
    **compute_kwargs: Any,
) -> tuple[pl.DataFrame, pl.DataFrame] | tuple[pl.LazyFrame, pl.LazyFrame]:
    """:func:`score_archs` and :func:`layer_primitives_many` from one pass per architecture.

    The layer table's pass A computes most proxies anyway, so both together cost about as much
    as the layer table alone; the values are the same as those of the two functions.

    Parameters
    ----------
    space, archs, inputs, labels, num_classes, proxies, device, progress, seed, input_size, \
dtype, loss_fn, executor, workers, out, chunk_size:
        As in :func:`score_archs` (``out=`` holds both tables).
    **compute_kwargs:
        ``swap_samples``, ``swap_mu``, ``swap_sigma``, ``tf32``.

    Returns
    -------
    (polars.DataFrame, polars.DataFrame), LazyFrames with ``out=``
        The proxy table of :func:`score_archs` and the layer table of
        :func:`layer_primitives_many`.

    Example
    -------
    >>> x, y = torch.randn(4, 3, 8, 8), torch.tensor([0, 1, 2, 3])
    >>> proxies, layers = score_archs_and_layers("nb201", [1], inputs=x, labels=y,
    ...                                          num_classes=10, progress=False)
    >>> proxies.height, layers["arch"].unique().to_list()
    (1, ['(2, 2, 0, 4, 2, 0)'])
    """
    names = normalize_proxies(proxies)
    _check_passed_on("score_archs_and_layers", compute_kwargs)
    job = _make_job(
        "both",
        space,
        inputs,
        labels,
        num_classes,
        proxies=names,
        device=device,
        dtype=dtype,
        input_size=input_size,
        loss_fn=loss_fn,
        seed=seed,
        compute_kwargs=compute_kwargs,
    )
    frames = run_job(
        job,
        _arch_list(archs),
        caller="score_archs_and_layers",
        executor=executor,
        workers=workers,
        out=out,
        chunk_size=chunk_size,
        progress=progress,
    )
    return frames["proxies"], frames["layers"]
