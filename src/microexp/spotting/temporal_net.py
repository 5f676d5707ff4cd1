"""A small temporal convolutional network (TCN) over per-frame features: two scores per frame.

Dilated 1-D convolutions with residual connections (Bai, Kolter & Koltun 2018, "An empirical
evaluation of generic convolutional and recurrent networks for sequence modeling"), non-causal as
in temporal action segmentation (Lea et al. 2017): frame t sees ``receptive_field // 2`` frames on
each side. Input ``(B, C_in, T)``, output ``(B, 2, T)`` logits (micro, macro). With the defaults
(32 channels, 6 levels, kernel 3) it has about 26 thousand parameters and sees 127 frames
(4.2 s at 30 fps), enough for the longest macro-expression the simulator makes (4 s).
"""
from __future__ import annotations

import torch
from torch import nn


class _DilatedBlock(nn.Module):
    def __init__(self, channels: int, kernel: int, dilation: int, dropout: float):
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, kernel, padding=dilation * (kernel - 1) // 2, dilation=dilation)
        self.mix = nn.Conv1d(channels, channels, 1)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mix(self.drop(torch.relu(self.conv(x))))


class TemporalSpotterNet(nn.Module):
    """``(B, n_inputs, T)`` features → ``(B, n_outputs, T)`` logits; ``kernel`` must be odd."""

    def __init__(self, n_inputs: int, n_outputs: int = 2, channels: int = 32, levels: int = 6, kernel: int = 3,
                 dropout: float = 0.1):
        super().__init__()
        if kernel % 2 == 0:
            raise ValueError(f"kernel must be odd (a centred window), got {kernel}")
        self.inp = nn.Conv1d(n_inputs, channels, 1)
        self.blocks = nn.Sequential(*(_DilatedBlock(channels, kernel, 2 ** i, dropout) for i in range(levels)))
        self.out = nn.Conv1d(channels, n_outputs, 1)
        self.receptive_field = 1 + (kernel - 1) * (2 ** levels - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.relu(self.blocks(self.inp(x))))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
