"""The leak meter: what a run would claim had it chosen epochs on its test subjects.

Public composite codes commonly train each leave-one-subject-out fold for a number of epochs and
keep, for each test subject, the epoch whose predictions score best *on that subject*; the pooled
UF1 of those kept predictions is then reported. That choice is made with the test labels, so the
figure overstates what the method does on a new person. MEB measured the effect at 6–14 UF1 points.

With ``leak_meter: true`` an evaluation run records every epoch's predictions for the test
subject (``epochs/<fold>.json``, beside but apart from the honest ``folds/``). This module turns
them into the score the selection would claim, next to the honest last-epoch score:

* ``selected``: each fold's epoch with the highest accuracy on its test subject (ties go to the
  later epoch, as a running ``best <= current`` update does), predictions pooled over folds;
* ``best_fixed_epoch``: one epoch count for every fold, chosen as the best pooled UF1 over
  the test folds (the other common leak: an epoch budget tuned on the test folds);
* ``inflation``: selected UF1 − honest UF1.

The result is written to ``leak_meter.json`` and labelled as leaked. Nothing reads it back: the
honest metrics come only from ``folds/`` (the final model's predictions), never from here.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..io import atomic_write_json
from ..metrics import classification_report
from .protocols import Fold

LABEL = ("TEST-SET SELECTED: each test subject's best epoch, chosen with its test labels. This leaks; "
         "it is reported only to measure how much such a selection inflates a score, never to choose anything.")
#: How the selected epoch is chosen per test subject.
SELECTION_RULE = "highest accuracy on the test subject; ties to the later epoch"
#: Folder of a run directory holding the per-epoch test predictions (read only here).
EPOCHS_DIR = "epochs"


def select_epochs(epoch_preds: list[np.ndarray], y_tests: list[np.ndarray]) -> list[int]:
    """Per fold, the index of the epoch whose predictions (``(E, n)``) are most accurate on ``y``."""
    chosen = []
    for preds, y in zip(epoch_preds, y_tests):
        acc = (np.asarray(preds) == np.asarray(y)[None, :]).mean(axis=1)
        chosen.append(int(np.flatnonzero(acc == acc.max())[-1]))
    return chosen


def leak_meter_report(epoch_preds: list[np.ndarray], y_tests: list[np.ndarray], classes,
                      honest: dict, datasets: list[np.ndarray] | None = None) -> dict:
    """The selected, best-fixed-epoch and per-epoch scores beside ``honest`` (a classification report).

    ``epoch_preds[i]`` is fold i's (E, n_i) predictions after each of E epochs; ``y_tests[i]`` its labels.
    """
    n_epochs = min(len(p) for p in epoch_preds)
    epoch_preds = [np.asarray(p)[:n_epochs] for p in epoch_preds]
    chosen = select_epochs(epoch_preds, y_tests)
    y = np.concatenate(y_tests)
    selected = np.concatenate([p[e] for p, e in zip(epoch_preds, chosen)])
    per_epoch = [classification_report(y, np.concatenate([p[e] for p in epoch_preds]), classes)
                 for e in range(n_epochs)]
    best_fixed = int(np.argmax([r["uf1"] for r in per_epoch]))
    sel = classification_report(y, selected, classes)
    report = {
        "label": LABEL,
        "selection_rule": SELECTION_RULE,
        "epochs": n_epochs,
        "honest": {"uf1": honest["uf1"], "uar": honest["uar"]},
        "selected": {"uf1": sel["uf1"], "uar": sel["uar"], "accuracy": sel["accuracy"],
                     "chosen_epochs": [e + 1 for e in chosen]},
        "best_fixed_epoch": {"epoch": best_fixed + 1, "uf1": per_epoch[best_fixed]["uf1"],
                             "uar": per_epoch[best_fixed]["uar"]},
        "per_epoch_uf1": [round(r["uf1"], 6) for r in per_epoch],
        "inflation": {"uf1": sel["uf1"] - honest["uf1"], "uar": sel["uar"] - honest["uar"]},
    }
    if datasets is not None:
        ds = np.concatenate(datasets)
        report["selected_per_dataset"] = {
            str(d): {k: classification_report(y[ds == d], selected[ds == d], classes)[k] for k in ("uf1", "uar")}
            for d in sorted(set(ds.tolist()))}
    return report


def write_leak_meter(out: Path, table, folds: list[Fold], keys: list[str], fingerprint: str,
                     metrics: dict) -> dict:
    """Read ``out/epochs/*.json`` of this run and write ``out/leak_meter.json`` (and a plot)."""
    records = []
    for key in keys:
        path = out / EPOCHS_DIR / f"{key}.json"
        rec = json.loads(path.read_text()) if path.is_file() else None
        if rec is None or rec.get("fingerprint") != fingerprint:
            report = {"label": LABEL, "available": False,
                      "reason": f"no per-epoch predictions for fold {key}: the model has no epochs to watch "
                                "(a classical estimator) or the fold was stored without them"}
            atomic_write_json(out / "leak_meter.json", report)
            return report
        records.append(rec)
    y_all, ds_all = table.y, table.datasets
    epoch_preds = [np.asarray(r["epoch_pred"], dtype=int) for r in records]
    y_tests = [y_all[np.asarray(r["test"], dtype=int)] for r in records]
    datasets = [ds_all[np.asarray(r["test"], dtype=int)] for r in records]
    report = {"available": True, **leak_meter_report(epoch_preds, y_tests, table.classes, metrics["full"], datasets)}
    atomic_write_json(out / "leak_meter.json", report)
    _plot(out / "leak_meter.png", report)
    return report


def _plot(path: Path, report: dict) -> None:
    from ..io import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    epochs = np.arange(1, report["epochs"] + 1)
    ax.plot(epochs, report["per_epoch_uf1"], color="0.4", label="every fold stopped at this epoch")
    ax.axhline(report["honest"]["uf1"], color="tab:green", label=f"honest (last epoch) {report['honest']['uf1']:.3f}")
    ax.axhline(report["selected"]["uf1"], color="tab:red", ls="--",
               label=f"test-selected (leaks) {report['selected']['uf1']:.3f}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("pooled UF1")
    ax.set_title("Leak meter: what choosing epochs on test subjects would claim", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    save_figure(fig, path)
