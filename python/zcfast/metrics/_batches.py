"""Batches to score networks on when no dataset is at hand (offline, deterministic)."""

from __future__ import annotations

import torch

from zcfast.exceptions import ConfigError, MissingDependencyError, UnknownNameError
from zcfast.metrics._common import check_seed

#: Sources :func:`example_batch` can draw from.
BATCH_SOURCES = ("digits", "noise")
_DIGITS = 1797
#: Largest batch :func:`example_batch` makes: 2**31 float32 values (8 GiB).
_MAX_ELEMENTS = 2**31


def example_batch(
    n: int = 64, size: int = 32, *, source: str = "digits", num_classes: int = 10, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images of shape ``(3, size, size)`` (float32) and their class labels.

    ``source="digits"``: the first ``n`` of scikit-learn's bundled 8×8 handwritten digits
    (real images, no download; needs scikit-learn), pixels scaled to [0, 1], bilinearly
    upsampled, replicated to 3 channels and standardised with the global mean and std; labels
    are the digits (10 classes). ``source="noise"``: standard Gaussian images from a generator
    seeded ``seed`` and labels ``arange(n) % num_classes``.

    Example
    -------
    >>> x, y = example_batch(16, 32)
    >>> tuple(x.shape), int(y.max()) <= 9
    ((16, 3, 32, 32), True)
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"n: expected a positive int, found {n!r}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigError(f"size: expected a positive int, found {size!r}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ConfigError(f"num_classes: expected a positive int, found {num_classes!r:.80}")
    seed = check_seed(seed)
    if n * 3 * size * size > _MAX_ELEMENTS:
        raise ConfigError(
            f"n, size: expected a batch of at most {_MAX_ELEMENTS:,} values (n·3·size²), found"
            f" {n}·3·{size}² = {n * 3 * size * size:,}"
        )
    if source == "noise":
        g = torch.Generator().manual_seed(seed)
        return torch.randn(n, 3, size, size, generator=g), torch.arange(n) % num_classes
    if source != "digits":
        raise UnknownNameError(f"source: expected one of {list(BATCH_SOURCES)}, found {source!r}")
    if n > _DIGITS:
        raise ConfigError(f"n: expected at most {_DIGITS} digits images, found {n}")
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise MissingDependencyError(
            "example_batch(source='digits') needs scikit-learn: pip install scikit-learn"
        ) from None
    d = load_digits()
    x = torch.tensor(d.images[:n], dtype=torch.float32)[:, None] / 16.0
    x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    x = x.repeat(1, 3, 1, 1)
    return (x - x.mean()) / x.std(), torch.tensor(d.target[:n])
