"""Batches to score networks on when no dataset is at hand (offline, deterministic)."""

from __future__ import annotations

from typing import Any

import torch

from zcfast._params import Int, check, fail
from zcfast.exceptions import ConfigError
from zcfast.spaces._batches import BATCH_SOURCES, images
from zcfast.spaces._task import MAX_BATCH_VALUES

__all__ = ["BATCH_SOURCES", "example_batch"]


def example_batch(
    n: int = 64, size: int = 32, *, source: Any = "digits", num_classes: int = 10, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images of shape ``(3, size, size)`` (float32) and their class labels.

    ``source="digits"``: the first ``n`` of scikit-learn's bundled 8×8 handwritten digits
    (real images, no download; scikit-learn comes with ``zcfast[torch]``), pixels scaled to
    [0, 1], bilinearly upsampled, replicated to 3 channels and standardised with the global
    mean and std; labels are the digits.  ``source="noise"``: standard Gaussian images from a
    generator seeded ``seed`` and labels ``arange(n) % num_classes``.  A
    ``torch.utils.data.Dataset`` of ``(image, label)`` pairs or the path of a torchvision
    CIFAR-10 folder (``download=False``) gives its first ``n`` images, resized and
    standardised the same way.  Labels are taken modulo ``num_classes``.  For other tasks
    (dense outputs, tiles, soft labels) use :meth:`zcfast.spaces.TaskSpec.example_batch`.

    Example
    -------
    >>> x, y = example_batch(16, 32)
    >>> tuple(x.shape), int(y.max()) <= 9
    ((16, 3, 32, 32), True)
    """
    n = check("n", n, Int(1))
    size = check("size", size, Int(1))
    num_classes = check("num_classes", num_classes, Int(1))
    if n * 3 * size * size > MAX_BATCH_VALUES:
        expected = f"a batch of at most {MAX_BATCH_VALUES:,} values (n·3·size²)"
        found = f"{n}·3·{size}² = {n * 3 * size * size:,}"
        raise fail("n, size", expected, found, ConfigError)
    x, classes = images(source, n, 3, (size, size), seed)
    y = torch.arange(n) if classes is None else classes
    return x, y % num_classes
