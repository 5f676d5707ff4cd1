"""How much a generator costs: parameters and multiply-accumulates of one forward pass."""
from __future__ import annotations

import torch
from torch import nn


def parameter_count(module: nn.Module) -> int:
    return int(sum(p.numel() for p in module.parameters()))


@torch.no_grad()
def conv_macs(module: nn.Module, input_shape=(1, 3, 32, 32)) -> int:
    """Multiply-accumulates of the convolutions and linear layers in one forward pass of a tensor
    of ``input_shape`` (the usual "FLOPs" of super-resolution papers count these; activations,
    pooling and interpolation are left out)."""
    total = 0

    def conv_hook(layer: nn.Conv2d, _inputs, output):
        nonlocal total
        k = layer.kernel_size[0] * layer.kernel_size[1]
        total += output.numel() * (layer.in_channels // layer.groups) * k

    def linear_hook(layer: nn.Linear, _inputs, output):
        nonlocal total
        total += output.numel() * layer.in_features

    handles = []
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    was_training = module.training
    module.eval()
    try:
        module(torch.zeros(input_shape))
    finally:
        module.train(was_training)
        for h in handles:
            h.remove()
    return int(total)
