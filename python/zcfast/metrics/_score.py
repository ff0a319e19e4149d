"""Many architectures of a search space: proxy matrices and long per-layer tables.

:func:`score_archs`, :func:`layer_primitives_many` and :func:`score_archs_and_layers` share one
loop (:func:`_for_each_arch`): build each architecture fresh with a fixed seed, evaluate it,
turn failures into error rows, show a progress bar, and return the finished rows on Ctrl-C.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import torch
from torch import nn

from zcfast.exceptions import ArgumentTypeError, InvalidValueError, ZcfastError
from zcfast.metrics._api import compute, compute_and_layers
from zcfast.metrics._common import (
    LossFn,
    check_inputs,
    check_label_range,
    check_labels,
    normalize_proxies,
    resolve_device,
)
from zcfast.metrics._layers import LAYER_COLUMNS

if TYPE_CHECKING:
    import polars as pl

    from zcfast.spaces import SearchSpace

T = TypeVar("T")


def _space(space: Any) -> SearchSpace:
    from zcfast.spaces import SearchSpace, get_space

    if isinstance(space, str):
        return get_space(space)
    if isinstance(space, SearchSpace):
        return space
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
class _Setup:
    """Validated arguments shared by every architecture of a run."""

    space: SearchSpace
    archs: list[Any]
    x: torch.Tensor
    y: torch.Tensor
    num_classes: int
    input_size: int
    device: torch.device
    dtype: torch.dtype
    seed: int


def _setup(
    space: Any,
    archs: Any,
    inputs: Any,
    labels: Any,
    num_classes: Any,
    device: Any,
    dtype: torch.dtype | None,
    input_size: int | None,
    loss_fn: LossFn | None,
    seed: int,
) -> _Setup:
    sp = _space(space)
    arch_list = _arch_list(archs)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise InvalidValueError(f"num_classes: expected a positive int, found {num_classes!r}")
    dev = resolve_device(device, torch.device("cuda" if torch.cuda.is_available() else "cpu"))
    dt = dtype if dtype is not None else torch.get_default_dtype()
    x = check_inputs(inputs, dt, dev)
    y = check_labels(labels, int(x.shape[0]), dev, integer=loss_fn is None)
    if loss_fn is None:
        check_label_range(y, num_classes)
    size = int(input_size) if input_size is not None else int(x.shape[-1])
    return _Setup(sp, arch_list, x, y, num_classes, size, dev, dt, seed)


@dataclass
class _Outcome(Generic[T]):
    """One architecture's key and either its value or the error message."""

    key: str
    value: T | None
    error: str | None


def _for_each_arch(
    setup: _Setup, evaluate: Callable[[nn.Module], T], *, progress: bool, caller: str
) -> list[_Outcome[T]]:
    """``evaluate`` on each architecture, built fresh after ``torch.manual_seed(seed)``.

    A malformed key or a failing build/evaluation gives an outcome with ``error`` set and the
    loop goes on; Ctrl-C ends it, keeping the finished outcomes (with a ``UserWarning``).
    """
    bar = _progress_bar(len(setup.archs), f"{caller} {setup.space.name}") if progress else None
    outcomes: list[_Outcome[T]] = []
    try:
        for arch in setup.archs:
            outcomes.append(_one_arch(setup, arch, evaluate))
            if bar is not None:
                bar.update(1)
    except KeyboardInterrupt:
        warnings.warn(
            f"{caller}: interrupted; returning the {len(outcomes)} architectures scored so far "
            f"({len(setup.archs) - len(outcomes)} not scored)",
            UserWarning,
            stacklevel=3,
        )
    finally:
        if bar is not None:
            bar.close()
    return outcomes


def _one_arch(setup: _Setup, arch: Any, evaluate: Callable[[nn.Module], T]) -> _Outcome[T]:
    try:
        key = setup.space.key(arch)
    except ZcfastError as exc:
        return _Outcome(str(arch), None, f"{type(exc).__name__}: {exc}")
    try:
        # a private RNG state: the seed fixes the weights without touching the caller's RNG
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(setup.seed)
            net = setup.space.build(arch, setup.num_classes, input_size=setup.input_size)
        net = net.to(device=setup.device, dtype=setup.dtype)
        return _Outcome(key, evaluate(net), None)
    except Exception as exc:
        if setup.device.type == "cuda":
            torch.cuda.empty_cache()
        return _Outcome(key, None, f"{type(exc).__name__}: {exc}")


