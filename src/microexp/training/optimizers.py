"""Optimisers by name: SGD, Adam, AdamW and AdamP (implemented here, no extra dependency).

AdamP: Heo, Chun, Oh, Han, Yun, Kim, Uh, Ha, "AdamP: Slowing down the slowdown for momentum
optimizers on scale-invariant weights", ICLR 2021 — used by paper 003. For weights whose gradient
is (nearly) orthogonal to the weight itself (scale-invariant, e.g. conv before BN), the radial part
of the Adam step is projected out and the weight decay is scaled by ``wd_ratio``.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch.optim import SGD, Adam, AdamW, Optimizer

from ..errors import ConfigError

OPTIMIZERS = ("sgd", "adam", "adamw", "adamp")
#: Heo et al. 2021 defaults.
ADAMP_DELTA = 0.1
ADAMP_WD_RATIO = 0.1


class AdamP(Optimizer):
    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 delta: float = ADAMP_DELTA, wd_ratio: float = ADAMP_WD_RATIO, nesterov: bool = False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, delta=delta,
                                      wd_ratio=wd_ratio, nesterov=nesterov))

    @staticmethod
    def _projection(p, grad, perturb, delta: float, wd_ratio: float, eps: float):
        for rows in (p.shape[0], 1):  # per output channel, then the whole layer
            pv, gv = p.reshape(rows, -1), grad.reshape(rows, -1)
            cos = F.cosine_similarity(gv, pv, dim=1, eps=eps).abs()
            if cos.max() < delta / math.sqrt(pv.shape[1]):
                unit = pv / pv.norm(dim=1, keepdim=True).add(eps)
                qv = perturb.reshape(rows, -1)
                qv = qv - unit * (unit * qv).sum(dim=1, keepdim=True)
                return qv.reshape(p.shape), wd_ratio
        return perturb, 1.0

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.mul_(beta1).add_(grad, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                bc1, bc2 = 1 - beta1 ** state["step"], 1 - beta2 ** state["step"]
                denom = (v.sqrt() / math.sqrt(bc2)).add_(group["eps"])
                perturb = ((beta1 * m + (1 - beta1) * grad) if group["nesterov"] else m) / denom
                wd_ratio = 1.0
                if p.dim() > 1:
                    perturb, wd_ratio = self._projection(p, grad, perturb, group["delta"], group["wd_ratio"], group["eps"])
                if group["weight_decay"] > 0:
                    p.mul_(1 - group["lr"] * group["weight_decay"] * wd_ratio)
                p.add_(perturb, alpha=-group["lr"] / bc1)
        return loss


def make_optimizer(name: str, params, lr: float, weight_decay: float = 0.0, momentum: float = 0.9) -> Optimizer:
    name = name.lower()
    if name == "sgd":
        return SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return AdamW(params, lr=lr, weight_decay=weight_decay)
    if name == "adamp":
        return AdamP(params, lr=lr, weight_decay=weight_decay)
    raise ConfigError(f"unknown optimizer {name!r}; choose one of {OPTIMIZERS}")
