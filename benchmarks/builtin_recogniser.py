"""The recogniser ``microexp analyse`` uses by default, rebuilt and scored on real micro-expressions.

The packaged STSTNet trained on simulated flows only (``src/microexp/resources/ststnet_sim.pt``,
written by ``python benchmarks/sim_pretrain.py``; the third vote of ``best``) becomes a model
folder. No real sample trained it, so all 442 flows of the MEGC2019 composite are held out; the
folder's card records its scores on them, and the script checks that the folder, read back as
``microexp analyse`` reads it, predicts exactly what the network does.

    python benchmarks/builtin_recogniser.py --root ../shared/data/megc2019 --out src/microexp/resources/recogniser_sim

``--pretrain`` names the ``pretrain.json`` of the run that made the weights (clip and class counts
for the card). The last line is one JSON object: the held-out scores per database, the folder, seconds.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True, help="the MEGC2019 composite (combined_3_class2_for_optical_flow.csv)")
    ap.add_argument("--weights", default=str(REPO / "src" / "microexp" / "resources" / "ststnet_sim.pt"),
                    help="weights written by benchmarks/sim_pretrain.py")
    ap.add_argument("--config", default=str(REPO / "configs" / "pretrain" / "sim_pretrain.yaml"),
                    help="the pre-training settings that made them")
    ap.add_argument("--pretrain", default=None, help="that run's pretrain.json (optional)")
    ap.add_argument("--out", default="runs/builtin_recogniser", help="model folder to write")
    return ap.parse_args(argv)


def _fail(message: str) -> None:
    """A bad input: its message on stderr, exit code 2, nothing written."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def _read_pretrain(path: str) -> dict:
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        _fail(f"{path}: cannot be read ({exc.strerror or exc})")
    except ValueError as exc:
        _fail(f"{path}: not JSON ({exc})")
    if not isinstance(data, dict):
        _fail(f"{path}: not a pretrain.json (expected an object)")
    return data


def main(argv=None) -> dict:
    args = parse_args(argv)
    import numpy as np
    import torch

    from microexp.datasets.megc2019 import load_megc2019
    from microexp.identity import file_digest
    from microexp.pipeline.sim_pretrain import SimPretrainConfig, write_sim_model_folder
    from microexp.training.classifier import TorchClassifier

    t0 = time.perf_counter()
    torch.set_num_threads(1)
    cfg = SimPretrainConfig.load(args.config)
    table = load_megc2019(args.root)
    pretrain = _read_pretrain(args.pretrain) if args.pretrain else None
    if pretrain is not None and pretrain.get("weights_sha256") != file_digest(args.weights):
        _fail(f"{args.pretrain}: describes other weights than {args.weights}")
    trained = write_sim_model_folder(args.weights, args.out, cfg=cfg, pretrain=pretrain, real_table=table)
    X = table.arrays("flow")
    direct = TorchClassifier(cfg.net, num_classes=3, model_kwargs=dict(cfg.net_kwargs), tta_flip=True).load(args.weights)
    same = bool(np.array_equal(trained.predict(X), direct.predict(X)))
    held = trained.card["held_out"]
    summary = {"benchmark": "builtin_recogniser", "folder": str(args.out), "weights_sha256": file_digest(args.weights),
               "samples": held["samples"], "subjects": held["subjects"],
               **{k: v for k, v in held.items() if isinstance(v, dict)},
               "folder_predicts_as_the_network": same, "seconds": round(time.perf_counter() - t0, 1)}
    print(json.dumps(summary))
    if not same:
        sys.exit(1)
    return summary


if __name__ == "__main__":
    main()
