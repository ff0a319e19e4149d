"""Validation, device/dtype handling and the model-state guard shared by the metric passes."""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from zcfast._messages import describe_value
from zcfast._params import Instance, Names, Seed, check, fail
from zcfast.datasets import PROXIES as SUITE_ZERO_PROXIES
from zcfast.exceptions import (
    ArgumentTypeError,
    DeviceError,
    ModelError,
    ShapeError,
    ZcfastError,
)

#: Every proxy zcfast computes: NAS-Bench-Suite-Zero's, plus SWAP; alphabetical (the column order
#: of zcfast tables).
PROXIES: tuple[str, ...] = tuple(sorted((*SUITE_ZERO_PROXIES, "swap")))

#: Value reported for a proxy whose computation gives NaN or ±inf (the reference's convention).
SENTINEL: float = -1e8

#: Proxies that need labels (the loss or per-class grouping).
LABEL_PROXIES = frozenset({"grad_norm", "snip", "plain", "fisher", "grasp", "epe_nas"})

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

#: The weight layers of the scalar proxies (the reference's set).
WEIGHT_LAYERS = (nn.Conv2d, nn.Linear)

#: The weight layers of ``layer_primitives`` and their ``kind``; transposed convolutions are not
#: subclasses of the plain ones, and a subclass (e.g. a custom Conv2d) gets its base's kind.
LAYER_KINDS: tuple[tuple[type[nn.Module], str], ...] = (
    (nn.Conv1d, "conv1d"),
    (nn.Conv2d, "conv2d"),
    (nn.Conv3d, "conv3d"),
    (nn.ConvTranspose1d, "conv_transpose1d"),
    (nn.ConvTranspose2d, "conv_transpose2d"),
    (nn.ConvTranspose3d, "conv_transpose3d"),
    (nn.Linear, "linear"),
)

#: What ``model=`` and ``proxies=`` may be.
MODULE = Instance(nn.Module, what="a torch.nn.Module")
_PROXY_NAMES = Names(*PROXIES)
_TENSOR = Instance(torch.Tensor, what="a torch.Tensor")
_LOSS = Instance(torch.Tensor, what="a scalar tensor (with a gradient)")
_LOGITS = Instance(torch.Tensor, what="forward() to return a tensor of logits")


def finite_or_sentinel(value: float) -> float:
    """``value`` if finite, else :data:`SENTINEL`."""
    v = float(value)
    return v if math.isfinite(v) else SENTINEL


def normalize_proxies(proxies: str | Iterable[str] | None) -> list[str]:
    """Validated, de-duplicated proxy names in :data:`PROXIES` order (``None`` = all)."""
    if proxies is None:
        return list(PROXIES)
    wanted = set(check("proxies", proxies, _PROXY_NAMES))
    return [p for p in PROXIES if p in wanted]


def check_model(model: Any, *, any_weight_layer: bool = False) -> nn.Module:
    """``model`` if it is a module with a Conv2d/Linear layer (any :data:`LAYER_KINDS` layer
    when ``any_weight_layer``)."""
    check("model", model, MODULE)
    if any_weight_layer:
        found = any(layer_kind(m) is not None for m in model.modules())
        wanted = "Conv, ConvTranspose or Linear"
    else:
        found = any(isinstance(m, WEIGHT_LAYERS) for m in model.modules())
        wanted = "Conv2d or Linear"
    if not found:
        raise fail("model", f"at least one {wanted} layer", f"none in {type(model).__name__}")
    return model


def model_device_dtype(model: nn.Module) -> tuple[torch.device, torch.dtype]:
    for p in model.parameters():
        return p.device, p.dtype
    for b in model.buffers():
        if b.is_floating_point():
            return b.device, b.dtype
    return torch.device("cpu"), torch.get_default_dtype()


def resolve_device(
    device: str | None, default: torch.device, *, check: bool = True
) -> torch.device:
    """An :class:`~zcfast.metrics.Options` ``device`` (checked there) as a
    :class:`torch.device` (``None``: ``default``, ``"auto"``: CUDA when present); with
    ``check``, one this process can use (else :class:`DeviceError`)."""
    if device is None:
        return default
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if check:
        check_device_available(dev)
    return dev


def check_device_available(dev: torch.device) -> None:
    """Raises :class:`DeviceError` unless this process can allocate on ``dev``."""
    if dev.type == "cpu":
        return
    try:
        torch.empty(0, device=dev)
    except Exception as exc:  # no driver, not compiled with CUDA (AssertionError), bad index
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        found = f"{str(dev)!r} (torch: {why[:200]})"
        raise fail("device", "a device this process can use", found, DeviceError) from None


