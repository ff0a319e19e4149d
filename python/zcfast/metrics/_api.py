"""Public entry points: :func:`compute` and :func:`layer_primitives`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from zcfast.exceptions import ArgumentTypeError, ConfigError, InvalidValueError
from zcfast.metrics._common import (
    LABEL_PROXIES,
    PROXIES,
    LossFn,
    check_inputs,
    check_label_range,
    check_labels,
    check_logits,
    check_model,
    detached_copy,
    model_device_dtype,
    normalize_proxies,
    preserved,
    resolve_device,
    tf32_setting,
)
from zcfast.metrics._engine import Options, loss_or_default, run
from zcfast.metrics._reference import compute_separately

if TYPE_CHECKING:
    import polars as pl

#: ``layer_primitives`` columns and their dtypes.
LAYER_COLUMNS: dict[str, str] = {
    "layer": "str",
    "kind": "str",
    "order": "int64",
    "calls": "int64",
    "fan_in": "int64",
    "fan_out": "int64",
    "n_params": "int64",
    "flops": "int64",
    "weight_norm": "float64",
    "grad_norm": "float64",
    "wg_sum": "float64",
    "wg_abs_sum": "float64",
    "fisher": "float64",
    "grasp": "float64",
    "synflow": "float64",
    "act_units": "int64",
    "act_pos_frac": "float64",
    "nwot_logdet": "float64",
    "swap_patterns": "int64",
    "bn_var_mean": "float64",
    "zen_bn": "float64",
}


def _same_device(a: torch.device, b: torch.device) -> bool:
    if a.type != b.type:
        return False
    if a.type == "cuda":
        ia = a.index if a.index is not None else torch.cuda.current_device()
        ib = b.index if b.index is not None else torch.cuda.current_device()
        return ia == ib
    return True


class _Prepared:
    def __init__(
        self,
        model: Any,
        inputs: Any,
        labels: Any,
        names: list[str],
        *,
        loss_fn: LossFn | None,
        device: Any,
        dtype: Any,
        seed: int,
        swap_samples: int,
        swap_mu: float | None,
        swap_sigma: float | None,
    ) -> None:
        self.model = check_model(model)
        m_dev, m_dtype = model_device_dtype(self.model)
        if m_dev.type == "meta":
            raise InvalidValueError("model: expected real parameters, found a model on 'meta'")
        self.device = resolve_device(device, m_dev)
        if dtype is None:
            self.dtype = m_dtype
        elif isinstance(dtype, torch.dtype) and dtype.is_floating_point:
            self.dtype = dtype
        else:
            raise ArgumentTypeError(f"dtype: expected a floating torch.dtype, found {dtype!r}")
        if loss_fn is not None and not callable(loss_fn):
            raise ArgumentTypeError(
                f"loss_fn: expected a callable (logits, labels) -> loss, found "
                f"{type(loss_fn).__name__}"
            )
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ArgumentTypeError(f"seed: expected an int, found {type(seed).__name__}")
        if isinstance(swap_samples, bool) or not isinstance(swap_samples, int) or swap_samples < 1:
            raise ConfigError(f"swap_samples: expected a positive int, found {swap_samples!r}")
        if (swap_mu is None) != (swap_sigma is None):
            raise ConfigError(
                "swap_mu, swap_sigma: expected both (size regulariser) or neither, found one"
            )
        if swap_sigma is not None and not swap_sigma > 0:
            raise ConfigError(f"swap_sigma: expected a positive number, found {swap_sigma!r}")
        self.x = check_inputs(inputs, self.dtype, self.device)
        n = int(self.x.shape[0])
        self.y: torch.Tensor | None = None
        if labels is not None:
            self.y = check_labels(labels, n, self.device, integer=loss_fn is None)
        elif set(names) & LABEL_PROXIES:
            wanted = ", ".join(sorted(set(names) & LABEL_PROXIES))
            raise InvalidValueError(
                f"labels: expected one class index per input (needed by {wanted}), found None"
            )
        self.same = _same_device(self.device, m_dev) and self.dtype == m_dtype
        self.opts = Options(
            loss_fn=loss_or_default(loss_fn),
            integer_labels=loss_fn is None,
            seed=seed,
            swap_samples=swap_samples,
            swap_mu=swap_mu,
            swap_sigma=swap_sigma,
        )

    def work_model(self) -> nn.Module:
        if self.same:
            return self.model
        return detached_copy(self.model, self.device, self.dtype)


def compute(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor | None = None,
    proxies: str | Iterable[str] | None = None,
    *,
    loss_fn: LossFn | None = None,
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
    seed: int = 0,
    swap_samples: int = 16,
    swap_mu: float | None = None,
    swap_sigma: float | None = None,
    tf32: bool | None = None,
    fused: bool = True,
) -> dict[str, float]:
    """Zero-cost proxies of ``model`` for one batch.

    One instrumented forward/backward serves grad_norm, snip, plain, fisher, grasp, jacov,
    epe_nas and nwot (and flops); synflow, zen and swap get only the separate cheap passes their
    definitions need (see :mod:`zcfast.metrics`).  BatchNorm runs in train mode, as in the
    reference.  The caller's model is left exactly as it was: weights, ``.grad``, buffers (BN
    running statistics), train/eval mode of every module and ``requires_grad`` flags.

    Parameters
    ----------
    model:
        A ``torch.nn.Module`` whose ``forward(inputs)`` returns logits ``(N, num_classes)``,
        with at least one ``Conv2d``/``Linear`` layer.
    inputs:
        One batch ``(N, ...)`` of finite values.
    labels:
        ``N`` class indices in ``[0, num_classes)`` (any targets accepted by ``loss_fn`` when
        one is given).  Only needed by grad_norm, snip, plain, fisher, grasp and epe_nas.
    proxies:
        Names from :data:`PROXIES` (a name or an iterable); ``None`` = all.
    loss_fn:
        ``loss_fn(logits, labels) -> scalar``; default cross-entropy (mean).
    device:
        Where to compute; default: the model's device.  ``"auto"`` = CUDA when available.
        A device (or ``dtype``) other than the model's makes zcfast work on a copy.
    dtype:
        Compute dtype, e.g. ``torch.float64`` for exact comparisons; default: the model's.
        synflow always runs in float64 (float32 overflows on large networks).
    seed:
        Seed of zen's Gaussian init and inputs (private generator; global RNGs untouched).
    swap_samples:
        Samples SWAP looks at (the first ones of the batch; default 16 as in the reference).
    swap_mu, swap_sigma:
        SWAP's size regulariser ``exp(-(P/1e3 - μ)²/σ)`` (P = parameter count); off by default.
    tf32:
        ``False`` switches TF32 matmuls/convolutions off for the call (exact comparisons on
        Ampere+ GPUs), ``True`` on; ``None`` leaves PyTorch's settings alone.
    fused:
        ``False`` runs every proxy on its own model copy with its own passes, the way the
        reference does (slower; for checking).

    Returns
    -------
    dict
        Proxy name → value, in :data:`PROXIES` order.  params are in millions, flops in
        MFLOPs per sample (tensorwatch convention), synflow is ``ln Σ|W⊙∂R/∂W|``.  NaN or ±inf
        results become :data:`SENTINEL` (``-1e8``), as in the reference.

    Example
    -------
    >>> from zcfast.spaces import nb201
    >>> net = nb201.build("(2, 2, 0, 4, 2, 0)")
    >>> x, y = torch.randn(16, 3, 32, 32), torch.randint(0, 10, (16,))
    >>> scores = compute(net, x, y, ["synflow", "nwot", "params"])
    >>> round(scores["params"], 6)
    0.587386
    """
    names = normalize_proxies(proxies)
    prep = _Prepared(
        model,
        inputs,
        labels,
        names,
        loss_fn=loss_fn,
        device=device,
        dtype=dtype,
        seed=seed,
        swap_samples=swap_samples,
        swap_mu=swap_mu,
        swap_sigma=swap_sigma,
    )
    with tf32_setting(tf32):
        work = prep.work_model()
        with preserved(work):
            if fused:
                return run(work, prep.x, prep.y, names, prep.opts).scalars
            if prep.y is not None and prep.opts.integer_labels:
                work.eval()  # no BN statistics update; ``preserved`` restores the mode
                with torch.no_grad():
                    logits = check_logits(work(prep.x[:1]), 1)
                check_label_range(prep.y, int(logits.shape[1]))
            return compute_separately(work, prep.x, prep.y, names, prep.opts)


def layer_primitives(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    *,
    loss_fn: LossFn | None = None,
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
    seed: int = 0,
    swap_samples: int = 16,
    tf32: bool | None = None,
) -> pl.DataFrame:
    """Per-layer quantities that the proxies are sums of, one row per layer.

    Rows: every ``Conv2d``/``Linear`` (``kind`` ``"conv"``/``"linear"``), every ReLU-like
    module (``"relu"``) and every BatchNorm (``"bn"``), in ``model.named_modules()`` order.
    Columns (:data:`LAYER_COLUMNS`; numeric columns are plain float64/int64 without nulls,
    NaN/0 where a quantity does not apply to the row's kind):

    ``layer`` module name; ``kind``; ``order`` position in ``named_modules()``; ``calls``
    times executed in the forward; ``fan_in`` (weight elements per output channel);
    ``fan_out`` (output channels / BN features); ``n_params`` (the module's own parameters);
    ``flops`` per sample; ``weight_norm`` ‖W‖; ``grad_norm`` ‖∂L/∂W‖; ``wg_sum`` Σ W⊙∂L/∂W;
    ``wg_abs_sum`` Σ|W⊙∂L/∂W|; ``fisher`` (fan-in × Σ over channels of the per-channel term);
    ``grasp`` −Σ W⊙Hg; ``synflow`` Σ|W⊙∂R/∂W| (float64, not logged); ``act_units`` units per
    sample at a ReLU input; ``act_pos_frac`` fraction of positive ReLU inputs;
    ``nwot_logdet`` log|det K| of that ReLU alone; ``swap_patterns`` distinct sign patterns of
    that ReLU's output over the SWAP samples; ``bn_var_mean`` mean batch variance of the BN
    input; ``zen_bn`` zen's ``ln √mean(running_var)`` term of that BN.

    Sums over rows give the proxies: grad_norm, plain (``wg_sum``), snip (``wg_abs_sum``),
    fisher, grasp, l2_norm (``weight_norm``), ``ln Σ synflow`` = synflow, and zen's BN term is
    ``Σ zen_bn``.  Model state is preserved as in :func:`compute`.

    Parameters
    ----------
    model, inputs, labels, loss_fn, device, dtype, seed, swap_samples, tf32:
        As in :func:`compute`.

    Example
    -------
    >>> from zcfast.spaces import nb201
    >>> net = nb201.build("(2, 2, 0, 4, 2, 0)")
    >>> df = layer_primitives(net, torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,)))
    >>> df.filter(df["kind"] == "conv")["grad_norm"].to_numpy().dtype
    dtype('float64')
    """
    import numpy as np
    import polars as pl

    prep = _Prepared(
        model,
        inputs,
        labels,
        list(PROXIES),
        loss_fn=loss_fn,
        device=device,
        dtype=dtype,
        seed=seed,
        swap_samples=swap_samples,
        swap_mu=None,
        swap_sigma=None,
    )
    with tf32_setting(tf32):
        work = prep.work_model()
        with preserved(work):
            res = run(work, prep.x, prep.y, list(PROXIES), prep.opts, want_layers=True)
    assert res.layers is not None
    data: dict[str, Any] = {}
    for col, kind in LAYER_COLUMNS.items():
        values = res.layers[col]
        if kind == "str":
            data[col] = pl.Series(col, values, dtype=pl.String)
        elif kind == "int64":
            data[col] = pl.Series(col, np.asarray(values, dtype=np.int64))
        else:
            data[col] = pl.Series(col, np.asarray(values, dtype=np.float64))
    return pl.DataFrame(data)
