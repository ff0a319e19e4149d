"""Public entry points for one network: :func:`compute` and :func:`layer_primitives`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from zcfast._params import Instance, Optional, check, fail
from zcfast.exceptions import ConfigError
from zcfast.metrics._common import (
    LABEL_PROXIES,
    PROBE_FAILED,
    PROXIES,
    check_inputs,
    check_label_range,
    check_labels,
    check_logits,
    check_model,
    checked_loss,
    detached_copy,
    model_device_dtype,
    model_errors,
    normalize_proxies,
    preserved,
    probe_output,
    resolve_device,
    tf32_setting,
)
from zcfast.metrics._engine import Setup, feature_module, run
from zcfast.metrics._layers import LAYER_COLUMNS
from zcfast.metrics._options import Options, resolve_options
from zcfast.metrics._reference import compute_separately
from zcfast.spaces._task import TaskSpec

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


_TASK = Optional(
    Instance(TaskSpec, what="a zcfast.spaces.TaskSpec (e.g. get_space('nb201').task('cifar10'))")
)


def check_task(task: Any) -> TaskSpec | None:
    """``task`` if it is ``None`` or a :class:`zcfast.spaces.TaskSpec`."""
    return check("task", task, _TASK)


def fitted_task(task: TaskSpec | None, x: torch.Tensor) -> TaskSpec | None:
    """``task`` on the batch's image size (dense outputs and labels scale with it)."""
    if task is None or task.spatial_size is None or x.dim() < 3:
        return task
    size = (int(x.shape[-2]), int(x.shape[-1]))
    return task if size == task.spatial_size else task.with_input_size(size)


def undefined_proxies(task: TaskSpec | None, features: str | None) -> dict[str, str]:
    """Proxies whose definition does not apply to ``task`` (or to a model without zen's
    features), each with the reason."""
    out: dict[str, str] = {}
    if task is not None and task.labels != "class":
        out["epe_nas"] = (
            f"it groups the input Jacobian by class, and task {task.name!r} has {task.labels}"
            " labels, not class indices"
        )
    if features is None:
        out["zen"] = (
            "it reads the pre-pooling feature map, and the model has no nn.AdaptiveAvgPool2d"
            " and the task names no feature_module"
        )
    return out


def proxies_for(task: TaskSpec | None = None) -> tuple[str, ...]:
    """The proxies defined for ``task`` (all of :data:`PROXIES` for class logits; zen needs
    a task with a ``feature_module``, epe_nas class-index labels).

    Example
    -------
    >>> from zcfast.spaces import TaskSpec
    >>> "epe_nas" in proxies_for(TaskSpec("seg", (3, 64, 64), "dense_logits", 17))
    False
    """
    task = check_task(task)
    features = "" if task is None or task.feature_module is not None else None
    undefined = undefined_proxies(task, features)
    return tuple(p for p in PROXIES if p not in undefined)


def select_proxies(
    proxies: str | Iterable[str] | None, undefined: dict[str, str], task: TaskSpec | None
) -> list[str]:
    """The proxies asked for (``None``: every defined one); an undefined one is an error."""
    if proxies is None:
        return [p for p in PROXIES if p not in undefined]
    names = normalize_proxies(proxies)
    bad = [p for p in names if p in undefined]
    if bad:
        what = f"task {task.name!r}" if task is not None else "this model"
        found = f"{bad[0]} ({undefined[bad[0]]})"
        raise fail("proxies", f"proxies defined for {what}", found)
    return names


