"""Many architectures of a search space: proxy matrices and long per-layer tables.

:func:`score_archs`, :func:`layer_primitives_many` and :func:`score_archs_and_layers` share one
body (:func:`_score_many`) and one argument list (:func:`_arguments`): it validates the
arguments into a :class:`ScoreJob`, the picklable "build and score these architectures" call,
and hands it to :func:`zcfast.jobs.run_job`, which decides where its chunks run (this
process, local worker processes or Ray) and where the rows go (memory or an ``out=``
directory).  Live :func:`zcfast.search` scores its candidates with the same job.  Wherever a
chunk runs, every architecture goes through the one loop here (:meth:`ScoreJob.__call__`):
built fresh with a fixed seed, evaluated, a failure turned into an error row, Ctrl-C ending
the loop with the finished rows.
"""

from __future__ import annotations

import hashlib
import inspect
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, ParamSpec, TypeVar

import torch
from torch import nn

from zcfast._messages import describe_value
from zcfast._params import Int, Optional, check, fail, found_type
from zcfast.exceptions import ArgumentTypeError, ConfigError, ZcfastError
from zcfast.jobs import ChunkResult, run_job
from zcfast.metrics._api import (
    compute,
    compute_and_layers,
    fitted_task,
    proxies_for,
    select_proxies,
    undefined_proxies,
)
from zcfast.metrics._common import check_inputs, check_labels, resolve_device
from zcfast.metrics._layers import LAYER_COLUMNS
from zcfast.metrics._options import Options, resolve_options
from zcfast.spaces import Space, TaskSpec, check_space

if TYPE_CHECKING:
    import polars as pl

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")

#: What a job computes: the proxy matrix, the layer table, or both from one pass.
JobKind = Literal["proxies", "layers", "both"]

#: The tables each kind of job produces, the first being the one every chunk has a row in.
TABLES: dict[str, tuple[str, ...]] = {
    "proxies": ("proxies",),
    "layers": ("layers",),
    "both": ("proxies", "layers"),
}

#: Where an ``out=`` directory may be given.
OutPath = str | os.PathLike[str]


def _arch_list(archs: Any) -> list[Any]:
    """``archs`` as a list; a lone string or a non-iterable is an error, not iterated."""
    if isinstance(archs, (str, bytes)) or not isinstance(archs, Iterable):
        found = f"a single string {archs!r}" if isinstance(archs, (str, bytes)) else None
        found = f"{found or found_type(archs)} (wrap one architecture in a list)"
        raise fail("archs", "an iterable of architectures", found, ArgumentTypeError)
    return list(archs)


@dataclass
class _Outcome(Generic[T]):
    """One architecture's key and either its value or the error message."""

    key: str
    value: T | None
    error: str | None


