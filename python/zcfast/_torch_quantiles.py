"""The PyTorch export of an ensemble with quantile columns (imported only by
:meth:`zcfast.Ensemble.to_torch`, which needs torch).

The module computes each quantile column from its column with the same float64 operations, in
the same order, as :func:`zcfast._quantiles.column_quantiles` (``tanh`` through NumPy on the
CPU, as the ensemble export does), then scores with the members' rank-mean module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from zcfast._export import numpy_inputs, require_torch
from zcfast._layers import ARCH_COLUMN
from zcfast._quantiles import MISSING, quantile_knots
from zcfast.exceptions import ArgumentTypeError, UnknownNameError

if TYPE_CHECKING:
    from zcfast._ensemble import Ensemble

__all__ = ["QuantileRankMean", "quantile_module"]


class _NumpyTanh(torch.autograd.Function):
    """tanh of float64 values as NumPy computes it (the quantile columns use np.tanh)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        y = torch.from_numpy(np.asarray(np.tanh(x.detach().numpy())))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        (y,) = ctx.saved_tensors
        return grad * (1.0 - y * y)


def _tanh(x: torch.Tensor) -> torch.Tensor:
    if x.dtype == torch.float64 and x.device.type == "cpu":
        out: torch.Tensor = _NumpyTanh.apply(x)
        return out
    return torch.tanh(x)


class QuantileRankMean(torch.nn.Module):
    """A zcfast ensemble with quantile columns as a PyTorch module: ``forward(columns)`` takes
    the ensemble's columns (a mapping of names to ``(N,)`` tensors), computes each quantile
    column from its column (the training values are the buffers ``knots<k>``, with their
    quantiles ``levels<k>``), and returns the members' rank mean (``members``, a rank-mean
    module over the members' own columns): what :meth:`zcfast.Ensemble.evaluate` computes.
    ``module(**module.tensors(data))`` scores a table."""

    def __init__(self, ensemble: Ensemble, members: torch.nn.Module) -> None:
        super().__init__()
        self.members = members
        self.formula = str(ensemble)
        self.feature_names = ensemble.feature_names
        self.features = tuple(ensemble.features)
        self.is_layerwise = False
        self.quantiles: list[tuple[str, str, float]] = []
        for k, q in enumerate(ensemble.used_quantile_columns):
            knots, levels, span = quantile_knots(q.reference_array)
            self.register_buffer(f"knots{k}", torch.from_numpy(knots.copy()))
            self.register_buffer(f"levels{k}", torch.from_numpy(levels.copy()))
            self.quantiles.append((q.name, q.column, span))

    def tensors(
        self,
        data: object,
        *,
        arch_column: str = ARCH_COLUMN,
        dtype: Any = None,
        device: Any = None,
    ) -> dict[str, Any]:
        """The keyword arguments of :meth:`forward` (``columns``, ``arch``, ``num_archs``)
        from a DataFrame, a mapping of columns or an array of the ensemble's columns."""
        inputs = numpy_inputs(data, self.feature_names, self.features, False, arch_column)
        dtype = torch.float64 if dtype is None else dtype
        columns = {
            f: torch.from_numpy(np.array(c, dtype=np.float64)).to(dtype=dtype, device=device)
            for f, c in inputs.columns.items()
        }
        return {"columns": columns, "arch": None, "num_archs": inputs.n_archs}

    def forward(
        self,
        columns: Mapping[str, torch.Tensor],
        arch: torch.Tensor | None = None,
        num_archs: int | None = None,
    ) -> torch.Tensor:
        if not isinstance(columns, Mapping):
            raise ArgumentTypeError(
                f"columns: expected a mapping of column names to tensors, found"
                f" {type(columns).__name__}"
            )
        missing = [f for f in self.features if f not in columns]
        if missing:
            raise UnknownNameError(
                f"columns: expected the columns {list(self.features)} the proxy uses, found no"
                f" column named {missing} among {list(columns)[:20]}"
            )
        full = dict(columns)
        for k, (name, column, span) in enumerate(self.quantiles):
            values = columns[column]
            if not isinstance(values, torch.Tensor):
                values = torch.as_tensor(values)
            if not values.is_floating_point():
                values = values.to(torch.float64)
            knots = getattr(self, f"knots{k}").to(device=values.device, dtype=values.dtype)
            levels = getattr(self, f"levels{k}").to(device=values.device, dtype=values.dtype)
            full[name] = self._quantiles(values, knots, levels, span)
        out: torch.Tensor = self.members(full, arch, num_archs)
        return out

    @staticmethod
    def _quantiles(
        values: torch.Tensor, knots: torch.Tensor, levels: torch.Tensor, span: float
    ) -> torch.Tensor:
        last = knots.shape[0] - 1
        if last == 0:
            q = torch.full_like(values, float(levels[0]))
        else:
            j = torch.searchsorted(knots, values.detach().contiguous(), right=True) - 1
            j = j.clamp(0, last - 1)
            k0, k1, l0, l1 = knots[j], knots[j + 1], levels[j], levels[j + 1]
            q = l0 + (values - k0) / (k1 - k0) * (l1 - l0)
        low = levels[0] * (1.0 - _tanh((knots[0] - values) / span))
        high = levels[last] + (1.0 - levels[last]) * _tanh((values - knots[last]) / span)
        q = torch.where(values < knots[0], low, q)
        q = torch.where(values > knots[last], high, q)
        keep = torch.isnan(values) | (values.abs() == MISSING)
        return torch.where(keep, values, q)

    def extra_repr(self) -> str:
        return repr(self.formula)


def quantile_module(ensemble: Ensemble, members: torch.nn.Module) -> QuantileRankMean:
    """The module of ``ensemble`` around ``members``, the rank-mean module of its members."""
    require_torch()
    return QuantileRankMean(ensemble, members)
