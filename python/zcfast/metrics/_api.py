"""Public entry points: :func:`compute` and :func:`layer_primitives`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from zcfast.exceptions import InvalidValueError
from zcfast.metrics._common import (
    LABEL_PROXIES,
    LossFn,
    check_dtype,
    check_inputs,
    check_label_range,
    check_labels,
    check_loss_fn,
    check_model,
    check_options,
    check_seed,
    checked_loss,
    detached_copy,
    model_device_dtype,
    model_errors,
    normalize_proxies,
    preserved,
    probe_model,
    resolve_device,
    tf32_setting,
)
from zcfast.metrics._engine import Options, loss_or_default, run
from zcfast.metrics._layers import LAYER_COLUMNS
from zcfast.metrics._reference import compute_separately

if TYPE_CHECKING:
    import polars as pl


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
        tf32: bool | None,
        fused: bool = True,
        want_layers: bool = False,
    ) -> None:
        self.model = check_model(model, any_weight_layer=want_layers)
        m_dev, m_dtype = model_device_dtype(self.model)
        if m_dev.type == "meta":
            raise InvalidValueError("model: expected real parameters, found a model on 'meta'")
        self.device = resolve_device(device, m_dev)
        self.dtype = check_dtype(dtype) or m_dtype
        check_loss_fn(loss_fn)
        seed = check_seed(seed)
        check_options(swap_samples, swap_mu, swap_sigma, tf32, fused)
        self.x = check_inputs(inputs, self.dtype, self.device)
        n = int(self.x.shape[0])
        self.y: torch.Tensor | None = None
        if labels is not None:
            self.y = check_labels(labels, n, self.device, integer=loss_fn is None)
        elif want_layers or set(names) & LABEL_PROXIES:
            wanted = ", ".join(sorted(set(names) & LABEL_PROXIES)) or "the layer table"
            raise InvalidValueError(
                f"labels: expected one class index per input (needed by {wanted}), found None"
            )
        self.same = _same_device(self.device, m_dev) and self.dtype == m_dtype
        self.opts = Options(
            loss_fn=loss_or_default(None if loss_fn is None else checked_loss(loss_fn)),
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

    def probe(self, work: nn.Module) -> None:
        """One forward of the first sample: a model that fails or returns anything but logits
        is reported before any pass, and integer labels are checked against its classes."""
        n_classes = probe_model(work, self.x)
        if n_classes is not None and self.y is not None and self.opts.integer_labels:
            check_label_range(self.y, n_classes)


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
    0.802426
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
        tf32=tf32,
        fused=fused,
    )
    with tf32_setting(tf32):
        work = prep.work_model()
        with preserved(work):
            prep.probe(work)  # eval mode, no grad: no BN statistics update
            with model_errors():
                if fused:
                    return run(work, prep.x, prep.y, names, prep.opts).scalars
                return compute_separately(work, prep.x, prep.y, names, prep.opts)


def compute_and_layers(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
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
) -> tuple[dict[str, float], pl.DataFrame]:
    """:func:`compute`'s proxies and :func:`layer_primitives`' table from one evaluation.

    Pass A computes everything the table needs and most proxies at once, so both together
    cost little more than the table.  ``proxies=()`` asks for the table alone.

    Parameters
    ----------
    model, inputs, labels, proxies, loss_fn, device, dtype, seed, swap_samples, swap_mu, \