@dataclass
class ScoreJob:
    """Everything needed to build and score architectures, validated once: the unit of work
    executors send to their workers (picklable when the space and ``loss_fn`` are).

    ``task`` is what the networks are built for at the batch's size; ``count_task`` the task
    at whose input size ``params``/``flops`` are reported (the benchmark's, when a task was
    named).  The batch is kept on the CPU; :meth:`start_worker` moves it to the scoring
    device once per process (the placed copy is not pickled).
    """

    kind: JobKind
    space: Any
    task: TaskSpec
    count_task: TaskSpec
    inputs: torch.Tensor
    labels: torch.Tensor
    proxies: tuple[str, ...]
    options: Options
    _placed: tuple[torch.device, torch.Tensor, torch.Tensor] | None = field(
        default=None, repr=False, compare=False
    )

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_placed": None}

    @property
    def tables(self) -> tuple[str, ...]:
        return TABLES[self.kind]

    @property
    def label(self) -> str:
        return str(self.space.name)

    @property
    def device(self) -> str | None:
        return self.options.device

    def check_device(self) -> torch.device:
        """The device this process would score on; :class:`DeviceError` if it cannot use it."""
        cuda = torch.cuda.is_available()
        default = torch.device("cuda" if cuda else "cpu")
        return resolve_device(self.options.device, default)

    def start_worker(self, index: int | None = None, threads: int | None = None) -> None:
        """Moves the batch to the device of this process (a worker that sees several GPUs
        takes GPU ``index`` modulo their number) and, in a worker process, sets torch's
        threads (``n_threads`` when set, else the worker's share)."""
        if threads is not None:
            torch.set_num_threads(self.options.n_threads or threads)
        self.place(index)

    def place(
        self, worker_index: int | None = None
    ) -> tuple[torch.device, torch.Tensor, torch.Tensor]:
        """The device this process scores on and the batch there (moved on the first call)."""
        if self._placed is None:
            dev = self.check_device()
            if dev.type == "cuda" and dev.index is None and worker_index is not None:
                dev = torch.device("cuda", worker_index % max(1, torch.cuda.device_count()))
            self._placed = (dev, self.inputs.to(dev), self.labels.to(dev))
        return self._placed

    def key_or_error(self, arch: Any) -> tuple[str, str | None]:
        """The space's key of ``arch``, or ``str(arch)`` and the message when it is malformed."""
        try:
            return self.space.key(arch), None
        except ZcfastError as exc:
            return str(arch), f"{type(exc).__name__}: {exc}"

    def __call__(
        self, archs: Sequence[Any], on_arch: Callable[[int], None] | None = None
    ) -> ChunkResult:
        """Scores ``archs`` in order; ``on_arch(1)`` after each (a progress bar's update).

        A malformed key or a failing build/evaluation gives an error row and the loop goes
        on; Ctrl-C ends it with the finished rows."""
        outcomes: list[_Outcome[Any]] = []
        interrupted = False
        with self.options.threads():
            try:
                for arch in archs:
                    outcomes.append(self._one(arch))
                    if on_arch is not None:
                        on_arch(1)
            except KeyboardInterrupt:
                interrupted = True
        return ChunkResult(self._frames(outcomes), len(outcomes), interrupted)

    def _one(self, arch: Any) -> _Outcome[Any]:
        key, error = self.key_or_error(arch)
        if error is not None:
            return _Outcome(key, None, error)
        device, x, y = self.place()
        try:
            net = self.build(arch)
            net = net.to(device=device, dtype=self.inputs.dtype)
            return _Outcome(key, self.evaluate(net, x, y), None)
        except Exception as exc:
            if device.type == "cuda":
                torch.cuda.empty_cache()
            return _Outcome(key, None, f"{type(exc).__name__}: {exc}")

    def build(self, arch: Any) -> nn.Module:
        """The network of ``arch``, initialised after ``torch.manual_seed(seed)`` in a private
        RNG state (the seed fixes the weights; the caller's RNG is untouched)."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.options.seed)
            net: nn.Module = self.space.build(arch, self.task)
            return net

    def evaluate(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> Any:
        """The job's values for one built network: proxies, layer table, or both."""
        # the batch is already on the device in the job's dtype
        opts = self.options.replace(device=None, dtype=None)
        if self.kind == "proxies":
            values = compute(net, x, y, list(self.proxies), task=self.task, options=opts)
            return self._counted(net, values)
        scores, table = compute_and_layers(
            net, x, y, list(self.proxies), task=self.task, options=opts
        )
        part_of = getattr(self.space, "part_of", None)
        if part_of is not None:
            import polars as pl

            table = table.with_columns(
                table["layer"].map_elements(part_of, return_dtype=pl.String).alias("part")
            )
        if self.kind == "layers":
            return table
        return self._counted(net, scores), table

    def _counted(self, net: nn.Module, values: dict[str, float]) -> dict[str, float]:
        """``values`` with params and flops as the space's benchmark counts them, at
        :attr:`count_task`'s input size (when that or the space's convention differs from
        what the passes saw)."""
        own = _own_method(self.space, "count_flops")
        if "flops" in values and (own or self.count_task != self.task):
            values["flops"] = self.space.count_flops(net, self.count_task) / 1e6
        if "params" in values and _own_method(self.space, "count_params"):
            values["params"] = self.space.count_params(net) / 1e6
        return values

    def failed(self, archs: Sequence[Any], message: str) -> ChunkResult:
        """Error rows for ``archs``, none of which could be scored (e.g. its worker kept dying)."""
        keys = [self.key_or_error(arch)[0] for arch in archs]
        return ChunkResult(self._frames([_Outcome(k, None, message) for k in keys]), len(keys))

    def empty_frames(self) -> dict[str, pl.DataFrame]:
        """The job's tables with no rows (their columns and dtypes)."""
        return self._frames([])

    def _frames(self, outcomes: Sequence[_Outcome[Any]]) -> dict[str, pl.DataFrame]:
        if self.kind == "proxies":
            return {"proxies": proxy_frame(outcomes, self.proxies)}
        if self.kind == "layers":
            return {"layers": layers_frame(outcomes)}
        scores, tables = _split(outcomes)
        return {"proxies": proxy_frame(scores, self.proxies), "layers": layers_frame(tables)}

    def describe(self) -> dict[str, Any]:
        """What the rows are scores of, as JSON values: what an ``out=`` directory records."""
        opts = self.options.describe()
        return {
            "tables": list(self.tables),
            "space": self.space.name,
            "task": {**self.task.describe(), "counted_at": list(self.count_task.input_shape)},
            "proxies": list(self.proxies),
            "batch": {
                "fingerprint": batch_fingerprint(self.inputs, self.labels),
                "inputs": list(self.inputs.shape),
                "labels": list(self.labels.shape),
            },
            "seed": opts.pop("seed"),
            "columns": {t: _column_types(t, self.proxies) for t in self.tables},
            "settings": opts,
        }


