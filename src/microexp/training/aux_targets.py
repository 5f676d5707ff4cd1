"""Auxiliary multi-label targets (e.g. action units) trained beside the emotion classes.

A network built for emotion logits gets a second, linear head on the features that enter its last
linear layer (captured by a forward pre-hook, so any registered architecture works unchanged); the
loss adds ``aux_weight`` × binary cross-entropy of that head against the auxiliary targets.
Targets are a (N, K) float matrix of 1 / 0, NaN where a sample's label is unknown (a database
without AU coding, a synthetic sample): unknown entries are masked out of the loss. Only the
emotion head is kept for prediction; the auxiliary head shapes the shared features in training.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConfigError, DataError


def last_linear(model: nn.Module) -> nn.Linear:
    """The network's final linear layer (the emotion head)."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ConfigError(f"{type(model).__name__} has no linear layer to put an auxiliary head beside")
    return linears[-1]


class AuxiliaryHead(nn.Module):
    """A linear multi-label head reading the input features of ``model``'s last linear layer."""

    def __init__(self, model: nn.Module, n_targets: int):
        super().__init__()
        head = last_linear(model)
        self.linear = nn.Linear(head.in_features, n_targets)
        self._features: torch.Tensor | None = None
        self._hook = head.register_forward_pre_hook(self._capture)

    def _capture(self, module, inputs) -> None:
        self._features = inputs[0]

    def logits(self) -> torch.Tensor:
        """Auxiliary logits of the last forward pass of the watched model."""
        if self._features is None:
            raise RuntimeError("AuxiliaryHead.logits called before a forward pass")
        return self.linear(self._features)

    def detach(self) -> None:
        """Remove the hook: the emotion network is left exactly as it was built."""
        self._hook.remove()
        self._features = None


def check_aux_targets(aux, n: int) -> np.ndarray:
    """(n, K) float targets in {0, 1, NaN}."""
    a = np.asarray(aux, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or len(a) != n:
        raise DataError(f"auxiliary targets must be (N, K) with N = {n} samples; got shape {a.shape}")
    known = a[~np.isnan(a)]
    if known.size and not np.isin(known, (0.0, 1.0)).all():
        raise DataError("auxiliary targets must be 1 (present), 0 (absent) or NaN (unknown)")
    return a


def masked_bce(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy over the known (non-NaN) targets; zero when none is known."""
    known = ~torch.isnan(targets)
    if not bool(known.any()):
        return logits.sum() * 0.0
    return F.binary_cross_entropy_with_logits(logits[known], targets[known])