class _Prepared:
    """The checked arguments of one computation, and the :class:`Setup` of its passes."""

    def __init__(
        self,
        model: Any,
        inputs: Any,
        labels: Any,
        proxies: str | Iterable[str] | None,
        task: Any,
        options: Options,
        *,
        want_layers: bool = False,
    ) -> None:
        self.model = check_model(model, any_weight_layer=want_layers)
        m_dev, m_dtype = model_device_dtype(self.model)
        if m_dev.type == "meta":
            raise fail("model", "real parameters", "a model on 'meta'")
        self.options = options
        self.device = resolve_device(options.device, m_dev)
        self.dtype = options.dtype or m_dtype
        self.x = check_inputs(inputs, self.dtype, self.device)
        self.task = fitted_task(check_task(task), self.x)
        self.features = feature_module(
            self.model, None if self.task is None else self.task.feature_module
        )
        undefined = undefined_proxies(self.task, self.features)
        self.names = (
            _table_proxies(proxies, undefined, self.task)
            if want_layers
            else select_proxies(proxies, undefined, self.task)
        )
        if labels is None and (want_layers or set(self.names) & LABEL_PROXIES):
            wanted = ", ".join(sorted(set(self.names) & LABEL_PROXIES)) or "the layer table"
            raise fail("labels", f"the batch's labels (needed by {wanted})", "None")
        self.labels = labels
        self.same = _same_device(self.device, m_dev) and self.dtype == m_dtype

    def work_model(self) -> nn.Module:
        if self.same:
            return self.model
        return detached_copy(self.model, self.device, self.dtype)

    def setup(self, work: nn.Module) -> tuple[Setup, torch.Tensor | None]:
        """One forward of the first sample (a model that returns the wrong kind of output is
        reported before any pass), then the labels checked against what it returned."""
        n = int(self.x.shape[0])
        task, loss_fn = self.task, self.options.loss_fn
        check_output = task.check_output if task is not None else check_logits
        probed = probe_output(work, self.x)
        out = None if probed is PROBE_FAILED else check_output(probed, 1)
        y = None if self.labels is None else self._labels(out, n)
        if loss_fn is not None:
            loss = checked_loss(loss_fn)
        else:
            loss = task.loss_fn if task is not None else torch.nn.functional.cross_entropy
        opts = self.options
        setup = Setup(
            loss_fn=loss,
            check_output=check_output,
            class_labels=task is None or task.labels == "class",
            features=self.features,
            seed=opts.seed,
            swap_samples=opts.swap_samples,
            swap_mu=opts.swap_mu,
            swap_sigma=opts.swap_sigma,
        )
        return setup, y

    def _labels(self, out: torch.Tensor | None, n: int) -> torch.Tensor:
        if self.options.loss_fn is not None:  # the user's loss takes whatever labels it takes
            return check_labels(self.labels, n, self.device, integer=False)
        if self.task is not None:
            return self.task.check_labels(self.labels, out, n).to(self.device)
        y = check_labels(self.labels, n, self.device, integer=True)
        if out is not None:
            check_label_range(y, int(out.shape[1]))
        return y


def _table_proxies(
    proxies: str | Iterable[str] | None, undefined: dict[str, str], task: TaskSpec | None
) -> list[str]:
    """:func:`select_proxies` for the layer functions, where an empty collection asks for the
    table alone."""
    if proxies is not None and not isinstance(proxies, str):
        proxies = list(proxies)
        if not proxies:
            return []
    return select_proxies(proxies, undefined, task)


def _run(prep: _Prepared, *, want_layers: bool) -> tuple[dict[str, float], dict[str, Any] | None]:
    """The passes of one prepared computation, with the caller's model state preserved."""
    opts = prep.options
    with opts.threads(), tf32_setting(opts.tf32):
        work = prep.work_model()
        with preserved(work):
            setup, y = prep.setup(work)  # eval mode, no grad: no BN statistics update
            with model_errors():
                if not opts.fused and not want_layers:
                    return compute_separately(work, prep.x, y, prep.names, setup), None
                res = run(work, prep.x, y, prep.names, setup, want_layers=want_layers)
    return res.scalars, res.layers


#: The named arguments of the functions of one network (besides the options).
_COMPUTE_ARGUMENTS = ("model", "inputs", "labels", "proxies", "task", "options")