def _own_method(space: Any, name: str) -> bool:
    """Whether ``space`` counts ``name`` its own way (a method other than :class:`Space`'s)."""
    method = getattr(type(space), name, None)
    return method is not None and method is not getattr(Space, name)


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


# ----------------------------------------------------------------------------------------------
# making a job


def resolve_task(
    space: Any, task: Any, num_classes: Any, input_size: Any, x: torch.Tensor
) -> tuple[TaskSpec, TaskSpec]:
    """``(task at the batch's size, task params/flops are counted at)``.

    A named task (or a :class:`TaskSpec`) is counted at its own input size, as its benchmark
    reports it; without one, the space's default task with ``num_classes`` outputs (the form
    of calls made before tasks existed) is counted at the size the networks see.
    """
    num_classes = check("num_classes", num_classes, Optional(Int(1)))
    input_size = check("input_size", input_size, Optional(Int(1)))
    base = space.task(task)
    if num_classes is not None:
        if task is not None and num_classes != base.num_outputs:
            expected = f"{base.num_outputs} (the outputs of task {base.name!r}) or None"
            raise fail("num_classes", expected, str(num_classes), ConfigError)
        base = base.with_classes(num_classes)
    scored = base.with_input_size(input_size) if input_size is not None else fitted_task(base, x)
    assert scored is not None
    return scored, base if task is not None else scored


def make_job(
    kind: JobKind,
    space: Any,
    *,
    task: Any = None,
    inputs: Any,
    labels: Any,
    num_classes: Any = None,
    input_size: Any = None,
    proxies: Any = None,
    options: Options,
) -> ScoreJob:
    """Validates what every architecture of a run shares (up front, once) into a job."""
    sp = check_space(space, "builder")
    dtype = options.dtype or torch.get_default_dtype()
    x = check_inputs(inputs, dtype, torch.device("cpu"))
    scored, counted = resolve_task(sp, task, num_classes, input_size, x)
    if options.loss_fn is not None:
        y = check_labels(labels, int(x.shape[0]), torch.device("cpu"), integer=False)
    else:
        y = scored.check_labels(labels, None, int(x.shape[0]))
    if kind == "layers":
        names: list[str] = []
    elif proxies is None:
        names = list(proxies_for(scored))
    else:
        undefined = undefined_proxies(scored, "" if scored.feature_module else None)
        undefined.pop("zen", None)  # decided per network: its own AdaptiveAvgPool2d may do
        names = select_proxies(proxies, undefined, scored)
    return ScoreJob(kind, sp, scored, counted, x, y, tuple(names), options)


# ----------------------------------------------------------------------------------------------
# tables