swap_sigma, tf32:
        As in :func:`compute` (``labels`` are required).

    Example
    -------
    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(12, 3))
    >>> scores, table = compute_and_layers(net, torch.randn(4, 3, 2, 2), torch.tensor([0, 1, 2, 0]),
    ...                                    ["grad_norm"])
    >>> bool(abs(table["grad_norm"].sum() - scores["grad_norm"]) < 1e-6)
    True
    """
    names = _proxy_names(proxies)
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
        tf32=tf32,
        want_layers=True,
    )
    with tf32_setting(tf32):
        work = prep.work_model()
        with preserved(work):
            prep.probe(work)
            with model_errors():
                res = run(work, prep.x, prep.y, names, prep.opts, want_layers=True)
    assert res.layers is not None
    return res.scalars, layer_frame(res.layers)


def _proxy_names(proxies: str | Iterable[str] | None) -> list[str]:
    """:func:`normalize_proxies`, except that an empty collection means none (table only)."""
    if proxies is not None and not isinstance(proxies, str):
        proxies = list(proxies)
        if not proxies:
            return []
    return normalize_proxies(proxies)


def layer_frame(columns: dict[str, Any]) -> pl.DataFrame:
    """The polars table of :data:`LAYER_COLUMNS` from the engine's columns."""
    import polars as pl

    dtypes = {"str": pl.String, "int64": pl.Int64, "float64": pl.Float64}
    return pl.DataFrame(
        [pl.Series(col, columns[col], dtype=dtypes[kind]) for col, kind in LAYER_COLUMNS.items()]
    )


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
    """Per-layer primitives: one row per weight layer, the raw material of layer-wise proxies.

    Rows: every ``Conv1d/2d/3d`` (grouped and depthwise included), ``ConvTranspose1d/2d/3d`` and
    ``Linear`` module, in ``model.named_modules()`` order, executed or not (a layer the forward
    does not reach has ``calls`` 0 and zero gradient and activation statistics; a weight used
    without calling its module, like ``MultiheadAttention.out_proj``, keeps its gradient
    columns but has ``calls`` 0 and no activation statistics).  Activation
    statistics belong to the layer whose input ``X`` (the tensor entering it; in NB201's
    ReLU→Conv→BN the ReLU's output, so ``X > 0`` is the ReLU's activation pattern) and output
    ``Z`` they describe.  A layer called several times reports the **mean over its calls** of
    each per-call statistic (``in_units``/``in_patterns`` rounded); ``flops`` is the sum.

    Passes: the gradient, fisher, grasp and every data-batch column come from one instrumented
    forward/backward (cross-entropy unless ``loss_fn``, BatchNorm in train mode); synflow from its
    own float64 pass; the noise columns from two no-grad train-mode forwards of a standard
    Gaussian batch ``ε`` of the inputs' shape (private generator seeded ``seed``) and of
    ``x + 0.01·ε``.  The model is left exactly as it was (as in :func:`compute`).

    **Every numeric value is finite**: a NaN/±inf that still arises is :data:`SENTINEL` (−1e8).

    Columns (:data:`LAYER_COLUMNS`; W = weight, G = ∂L/∂W; str, then int64, then float64):

    ======================  ====================================================================
    layer, kind             module name; ``conv1d conv2d conv3d conv_transpose1d
                            conv_transpose2d conv_transpose3d linear``
    index                   position among the weight layers (0-based)
    calls                   times executed in the data forward
    fan_in, fan_out         ``W.numel() / fan_out`` (C_in/groups·kernel; in_features); output
                            channels (out_features)
    kernel, groups          product of kernel sizes (1 for Linear); groups (1 for Linear)
    n_params                the module's own parameters (weight and bias)
    flops                   per-sample forward FLOPs, :func:`count_flops`' convention
                            (transposed and 1-D/3-D convolutions: ``_static.weight_layer_flops``)
    in_units                elements of one sample of X (bounds in_patterns; added so that it
                            can be normalised)
    in_patterns             distinct per-unit sign patterns of X over the first
                            ``swap_samples`` samples (SWAP's count for this layer's input, read
                            off the data forward: with a batch larger than ``swap_samples``,
                            BatchNorm normalises with the whole batch, unlike the swap proxy's
                            own forward of the first samples)
    depth                   ``index / max(n_layers − 1, 1)``, in [0, 1]
    weight_norm, _mean,     ‖W‖, mean, population std, mean |W|
    _std, _abs_mean
    grad_norm, _mean, ...   the same four of G
    wg_sum, wg_abs_sum      ΣW⊙G, Σ|W⊙G|
    wg_cos                  cosine of W and G (0 when a norm is 0)
    fisher                  fan_in · Σ_channels ½·mean_batch(Σ_spatial Z⊙∂L/∂Z)²
    grasp                   −Σ W⊙(Hg), g = G of the Conv2d/Linear weights (the scalar's g)
    synflow                 Σ|W⊙∂R/∂W| (float64, not logged; see :func:`compute`)
    in_mean, in_std         mean, population std of X
    in_pos_frac             fraction of X > 0
    in_rank                 rank of the ±1 sign-code matrix of X (B×D) ÷ B, via its B×B kernel
    in_logdet               log|det K|, K this layer's Hamming-agreement kernel of X's codes
                            (nwot for one layer); singular K: Σ log max(λ, 1e-12·max(λ_max, 1))
                            over K's eigenvalues, finite instead of −inf
    out_mean, out_std       mean, population std of Z
    out_grad_norm,          ‖∂L/∂Z‖, mean |∂L/∂Z|
    out_grad_abs_mean
    noise_in_pos_frac       fraction of X > 0 for the noise batch ε
    noise_out_std           population std of Z for the noise batch
    sensitivity             ‖Z(x + 0.01ε) − Z(x)‖₁ / ‖Z(x)‖₁ (0 when ‖Z(x)‖₁ is 0), as in zen
                            and EZNAS
    ======================  ====================================================================

    Sums over the rows of kind ``conv2d``/``linear`` reproduce :func:`compute` (whose proxies
    keep the reference's Conv2d/Linear set): ``Σ grad_norm`` = grad_norm, ``Σ wg_abs_sum`` =
    snip, ``Σ wg_sum`` = plain, ``Σ weight_norm`` = l2_norm, ``Σ fisher`` = fisher,
    ``Σ grasp`` = grasp and ``ln Σ synflow`` = synflow (when the sum is > 0).

    Parameters
    ----------
    model:
        A ``torch.nn.Module`` returning logits ``(N, num_classes)``, with at least one weight
        layer of the kinds above.
    inputs, labels:
        One batch and its class indices (required: the gradients need the loss).
    loss_fn, device, dtype, tf32:
        As in :func:`compute`.
    seed:
        Seed of the noise batch ``ε`` (a private generator; global RNGs untouched).
    swap_samples:
        Samples that ``in_patterns`` looks at (the first ones).

    Example
    -------
    >>> from zcfast.spaces import nb201
    >>> net = nb201.build("(2, 2, 0, 4, 2, 0)")
    >>> df = layer_primitives(net, torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,)))
    >>> df.columns[:4], df["kind"].unique().sort().to_list()
    (['layer', 'kind', 'index', 'calls'], ['conv2d', 'linear'])
    >>> bool(df.select(df.columns[2:]).to_numpy().astype(float).max() < float("inf"))
    True
    """
    return compute_and_layers(
        model,
        inputs,
        labels,
        (),
        loss_fn=loss_fn,
        device=device,
        dtype=dtype,
        seed=seed,
        swap_samples=swap_samples,
        tf32=tf32,
    )[1]
