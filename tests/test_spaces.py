"""The space + task contract: the registry, capability checks, TaskSpec, a user-defined space
registered and searched, and a dense-output network scored through metrics with its own task."""

from __future__ import annotations

import random
from typing import Any, ClassVar

import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
from torch import nn  # noqa: E402
from zcfast import metrics, search  # noqa: E402
from zcfast.exceptions import (  # noqa: E402
    ArgumentTypeError,
    ConfigError,
    InvalidValueError,
    ShapeError,
    UnknownNameError,
)
from zcfast.spaces import (  # noqa: E402
    Space,
    TaskSpec,
    available_spaces,
    check_space,
    get_space,
    register_space,
)

# -- the registry ----------------------------------------------------------------------------


def test_every_space_is_registered_under_its_names() -> None:
    assert set(available_spaces()) >= {"nb201", "nb101", "nb301", "tnb101_micro", "tnb101_macro"}
    assert get_space("darts") is get_space("nb301") is get_space("NAS-Bench-301")
    assert get_space("TNB101-Micro").name == "tnb101_micro"
    for name in ("nb201", "nb101", "nb301"):
        space = check_space(name, "moves", "builder")
        assert space.task().is_classification and space.tasks[0] == space.task().name


def test_unknown_and_malformed_spaces() -> None:
    with pytest.raises(UnknownNameError, match=r"^space: expected one of nb201, .*'nb999'"):
        get_space("nb999")
    with pytest.raises(ArgumentTypeError, match=r"^space: .*found int 5"):
        get_space(5)  # type: ignore[arg-type]

    class NoBuilder:
        name = "half"

        def parse(self, arch: Any) -> Any:
            return arch

        def key(self, arch: Any) -> str:
            return str(arch)

    with pytest.raises(ArgumentTypeError, match=r"^space: .*SearchSpace with tasks \(builder\)"):
        check_space(NoBuilder(), "builder")
    with pytest.raises(UnknownNameError, match=r"^task: expected one of cifar10, .*'imagenet'"):
        get_space("nb201").task("imagenet")


# -- TaskSpec ---------------------------------------------------------------------------------

TASKS = [
    TaskSpec.classification("cls", 7, (3, 16, 16)),
    TaskSpec("soft", (3, 16, 16), "logits", 5, labels="distribution"),
    TaskSpec("seg", (3, 16, 16), "dense_logits", 4),
    TaskSpec("normals", (3, 16, 16), "dense", 3),
    TaskSpec("autoencoder", (3, 16, 16), "image", 3),
    TaskSpec("layout", (3, 16, 16), "vector", 9),
    TaskSpec("jigsaw", (9, 3, 8, 8), "logits", 10),
]


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.name)
def test_example_batches_fit_their_task(task: TaskSpec) -> None:
    for source in ("noise", "digits"):
        x, y = task.example_batch(6, seed=1, source=source)
        assert tuple(x.shape) == (6, *task.input_shape)
        assert tuple(y.shape) == (6, *task.label_shape())
        assert bool(torch.isfinite(x).all())
        checked = task.check_labels(y, None, 6)
        assert checked.shape == y.shape
        again = task.example_batch(6, seed=1, source=source)
        assert torch.equal(again[0], x) and torch.equal(again[1], y)
    if task.labels == "distribution":
        assert torch.allclose(y.sum(1), torch.ones(6))
    if task.output == "image":
        assert torch.equal(x, y)


def test_task_shapes_scale_with_the_input() -> None:
    seg = TaskSpec("seg", (3, 256, 256), "dense_logits", 17, output_size=(128, 128))
    small = seg.with_input_size(64)
    assert small.input_shape == (3, 64, 64) and small.output_shape() == (17, 32, 32)
    assert small.label_shape() == (32, 32)
    assert seg.with_input_size(256) is seg
    with pytest.raises(ShapeError, match=r"^input_size"):
        TaskSpec("v", (10,), "vector", 2).with_input_size(8)
    assert TaskSpec.classification("c", 10, (3, 8, 8)).with_classes(3).name == "c-3"
    with pytest.raises(ConfigError, match=r"^num_classes"):
        seg.with_classes(5)


