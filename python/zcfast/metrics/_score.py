"""``score_archs``: the metric matrix of many architectures of a search space."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import torch

from zcfast.exceptions import ArgumentTypeError, InvalidValueError, ZcfastError
from zcfast.metrics._api import compute
from zcfast.metrics._common import (
    LossFn,
    check_inputs,
    check_label_range,
    check_labels,
    normalize_proxies,
    resolve_device,
)

if TYPE_CHECKING:
    import polars as pl

    from zcfast.spaces import SearchSpace


def _space(space: Any) -> SearchSpace:
    from zcfast.spaces import SearchSpace, get_space

    if isinstance(space, str):
        return get_space(space)
    if isinstance(space, SearchSpace):
        return space
    raise ArgumentTypeError(
        f"space: expected a search-space name or a SearchSpace, found {type(space).__name__}"
    )


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
        Architectures in any encoding the space accepts.
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
    import polars as pl

    sp = _space(space)
    names = normalize_proxies(proxies)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise InvalidValueError(f"num_classes: expected a positive int, found {num_classes!r}")
    dev = resolve_device(device, torch.device("cuda" if torch.cuda.is_available() else "cpu"))
    dt = dtype if dtype is not None else torch.get_default_dtype()
    x = check_inputs(inputs, dt, dev)
    y = check_labels(labels, int(x.shape[0]), dev, integer=loss_fn is None)
    if loss_fn is None:
        check_label_range(y, num_classes)
    size = int(input_size) if input_size is not None else int(x.shape[-1])
    arch_list = list(archs)

    bar: Any = None
    if progress:
        try:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(arch_list), desc=f"scoring {sp.name}", unit="arch")
        except ImportError:  # pragma: no cover - tqdm is part of zcfast[torch]
            bar = None

    keys: list[str] = []
    cols: dict[str, list[float | None]] = {p: [] for p in names}
    errors: list[str | None] = []
    try:
        for arch in arch_list:
            try:
                key = sp.key(arch)
            except ZcfastError as exc:
                key = str(arch)
                keys.append(key)
                for p in names:
                    cols[p].append(None)
                errors.append(f"{type(exc).__name__}: {exc}")
                if bar is not None:
                    bar.update(1)
                continue
            keys.append(key)
            try:
                with torch.random.fork_rng(devices=[]):
                    torch.manual_seed(seed)
                    net = sp.build(arch, num_classes, input_size=size)
                net = net.to(device=dev, dtype=dt)
                scores = compute(net, x, y, names, loss_fn=loss_fn, seed=seed, **compute_kwargs)
                for p in names:
                    cols[p].append(scores[p])
                errors.append(None)
            except Exception as exc:
                for p in names:
                    cols[p].append(None)
                errors.append(f"{type(exc).__name__}: {exc}")
                if dev.type == "cuda":
                    torch.cuda.empty_cache()
            finally:
                if bar is not None:
                    bar.update(1)
    except KeyboardInterrupt:
        # keep every finished row; drop the one that was being scored
        done = len(errors)
        del keys[done:]
        for p in names:
            del cols[p][done:]
        warnings.warn(
            f"score_archs: interrupted; returning the {done} architectures scored so far "
            f"({len(arch_list) - done} not scored)",
            UserWarning,
            stacklevel=2,
        )
    finally:
        if bar is not None:
            bar.close()

    data: dict[str, Any] = {"arch": pl.Series("arch", keys, dtype=pl.String)}
    for p in names:
        data[p] = pl.Series(p, cols[p], dtype=pl.Float64)
    data["error"] = pl.Series("error", errors, dtype=pl.String)
    return pl.DataFrame(data)
