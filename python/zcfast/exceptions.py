"""Exceptions raised by zcfast.

Every error zcfast raises on purpose derives from :class:`ZcfastError`, and also from the
built-in class a Python user would expect (``ValueError`` for bad values, ``TypeError`` for
wrong types), so ``except ValueError`` keeps working. Messages name the argument, what was
expected and what was found.

The Rust extension raises these same classes: ``zcfast._core`` imports them from here.
"""

from __future__ import annotations

__all__ = [
    "ArgumentTypeError",
    "ConfigError",
    "DeviceError",
    "ExecutorError",
    "InternalError",
    "InvalidValueError",
    "MissingDependencyError",
    "ModelError",
    "ProxyRangeWarning",
    "ShapeError",
    "UnknownNameError",
    "ZcfastError",
]


class ZcfastError(Exception):
    """Base class of every error raised by zcfast."""


class ShapeError(ZcfastError, ValueError):
    """An array has the wrong number of dimensions, rows or columns."""


class InvalidValueError(ZcfastError, ValueError):
    """A value is out of its domain: NaN/inf, constant, out of range, malformed text."""


class ArgumentTypeError(ZcfastError, TypeError):
    """An argument has the wrong type or dtype (e.g. a non-numeric column)."""


class UnknownNameError(ZcfastError, ValueError):
    """A name (function, fitness, proxy, task, column) is not one zcfast knows."""


class ConfigError(ZcfastError, ValueError):
    """A setting is out of range (e.g. a non-positive population size)."""


class MissingDependencyError(ZcfastError, ImportError):
    """An optional dependency (e.g. PyTorch for ``zcfast.metrics``) is not installed."""


class DeviceError(ZcfastError, RuntimeError):
    """A torch device this process cannot use (e.g. ``device="cuda"`` on a machine without a
    GPU, or a GPU index beyond the ones present)."""


class ModelError(ZcfastError, RuntimeError):
    """The user's model (or ``loss_fn``) raised while zcfast ran it on the batch (a shape
    mismatch, BatchNorm with one sample, an op without double backward, ...); the original
    exception is the ``__cause__``. Out-of-memory errors are not wrapped."""


class ExecutorError(ZcfastError, RuntimeError):
    """Workers could not be started or reached (e.g. an unreachable Ray cluster), or a worker
    raised outside the per-architecture error handling (e.g. zcfast missing on a Ray node)."""


class InternalError(ZcfastError, RuntimeError):
    """A bug in zcfast: the Rust core failed in a way input checks should have prevented (a
    panic caught at the binding). Please report it with the input that caused it."""


class ProxyRangeWarning(UserWarning):
    """A proxy is applied to values far outside those it was evolved on (proxies computed on
    another batch, dataset, input size or task), so its ranking may not carry over."""
