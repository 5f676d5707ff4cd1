"""``microexp generate flows|clips``: synthetic optical flows (conditional DC-GAN, paper 004) and
AU-driven micro-expression clips (paper 002, FAMGAN)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

generate_app = typer.Typer(no_args_is_help=True, rich_markup_mode="markdown",
                           help="Generate data: class-conditional optical flows or AU-driven ME clips.")


def register(app: typer.Typer) -> None:
    app.add_typer(generate_app, name="generate")


@generate_app.command("flows")
def flows_command(
    root: Path = typer.Option(..., help="MEGC2019 composite root (the folder holding the CSV)."),
    out: Path = typer.Option(..., help="Output directory (flows.npz, sample PNGs, grid, checks)."),
    per_class: int = typer.Option(100, help="Synthetic flows per class (paper 004: 100)."),
    epochs: int = typer.Option(30, help="GAN epochs."),
    exclude_subject: list[str] = typer.Option([], help="Subjects (e.g. casme2/sub01) kept out of GAN training."),
    seed: int = typer.Option(0),
    png: bool = typer.Option(True, help="Also write every synthetic flow as a 3-channel PNG."),
) -> None:
    """Fit the conditional DC-GAN on the composite's flows and write class-conditional samples."""
    import numpy as np
    import torch
    import yaml

    from ..augment.cgan import FlowGANAugmenter, class_fidelity, diversity, save_generator, write_sample_grid
    from ..augment.cgan.checks import flows_to_rgb
    from ..datasets.megc2019 import load_megc2019
    from ..errors import ConfigError
    from ..io import atomic_write_image, atomic_write_json, atomic_write_npz, atomic_write_text

    torch.set_num_threads(1)
    table = load_megc2019(root)
    keep = ~np.isin(table.subjects, exclude_subject)
    unknown = set(exclude_subject) - set(table.subjects)
    if unknown:
        raise ConfigError(f"unknown subjects {sorted(unknown)}; subjects look like {table.subjects[0]!r}")
    X, y = table.arrays("flow")[keep], table.y[keep]
    aug = FlowGANAugmenter(per_class=per_class, epochs=epochs, seed=seed)
    X_syn, y_syn = aug.fit_generate(X, y, table.subjects[keep], seed)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "config.yaml", yaml.safe_dump(
        {"root": str(root), "excluded_subjects": list(exclude_subject), **aug.params(seed)}, sort_keys=False))
    atomic_write_npz(out / "flows.npz", X=X_syn, y=y_syn, classes=np.array(table.classes))
    save_generator(aug.last_gan, out / "generator.pt")
    write_sample_grid(out / "samples.png", X_syn, y_syn, real_flows=X, real_labels=y)
    checks = {"fidelity": class_fidelity(X, y, X_syn, y_syn), "diversity": diversity(X, y, X_syn, y_syn),
              "history": aug.last_gan.history}
    atomic_write_json(out / "checks.json", checks)
    if png:
        for i, (f, k) in enumerate(zip(X_syn, y_syn)):
            atomic_write_image(out / "flows" / table.classes[int(k)] / f"gen_{i:04d}.png", flows_to_rgb(f))
    typer.echo(f"{len(y_syn)} flows → {out}; class fidelity {checks['fidelity']['accuracy']:.3f} "
               f"(chance {checks['fidelity']['chance']:.3f})")


def _read_frames(folder: Path):
    import numpy as np

    from ..datasets.frame_folders import index_frames
    from ..io import read_image

    index = index_frames(folder)
    if not index:
        from ..errors import DataError

        raise DataError("no frames found", folder)
    return np.stack([read_image(p) for p in index.values()])


