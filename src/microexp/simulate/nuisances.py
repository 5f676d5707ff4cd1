"""What a real recording adds to the expression: sensor noise, flicker, head motion and blinks.

Difficulty presets bundle them; ``none`` is a clean clip whose only motion is the expression.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from ..errors import ConfigError


@dataclass(frozen=True)
class NuisanceConfig:
    """How hard a simulated recording is.

    sensor_noise           std of Gaussian pixel noise, grey levels (0-255 scale)
    flicker                relative amplitude of global illumination flicker
    head_motion_px         std of the head's translation drift over a clip, pixels
    head_roll_deg          std of the head's roll drift over a clip, degrees
    blink_probability      chance that a clip contains a blink
    intensity_jitter       log-normal spread of AU intensities between clips of one emotion
    distractor_probability chance of a weak AU borrowed from another emotion
    one_sided_probability  chance that one AU of a clip acts on one side only (coded L/R)
    jpeg_quality           JPEG quality of the written frames
    """

    sensor_noise: float = 1.5
    flicker: float = 0.01
    head_motion_px: float = 0.4
    head_roll_deg: float = 0.15
    blink_probability: float = 0.15
    intensity_jitter: float = 0.2
    distractor_probability: float = 0.1
    one_sided_probability: float = 0.1
    jpeg_quality: int = 92

    def to_dict(self) -> dict:
        return asdict(self)


DIFFICULTY_PRESETS: dict[str, NuisanceConfig] = {
    "none": NuisanceConfig(0.0, 0.0, 0.0, 0.0, 0.0, 0.15, 0.0, 0.0, 95),
    "easy": NuisanceConfig(0.8, 0.004, 0.15, 0.05, 0.05, 0.15, 0.0, 0.05, 95),
    "medium": NuisanceConfig(),
    "hard": NuisanceConfig(3.0, 0.025, 1.0, 0.4, 0.35, 0.3, 0.3, 0.2, 85),
}


def nuisance_config(difficulty: str = "medium", noise: float | None = None) -> NuisanceConfig:
    """The preset ``difficulty`` (none, easy, medium, hard), with ``noise`` overriding its sensor noise."""
    if difficulty not in DIFFICULTY_PRESETS:
        raise ConfigError(f"unknown difficulty {difficulty!r}; choose one of {', '.join(DIFFICULTY_PRESETS)}")
    cfg = DIFFICULTY_PRESETS[difficulty]
    if noise is not None:
        if noise < 0:
            raise ConfigError(f"noise must be >= 0, got {noise}")
        cfg = replace(cfg, sensor_noise=float(noise))
    return cfg


def smooth_drift(rng: np.random.Generator, n: int, std: float, smoothness: int = 8) -> np.ndarray:
    """(n,) slow random drift starting at 0 whose values have about ``std`` spread over the clip."""
    if std <= 0 or n < 2:
        return np.zeros(n)
    steps = rng.normal(0.0, 1.0, n + 2 * smoothness)
    kernel = np.hanning(2 * smoothness + 1)
    walk = np.cumsum(np.convolve(steps, kernel / kernel.sum(), mode="same"))[smoothness:smoothness + n]
    walk -= walk[0]
    spread = float(np.abs(walk).max())
    return walk * (std / spread) if spread > 0 else walk


def flicker_gains(rng: np.random.Generator, n: int, fps: float, amplitude: float) -> np.ndarray:
    """(n,) global brightness factors: a slow lamp beat plus frame-to-frame jitter."""
    if amplitude <= 0:
        return np.ones(n)
    t = np.arange(n) / fps
    freq = rng.uniform(2.0, 20.0)
    phase = rng.uniform(0, 2 * np.pi)
    return 1.0 + amplitude * (0.7 * np.sin(2 * np.pi * freq * t + phase) + 0.3 * rng.normal(0, 1, n))


def blink_profile(rng: np.random.Generator, n: int, fps: float) -> tuple[np.ndarray, dict | None]:
    """(n,) eyelid closure 0…1 of one blink of 0.1–0.25 s placed at random (may be cut by the clip's ends)."""
    length = max(3, int(round(rng.uniform(0.1, 0.25) * fps)))
    start = int(rng.integers(-length // 2, max(1, n - length // 2)))
    depth = float(rng.uniform(0.6, 1.0))
    t = np.arange(n) - start
    closure = np.where((t >= 0) & (t < length), depth * np.sin(np.pi * np.clip(t, 0, length) / length) ** 2, 0.0)
    return closure, {"start_index": start, "length_frames": length, "depth": round(depth, 4)}
