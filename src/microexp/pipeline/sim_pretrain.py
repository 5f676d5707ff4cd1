"""Train a flow recogniser on the simulator's labelled flows only, to vote in (or start) a real-data one.

The simulator gives as many labelled micro-expressions as one likes, with no real person in
them. ``pretrain_on_simulation`` renders ``subjects`` × ``clips_per_subject`` clips, preprocesses
them exactly as a database (face alignment, onset→apex flow and strain, the composite's 28×28
u/v/strain image), and trains the network (STSTNet by default) on every clip that has a MEGC2019
class. The weights it writes vote in a flow ensemble (``frozen_nets``; ``flow_ensemble_sim`` ships
such a file) or start a real-data run (``init_weights`` of a torch recogniser's trainer,
``net_init`` of the flow ensembles); since no real sample was seen, the same file may serve every
LOSO fold without leaking a test subject.

Layout of ``out``::

    simulation/         the simulated database (CASME II layout); reused when its settings match
    preprocessed/       faces and flows; ``preprocessed/composite`` is read like the MEGC2019 composite
    <net>_sim.pt        the weights (TorchClassifier.save format: tensors only)
    flows.npz           the labelled simulated flows (``microexp.datasets.flow_file``), which a real-data
                        network may train on beside its fold (``net_extra_flows`` of the flow ensembles)
    pretrain.json       settings, clip counts, the simulated held-out check and the weights' SHA-256

A held-out check is made on the simulator only: the same network trained on the other
simulated subjects scores UF1 / UAR on ``heldout_subjects`` simulated people.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ..config import ConfigModel
from ..errors import ConfigError
from ..motion import centre_composites

#: The simulated database's settings a reuse must match.
SIMULATION_KEYS = ("subjects", "clips_per_subject", "seed", "amplitude", "difficulty")


@dataclasses.dataclass
class SimPretrainConfig(ConfigModel):
    """Settings of a pre-training run (``configs/pretrain/sim_pretrain.yaml``)."""

    KIND = "simulator pre-training config"

    subjects: int = 60
    clips_per_subject: int = 20
    seed: int = 1000
    amplitude: float = 1.0
    difficulty: str = "medium"
    face_size: int = 128
    flow_method: str = "tvl1"
    net: str = "ststnet"
    net_kwargs: dict = dataclasses.field(default_factory=dict)
    epochs: int = 30
    batch_size: int = 64
    lr: float = 3e-3
    heldout_subjects: int = 12
    #: Train on centred flows (each image's zero-motion level at 0.5, ``microexp.motion.centre_composites``);
    #: the network must then be shown centred flows (``FlowEnsemble(centre=[..., "frozen"])``).
    centre: bool = False
    description: str = ""

    def validate(self, source: str) -> None:
        if self.subjects < 2 or self.clips_per_subject < 1:
            raise ConfigError(f"{source}: need at least 2 subjects and 1 clip each")
        if not 0 <= self.heldout_subjects < self.subjects:
            raise ConfigError(f"{source}: heldout_subjects must lie in 0 .. subjects - 1")
        if self.epochs < 1:
            raise ConfigError(f"{source}: epochs must be >= 1")

    def simulation_settings(self) -> dict:
        return {"subjects": self.subjects, "clips_per_subject": self.clips_per_subject, "seed": self.seed,
                "amplitude": float(self.amplitude), "difficulty": self.difficulty}


#: The simulated flows with their classes (``microexp.datasets.flow_file``), written beside the weights.
FLOW_FILE_NAME = "flows.npz"


def weights_name(cfg: SimPretrainConfig) -> str:
    return f"{cfg.net}_sim.pt"


def _simulation(out: Path, cfg: SimPretrainConfig, jobs: int, echo: Callable[[str], None]) -> Path:
    """The simulated database under ``out/simulation``: reused when complete with the same settings."""
    from ..config import read_yaml
    from ..simulate import simulate_dataset
    from ..simulate.dataset import SHEET_NAME

    root = out / "simulation"
    done = root / "simulation.yaml"
    if done.is_file() and (root / SHEET_NAME).is_file():
        old = read_yaml(done) or {}
        wanted = cfg.simulation_settings()
        if {k: old.get(k) for k in SIMULATION_KEYS} == wanted:
            echo(f"reusing the simulated database in {root}")
            return root
        raise ConfigError(f"{root} holds a simulation with other settings "
                          f"({ {k: old.get(k) for k in SIMULATION_KEYS} } ≠ {wanted}); use another output folder")
    echo(f"simulating {cfg.subjects} subjects x {cfg.clips_per_subject} clips -> {root}")
    simulate_dataset(root, subjects=cfg.subjects, clips_per_subject=cfg.clips_per_subject, seed=cfg.seed,
                     amplitude=cfg.amplitude, difficulty=cfg.difficulty, workers=jobs)
    return root


def _classifier(cfg: SimPretrainConfig, seed: int):
    from ..training.classifier import TorchClassifier

    return TorchClassifier(cfg.net, num_classes=3, seed=seed, model_kwargs=dict(cfg.net_kwargs), epochs=cfg.epochs,
                           batch_size=cfg.batch_size, lr=cfg.lr, augment="flow", class_weight="balanced")


def pretrain_on_simulation(out: str | Path, cfg: SimPretrainConfig | None = None, *, jobs: int = 2,
                           echo: Callable[[str], None] = print) -> dict:
    """Simulate, preprocess, check on held-out simulated subjects, train on all; see the module
    docstring. Returns (and writes to ``out/pretrain.json``) the run's summary."""
    from ..datasets.casme2 import load_casme2
    from ..datasets.flow_file import write_flow_file
    from ..datasets.megc2019 import load_megc2019
    from ..identity import file_digest
    from ..io import atomic_write_json
    from ..metrics import classification_report
    from .preprocess import preprocess_dataset

    cfg = cfg or SimPretrainConfig()
    out = Path(out)
    t0 = time.perf_counter()
    sim_root = _simulation(out, cfg, jobs, echo)
    echo(f"preprocessing ({cfg.flow_method} flow, {cfg.face_size}-pixel faces)")
    table = load_casme2(sim_root, taxonomy="megc3", strict=False)
    pre = preprocess_dataset(table, out / "preprocessed", features="flow,strain", size=cfg.face_size,
                             method=cfg.flow_method, jobs=jobs, progress=False)
    samples = load_megc2019(out / "preprocessed" / "composite")
    write_flow_file(samples, out / FLOW_FILE_NAME)  # the labelled simulated flows, for net_extra_flows
    X, y, groups = samples.arrays("flow"), samples.y, samples.subjects
    if cfg.centre:
        X = centre_composites(X)
    if len(set(y.tolist())) < 3:
        raise ConfigError(f"the simulation gave {len(y)} clips without all three MEGC2019 classes; simulate more")

    heldout = {}
    if cfg.heldout_subjects:
        people = sorted(set(groups.tolist()))
        test_people = people[-cfg.heldout_subjects:]
        test = np.isin(groups, test_people)
        echo(f"held-out check: training on {len(people) - len(test_people)} simulated subjects, "
             f"testing on {len(test_people)}")
        pred = _classifier(cfg, cfg.seed).fit(X[~test], y[~test], groups[~test]).predict(X[test])
        rep = classification_report(y[test], pred, samples.classes)
        heldout = {"subjects": len(test_people), "clips": int(test.sum()),
                   "uf1": round(float(rep["uf1"]), 4), "uar": round(float(rep["uar"]), 4)}

    echo(f"training {cfg.net} on all {len(y)} simulated clips ({cfg.epochs} epochs)")
    clf = _classifier(cfg, cfg.seed).fit(X, y, groups)
    path = clf.save(out / weights_name(cfg))
    summary = {"config": cfg.to_dict(), "weights": str(path), "weights_sha256": file_digest(path),
               "clips": int(len(y)), "clips_failed": int(pre.failed),
               "class_counts": {c: int(n) for c, n in zip(samples.classes, np.bincount(y, minlength=3))},
               "heldout_simulated": heldout, "minutes": round((time.perf_counter() - t0) / 60, 2)}
    atomic_write_json(out / "pretrain.json", summary)
    return summary