def compute(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor | None = None,
    proxies: str | Iterable[str] | None = None,
    *,
    task: TaskSpec | None = None,
    options: Options | None = None,
    **overrides: Any,
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
        A ``torch.nn.Module`` with at least one ``Conv2d``/``Linear`` layer whose
        ``forward(inputs)`` returns the task's outputs: without a ``task``, logits
        ``(N, num_classes)``.
    inputs:
        One batch ``(N, ...)`` of finite values.
    labels:
        Labels of the task's kind (without a task: ``N`` class indices in
        ``[0, num_classes)``; anything ``loss_fn`` takes when one is given).  Needed by
        grad_norm, snip, plain, fisher, grasp and epe_nas.
    proxies:
        Names from :data:`PROXIES` (a name or an iterable); ``None``: every proxy defined for
        the task and model (:func:`proxies_for`; zen needs the pre-pooling features, epe_nas
        class labels); asking for an undefined one is an ``InvalidValueError`` saying why.
    task:
        A :class:`zcfast.spaces.TaskSpec`: what the outputs and labels are, the loss
        (proxies that need one use the task's), where zen's features are.  ``None``: class
        logits, cross-entropy, the model's last ``AdaptiveAvgPool2d`` for zen.
    options, **overrides:
        A :class:`zcfast.metrics.Options` and/or any of its fields by name (``seed``,
        ``device``, ``dtype``, ``loss_fn``, ``swap_samples``, ``swap_mu``, ``swap_sigma``,
        ``tf32``, ``fused``, ``n_threads``).

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
    opts = resolve_options(options, overrides, "compute", _COMPUTE_ARGUMENTS)
    prep = _Prepared(model, inputs, labels, proxies, task, opts)
    return _run(prep, want_layers=False)[0]


def compute_and_layers(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    proxies: str | Iterable[str] | None = None,
    *,
    task: TaskSpec | None = None,
    options: Options | None = None,
    **overrides: Any,
) -> tuple[dict[str, float], pl.DataFrame]:
    """:func:`compute`'s proxies and :func:`layer_primitives`' table from one evaluation.

    Pass A computes everything the table needs and most proxies at once, so both together
    cost little more than the table.  ``proxies=()`` asks for the table alone.

    Parameters
    ----------
    model, inputs, labels, proxies, task, options, **overrides:
        As in :func:`compute` (``labels`` are required; ``fused`` must stay True).

    Example
    -------
    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(12, 3))
    >>> scores, table = compute_and_layers(net, torch.randn(4, 3, 2, 2), torch.tensor([0, 1, 2, 0]),
    ...                                    ["grad_norm"])
    >>> bool(abs(table["grad_norm"].sum() - scores["grad_norm"]) < 1e-6)
    True
    """
    opts = resolve_options(options, overrides, "layer_primitives", _COMPUTE_ARGUMENTS)
    if not opts.fused:
        raise fail("fused", "True (the layer table is always computed fused)", "False", ConfigError)
    prep = _Prepared(model, inputs, labels, proxies, task, opts, want_layers=True)
    scalars, columns = _run(prep, want_layers=True)
    assert columns is not None
    return scalars, layer_frame(columns)


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
    task: TaskSpec | None = None,
    options: Options | None = None,
    **overrides: Any,
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
    part                    the part of the network: the layer's top-level module (``stem``,
                            ``cells``, ...); for a space's networks, what the space says
                            (``encoder``, ``decoder``, ``head`` in TransNAS-Bench-101)
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
        A ``torch.nn.Module`` returning the task's outputs (without a task: logits
        ``(N, num_classes)``), with at least one weight layer of the kinds above.
    inputs, labels:
        One batch and its labels (required: the gradients need the loss).
    task:
        As in :func:`compute`: the loss the gradients are of and what the labels are.
    options, **overrides:
        As in :func:`compute`; ``seed`` seeds the noise batch ``ε`` (a private generator;
        global RNGs untouched), ``swap_samples`` is how many samples ``in_patterns`` looks at.

    Example
    -------
    >>> from zcfast.spaces import nb201
    >>> net = nb201.build("(2, 2, 0, 4, 2, 0)")
    >>> df = layer_primitives(net, torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,)))
    >>> df.columns[:4], df["kind"].unique().sort().to_list()
    (['layer', 'kind', 'part', 'index'], ['conv2d', 'linear'])
    >>> bool(df.select(df.columns[3:]).to_numpy().astype(float).max() < float("inf"))
    True
    """
    return compute_and_layers(model, inputs, labels, (), task=task, options=options, **overrides)[1]
