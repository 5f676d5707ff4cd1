"""Pictures of intensity curves: predicted vs. true, with the apexes marked (matplotlib, Agg)."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ..io import atomic_write_bytes


def _figure_bytes(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    return buf.getvalue()


def plot_intensity_curve(path: str | Path, curves: dict[str, np.ndarray], true_apex: int | None = None,
                         predicted_apex: dict[str, int] | None = None, title: str = "") -> Path:
    """One clip: each named ``(T,)`` curve (e.g. ``true``, ``vggm``, ``baseline``) and apex lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3))
    for name, curve in curves.items():
        ax.plot(np.arange(len(curve)), curve, label=name, lw=1.5 if name == "true" else 1.2,
                color="k" if name == "true" else None)
    if true_apex is not None:
        ax.axvline(true_apex, color="k", ls="--", lw=1, label=f"true apex {true_apex}")
    for name, idx in (predicted_apex or {}).items():
        ax.axvline(idx, ls=":", lw=1.2, color="C3", label=f"{name} apex {idx}")
    ax.set_xlabel("frame")
    ax.set_ylabel("intensity")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper right")
    data = _figure_bytes(fig)
    plt.close(fig)
    return atomic_write_bytes(path, data)


def plot_interval_signal(path: str | Path, signal: np.ndarray, true: list, predicted: list,
                         blinks: list | None = None, title: str = "") -> Path:
    """A long clip's spotting signal with true (green), predicted (blue) intervals and blinks (red)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 2.6))
    ax.plot(signal, color="k", lw=1)
    for lo, hi in true:
        ax.axvspan(lo, hi, color="g", alpha=0.25)
    for lo, hi in predicted:
        ax.axvspan(lo, hi, ymax=0.5, color="C0", alpha=0.35)
    for lo, hi in blinks or []:
        ax.axvspan(lo, hi, ymin=0.9, color="r", alpha=0.5)
    ax.set_xlabel("frame")
    ax.set_title(title + "  (green: true, blue: spotted, red: blink)", fontsize=9)
    data = _figure_bytes(fig)
    plt.close(fig)
    return atomic_write_bytes(path, data)
