"""The first AU-conditioned generator: the simulator's landmark-driven thin-plate-spline warp.

Paper 002 animates the target face with GANimation; here the same interface is first filled by the
simulator's anatomical warp (:func:`microexp.simulate.warp_face_by_aus`), which needs no training
and moves exactly the landmarks each AU moves. It cannot create texture (wrinkles, teeth, shading):
that is what a learned generator (:mod:`.ganimation`) is for.

A generator is called as ``generator(image, landmarks, aus_left, aus_right)`` with AU dicts of the
subject's left and right side (``{'AU12': 0.7, …}``) and returns the animated image (same shape and
dtype). ``supports_sides`` tells whether it handles the two sides in one pass; otherwise the
pipeline generates one face per side and joins the halves (paper 002 fig. 2).
"""
from __future__ import annotations

import numpy as np

from ...simulate.action_units import parse_au_key


def sided_au_dict(aus_left: dict[str, float], aus_right: dict[str, float]) -> dict[str, float]:
    """``{'AU12': l}``, ``{'AU12': r}`` → ``{'L12': l, 'R12': r}`` (the simulator's one-sided keys)."""
    out: dict[str, float] = {}
    for prefix, aus in (("L", aus_left), ("R", aus_right)):
        for key, value in aus.items():
            name, _ = parse_au_key(key)
            if value:
                out[f"{prefix}{name[2:]}"] = float(value)
    return out


class WarpAUGenerator:
    """``generator(image, landmarks, aus_left, aus_right)`` → image warped to show those AUs."""

    supports_sides = True

    def __call__(self, image: np.ndarray, landmarks: np.ndarray, aus_left: dict[str, float],
                 aus_right: dict[str, float]) -> np.ndarray:
        from ...simulate.warping import warp_face_by_aus

        aus = sided_au_dict(aus_left, aus_right)
        if not aus:
            return image.copy()
        return warp_face_by_aus(image, landmarks, aus)

    def __repr__(self) -> str:
        return "WarpAUGenerator()"
