"""How often, and for how long, micro- and macro-expressions occur in real long recordings.

The spotting sheets of CAS(ME)^2, SAMM Long Videos and CAS(ME)^3 part A give, per expression
type, a rate (intervals per minute of video, over all of a database's videos) and a distribution
of durations (offset - onset + 1 frames, divided by the frame rate). The simulated long
recordings draw from these. The numbers below were printed from the real sheets by
``microexp sheet-stats --annotations ../shared/data/annotations`` so the simulator works without
them; :func:`calibration_from_sheets` recomputes them from any copy of the sheets.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError

#: Levels of the duration and video-length quantiles kept: min, q10, q25, median, q75, q90, max.
QUANTILE_LEVELS: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)
_STAT_NAMES = ("min", "q10", "q25", "median", "q75", "q90", "max")


@dataclass(frozen=True)
class TypeCalibration:
    """One expression type of one database: ``rate_per_minute`` and ``duration_s`` quantiles at
    :data:`QUANTILE_LEVELS` (seconds, onset to offset inclusive)."""

    rate_per_minute: float
    duration_s: tuple[float, ...]

    def __post_init__(self) -> None:
        q = np.asarray(self.duration_s, float)
        if q.shape != (len(QUANTILE_LEVELS),) or not np.all(q > 0) or np.any(np.diff(q) < 0):
            raise ConfigError(f"duration quantiles must be {len(QUANTILE_LEVELS)} increasing positive seconds, "
                              f"got {self.duration_s}")
        if not self.rate_per_minute >= 0:
            raise ConfigError(f"rate per minute must be >= 0, got {self.rate_per_minute}")

    def sample_durations(self, rng: np.random.Generator, n: int, low: float = 0.0,
                         high: float = float("inf")) -> np.ndarray:
        """``n`` durations in seconds from the quantiles (log-linear between them), restricted to
        ``[low, high]`` by drawing only from the matching part of the distribution."""
        log_q = np.log(np.asarray(self.duration_s, float))
        levels = np.asarray(QUANTILE_LEVELS)
        lo_level = float(np.interp(np.log(low), log_q, levels)) if low > 0 else 0.0
        hi_level = float(np.interp(np.log(high), log_q, levels)) if np.isfinite(high) else 1.0
        u = rng.uniform(lo_level, hi_level, n) if hi_level > lo_level else np.full(n, lo_level)
        return np.clip(np.exp(np.interp(u, levels, log_q)), low, high)


@dataclass(frozen=True)
class DatabaseCalibration:
    """Rates and durations of one database's long videos; ``video_length_s`` quantiles at
    :data:`QUANTILE_LEVELS`."""

    name: str
    fps: float
    micro: TypeCalibration
    macro: TypeCalibration
    video_length_s: tuple[float, ...]

    def of(self, expression_type: str) -> TypeCalibration:
        if expression_type not in ("micro", "macro"):
            raise ConfigError(f"expression type must be 'micro' or 'macro', got {expression_type!r}")
        return getattr(self, expression_type)

    def to_dict(self) -> dict:
        return asdict(self)


#: CAS(ME)^2 (97 videos, 30 fps), printed by `microexp sheet-stats --annotations ../shared/data/annotations`.
CASME_SQ_CALIBRATION = DatabaseCalibration(
    "casme_sq", 30.0,
    micro=TypeCalibration(0.407, (0.300, 0.367, 0.433, 0.467, 0.500, 0.533, 0.567)),
    macro=TypeCalibration(2.144, (0.333, 0.667, 0.858, 1.200, 1.667, 2.100, 3.933)),
    video_length_s=(21.967, 35.72, 68.4, 76.8, 108.833, 145.667, 145.8),
)
#: SAMM Long Videos (147 videos, 200 fps), printed by `microexp sheet-stats --annotations ../shared/data/annotations`.
SAMM_LV_CALIBRATION = DatabaseCalibration(
    "samm_lv", 200.0,
    micro=TypeCalibration(3.944, (0.150, 0.225, 0.297, 0.390, 0.448, 0.486, 0.505)),
    macro=TypeCalibration(8.508, (0.510, 0.605, 0.768, 1.115, 1.948, 3.445, 25.875)),
    video_length_s=(2.5, 5.0, 5.005, 15.0, 24.688, 30.0, 58.85),
)
#: CAS(ME)^3 part A (757 videos, 30 fps), printed by `microexp sheet-stats --annotations ../shared/data/annotations`.
CASME3_LV_CALIBRATION = DatabaseCalibration(
    "casme3_lv", 30.0,
    micro=TypeCalibration(0.234, (0.100, 0.267, 0.333, 0.433, 0.500, 0.533, 0.533)),
    macro=TypeCalibration(1.747, (0.567, 0.933, 1.267, 1.833, 2.633, 3.333, 4.033)),
    video_length_s=(12.533, 42.167, 67.7, 92.467, 116.8, 144.5, 160.667),
)
#: The built-in calibrations, by database name.
DEFAULT_CALIBRATIONS: dict[str, DatabaseCalibration] = {
    c.name: c for c in (CASME_SQ_CALIBRATION, SAMM_LV_CALIBRATION, CASME3_LV_CALIBRATION)
}


def calibration_from_statistics(name: str, stats) -> DatabaseCalibration:
    """A :class:`DatabaseCalibration` from the table of
    :func:`microexp.datasets.long_videos.interval_statistics` (rows ``(name, micro|macro|all)``)."""
    def quantiles(row, prefix: str) -> tuple[float, ...]:
        return tuple(round(float(row[f"{prefix}_{k}"]), 3) for k in _STAT_NAMES)

    types = {}
    for t in ("micro", "macro"):
        row = stats.loc[(name, t)]
        types[t] = TypeCalibration(round(float(row["rate_per_minute"]), 3), quantiles(row, "duration_s"))
    row = stats.loc[(name, "all")]
    return DatabaseCalibration(name, float(row["fps"]), types["micro"], types["macro"],
                               quantiles(row, "video_length_s"))


def calibration_from_sheets(annotations_root: str | Path,
                            databases: tuple[str, ...] = ("casme_sq", "samm_lv", "casme3_lv"),
                            ) -> dict[str, DatabaseCalibration]:
    """Rates and duration distributions of ``databases`` measured on the real sheets under
    ``annotations_root`` (the folder holding ``CASME_sq/``, ``SAMM-LV/``, ``CASME3/``)."""
    from ..datasets.long_videos import database_statistics

    return {name: calibration_from_statistics(name, database_statistics(name, annotations_root))
            for name in databases}
