"""When the expression moves: onset → apex → offset, as an intensity profile over the clip's frames."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError

#: Total duration of a micro-expression, onset to offset, in seconds: at most 0.5 s
#: (Yan et al. 2013, "How fast are the leaked facial expressions: the duration of micro-expressions").
DURATION_RANGE_S: tuple[float, float] = (0.04, 0.5)
#: Where the apex falls, as a fraction of onset → offset (not always in the middle).
APEX_FRACTION_RANGE: tuple[float, float] = (0.2, 0.7)
#: Fewest frames a clip may have, whatever the frame rate (onset, rise, apex, fall, offset).
MIN_FRAMES = 5


@dataclass(frozen=True)
class Timeline:
    """A clip of ``n_frames`` frames from onset (index 0) to offset (index ``n_frames - 1``).

    ``residual``: intensity left at the offset frame (faces seldom return exactly to neutral).
    """

    n_frames: int
    apex_index: int
    residual: float = 0.0

    def __post_init__(self) -> None:
        if self.n_frames < 3 or not 0 < self.apex_index < self.n_frames - 1:
            raise ConfigError(f"timeline needs 0 < apex ({self.apex_index}) < n_frames - 1 ({self.n_frames - 1})")

    def profile(self) -> np.ndarray:
        """(n_frames,) intensity: 0 at onset, 1 at the apex only, ``residual`` at offset (smooth ease in/out)."""
        t = np.arange(self.n_frames, dtype=np.float64)
        a, last = self.apex_index, self.n_frames - 1
        rise = np.sin(0.5 * np.pi * np.clip(t / a, 0, 1)) ** 2
        fall = self.residual + (1 - self.residual) * np.cos(0.5 * np.pi * np.clip((t - a) / (last - a), 0, 1)) ** 2
        return np.where(t <= a, rise, fall)


def sample_timeline(rng: np.random.Generator, fps: float, duration_range_s: tuple[float, float] = DURATION_RANGE_S,
                    apex_fraction_range: tuple[float, float] = APEX_FRACTION_RANGE) -> Timeline:
    """A random onset → apex → offset timeline at ``fps`` frames per second."""
    if fps <= 0:
        raise ConfigError(f"fps must be positive, got {fps}")
    lo, hi = duration_range_s
    if not 0 < lo <= hi:
        raise ConfigError(f"duration range must satisfy 0 < low <= high, got {duration_range_s}")
    duration = float(rng.uniform(lo, hi))
    n = max(MIN_FRAMES, int(round(duration * fps)) + 1)
    apex = int(round(rng.uniform(*apex_fraction_range) * (n - 1)))
    apex = min(max(apex, 1), n - 2)
    residual = float(rng.uniform(0.0, 0.1))
    return Timeline(n, apex, residual)
