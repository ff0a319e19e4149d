"""What a network is trained for: :class:`TaskSpec`.

A task says what goes in (one sample's shape), what comes out (class logits, a dense map, a
regression vector, a reconstructed image), which loss trains it and what its labels look like.
Metrics read the task instead of assuming ``(N, C)`` logits and class indices, so a space whose
networks segment, regress or reconstruct needs no change to :mod:`zcfast.metrics`.

Importing this module does not import PyTorch; the methods that make or check tensors do.

Example
-------
>>> task = TaskSpec.classification("cifar10", 10, (3, 32, 32))
>>> task.labels, task.loss, task.output_shape()
('class', 'cross_entropy', (10,))
>>> task.with_input_size(16).input_shape
(3, 16, 16)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zcfast._params import Choice, Instance, Int, Sizes, Text, check, fail
from zcfast.exceptions import ConfigError, ShapeError

if TYPE_CHECKING:
    import torch

__all__ = ["LABEL_KINDS", "LOSSES", "OUTPUT_KINDS", "TaskSpec"]

#: What a network's forward returns, per sample:
#: ``logits`` ``(K,)`` class scores; ``dense_logits`` ``(K, H, W)`` per-pixel class scores;
#: ``dense`` ``(C, H, W)`` a regressed map (e.g. surface normals); ``image`` ``(C, H, W)`` a
#: reconstruction of the input; ``vector`` ``(D,)`` regressed values (e.g. room layout).
OUTPUT_KINDS = ("logits", "dense_logits", "dense", "image", "vector")

#: What a task's labels are, per sample: ``class`` an int in ``[0, K)``; ``distribution`` ``(K,)``
#: non-negative weights summing to 1 (soft labels); ``dense_class`` ``(H, W)`` ints in ``[0, K)``;
#: ``dense`` a float map of the output's shape; ``vector`` ``(D,)`` floats.
LABEL_KINDS = ("class", "distribution", "dense_class", "dense", "vector")

#: Losses a task can name (the callable is :attr:`TaskSpec.loss_fn`); every one returns the mean
#: over the batch, as the benchmarks train with.
LOSSES = ("cross_entropy", "soft_cross_entropy", "mse", "l1")

_DEFAULT_LABELS = {
    "logits": "class",
    "dense_logits": "dense_class",
    "dense": "dense",
    "image": "dense",
    "vector": "vector",
}
_DEFAULT_LOSS = {
    "class": "cross_entropy",
    "distribution": "soft_cross_entropy",
    "dense_class": "cross_entropy",
    "dense": "l1",
    "vector": "mse",
}
#: Label kinds each output kind can be trained against.
_COMPATIBLE = {
    "logits": ("class", "distribution"),
    "dense_logits": ("dense_class",),
    "dense": ("dense",),
    "image": ("dense",),
    "vector": ("vector",),
}
_DENSE_OUTPUTS = ("dense_logits", "dense", "image")
#: Largest example batch :meth:`TaskSpec.example_batch` makes: 2**31 values (8 GiB in float32).
MAX_BATCH_VALUES = 2**31
_SIZES = Sizes(1, 4, MAX_BATCH_VALUES)
_SIDES = Sizes(2, 2, MAX_BATCH_VALUES)
_COUNT = Int(1, MAX_BATCH_VALUES)


@dataclass(frozen=True)
class TaskSpec:
    """What a network is trained for, and how to make a batch for it.

    Attributes
    ----------
    name:
        The task's name in its space (``"cifar10"``, ``"segmentsemantic"``, ...).
    input_shape:
        One sample as the benchmark feeds it: ``(C, H, W)``, or ``(T, C, H, W)`` for an input
        of ``T`` tiles (jigsaw).
    output:
        One of :data:`OUTPUT_KINDS`.
    num_outputs:
        Classes (``logits``, ``dense_logits``), channels (``dense``, ``image``) or values
        (``vector``).
    labels:
        One of :data:`LABEL_KINDS`; default from ``output``.
    loss:
        One of :data:`LOSSES`; default from ``labels``.
    output_size:
        ``(H, W)`` of a dense output at ``input_shape``; ``None``: the input's ``(H, W)``.
        Dense outputs scale with the input (:meth:`with_input_size`).
    feature_module:
        Dotted name (as in ``named_modules()``) of the module whose *input* is the pre-pooling
        feature map: where zen reads its features.  ``None``: the network's last
        ``AdaptiveAvgPool2d``; zen is undefined for a network with neither.
    description:
        One line for people (dataset, what the labels mean).
    """

    name: str
    input_shape: tuple[int, ...]
    output: str
    num_outputs: int
    labels: str = ""
    loss: str = ""
    output_size: tuple[int, int] | None = None
    feature_module: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        check("name", self.name, Text())
        shape = check("input_shape", self.input_shape, _SIZES)
        object.__setattr__(self, "input_shape", shape)
        check("output", self.output, Choice(*OUTPUT_KINDS))
        object.__setattr__(self, "num_outputs", check("num_outputs", self.num_outputs, _COUNT))
        labels = self.labels or _DEFAULT_LABELS[self.output]
        compatible = Choice(*_COMPATIBLE[self.output], note=f"for {self.output} outputs")
        object.__setattr__(self, "labels", check("labels", labels, compatible))
        loss = self.loss or _DEFAULT_LOSS[labels]
        object.__setattr__(self, "loss", check("loss", loss, Choice(*LOSSES)))
        if self.output in _DENSE_OUTPUTS and len(shape) < 3:
            expected = f"(C, H, W) for a task with {self.output} outputs"
            raise fail("input_shape", expected, str(shape), ShapeError)
        if self.output_size is not None:
            object.__setattr__(self, "output_size", check("output_size", self.output_size, _SIDES))

    # -- constructors ------------------------------------------------------------------------

    @classmethod
    def classification(
        cls, name: str, num_classes: int, input_shape: tuple[int, ...], **kwargs: Any
    ) -> TaskSpec:
        """An image-classification task (class logits, cross-entropy, class indices).

        Example
        -------
        >>> TaskSpec.classification("cifar100", 100, (3, 32, 32)).num_outputs
        100
        """
        return cls(name, tuple(input_shape), "logits", num_classes, **kwargs)

    # -- derived shapes ----------------------------------------------------------------------

    @property
    def is_classification(self) -> bool:
        """Whether the network returns one vector of class logits per sample."""
        return self.output == "logits"

    @property
    def spatial_size(self) -> tuple[int, int] | None:
        """``(H, W)`` of one input image (``None`` for a non-image input)."""
        return None if len(self.input_shape) < 3 else (self.input_shape[-2], self.input_shape[-1])

    def output_shape(self) -> tuple[int, ...]:
        """One sample's output shape at :attr:`input_shape`.

        Example
        -------
        >>> TaskSpec("seg", (3, 64, 64), "dense_logits", 17).output_shape()
        (17, 64, 64)
        """
        if self.output in _DENSE_OUTPUTS:
            size = self.output_size or self.spatial_size
            assert size is not None  # checked in __post_init__
            return (self.num_outputs, *size)
        return (self.num_outputs,)

    def label_shape(self) -> tuple[int, ...]:
        """One sample's label shape (``()`` for a class index)."""
        out = self.output_shape()
        return {
            "class": (),
            "distribution": (self.num_outputs,),
            "dense_class": out[1:],
            "dense": out,
            "vector": out,
        }[self.labels]

    def with_input_size(self, size: int | tuple[int, int]) -> TaskSpec:
        """The same task on inputs of another spatial size (dense outputs scale with it).

        Example
        -------
        >>> TaskSpec("seg", (3, 256, 256), "dense_logits", 17).with_input_size(64).output_shape()
        (17, 64, 64)
        """
        old = self.spatial_size
        if old is None:
            expected = f"no size (the task {self.name!r} takes no images)"
            raise fail("input_size", expected, repr(size), ShapeError)
        hw = check("input_size", size if isinstance(size, tuple) else (size, size), _SIDES)
        if hw == old:
            return self
        out = self.output_size
        if out is not None:
            out = (max(1, out[0] * hw[0] // old[0]), max(1, out[1] * hw[1] // old[1]))
        return dataclasses.replace(self, input_shape=(*self.input_shape[:-2], *hw), output_size=out)

    def with_classes(self, num_classes: int) -> TaskSpec:
        """The same classification task with ``num_classes`` classes (named
        ``"<name>-<num_classes>"`` when that differs).

        Example
        -------
        >>> TaskSpec.classification("cifar10", 10, (3, 32, 32)).with_classes(5).name
        'cifar10-5'
        """
        check("num_classes", num_classes, _COUNT)
        if num_classes == self.num_outputs:
            return self
        if not self.is_classification:
            own = f"the task's own outputs for task {self.name!r} ({self.output} outputs,"
            raise fail("num_classes", f"{own} {self.num_outputs})", str(num_classes), ConfigError)
        return dataclasses.replace(self, name=f"{self.name}-{num_classes}", num_outputs=num_classes)

    # -- tensors -----------------------------------------------------------------------------

    @property
    def loss_fn(self) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        """``loss(outputs, labels) -> scalar`` of :attr:`loss` (mean over the batch)."""
        return _loss(self.loss)

    def example_batch(
        self, n: int = 64, seed: int = 0, *, source: Any = "noise"
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` inputs of :attr:`input_shape` and labels of the task's kind.

        ``source="noise"``: standard Gaussian inputs from a generator seeded ``seed``; labels
        drawn from the same generator (class tasks: ``arange(n) % K``, as
        :func:`zcfast.metrics.example_batch` makes them; soft labels: a softmax of Gaussian
        logits; dense class maps: uniform ints; dense and vector targets: Gaussian; image
        reconstruction: the inputs themselves).  ``source="digits"`` or a dataset: real images
        (see :func:`zcfast.metrics.example_batch`) with class labels for class tasks and
        generated labels otherwise; a tiled input is the image cut into its tiles.

        Example
        -------
        >>> x, y = TaskSpec("seg", (3, 16, 16), "dense_logits", 5).example_batch(4)
        >>> tuple(x.shape), tuple(y.shape), str(y.dtype)
        ((4, 3, 16, 16), (4, 16, 16), 'torch.int64')
        """
        from zcfast.spaces._batches import task_batch

        return task_batch(self, n, seed, source)

    def check_output(self, out: Any, n: int) -> torch.Tensor:
        """``out`` if it is a tensor of ``n`` outputs of this task's kind, else a
        :class:`ShapeError` saying what the forward should return."""
        import torch

        tensor = f"forward() to return a tensor ({self._expected_output()})"
        check("model", out, Instance(torch.Tensor, what=tensor))
        rank = len(self.output_shape()) + 1
        ok = out.dim() == rank and out.shape[0] == n and out.shape[1] == self.num_outputs
        if not ok:
            expected = f"forward() to return {self._expected_output(n)} for task {self.name!r}"
            raise fail("model", expected, f"shape {tuple(out.shape)}", ShapeError)
        return out

    def _expected_output(self, n: int | str = "N") -> str:
        k = self.num_outputs
        return {
            "logits": f"logits of shape ({n}, {k})",
            "dense_logits": f"per-pixel logits of shape ({n}, {k}, H, W)",
            "dense": f"a map of shape ({n}, {k}, H, W)",
            "image": f"an image of shape ({n}, {k}, H, W)",
            "vector": f"values of shape ({n}, {k})",
        }[self.output]

    def check_labels(self, labels: Any, output: torch.Tensor | None, n: int) -> torch.Tensor:
        """``labels`` as a tensor that :attr:`loss_fn` takes against ``output`` (or, without
        one, against :meth:`output_shape`); a clear zcfast error naming ``labels`` otherwise."""
        from zcfast.spaces._batches import check_task_labels

        return check_task_labels(self, labels, output, n)

    def describe(self) -> dict[str, Any]:
        """Plain data (what a score store records)."""
        return {
            "name": self.name,
            "input_shape": list(self.input_shape),
            "output": self.output,
            "num_outputs": self.num_outputs,
            "labels": self.labels,
            "loss": self.loss,
            "output_size": None if self.output_size is None else list(self.output_size),
        }


def _loss(name: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    import torch.nn.functional as F

    if name == "cross_entropy":
        return F.cross_entropy
    if name == "soft_cross_entropy":
        return _soft_cross_entropy
    if name == "mse":
        return F.mse_loss
    return F.l1_loss


def _soft_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Cross-entropy against soft labels: mean over the batch of ``−Σ_k t_k log softmax(z)_k``."""
    return -(target * logits.log_softmax(dim=1)).sum(dim=1).mean()
