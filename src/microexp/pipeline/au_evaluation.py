"""The AU-detection job as ``microexp evaluate --task au`` runs it: a sample table with the coding
sheets' action units joined, a detector under a protocol, a printed per-AU table."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..datasets import load_dataset
from ..datasets.au_labels import attach_au_labels
from ..datasets.shared_data import shared_data_path
from ..errors import ConfigError
from ..evaluation.au_evaluation import AUEvaluationConfig, evaluate_aus, format_au_table
from ..identity import check_output_dir
from ..io import atomic_write_text

#: Written beside the results when some samples of AU-coded databases found no AU codes.
UNMATCHED_FILE = "unmatched.csv"


def annotations_folder(sheets: Path | str | None) -> Path:
    """The coding-sheet folder: the one given, else the shared real-data folder's ``annotations``
    when it exists; a clear :class:`ConfigError` otherwise."""
    if sheets:
        return Path(sheets)
    default = shared_data_path("annotations")
    if default.is_dir():
        return default
    raise ConfigError("no coding sheets: give --sheets DIR (the folder holding CASME2/, SAMM/ … with the "
                      f"databases' coding sheets; {default} does not exist)")


def parse_au_list(text: str) -> list[int]:
    """``'1,2, 4'`` → ``[1, 2, 4]``; anything else is a :class:`ConfigError`."""
    try:
        numbers = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise ConfigError(f"--aus must list AU numbers separated by commas (e.g. 1,2,4), got {text!r}") from None
    if not numbers:
        raise ConfigError("--aus names no AU")
    return numbers


def run_au_evaluation(*, dataset: str | None, root: Path | None, sheets: Path | None, model: str | None,
                      protocol: str | None, out: Path, aus: str | None = None, config: Path | None = None,
                      first_seed: int | None = None, overwrite: bool = False, progress: bool = True,
                      echo: Callable[[str], None] = print) -> dict:
    """Detect action units; returns the metrics. Command-line values win over the config file's."""
    cfg = AUEvaluationConfig() if config is None else AUEvaluationConfig.load(config)
    changes = {k: v for k, v in (("model", model), ("protocol", protocol), ("dataset", dataset)) if v}
    if aus:
        changes["aus"] = parse_au_list(aus)
    if first_seed is not None:
        changes["seed"] = int(first_seed)
    if root is not None:
        changes["root"] = str(Path(root).resolve())
    cfg = cfg.replace(**changes)
    if not cfg.root:
        raise ConfigError("no dataset root: give --root (or a config file with 'root')")
    cfg = cfg.replace(sheets=str(annotations_folder(sheets or cfg.sheets or None).resolve()))
    out = check_output_dir(out, "results folder")
    table, unmatched = attach_au_labels(load_dataset(cfg.dataset, Path(cfg.root)), cfg.sheets)
    result = evaluate_aus(table, cfg, out, overwrite=overwrite, progress=progress)
    (out / UNMATCHED_FILE).unlink(missing_ok=True)
    if len(unmatched):
        atomic_write_text(out / UNMATCHED_FILE, unmatched.to_csv(index=False))
        echo(f"{len(unmatched)} samples of AU-coded databases have no AU codes: see {out / UNMATCHED_FILE}")
    echo(format_au_table(result.metrics, title=f"{result.metrics['model']} · {cfg.protocol} · {cfg.dataset} · "
                                               f"{result.metrics['n_samples']} AU-coded samples"))
    echo(f"results: {out}")
    return result.metrics