@pytest.mark.parametrize(
    ("task", "labels", "error", "match"),
    [
        (TASKS[0], torch.zeros(4, 16, 16, dtype=torch.long), ShapeError, r"class indices"),
        (TASKS[0], torch.tensor([0, 1, 2, 7]), InvalidValueError, r"\[0, 7\), found 7"),
        (TASKS[0], torch.tensor([0.5, 1, 2, 3]), ArgumentTypeError, r"integer class indices"),
        (TASKS[2], torch.zeros(4, dtype=torch.long), ShapeError, r"a class index per pixel"),
        (TASKS[2], torch.zeros(4, 8, 8, dtype=torch.long), ShapeError, r"\(4, 16, 16\)"),
        (TASKS[3], torch.zeros(4, 16, 16), ShapeError, r"a target map"),
        (TASKS[3], torch.full((4, 3, 16, 16), float("nan")), InvalidValueError, r"finite"),
        (TASKS[5], torch.zeros(3, 9), ShapeError, r"4 rows"),
        (TASKS[1], ["a", "b", "c", "d"], ArgumentTypeError, r"numbers"),
    ],
)
def test_labels_of_the_wrong_kind_are_refused(
    task: TaskSpec, labels: Any, error: type, match: str
) -> None:
    with pytest.raises(error, match=r"^labels: .*" + match):
        task.check_labels(labels, None, 4)


def test_bad_task_specs() -> None:
    with pytest.raises(UnknownNameError, match=r"^output"):
        TaskSpec("t", (3, 8, 8), "heatmap", 2)
    with pytest.raises(UnknownNameError, match=r"^labels"):
        TaskSpec("t", (3, 8, 8), "dense", 2, labels="class")
    with pytest.raises(UnknownNameError, match=r"^loss"):
        TaskSpec("t", (3, 8, 8), "logits", 2, loss="hinge")
    with pytest.raises(ConfigError, match=r"^input_shape"):
        TaskSpec("t", (3, 0, 8), "logits", 2)
    with pytest.raises(ShapeError, match=r"^input_shape"):
        TaskSpec("t", (16,), "dense", 2)


# -- metrics read the task -------------------------------------------------------------------