def held_out_scores(clf, table, *, centre: bool = False) -> dict:
    """Scores of ``clf`` on every sample of a real ``table`` (none of which trained it); ``centre``:
    it reads centred flows (it was trained on them)."""
    from ..metrics import classification_report

    X = table.arrays("flow")
    pred = clf.predict(centre_composites(X) if centre else X)
    datasets = table.df["dataset"].to_numpy()
    scores = {}
    for name in ["full", *sorted(set(datasets.tolist()))]:
        keep = np.ones(len(pred), bool) if name == "full" else datasets == name
        rep = classification_report(table.y[keep], pred[keep], table.classes)
        scores[name] = {k: round(float(rep[k]), 4) for k in ("uf1", "uar", "accuracy")}
    return scores


def write_sim_model_folder(weights: str | Path, out: str | Path, *, cfg: SimPretrainConfig | None = None,
                           pretrain: dict | None = None, real_table=None, real_dataset: str = "megc2019"):
    """A model folder for ``microexp analyse`` from weights that :func:`pretrain_on_simulation` wrote.

    No real sample trained the network, so every real sample is held out: with ``real_table`` (the
    MEGC2019 composite, say) the card's ``held_out`` entry gives the folder's scores on all of it,
    per source database. ``pretrain`` (the run's ``pretrain.json``) adds the clip and class counts
    of the simulated training set. Returns the folder, loaded and checked.
    """
    from datetime import datetime, timezone

    from .. import __version__
    from ..io import atomic_write_json
    from ..labels import MEGC3
    from ..recognisers import get_spec
    from ..recognisers.model_folder import MODEL_CARD, MODEL_FORMAT_VERSION, load_trained
    from ..recognisers.persistence import save_estimator
    from .train import CompositeEncoding

    cfg = cfg or SimPretrainConfig()
    out = Path(out)
    clf = _classifier(cfg, cfg.seed).set_params(tta_flip=True).load(weights)
    held_out = None
    if real_table is not None:
        if list(real_table.classes) != list(MEGC3):
            raise ConfigError(f"the real data's classes {list(real_table.classes)} are not MEGC2019's {list(MEGC3)}")
        held_out = {"dataset": real_dataset, "samples": int(len(real_table)),
                    "subjects": int(real_table.df["subject"].nunique()),
                    "how": "never trained on a real sample: every real sample is held out",
                    **held_out_scores(clf, real_table)}
    saved = save_estimator(clf, out)
    spec = get_spec(cfg.net)
    pretrain = pretrain or {}
    card = {
        "format_version": MODEL_FORMAT_VERSION,
        "microexp_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": cfg.net, "model_requested": cfg.net, "family": spec.family, "paper": spec.paper,
        "model_kwargs": dict(cfg.net_kwargs), "trainer": saved["trainer"], "seed": int(cfg.seed), "fast": False,
        "input_kind": "flow", "classes": list(MEGC3),
        "input_encoding": CompositeEncoding(flow_method=cfg.flow_method, face_size=cfg.face_size).to_dict(),
        "training_data": {"dataset": "simulated", "simulation": cfg.simulation_settings(),
                          **({"samples": pretrain["clips"]} if "clips" in pretrain else {}),
                          "subjects": int(cfg.subjects),
                          **({"classes": pretrain["class_counts"]} if "class_counts" in pretrain else {}),
                          "per_database": {}, "real_samples": 0,
                          "input_shape": [3, CompositeEncoding.size, CompositeEncoding.size]},
        "estimator": saved,
        "loso": None,
        "held_out": held_out,
        "scope": "trained on simulated faces only, never on a real person",
    }
    atomic_write_json(out / MODEL_CARD, card)  # written last: its presence marks a complete folder
    return load_trained(out)