def proxies_schema(names: Sequence[str]) -> dict[str, Any]:
    """Polars schema of :func:`score_archs`' table for the proxies ``names``."""
    import polars as pl

    return {"arch": pl.String, **dict.fromkeys(names, pl.Float64), "error": pl.String}


def proxy_frame(
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


def layers_frame(outcomes: Sequence[_Outcome[pl.DataFrame]]) -> pl.DataFrame:
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


# ----------------------------------------------------------------------------------------------
# public: one argument list, one body


def _arguments(
    space: Any,
    archs: Iterable[Any],
    *,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    task: TaskSpec | str | None = None,
    proxies: str | Iterable[str] | None = None,
    num_classes: int | None = None,
    input_size: int | None = None,
    options: Options | None = None,
    executor: str | None = None,
    workers: int | None = None,
    out: OutPath | None = None,
    chunk_size: int | None = None,
    progress: bool = True,
    **overrides: Any,
) -> None:
    """The arguments :func:`score_archs`, :func:`layer_primitives_many` and
    :func:`score_archs_and_layers` take (written once, shown by ``help()`` on each).

    Parameters
    ----------
    space:
        A search space or its name (``"nb201"``, ``"nb101"``, ``"nb301"``, ``"tnb101_micro"``,
        ...; :func:`zcfast.spaces.available_spaces`).
    archs:
        An iterable of architectures in any encoding the space accepts (for NB201: tuples,
        ``"(4, 0, 3, 1, 4, 3)"`` strings as in the ``net`` column of the shared data, official
        strings, indices).  A single string or a non-iterable raises ``ArgumentTypeError``.
    inputs, labels:
        The batch shared by all architectures (validated once, up front), e.g.
        ``space.task(name).example_batch(64)``; labels of the task's kind.
    task:
        A task of the space (a name of ``space.tasks`` or a :class:`~zcfast.spaces.TaskSpec`):
        what the networks are built for, the loss and labels the proxies use; params and flops
        are reported at the task's input size even when the batch is smaller.  ``None``: the
        space's default task (with ``num_classes`` outputs when given; params and flops at
        the batch's size, as before tasks existed).
    proxies:
        Proxy names (:func:`score_archs`, :func:`score_archs_and_layers`); default: every
        proxy defined for the task (:func:`proxies_for`).
    num_classes:
        Classifier outputs, for a classification space without ``task`` (NB201: 10, 100,
        120); must agree with ``task`` when both are given.
    input_size:
        The image side networks are built for (default: the batch's).
    options, **overrides:
        A :class:`zcfast.metrics.Options` and/or its fields by name (``seed`` — also the seed
        set before building each network —, ``device`` — default CUDA when the scoring
        process has it —, ``dtype``, ``loss_fn``, ``swap_samples``, ``n_threads``, ...).
    executor:
        Where chunks of architectures are scored: ``None``/``"inline"`` (this process),
        ``"processes"`` (local worker processes), ``"ray"`` (the Ray connection already open,
        else a local Ray instance for this call) or a Ray address (``"host:port"`` of a
        cluster's head, or ``"ray://host:port"``; needs ``pip install 'zcfast[ray]'``).  A
        worker that dies has its chunk scored again elsewhere.
    workers:
        Chunks scored at once: worker processes (default: one per core), or Ray workers
        (actors; default: one per GPU of the cluster, else one per CPU).
    out:
        A directory to stream the rows to, as Parquet part files (see
        :func:`zcfast.metrics.read_scores`); a rerun with the same ``out=`` skips the
        architectures already there and scores again those that failed.  The rows are then
        returned as a ``polars.LazyFrame`` over the directory instead of being held in memory.
    chunk_size:
        Architectures per unit of work (and per part file); default: about eight chunks per
        worker, at most 32 architectures each.
    progress:
        Show a tqdm progress bar.
    """


def _same_arguments_as(
    template: Callable[P, Any],
) -> Callable[[Callable[..., R]], Callable[P, R]]:
    """Gives the decorated function ``template``'s signature (for ``help()``, IDEs and type
    checkers) and its parameter docs, keeping its own name, return type and description."""

    def decorate(fn: Callable[..., R]) -> Callable[P, R]:
        own = inspect.signature(fn).return_annotation
        fn.__signature__ = inspect.signature(template).replace(  # type: ignore[attr-defined]
            return_annotation=own
        )
        doc = (fn.__doc__ or "").replace("{arguments}", _parameters_section(template))
        fn.__doc__ = doc
        return fn

    return decorate


def _parameters_section(template: Callable[..., Any]) -> str:
    doc = inspect.getdoc(template) or ""
    body = doc[doc.index("Parameters") :]
    return "\n".join(("    " + line) if line else "" for line in body.splitlines()).lstrip()


def _score_many(kind: JobKind, caller: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The one body of the three public functions."""
    try:
        a = inspect.signature(_arguments).bind(*args, **kwargs).arguments
    except TypeError as exc:
        raise fail(caller, "its documented arguments", str(exc), ArgumentTypeError) from None
    overrides = a.pop("overrides", {})
    if kind == "layers" and a.get("proxies") is not None:
        expected = (
            "None for layer_primitives_many (score_archs_and_layers gives proxies and the layer"
            " table)"
        )
        raise fail("proxies", expected, describe_value(a["proxies"]), ArgumentTypeError)
    named = tuple(p for p in inspect.signature(_arguments).parameters if p != "overrides")
    options = resolve_options(a.get("options"), overrides, caller, named)
    if kind != "proxies" and not options.fused:
        expected = f"True for {caller} (the layer table is fused)"
        raise fail("fused", expected, "False", ConfigError)
    archs = _arch_list(a["archs"])
    job = make_job(
        kind,
        a["space"],
        task=a.get("task"),
        inputs=a["inputs"],
        labels=a["labels"],
        num_classes=a.get("num_classes"),
        input_size=a.get("input_size"),
        proxies=a.get("proxies"),
        options=options,
    )
    return run_job(
        job,
        archs,
        caller=caller,
        executor=a.get("executor"),
        workers=a.get("workers"),
        out=a.get("out"),
        chunk_size=a.get("chunk_size"),
        progress=a.get("progress", True),
    )


@_same_arguments_as(_arguments)
def score_archs(*args: Any, **kwargs: Any) -> pl.DataFrame | pl.LazyFrame:
    """Proxies of many architectures: one row per architecture, the matrix ``zcfast.evolve`` takes.

    Each architecture is built fresh for the task (PyTorch default init after
    ``torch.manual_seed(seed)``, so a row does not depend on the others, their order or where
    it was computed) and scored with :func:`compute` on the same batch.  An architecture that
    fails (malformed key, out of memory, ...) yields a row of nulls with the message in
    ``error``; the loop goes on.  Ctrl-C stops cleanly: the architectures finished so far are
    returned (with a :class:`UserWarning` saying how many were left), so a long scoring run is
    never lost.

    {arguments}

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
    ...                  task="cifar10", proxies=["synflow", "params"], progress=False)
    >>> df.columns
    ['arch', 'params', 'synflow', 'error']
    """
    return _score_many("proxies", "score_archs", *args, **kwargs)["proxies"]


@_same_arguments_as(_arguments)
def layer_primitives_many(*args: Any, **kwargs: Any) -> pl.DataFrame | pl.LazyFrame:
    """:func:`layer_primitives` of many architectures, as one long table.

    Architectures are built and handled exactly as in :func:`score_archs` (fresh network after
    ``torch.manual_seed(seed)``, error rows, progress bar, Ctrl-C returns the finished ones,
    executors, ``out=`` and resuming); ``proxies`` must be None.

    {arguments}

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
    return _score_many("layers", "layer_primitives_many", *args, **kwargs)["layers"]


@_same_arguments_as(_arguments)
def score_archs_and_layers(
    *args: Any, **kwargs: Any
) -> tuple[pl.DataFrame, pl.DataFrame] | tuple[pl.LazyFrame, pl.LazyFrame]:
    """:func:`score_archs` and :func:`layer_primitives_many` from one pass per architecture.

    The layer table's pass A computes most proxies anyway, so both together cost about as much
    as the layer table alone; the values are the same as those of the two functions.

    {arguments}

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
    frames = _score_many("both", "score_archs_and_layers", *args, **kwargs)
    return frames["proxies"], frames["layers"]