def _progress_bar(total: int, desc: str) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is part of zcfast[torch]
        return None
    return tqdm(total=total, desc=desc, unit="arch")


# ----------------------------------------------------------------------------------------------
# tables


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
    **compute_kwargs: Any,
) -> pl.DataFrame:
    """Proxies of many architectures: one row per architecture, the matrix ``zcfast.evolve`` takes.

    Each architecture is built fresh (PyTorch default init after ``torch.manual_seed(seed)``,
    so a row does not depend on the others or on their order) and scored with :func:`compute`
    on the same batch.  An architecture that fails (malformed key, out of memory, ...) yields a
    row of nulls with the message in ``error``; the loop goes on.  Ctrl-C stops the loop cleanly:
    the architectures finished so far are returned (with a :class:`UserWarning` saying how many
    were left), so a long scoring run is never lost.

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
        Default: CUDA when available, else CPU.
    progress:
        Show a tqdm progress bar (when tqdm is installed).
    seed:
        Seed set before building each network (its weights) and passed to :func:`compute`.
    input_size:
        Passed to ``space.build`` (default: ``inputs.shape[-1]``).
    dtype, loss_fn, **compute_kwargs:
        Passed to :func:`compute`.

    Returns
    -------
    polars.DataFrame
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
    setup = _setup(
        space, archs, inputs, labels, num_classes, device, dtype, input_size, loss_fn, seed
    )

    def evaluate(net: nn.Module) -> dict[str, float]:
        return compute(net, setup.x, setup.y, names, loss_fn=loss_fn, seed=seed, **compute_kwargs)

    outcomes = _for_each_arch(setup, evaluate, progress=progress, caller="score_archs")
    return _proxy_frame(outcomes, names)


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
    **compute_kwargs: Any,
) -> pl.DataFrame:
    """:func:`layer_primitives` of many architectures, as one long table.

    Architectures are built and handled exactly as in :func:`score_archs` (fresh network after
    ``torch.manual_seed(seed)``, error rows, progress bar, Ctrl-C returns the finished ones).

    Parameters
    ----------
    space, archs, inputs, labels, num_classes, device, progress, seed, input_size:
        As in :func:`score_archs`.
    dtype, loss_fn, **compute_kwargs:
        Passed to :func:`layer_primitives` (``swap_samples``, ``tf32``).

    Returns
    -------
    polars.DataFrame
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
    setup = _setup(
        space, archs, inputs, labels, num_classes, device, dtype, input_size, loss_fn, seed
    )

    def evaluate(net: nn.Module) -> pl.DataFrame:
        return compute_and_layers(
            net, setup.x, setup.y, (), loss_fn=loss_fn, seed=seed, **compute_kwargs
        )[1]

    outcomes = _for_each_arch(setup, evaluate, progress=progress, caller="layer_primitives_many")
    return _layers_frame(outcomes)


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
    **compute_kwargs: Any,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`score_archs` and :func:`layer_primitives_many` from one pass per architecture.

    The layer table's pass A computes most proxies anyway, so both together cost about as much
    as the layer table alone; the values are the same as those of the two functions.

    Parameters
    ----------
    space, archs, inputs, labels, num_classes, proxies, device, progress, seed, input_size, \
dtype, loss_fn:
        As in :func:`score_archs`.
    **compute_kwargs:
        ``swap_samples``, ``swap_mu``, ``swap_sigma``, ``tf32``.

    Returns
    -------
    (polars.DataFrame, polars.DataFrame)
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
    setup = _setup(
        space, archs, inputs, labels, num_classes, device, dtype, input_size, loss_fn, seed
    )

    def evaluate(net: nn.Module) -> tuple[dict[str, float], pl.DataFrame]:
        return compute_and_layers(
            net, setup.x, setup.y, names, loss_fn=loss_fn, seed=seed, **compute_kwargs
        )

    outcomes = _for_each_arch(setup, evaluate, progress=progress, caller="score_archs_and_layers")
    scores, tables = _split(outcomes)
    return _proxy_frame(scores, names), _layers_frame(tables)