def check_seed(seed: Any) -> int:
    """``seed`` if it is an int that torch's generators take (``[-2**63, 2**64)``)."""
    return int(check("seed", seed, Seed()))


def checked_loss(loss_fn: LossFn) -> LossFn:
    """``loss_fn`` that raises a zcfast error naming it when it fails or returns anything but
    one number (a vector would make the gradients those of its sum)."""

    def loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        try:
            value = loss_fn(logits, labels)
        except ZcfastError:
            raise
        except Exception as exc:
            expected = "loss_fn(logits, labels) to return the loss"
            raise fail("loss_fn", expected, _raised(exc), ModelError) from exc
        check("loss_fn", value, _LOSS)
        if value.numel() != 1:
            found = f"a tensor of shape {tuple(value.shape)} (reduce it, e.g. with .mean())"
            raise fail("loss_fn", "a scalar loss", found, ShapeError)
        if not (value.is_floating_point() and value.requires_grad):
            found = f"{value.dtype} with requires_grad={value.requires_grad}"
            raise fail("loss_fn", "a floating loss that depends on the logits", found)
        return value.reshape(())

    return loss


#: Out-of-memory errors stay what they are (callers catch them to shrink the batch).
_OUT_OF_MEMORY: type[BaseException] = getattr(
    torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError
)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else "")[:300]


def _raised(exc: BaseException) -> str:
    """What a message says was found where the user's code raised ``exc``."""
    return f"{type(exc).__name__}: {_first_line(exc)}"


@contextlib.contextmanager
def model_errors(what: str = "forward and backward passes on the batch") -> Iterator[None]:
    """Turns an exception raised while running the user's model into a :class:`ModelError`
    saying that ``what`` was expected to run (zcfast's own errors and out-of-memory errors
    pass unchanged)."""
    try:
        yield
    except ZcfastError:
        raise
    except _OUT_OF_MEMORY:
        raise
    except Exception as exc:
        raise fail("model", f"{what} to run", _raised(exc), ModelError) from exc


#: What :func:`probe_output` returns when the one-sample forward raised.
PROBE_FAILED = object()


def probe_output(model: nn.Module, x: torch.Tensor) -> Any:
    """What ``model`` returns for the first sample (eval mode, no grad), so that a forward
    returning the wrong kind of output fails with a clear message before any pass.  A forward
    that raises gives :data:`PROBE_FAILED`: the passes on the whole batch decide (a model may
    need more than one sample) and report it as a :class:`ModelError`.  The caller restores
    the mode."""
    model.eval()
    try:
        with torch.no_grad():
            return model(x[:1])
    except (ZcfastError, _OUT_OF_MEMORY):
        raise
    except Exception:
        return PROBE_FAILED


