"""The confusion matrix every evaluation run draws (PNG, written atomically)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ..io import pyplot, save_figure


def plot_confusion_matrix(cm: np.ndarray, classes: Sequence[str], path: str | Path, title: str = "") -> Path:
    """Counts in each cell, rows normalised for the colour so small classes stay visible."""
    plt = pyplot()
    cm = np.asarray(cm)
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1.2 * len(classes) + 2, 1.2 * len(classes) + 1.5))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(j, i, f"{cm[i, j]}\n{norm[i, j]:.0%}", ha="center", va="center",
                    color="white" if norm[i, j] > 0.6 else "black", fontsize=9)
    ax.set_xticks(range(len(classes)), classes, rotation=30, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title)
    return save_figure(fig, path)
