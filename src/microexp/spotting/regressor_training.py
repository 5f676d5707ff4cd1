"""Fit a frame-intensity regressor on flow images and their continuous labels; save and load it.

Paper 004 (Sec. 4) trains with Adam, 1000 epochs, batch 64, learning rate 1e-4. Those constants
are kept below by name; the defaults are a short fixed schedule with a larger step that fits a
laptop CPU (no epoch is ever chosen by looking at test data).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..errors import DataError
from ..io import atomic_write_bytes
from .vggm_regressor import ModifiedVGGMRegressor

#: Paper 004, Sec. 4: Adam, 1000 epochs, batch 64 frames, learning rate 0.0001.
PAPER_EPOCHS = 1000
PAPER_BATCH_SIZE = 64
PAPER_LEARNING_RATE = 1e-4


class IntensityRegressor:
    """``fit(X (N, C, S, S), y (N,))`` / ``predict(X) -> (N,)`` around the modified VGG-M."""

    def __init__(self, variant: int = 0, width: float = 0.25, epochs: int = 8,
                 batch_size: int = PAPER_BATCH_SIZE, lr: float = 1e-3, seed: int = 0,
                 preparation: dict | None = None):
        #: how clips were turned into flows (``FlowPreparation.to_dict()``), saved with the weights
        self.preparation = dict(preparation or {})
        self.variant, self.width, self.epochs = variant, width, epochs
        self.batch_size, self.lr, self.seed = batch_size, lr, seed
        self.model: nn.Module | None = None
        self.in_channels: int | None = None
        self.loss_history: list[float] = []

    def config(self) -> dict:
        return {"variant": self.variant, "width": self.width, "epochs": self.epochs,
                "batch_size": self.batch_size, "lr": self.lr, "seed": self.seed, "preparation": self.preparation}

    def _build(self, in_channels: int) -> nn.Module:
        self.in_channels = in_channels
        return ModifiedVGGMRegressor(in_channels, self.variant, self.width)

    def fit(self, X: np.ndarray, y: np.ndarray) -> "IntensityRegressor":
        X = np.asarray(X, np.float32)
        y = np.asarray(y, np.float32).ravel()
        if X.ndim != 4 or len(X) != len(y) or len(X) == 0:
            raise DataError(f"expected X (N, C, S, S) and y (N,) with N > 0, got {X.shape} and {y.shape}")
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        self.model = self._build(X.shape[1])
        opt = torch.optim.Adam(self.model.parameters(), lr=self.lr)
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        self.model.train()
        self.loss_history = []
        for _ in range(self.epochs):
            order = rng.permutation(len(X))
            total = 0.0
            for start in range(0, len(X), self.batch_size):
                idx = torch.from_numpy(order[start:start + self.batch_size])
                opt.zero_grad()
                loss = nn.functional.mse_loss(self.model(Xt[idx]), yt[idx])
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(idx)
            self.loss_history.append(total / len(X))
        return self

    @torch.no_grad()
    def predict(self, X: np.ndarray) -> np.ndarray:
        if self.model is None:
            raise DataError("the intensity regressor has not been fitted or loaded")
        self.model.eval()
        X = torch.from_numpy(np.asarray(X, np.float32))
        return np.concatenate([self.model(X[i:i + 256]).numpy() for i in range(0, len(X), 256)]) if len(X) else np.zeros(0)

    def save(self, path: str | Path) -> Path:
        """Weights and configuration in one ``torch.save`` file."""
        import io

        if self.model is None:
            raise DataError("nothing to save: the intensity regressor has not been fitted")
        buf = io.BytesIO()
        torch.save({"config": self.config(), "in_channels": self.in_channels,
                    "state_dict": self.model.state_dict()}, buf)
        return atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> "IntensityRegressor":
        path = Path(path)
        if not path.is_file():
            raise DataError("regressor weights file is missing", path)
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
            reg = cls(**blob["config"])
            reg.model = reg._build(int(blob["in_channels"]))
            reg.model.load_state_dict(blob["state_dict"])
        except (KeyError, RuntimeError, TypeError, ValueError) as exc:
            raise DataError(f"not a saved intensity regressor ({exc})", path) from exc
        return reg
