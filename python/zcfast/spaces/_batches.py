"""Batches shaped for a task, and the check that a user's labels fit it (PyTorch).

Images come from a *source*: ``"noise"`` (Gaussian, any shape), ``"digits"`` (scikit-learn's
bundled 8×8 handwritten digits, real images without a download), a ``torch.utils.data.Dataset``
of ``(image, label)`` pairs, or the path of a torchvision CIFAR-10 folder (read with
``download=False``).  Images are resized to the task's input size; a tiled input (jigsaw) is
each image cut into its tiles in a permutation drawn from the seeded generator.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F

from zcfast._messages import describe_value
from zcfast._params import Int, check, fail, missing_dependency
from zcfast.exceptions import ArgumentTypeError, ConfigError, ShapeError, UnknownNameError

if TYPE_CHECKING:
    from zcfast.spaces._task import TaskSpec

__all__ = ["BATCH_SOURCES", "check_task_labels", "images", "task_batch"]

#: Named image sources (a dataset or a folder path works too).
BATCH_SOURCES = ("digits", "noise")
_DIGITS = 1797


def _generator(seed: int) -> torch.Generator:
    from zcfast.metrics._common import check_seed

    return torch.Generator().manual_seed(check_seed(seed))


def _check_n(n: Any, values_per_sample: int) -> int:
    from zcfast.spaces._task import MAX_BATCH_VALUES

    n = check("n", n, Int(1))
    if n * values_per_sample > MAX_BATCH_VALUES:
        expected = f"a batch of at most {MAX_BATCH_VALUES:,} values"
        raise fail("n", expected, f"{n} samples of {values_per_sample:,}", ConfigError)
    return n


def _check_available(n: int, available: int, what: str) -> None:
    if n > available:
        raise fail("n", f"at most {available} {what}", str(n), ConfigError)


def images(
    source: Any, n: int, channels: int, size: tuple[int, int], seed: int
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``n`` images ``(channels, *size)`` from ``source`` and their class labels (``None`` for
    noise).  Real images are standardised with their global mean and std."""
    if isinstance(source, str) and source == "noise":
        g = _generator(seed)
        return torch.randn(n, channels, *size, generator=g), None
    if isinstance(source, str) and source == "digits":
        x, y = _digits(n)
    elif isinstance(source, (str, os.PathLike)) and os.path.isdir(source):
        x, y = _cifar_folder(source, n)
    elif (
        not isinstance(source, (str, bytes, os.PathLike))
        and hasattr(source, "__getitem__")
        and hasattr(source, "__len__")
    ):
        x, y = _dataset(source, n)
    else:
        expected = (
            f"one of {list(BATCH_SOURCES)}, a torch Dataset of (image, label) pairs or a"
            " CIFAR-10 folder"
        )
        folder = " (no such folder)" if isinstance(source, (str, os.PathLike)) else ""
        raise fail("source", expected, describe_value(source) + folder, UnknownNameError)
    x = x.float()
    if x.dim() == 3:
        x = x[:, None]
    if x.shape[1] not in (1, channels):
        expected = f"images with 1 or {channels} channels"
        raise fail("source", expected, str(x.shape[1]), ShapeError)
    x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
    if x.shape[1] != channels:
        x = x.repeat(1, channels, 1, 1)
    std = x.std()
    x = (x - x.mean()) / (std if float(std) > 0 else 1.0)
    return x, y