@generate_app.command("clips")
def clips_command(
    out: Path = typer.Option(..., help="Output root, written in CASME II's layout."),
    source: Optional[Path] = typer.Option(None, help="Folder of source frames (onset first). Omit with --demo."),
    target: Optional[Path] = typer.Option(None, help="Target face image (neutral). Omit with --demo."),
    demo: bool = typer.Option(False, help="Use a simulated source clip and a simulated target face."),
    emotion: str = typer.Option("happiness", help="Emotion of the simulated source clip (--demo)."),
    estimator: Optional[Path] = typer.Option(None, help="AU estimator JSON (default: calibrate on simulated clips)."),
    calibration_identities: int = typer.Option(3, help="Simulated identities for calibration."),
    size_averaging: bool = typer.Option(True, "--size-averaging/--no-size-averaging",
                                        help="Average the transfer over jittered target sizes (eq. 1)."),
    half_width: int = typer.Option(2, help="Half window of the temporal mean filter (eq. 2)."),
    alpha: float = typer.Option(0.1, help="α of the neutral correction (eq. 3)."),
    sr_model: Optional[str] = typer.Option(None, help="'bicubic' or a super-resolution model file: generate at 1/4 size, "
                                                      "then upscale."),
    subject: str = typer.Option("01", help="Subject id of the generated clip."),
    name: str = typer.Option("GEN_01", help="Clip folder name."),
    seed: int = typer.Option(0),
) -> None:
    """Animate a target face with a source clip's AU sequence; write a new clip in CASME II layout."""
    import json

    import numpy as np

    from ..augment.famgan import (SIZE_DELTAS, GeneratedClip, LandmarkAUEstimator, calibrate_on_rendered_clips,
                                  generate_at_reduced_size, transfer_clip, write_casme2_clips)
    from ..augment.famgan.transfer import track_landmarks
    from ..errors import ConfigError, DataError
    from ..io import atomic_write_json, read_image

    if demo:
        from ..simulate import make_identity, render_clip

        frames, _ = render_clip(make_identity(0, seed), emotion, nuisances="easy", seed=seed)
        tgt = make_identity(1, seed)
        target_image, target_landmarks = tgt.image, tgt.landmarks
    else:
        if source is None or target is None:
            raise ConfigError("give --source and --target, or --demo")
        frames = _read_frames(source)
        target_image = read_image(target)
        target_landmarks = track_landmarks(target_image[None])[0]
    if estimator is not None:
        try:
            est = LandmarkAUEstimator.from_dict(json.loads(Path(estimator).read_text()))
        except (OSError, ValueError, KeyError) as exc:
            raise DataError(f"cannot read AU estimator ({exc})", estimator) from exc
    else:
        typer.echo("calibrating the AU estimator on simulated clips …")
        est = calibrate_on_rendered_clips(range(200, 200 + calibration_identities), 8, seed=seed)
        atomic_write_json(out / "au_estimator.json", est.to_dict())
    deltas = SIZE_DELTAS if size_averaging else (0,)
    kw = dict(deltas=deltas, half_width=half_width, alpha=alpha)
    if sr_model is None:
        res = transfer_clip(frames, target_image, est, target_landmarks=target_landmarks, **kw)
        generated = res.frames
    else:
        upscale = "bicubic"
        if sr_model != "bicubic":
            from ..restore import load_generator

            upscale, _ = load_generator(sr_model)
        holder = {}

        def generate_small(small_image, small_landmarks):
            holder["res"] = transfer_clip(frames, small_image, est, target_landmarks=small_landmarks, **kw)
            return holder["res"].frames

        generated = generate_at_reduced_size(generate_small, target_image, target_landmarks, 4, upscale)
        res = holder["res"]
    intensity = res.left.sum(1) + res.right.sum(1)
    clip = GeneratedClip(subject, name, generated, apex_index=int(np.argmax(intensity)),
                         emotion=emotion if demo else "others",
                         meta={"aus": list(res.aus), "au_left": res.left.round(4), "au_right": res.right.round(4),
                               "deltas": list(deltas), "half_width": half_width, "alpha": alpha,
                               "super_resolution": sr_model, "generator": "WarpAUGenerator"})
    write_casme2_clips(out, [clip])
    typer.echo(f"{len(generated)} frames → {out}; apex at frame {clip.apex_index}")
