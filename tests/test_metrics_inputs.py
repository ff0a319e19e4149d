"""Bad input: a clear zcfast exception that names the argument."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from zcfast import metrics  # noqa: E402
from zcfast.exceptions import (  # noqa: E402
    ArgumentTypeError,
    ConfigError,
    InvalidValueError,
    ShapeError,
    UnknownNameError,
    ZcfastError,
)
from zcfast.spaces import nb201  # noqa: E402


@pytest.fixture(scope="module")
def small():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 10))
    x = torch.randn(6, 3, 6, 6)
    y = torch.tensor([0, 1, 2, 3, 4, 5])
    return model, x, y


def test_inputs_and_labels_of_different_lengths(small) -> None:
    model, x, y = small
    with pytest.raises(ShapeError, match=r"^labels: expected 6 rows \(one per input\), found 5"):
        metrics.compute(model, x, y[:5])
    with pytest.raises(ShapeError, match=r"^labels"):
        metrics.layer_primitives(model, x, y[:5])
    with pytest.raises(ShapeError, match=r"^labels"):
        metrics.score_archs("nb201", [0], inputs=x, labels=y[:3], num_classes=10, progress=False)


def test_labels_out_of_range(small) -> None:
    model, x, _ = small
    y = torch.tensor([0, 1, 2, 12, 4, 5])
    with pytest.raises(
        InvalidValueError, match=r"^labels: expected integers in \[0, 10\), found 12 at position 3"
    ):
        metrics.compute(model, x, y)
    with pytest.raises(InvalidValueError, match=r"^labels: expected integers in \[0, 10\)"):
        metrics.compute(model, x, y, ["grad_norm"], fused=False)
    with pytest.raises(InvalidValueError, match=r"^labels: expected integers >= 0, found -1"):
        metrics.compute(model, x, torch.tensor([0, 1, -1, 3, 4, 5]))
    with pytest.raises(InvalidValueError, match=r"^labels: expected integers in \[0, 3\)"):
        metrics.score_archs("nb201", [0], inputs=x, labels=y, num_classes=3, progress=False)
    with pytest.raises(ArgumentTypeError, match=r"^labels: expected integer class indices"):
        metrics.compute(model, x, torch.tensor([0.5, 1, 2, 3, 4, 5]))


def test_labels_missing_when_needed(small) -> None:
    model, x, _ = small
    with pytest.raises(InvalidValueError, match=r"^labels: .*needed by grad_norm"):
        metrics.compute(model, x, None, ["grad_norm", "nwot"])
    assert set(metrics.compute(model, x, None, ["nwot", "synflow", "params"])) == {
        "nwot",
        "synflow",
        "params",
    }


def test_nan_and_inf_inputs(small) -> None:
    model, x, y = small
    bad = x.clone()
    bad[2, 0, 1, 1] = float("nan")
    with pytest.raises(
        InvalidValueError, match=r"^inputs: expected finite values, found NaN in sample 2"
    ):
        metrics.compute(model, bad, y)
    bad = x.clone()
    bad[4, 1, 0, 0] = float("inf")
    with pytest.raises(InvalidValueError, match=r"^inputs: .*inf in sample 4"):
        metrics.compute(model, bad, y)
    with pytest.raises(ShapeError, match=r"^inputs"):
        metrics.compute(model, torch.randn(6), y)
    with pytest.raises(ArgumentTypeError, match=r"^inputs"):
        metrics.compute(model, "images", y)


def test_model_without_weight_layers(small) -> None:
    _, x, y = small
    with pytest.raises(InvalidValueError, match=r"^model: expected at least one Conv2d or Linear"):
        metrics.compute(nn.Sequential(nn.ReLU(), nn.Flatten()), x, y)
    with pytest.raises(ArgumentTypeError, match=r"^model: expected a torch.nn.Module"):
        metrics.compute(lambda t: t, x, y)


def test_model_returning_no_logits(small) -> None:
    _, x, y = small
    conv = nn.Conv2d(3, 2, 1)
    with pytest.raises(ShapeError, match=r"^model: expected forward\(\) to return logits"):
        metrics.compute(conv, x, y, ["nwot"])


def test_unknown_proxy_name(small) -> None:
    model, x, y = small
    with pytest.raises(
        UnknownNameError, match=r"^proxies: expected one or more names from .* found 'synflw'"
    ):
        metrics.compute(model, x, y, ["synflow", "synflw"])
    with pytest.raises(UnknownNameError, match=r"^proxies"):
        metrics.compute(model, x, y, "nope")
    with pytest.raises(
        ConfigError, match=r"^proxies: expected one or more names from .* found \[\]"
    ):
        metrics.compute(model, x, y, [])


def test_malformed_architecture_string() -> None:
    with pytest.raises(InvalidValueError, match=r"^arch: expected an NB201 cell"):
        nb201.build("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|")
    with pytest.raises(InvalidValueError, match=r"^arch"):
        nb201.build("(4, 3, 3, 3, 2)")
    err = None
    try:
        nb201.parse("|foo~0|+|skip_connect~0|none~1|+|none~0|none~1|none~2|")
    except ZcfastError as e:
        err = e
    assert isinstance(err, ValueError) and "foo" in str(err)


def test_bad_settings(small) -> None:
    model, x, y = small
    with pytest.raises(ConfigError, match=r"^swap_samples"):
        metrics.compute(model, x, y, ["swap"], swap_samples=0)
    with pytest.raises(ConfigError, match=r"^swap_mu, swap_sigma"):
        metrics.compute(model, x, y, ["swap"], swap_mu=1.0)
    with pytest.raises(ArgumentTypeError, match=r"^dtype"):
        metrics.compute(model, x, y, ["params"], dtype=torch.int64)
    with pytest.raises(ArgumentTypeError, match=r"^device"):
        metrics.compute(model, x, y, ["params"], device=3.5)
    with pytest.raises(ConfigError, match=r"^num_classes"):
        metrics.score_archs("nb201", [0], inputs=x, labels=y, num_classes=0, progress=False)
    with pytest.raises(UnknownNameError, match=r"^space: expected one of nb201, .*found 'nb999'"):
        metrics.score_archs("nb999", [0], inputs=x, labels=y, num_classes=10, progress=False)
    with pytest.raises(InvalidValueError, match=r"^input_shape"):
        metrics.count_flops(model)


def test_layer_primitives_bad_input(small) -> None:
    model, x, y = small
    with pytest.raises(InvalidValueError, match=r"^labels: .* \(needed by the layer table\)"):
        metrics.layer_primitives(model, x, None)
    with pytest.raises(
        InvalidValueError, match=r"^model: expected at least one Conv, ConvTranspose or Linear"
    ):
        metrics.layer_primitives(nn.Sequential(nn.ReLU(), nn.Flatten()), x, y)
    with pytest.raises(InvalidValueError, match=r"^labels: expected integers in \[0, 10\)"):
        metrics.layer_primitives(model, x, torch.tensor([0, 1, 2, 12, 4, 5]))
    with pytest.raises(ConfigError, match=r"^swap_samples"):
        metrics.layer_primitives(model, x, y, swap_samples=0)
    with pytest.raises(ArgumentTypeError, match=r"^dtype"):
        metrics.layer_primitives(model, x, y, dtype=torch.int64)
    # a model with only the other weight kinds is fine for the table
    conv1d = nn.Sequential(nn.Flatten(2), nn.Conv1d(3, 10, 36), nn.Flatten())
    assert metrics.layer_primitives(conv1d, x, y)["kind"].to_list() == ["conv1d"]


def test_many_architecture_functions_reject_unknown_keywords(small) -> None:
    _, x, y = small
    for fn in (metrics.score_archs, metrics.layer_primitives_many, metrics.score_archs_and_layers):
        with pytest.raises(UnknownNameError, match=r"^\w+: expected arguments from .*'proxies'"):
            fn("nb201", [0], inputs=x, labels=y, num_classes=10, progress=False, proxy="nwot")
