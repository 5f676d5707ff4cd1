"""Train the deployable recogniser: fit one model on ALL samples of a database and write a model
folder that ``microexp analyse`` (or :func:`load_trained`) uses on new clips.

``MODEL_DIR`` layout::

    estimator.pt                   deep models: tensors only (read with ``torch.load(weights_only=True)``)
    estimator.json + .npz          other models: a JSON tree of allowed classes + numeric arrays (no pickles)
    model.json                     the model card: model, kwargs, trainer, classes, input encoding,
                                   training data summary, LOSO scores (when run), microexp version,
                                   the estimator's files with their SHA-256 checksums
    loso/                          with ``evaluate_loso``: the leave-one-subject-out run (metrics.json …)

There is no test split here: every sample trains the model. How well such a model generalises is
what the leave-one-subject-out evaluation (``evaluate_loso``, run before the final fit and
separately from it) estimates; the final model itself has no held-out score.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import ConfigError, ProtocolError
from ..io import atomic_write_json
from ..recognisers.model_folder import (MODEL_CARD, MODEL_FORMAT_VERSION, REQUIRED_CARD_KEYS, TrainedModel,  # noqa: F401
                                        load_trained, read_model_card)

#: Input kinds ``analyse`` can compute from a new clip.
ANALYSABLE_INPUT_KINDS = ("flow",)



@dataclass(frozen=True)
class CompositeEncoding:
    """How a clip becomes the model's input: the MEGC2019 u/v/strain composite (STSTNet's input,
    Liong et al. 2019). ``analyse`` reproduces exactly this from the onset and apex frames."""

    kind: str = "megc2019_composite"
    size: int = 28
    channels: tuple[str, ...] = ("u", "v", "strain")
    scaling: str = "each channel resized to size×size, min-max scaled to 0-255 per image, then divided by 255"
    flow_method: str = "tvl1"
    face_size: int = 128
    alignment: str = "similarity transform fitted on the onset frame's 68 landmarks, applied to onset and apex"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["channels"] = list(self.channels)
        return d


def _data_summary(table, dataset: str, root: Path, X: np.ndarray) -> dict:
    ident = "\n".join(f"{s}|{c}|{y}" for s, c, y in zip(table.df["subject"], table.df["clip"], table.df["y"]))
    per_db = {}
    for ds, part in table.df.groupby("dataset", sort=True):
        counts = np.bincount(part["y"].to_numpy(), minlength=len(table.classes))
        per_db[str(ds)] = {"samples": int(len(part)), "subjects": int(part["subject"].nunique()),
                           "classes": {c: int(k) for c, k in zip(table.classes, counts)}}
    return {"dataset": dataset, "root": str(Path(root).resolve()), "samples": int(len(table)),
            "subjects": int(table.df["subject"].nunique()), "classes": table.class_counts(),
            "per_database": per_db, "input_shape": list(X.shape[1:]),
            "samples_sha256": hashlib.sha256(ident.encode()).hexdigest()}


def _encoding_for(table, X: np.ndarray) -> CompositeEncoding:
    if X.ndim != 4 or X.shape[1] != 3 or X.shape[2] != X.shape[3]:
        raise ConfigError(f"the model's input has shape {tuple(X.shape[1:])}; analyse needs u/v/strain "
                          "composites shaped (3, S, S)")
    params = table.df.attrs.get("params") or {}  # preprocessed folders say how their flows were made
    return CompositeEncoding(size=int(X.shape[2]), flow_method=str(params.get("method", "tvl1")),
                             face_size=int(params.get("size", 128)))


def train_model(*, dataset: str, root: str | Path, out: str | Path, model: str | None = None,
                config: str | Path | None = None, seed: int = 0, fast: bool = False, evaluate_loso: bool = False,
                jobs: int | None = None, progress: bool = True, echo: Callable[[str], None] = print,
                table=None) -> TrainedModel:
    """Fit ``model`` (a registered name or ``best``; default: the config's, else ``svm``) on every
    sample of ``dataset`` and write the model folder ``out`` (see the module docstring).

    ``config`` is an evaluation YAML (model, model_kwargs, trainer, fast_trainer, input_kind);
    ``fast`` applies its ``fast_trainer`` budget. ``evaluate_loso`` first runs the
    leave-one-subject-out evaluation of the same configuration into ``out/loso``.
    """
    from .. import __version__
    from ..datasets import load_dataset
    from ..recognisers import create_estimator, get_spec, input_kind_of, resolve_name
    from ..recognisers.persistence import save_estimator
    from ..identity import check_output_dir
    from .evaluation import read_config, run_evaluation

    cfg = read_config(Path(config) if config is not None else None)
    requested = model or cfg.model
    name = resolve_name(requested)
    spec = get_spec(name)
    input_kind = cfg.input_kind or input_kind_of(spec.name, cfg.model_kwargs)
    if spec.task != "emotion":
        raise ConfigError(f"model {name!r} detects {spec.task.replace('_', ' ')}, not an emotion class; "
                          "`microexp evaluate --task au` evaluates it")
    if input_kind not in ANALYSABLE_INPUT_KINDS:
        raise ConfigError(f"model {name!r} eats {input_kind!r} inputs; a deployable model for `microexp analyse` "
                          f"must eat one of {list(ANALYSABLE_INPUT_KINDS)} (the u/v/strain composite)")
    out = check_output_dir(out, "model folder")
    table = table if table is not None else load_dataset(dataset, root)
    present = np.unique(table.y)
    if len(present) < 2:
        raise ProtocolError(f"{dataset} has samples of {len(present)} class only; a recogniser needs at least two")
    if fast:
        cfg = cfg.with_fast_budget()
    trainer = dict(cfg.trainer)
    model_kwargs = dict(cfg.model_kwargs)

    loso = None
    if evaluate_loso:
        echo(f"[1/2] leave-one-subject-out evaluation of {name} (estimates how the final model generalises)")
        metrics = run_evaluation(dataset=dataset, root=Path(root), model=name, protocol="loso", out=out / "loso",
                                 config=Path(config) if config is not None else None, first_seed=seed, fast=fast,
                                 jobs=jobs, progress=progress, echo=echo, table=table)
        loso = {"protocol": "loso", "folds": metrics.get("folds"), "metrics_file": "loso/metrics.json",
                **{p: {k: metrics[p][k] for k in ("uf1", "uar", "accuracy") if k in metrics[p]}
                   for p in metrics if isinstance(metrics[p], dict) and "uf1" in metrics[p]}}

    X = table.arrays(input_kind)
    encoding = _encoding_for(table, X)
    echo(f"[{2 if evaluate_loso else 1}/{2 if evaluate_loso else 1}] fitting {name} on all {len(table)} samples "
         f"({table.df['subject'].nunique()} subjects) of {dataset}")
    estimator = create_estimator(name, num_classes=len(table.classes), seed=seed, trainer=trainer, **model_kwargs)
    t0 = time.perf_counter()
    estimator.fit(X, table.y, table.subjects)
    fit_seconds = time.perf_counter() - t0
    saved = save_estimator(estimator, out)
    card = {
        "format_version": MODEL_FORMAT_VERSION,
        "microexp_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": name, "model_requested": requested, "family": spec.family, "paper": spec.paper,
        "model_kwargs": model_kwargs, "trainer": trainer, "seed": int(seed), "fast": bool(fast),
        "input_kind": input_kind, "classes": list(table.classes),
        "input_encoding": encoding.to_dict(),
        "training_data": _data_summary(table, dataset, Path(root), X),
        "fit_seconds": round(fit_seconds, 3),
        "estimator": saved,
        "loso": loso,
        "scope": "fitted on every sample of the training data (no held-out test split); see its leave-one-subject-out "
                 "scores (when stored) for an honest estimate of its accuracy on unseen subjects of the same databases",
    }
    atomic_write_json(out / MODEL_CARD, card)  # written last: its presence marks a complete folder
    echo(f"model folder: {out}")
    return TrainedModel(out, card, estimator)
