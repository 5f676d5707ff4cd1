"""Picture of one long recording's spotting: frame scores, true and spotted intervals (matplotlib, Agg)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..io import pyplot, save_figure

_COLOURS = {"micro": "C3", "macro": "C0"}


def plot_recording_spotting(path: str | Path, frames: np.ndarray, curves: dict[str, np.ndarray],
                            truth: dict[str, list], predictions: dict[str, dict[str, list]], *,
                            thresholds: dict[str, float] | None = None, fps: float | None = None,
                            title: str = "") -> Path:
    """One panel per curve group: ``curves`` (name → ``(T,)`` values at ``frames``), true intervals
    (``truth[type]``, shaded) and each spotter's intervals (``predictions[spotter][type]``, bars
    under the axis). Frames are the recording's own numbers; with ``fps`` the axis shows seconds."""
    plt = pyplot()
    names = list(predictions)
    fig, axes = plt.subplots(len(curves) + 1, 1, figsize=(11, 1.7 * (len(curves) + 1)), sharex=True,
                             gridspec_kw={"height_ratios": [3] * len(curves) + [0.4 + 0.5 * len(names)]})
    axes = np.atleast_1d(axes)
    scale = 1.0 / fps if fps else 1.0
    x = np.asarray(frames, float) * scale
    for ax, (name, values) in zip(axes, curves.items()):
        ax.plot(x, values, lw=0.8, color="k")
        for t, spans in truth.items():
            for lo, hi in spans:
                ax.axvspan(lo * scale, (hi + 1) * scale, color=_COLOURS.get(t, "g"), alpha=0.2, lw=0)
        for t, th in (thresholds or {}).items():
            if name == f"learned {t}":
                ax.axhline(th, color=_COLOURS.get(t, "g"), ls="--", lw=0.8)
        ax.set_ylabel(name, fontsize=8)
    lane = axes[-1]
    for i, spotter in enumerate(names):
        for t, spans in predictions[spotter].items():
            for lo, hi in spans:
                lane.axvspan(lo * scale, (hi + 1) * scale, ymin=(i + 0.1) / len(names), ymax=(i + 0.9) / len(names),
                             color=_COLOURS.get(t, "g"), alpha=0.8, lw=0)
    lane.set_yticks([(i + 0.5) / len(names) for i in range(len(names))], names, fontsize=8)
    lane.set_ylim(0, 1)
    lane.set_xlabel("time (s)" if fps else "frame")
    axes[0].set_title(f"{title}   shaded: true (red micro, blue macro); bars: spotted", fontsize=9)
    return save_figure(fig, path, dpi=80)