def _digits(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    _check_available(n, _DIGITS, "digits images")
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise missing_dependency(
            "scikit-learn", "source='digits'", "'zcfast[torch]' (which installs it)"
        ) from None
    d = load_digits()
    return torch.tensor(d.images[:n], dtype=torch.float32) / 16.0, torch.tensor(d.target[:n])


def _cifar_folder(path: Any, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    try:
        from torchvision.datasets import CIFAR10
    except ImportError:
        raise missing_dependency(
            "torchvision", "source (a CIFAR-10 folder)", "torchvision"
        ) from None
    try:
        data = CIFAR10(os.fspath(path), train=True, download=False)
    except RuntimeError as exc:
        expected = "a torchvision CIFAR-10 folder (cifar-10-batches-py)"
        raise fail("source", expected, f"{os.fspath(path)!r} ({str(exc).strip()[:200]})") from None
    _check_available(n, len(data), f"images of {path}")
    x = torch.tensor(data.data[:n]).permute(0, 3, 1, 2).float() / 255.0
    return x, torch.tensor(data.targets[:n])


def _dataset(data: Any, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    _check_available(n, len(data), "samples of the dataset")
    xs, ys = [], []
    for i in range(n):
        item = data[i]
        if not (isinstance(item, (tuple, list)) and len(item) >= 2):
            expected, found = "a dataset of (image, label) pairs", describe_value(item)
            raise fail("source", expected, f"{found} at index {i}", ArgumentTypeError)
        image = item[0]
        if not isinstance(image, torch.Tensor):
            try:
                import numpy as np

                image = torch.as_tensor(np.asarray(image, dtype=np.float32))
                if image.dim() == 3 and image.shape[-1] in (1, 3):  # PIL/NumPy: H, W, C
                    image = image.permute(2, 0, 1) / 255.0
            except (TypeError, ValueError) as exc:
                found = f"{type(item[0]).__name__} ({exc})"
                raise fail("source", "image tensors", found, ArgumentTypeError) from None
        xs.append(image.float())
        ys.append(int(item[1]))
    try:
        return torch.stack(xs), torch.tensor(ys)
    except RuntimeError as exc:
        raise fail("source", "images of one shape", str(exc), ShapeError) from None


def task_batch(task: TaskSpec, n: int, seed: int, source: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """See :meth:`TaskSpec.example_batch`."""
    shape = task.input_shape
    n = _check_n(n, math.prod(shape) + math.prod(task.label_shape()))
    g = _generator(seed)
    if len(shape) < 3:  # not images: only noise
        if not (isinstance(source, str) and source == "noise"):
            expected = f"'noise' for task {task.name!r}, whose inputs are not images"
            raise fail("source", expected, describe_value(source), ConfigError)
        x = torch.randn(n, *shape, generator=g)
        return x, _labels(task, n, g, None, x)
    tiles = shape[0] if len(shape) == 4 else 1
    c, h, w = shape[-3:]
    grid = math.isqrt(tiles)
    full, classes = images(source, n, c, (h * grid, w * grid), seed)
    if tiles > 1:
        full = _tiled(full, grid, g)
    return full, _labels(task, n, g, classes, full)


def _tiled(x: torch.Tensor, grid: int, g: torch.Generator) -> torch.Tensor:
    """Each image cut into ``grid × grid`` tiles, shuffled: ``(n, grid², C, h, w)``."""
    n, c, hh, ww = x.shape
    h, w = hh // grid, ww // grid
    t = x.reshape(n, c, grid, h, grid, w).permute(0, 2, 4, 1, 3, 5).reshape(n, grid * grid, c, h, w)
    order = torch.stack([torch.randperm(grid * grid, generator=g) for _ in range(n)])
    return torch.stack([t[i, order[i]] for i in range(n)])


def _labels(
    task: TaskSpec, n: int, g: torch.Generator, classes: torch.Tensor | None, x: torch.Tensor
) -> torch.Tensor:
    k = task.num_outputs
    if task.labels == "class":
        return classes % k if classes is not None else torch.arange(n) % k
    if task.labels == "distribution":
        return torch.randn(n, k, generator=g).softmax(dim=1)
    if task.labels == "dense_class":
        return torch.randint(0, k, (n, *task.label_shape()), generator=g)
    if task.output == "image" and tuple(x.shape[1:]) == task.label_shape():
        return x.clone()
    return torch.randn(n, *task.label_shape(), generator=g)


def check_task_labels(
    task: TaskSpec, labels: Any, output: torch.Tensor | None, n: int
) -> torch.Tensor:
    """See :meth:`TaskSpec.check_labels`."""
    from zcfast.metrics._common import label_tensor

    y = label_tensor(labels, n)
    per_sample = task.label_shape() if output is None else _label_shape(task, output)
    kind = task.labels
    if tuple(y.shape[1:]) != tuple(per_sample):
        expected = f"{_label_words(task)} of shape {(n, *per_sample)} for task {task.name!r}"
        raise fail("labels", expected, f"shape {tuple(y.shape)}", ShapeError)
    if kind in ("class", "dense_class"):
        if y.is_floating_point() and bool((y == y.round()).all()):
            y = y.long()
        if y.is_floating_point() or y.dtype == torch.bool:
            expected = f"integer class indices for task {task.name!r}"
            raise fail("labels", expected, f"dtype {y.dtype}", ArgumentTypeError)
        y = y.long()
        bad = (y < 0) | (y >= task.num_outputs)
        if bool(bad.any()):
            pos = tuple(int(i) for i in bad.nonzero()[0])
            found = f"{int(y[pos])} at position {pos[0] if len(pos) == 1 else pos}"
            raise fail("labels", f"integers in [0, {task.num_outputs})", found)
        return y.detach()
    if not y.is_floating_point():
        y = y.to(torch.get_default_dtype())
    if not bool(torch.isfinite(y).all()):
        found = "NaN" if bool(torch.isnan(y).any()) else "inf"
        raise fail("labels", f"finite values for task {task.name!r}", found)
    return y.detach()


def _label_shape(task: TaskSpec, output: torch.Tensor) -> tuple[int, ...]:
    """Per-sample label shape that fits the network's actual ``output``."""
    out = tuple(output.shape[1:])
    return {
        "class": (),
        "distribution": (task.num_outputs,),
        "dense_class": out[1:],
        "dense": out,
        "vector": out,
    }[task.labels]


def _label_words(task: TaskSpec) -> str:
    return {
        "class": "class indices",
        "distribution": "soft labels (a distribution per sample)",
        "dense_class": "a class index per pixel",
        "dense": "a target map",
        "vector": "target values",
    }[task.labels]