def check_inputs(inputs: Any, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    if isinstance(inputs, np.ndarray):
        inputs = torch.from_numpy(inputs)
    check("inputs", inputs, _TENSOR)
    if inputs.dim() < 2 or inputs.shape[0] < 1:
        shape = f"shape {tuple(inputs.shape)}"
        raise fail("inputs", "a batch (N, ...) with N >= 1", shape, ShapeError)
    if not (inputs.is_floating_point() or inputs.dtype in (torch.uint8, torch.int64)):
        raise fail("inputs", "a floating tensor", str(inputs.dtype), ArgumentTypeError)
    x = inputs.detach().to(device=device, dtype=dtype)
    bad = ~torch.isfinite(x)
    if bool(bad.any()):
        pos = int(bad.flatten(1).any(1).nonzero()[0, 0])
        what = "NaN" if bool(torch.isnan(x[pos]).any()) else "inf"
        raise fail("inputs", "finite values", f"{what} in sample {pos}")
    return x


def label_tensor(labels: Any, n: int) -> torch.Tensor:
    """``labels`` (a tensor, or a NumPy array or list of numbers) as a real tensor of ``n``
    rows (what every task's labels are, before their own checks)."""
    if isinstance(labels, (np.ndarray, list, tuple)):
        try:
            arr = np.asarray(labels)
        except (ValueError, TypeError, OverflowError) as exc:
            found = f"a ragged or mixed sequence ({_first_line(exc)})"
            raise fail("labels", "an array of labels, one per input", found, ShapeError) from None
        if arr.dtype.kind not in "biuf":
            first = describe_value(arr.flat[0] if arr.size else None)
            raise fail(
                "labels", "numbers", f"values of dtype {arr.dtype} ({first})", ArgumentTypeError
            )
        labels = torch.as_tensor(arr.astype(np.int64) if arr.dtype.kind == "u" else arr)
    check("labels", labels, _TENSOR)
    if labels.is_complex():
        raise fail("labels", "real values", f"dtype {labels.dtype}", ArgumentTypeError)
    if labels.dim() == 0 or labels.shape[0] != n:
        found = "a scalar" if labels.dim() == 0 else f"{labels.shape[0]} rows"
        raise fail("labels", f"{n} rows (one per input)", found, ShapeError)
    return labels


def check_labels(labels: Any, n: int, device: torch.device, integer: bool) -> torch.Tensor:
    labels = label_tensor(labels, n)
    if integer:
        if labels.dim() != 1:
            shape = f"shape {tuple(labels.shape)}"
            raise fail("labels", "a 1-D tensor of class indices", shape, ShapeError)
        if labels.is_floating_point() or labels.dtype == torch.bool:
            if not (labels.is_floating_point() and bool((labels == labels.round()).all())):
                dtype = f"dtype {labels.dtype}"
                raise fail("labels", "integer class indices", dtype, ArgumentTypeError)
        labels = labels.long()
        if bool((labels < 0).any()):
            pos = int((labels < 0).nonzero()[0, 0])
            raise fail("labels", "integers >= 0", f"{int(labels[pos])} at position {pos}")
    return labels.detach().to(device)


def check_label_range(labels: torch.Tensor, num_classes: int) -> None:
    over = labels >= num_classes
    if bool(over.any()):
        pos = int(over.nonzero()[0, 0])
        found = f"{int(labels[pos])} at position {pos}"
        raise fail("labels", f"integers in [0, {num_classes})", found)


def check_logits(logits: Any, n: int) -> torch.Tensor:
    check("model", logits, _LOGITS)
    if logits.dim() != 2 or logits.shape[0] != n:
        expected = f"forward() to return logits of shape ({n}, num_classes)"
        raise fail("model", expected, str(tuple(logits.shape)), ShapeError)
    return logits


def weight_layers(model: nn.Module) -> list[tuple[str, nn.Conv2d | nn.Linear]]:
    """``(name, module)`` of every Conv2d/Linear module, in ``model.modules()`` order."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def layer_kind(module: nn.Module) -> str | None:
    """The :data:`LAYER_KINDS` kind of ``module``, ``None`` when it is no weight layer."""
    for cls, kind in LAYER_KINDS:
        if isinstance(module, cls):
            return kind
    return None


def table_layers(model: nn.Module) -> list[tuple[str, nn.Module, str]]:
    """``(name, module, kind)`` of every :data:`LAYER_KINDS` layer, in ``named_modules()`` order."""
    found = [(n, m, layer_kind(m)) for n, m in model.named_modules()]
    return [(n, m, k) for n, m, k in found if k is not None]


@dataclass
class _Snapshot:
    training: list[tuple[nn.Module, bool]]
    requires_grad: list[tuple[torch.Tensor, bool]]
    buffers: list[tuple[torch.Tensor, torch.Tensor]]


@contextlib.contextmanager
def preserved(model: nn.Module) -> Iterator[nn.Module]:
    """Run a block that may change modes, ``requires_grad`` flags and buffers; restore them.

    Parameter values and ``.grad`` are never written by the passes (they use
    :func:`torch.autograd.grad`), so they need no copy.
    """
    snap = _Snapshot(
        training=[(m, m.training) for m in model.modules()],
        requires_grad=[(p, p.requires_grad) for p in model.parameters()],
        buffers=[(b, b.detach().clone()) for b in model.buffers()],
    )
    try:
        yield model
    finally:
        with torch.no_grad():
            for b, saved in snap.buffers:
                b.copy_(saved)
        for p, flag in snap.requires_grad:
            p.requires_grad_(flag)
        for m, flag in snap.training:
            m.training = flag


@contextlib.contextmanager
def tf32_setting(tf32: bool | None) -> Iterator[None]:
    """Temporarily set PyTorch's TF32 switches (``None`` leaves them alone)."""
    if tf32 is None:
        yield
        return
    old = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = old


def detached_copy(model: nn.Module, device: torch.device, dtype: torch.dtype) -> nn.Module:
    """Deep copy of ``model`` on ``device``/``dtype``, without the original's ``.grad``."""
    net = copy.deepcopy(model)
    for p in net.parameters():
        p.grad = None
    return net.to(device=device, dtype=dtype)


def make_generator(device: torch.device, seed: int) -> torch.Generator:
    g = torch.Generator(device=device)
    g.manual_seed(int(seed))
    return g


def split_first(x: Sequence[Any]) -> Any:
    return x[0] if isinstance(x, (tuple, list)) else x