class TinySegmenter(nn.Module):
    """A small encoder-decoder for dense outputs (TransNAS-style): the contract's proof that a
    space with dense outputs needs no change to metrics."""

    def __init__(self, channels: int, head: int) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=2, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.Conv2d(8, 8, 3, padding=1),
            nn.ReLU(),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(8, 8, 4, stride=2, padding=1), nn.ReLU(), nn.Conv2d(8, head, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


@pytest.mark.parametrize(
    "task", [t for t in TASKS if t.output in ("dense_logits", "dense", "image")]
)
def test_dense_networks_score_with_their_own_task(task: TaskSpec) -> None:
    torch.manual_seed(0)
    task = TaskSpec(
        task.name,
        task.input_shape,
        task.output,
        task.num_outputs,
        labels=task.labels,
        feature_module="decoder.0",
    )
    net = TinySegmenter(8, task.num_outputs)
    x, y = task.example_batch(6, seed=0)
    values = metrics.compute(net, x, y, task=task)
    assert set(values) == set(metrics.proxies_for(task))
    assert "epe_nas" not in values  # defined for class labels only
    assert all(np.isfinite(v) and v != metrics.SENTINEL for v in values.values()), values
    layers = metrics.layer_primitives(net, x, y, task=task)
    assert "conv_transpose2d" in layers["kind"].to_list()
    numeric = layers.drop("layer", "kind", "part").to_numpy().astype(float)
    assert np.isfinite(numeric).all()
    with pytest.raises(InvalidValueError, match=r"^proxies: .*epe_nas .*class indices"):
        metrics.compute(net, x, y, ["epe_nas"], task=task)


def test_the_task_loss_is_what_the_gradients_are_of() -> None:
    task = TASKS[5]  # vector regression, mse
    torch.manual_seed(1)
    net = nn.Sequential(nn.Flatten(), nn.Linear(3 * 16 * 16, 9))
    x, y = task.example_batch(4, seed=0)
    g = metrics.compute(net, x, y, ["grad_norm"], task=task)["grad_norm"]
    loss = nn.functional.mse_loss(net(x), y)
    (gw, _) = torch.autograd.grad(loss, [net[1].weight, net[1].bias])
    assert g == pytest.approx(float(gw.norm()), rel=1e-5)  # Linear layers: weights only
    with pytest.raises(ShapeError, match=r"^model: expected forward\(\) to return values"):
        metrics.compute(nn.Sequential(nn.Flatten(), nn.Linear(768, 4)), x, y, task=task)


# -- a user-defined space, registered and searched (the README's example) ----------------------


class WidthDepthSpace(Space):
    """A CNN whose architecture is (width, depth): ~30 lines make it a zcfast space."""

    name = "widthdepth"
    TASKS: ClassVar[dict[str, TaskSpec]] = {
        "digits": TaskSpec.classification("digits", 10, (3, 16, 16), feature_module="pool")
    }
    WIDTHS, DEPTHS = (4, 8, 16, 32), (1, 2, 3, 4)

    def parse(self, arch: Any) -> tuple[int, int]:
        w, d = (
            int(v) for v in (arch if not isinstance(arch, str) else arch.strip("()").split(","))
        )
        if w not in self.WIDTHS or d not in self.DEPTHS:
            raise InvalidValueError(f"arch: expected (width, depth) of this space, found {arch!r}")
        return (w, d)

    def random(self, rng: random.Random) -> tuple[int, int]:
        return (rng.choice(self.WIDTHS), rng.choice(self.DEPTHS))

    def neighbours(self, arch: Any) -> list[tuple[int, int]]:
        w, d = self.parse(arch)
        out = [(x, d) for x in self.WIDTHS if x != w] + [(w, x) for x in self.DEPTHS if x != d]
        return out

    def mutate(self, arch: Any, rng: random.Random) -> tuple[int, int]:
        return rng.choice(self.neighbours(arch))

    def network(self, arch: tuple[int, int], task: TaskSpec) -> nn.Module:
        w, d = arch
        layers: list[nn.Module] = [nn.Conv2d(3, w, 3, padding=1), nn.ReLU()]
        for _ in range(d - 1):
            layers += [nn.Conv2d(w, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU()]
        net = nn.Sequential(*layers)
        net.add_module("pool", nn.AdaptiveAvgPool2d(1))
        net.add_module("flat", nn.Flatten())
        net.add_module("head", nn.Linear(w, task.num_outputs))
        return net


def test_a_user_defined_space_is_registered_scored_and_searched() -> None:
    register_space("widthdepth", WidthDepthSpace)
    space = get_space("widthdepth")
    x, y = space.task().example_batch(8, source="digits")
    table = metrics.score_archs(
        "widthdepth", space.sample(5, seed=0), inputs=x, labels=y, progress=False
    )
    assert table.height == 5 and table["error"].null_count() == 5
    r = search("widthdepth", "nwot", inputs=x, labels=y, budget=6, seed=0, progress=False)
    again = search("widthdepth", "nwot", inputs=x, labels=y, budget=6, seed=0, progress=False)
    assert r.evaluations == 6 and r.history["arch"].to_list() == again.history["arch"].to_list()
    assert r.best in set(r.history["arch"].to_list())
    with pytest.raises(InvalidValueError, match=r"^name"):
        register_space("Bad-Name", WidthDepthSpace)
