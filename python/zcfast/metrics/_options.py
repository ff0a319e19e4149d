"""``zcfast.metrics.Options``: how proxies are computed, every default written once.

:func:`~zcfast.metrics.compute`, :func:`~zcfast.metrics.layer_primitives`, the ``score_*``
functions and live :func:`zcfast.search` all take ``options=`` (an :class:`Options`) and the
same names as keywords, which override it: ``compute(net, x, y, seed=1)`` is
``compute(net, x, y, options=Options(seed=1))``.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from zcfast._params import (
    Bool,
    Constraint,
    Device,
    Dtype,
    Func,
    Instance,
    Int,
    Optional,
    Real,
    Seed,
    check,
    fail,
    unknown_names,
)
from zcfast.exceptions import ConfigError

__all__ = ["LossFn", "Options", "resolve_options"]

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


#: Each option's constraint (the dataclass fields below give the defaults).
CONSTRAINTS: dict[str, Constraint] = {
    "seed": Seed(),
    "device": Optional(Device()),
    "dtype": Optional(Dtype()),
    "loss_fn": Optional(Func("a callable (outputs, labels) -> loss")),
    "swap_samples": Int(1),
    "swap_mu": Optional(Real()),
    "swap_sigma": Optional(Real(0.0, open_low=True)),
    "tf32": Optional(Bool()),
    "fused": Bool(),
    "n_threads": Optional(Int(1, 4096)),
}


@dataclass(frozen=True)
class Options:
    """How :mod:`zcfast.metrics` computes proxies (checked when made).

    Attributes
    ----------
    seed:
        Seeds what is random in the definitions (zen's Gaussian init and inputs, the noise
        batch of the layer table) and, when architectures are built, their weights.
    device:
        Where to compute: ``None`` (the model's device; for ``score_*`` and search: CUDA when
        the scoring process has it, else CPU), ``"auto"`` (CUDA when present), or a device.
    dtype:
        Compute dtype (e.g. ``torch.float64`` for exact comparisons); ``None``: the model's.
        synflow always runs in float64.
    loss_fn:
        ``loss_fn(outputs, labels) -> scalar``; ``None``: the task's loss (cross-entropy for
        class logits).
    swap_samples:
        Samples SWAP looks at (the first ones of the batch; 16 as in the reference).
    swap_mu, swap_sigma:
        SWAP's size regulariser ``exp(-(P/1e3 - μ)²/σ)``, both or neither (off by default).
    tf32:
        ``False`` switches TF32 off for the call (exact comparisons on Ampere+ GPUs), ``True``
        on; ``None`` leaves PyTorch's settings alone.
    fused:
        ``False`` runs every proxy on its own copy with its own passes, as the reference does
        (:func:`~zcfast.metrics.compute` only; the layer table is always fused).
    n_threads:
        torch's intra-op threads while computing (restored afterwards); ``None`` leaves
        torch's setting (one per core) alone.  On a machine busy with other work, fewer
        threads than cores avoid oversubscription.

    Example
    -------
    >>> Options(seed=1).replace(swap_samples=8).swap_samples
    8
    >>> Options(swap_samples=0)
    Traceback (most recent call last):
    ...
    zcfast.exceptions.ConfigError: swap_samples: expected a positive int, found 0
    """

    seed: int = 0
    device: str | None = None
    dtype: torch.dtype | None = None
    loss_fn: LossFn | None = None
    swap_samples: int = 16
    swap_mu: float | None = None
    swap_sigma: float | None = None
    tf32: bool | None = None
    fused: bool = True
    n_threads: int | None = None

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            object.__setattr__(
                self, f.name, check(f.name, getattr(self, f.name), CONSTRAINTS[f.name])
            )
        if (self.swap_mu is None) != (self.swap_sigma is None):
            raise fail(
                "swap_mu, swap_sigma", "both (size regulariser) or neither", "one", ConfigError
            )

    def replace(self, **changes: Any) -> Options:
        """A copy with ``changes`` (option names; an unknown name is an error)."""
        if not changes:
            return self
        unknown = [k for k in changes if k not in CONSTRAINTS]
        if unknown:
            raise unknown_names(unknown, CONSTRAINTS, "options")
        return dataclasses.replace(self, **changes)

    def describe(self) -> dict[str, Any]:
        """What changes values, as JSON values (a score store records it): everything but
        ``device`` and ``n_threads``."""
        loss = self.loss_fn
        return {
            "seed": self.seed,
            "dtype": None if self.dtype is None else str(self.dtype),
            "loss_fn": None if loss is None else f"{loss.__module__}.{loss.__qualname__}",
            "swap_samples": self.swap_samples,
            "swap_mu": self.swap_mu,
            "swap_sigma": self.swap_sigma,
            "tf32": self.tf32,
            "fused": self.fused,
        }

    @contextlib.contextmanager
    def threads(self) -> Iterator[None]:
        """torch's intra-op threads set to :attr:`n_threads` inside the block."""
        if self.n_threads is None:
            yield
            return
        old = torch.get_num_threads()
        torch.set_num_threads(self.n_threads)
        try:
            yield
        finally:
            torch.set_num_threads(old)


_OPTIONS = Optional(Instance(Options, what="a zcfast.metrics.Options"))


def resolve_options(
    options: Any, overrides: Mapping[str, Any], where: str, arguments: tuple[str, ...] = ()
) -> Options:
    """``options`` (an :class:`Options` or ``None``) with keyword ``overrides`` applied; an
    unknown keyword is an error listing the caller's ``arguments`` and the option names."""
    options = check("options", options, _OPTIONS) or Options()
    unknown = [k for k in overrides if k not in CONSTRAINTS]
    if unknown:
        raise unknown_names(unknown, (*arguments, *CONSTRAINTS), where)
    return options.replace(**overrides)
