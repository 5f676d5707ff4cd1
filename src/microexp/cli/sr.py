"""``microexp sr train|eval|upscale``: paper 000's ×4 face super-resolution."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

sr_app = typer.Typer(no_args_is_help=True, rich_markup_mode="markdown",
                     help="Super-resolution of low-resolution faces (the efficient RLFN-style generator, "
                          "RRDBNet / ESRGAN, SRGAN; bicubic).")


def _load_config(config: Optional[Path], overrides: dict):
    from ..restore import SRConfig

    from ..config import read_yaml

    data = read_yaml(config) if config is not None else {}
    data.update({k: v for k, v in overrides.items() if v is not None})
    return SRConfig.from_dict(data, source=config or "the command line")


def _hr_faces(folder: Path):
    import numpy as np

    from ..restore import resize_face
    from ..restore.folders import read_images

    names, images = read_images(folder)
    faces = [resize_face(img if img.ndim == 3 else np.repeat(img[..., None], 3, 2)) for img in images]
    return names, np.stack(faces)


def _faces_digest(folder: Path, run: Path) -> str:
    """Digest of the training images (names relative to ``folder`` and contents); per-file digests
    are kept in ``run/inputs.json`` so a resume does not hash unchanged files again."""
    from ..identity import files_digest, load_digest_cache, save_digest_cache
    from ..restore.folders import list_images

    cache = load_digest_cache(run / "inputs.json")
    digest = files_digest(list_images(folder), cache, root=folder)
    save_digest_cache(run / "inputs.json", cache)
    return digest


@sr_app.command("train")
def train(faces: Path = typer.Option(..., help="folder of HR face images (resized to 128×128)"),
          out: Path = typer.Option(..., help="run folder (checkpoint, samples, generators)"),
          config: Optional[Path] = typer.Option(None, help="YAML of SRConfig settings"),
          arch: Optional[str] = typer.Option(None, help="rrdbnet, srresnet or rlfn (the efficient generator)"),
          pretrain_iters: Optional[int] = typer.Option(None), gan_iters: Optional[int] = typer.Option(None),
          vgg_weights: Optional[Path] = typer.Option(None, help="VGG19 state_dict (torchvision keys) for the perceptual loss"),
          max_minutes: Optional[float] = typer.Option(None, help="stop after this wall time; rerun to resume"),
          seed: Optional[int] = typer.Option(None), fresh: bool = typer.Option(False, help="ignore an existing checkpoint")):
    """Degrade the faces (paper 000) and train: L1 pre-training, then ESRGAN fine-tuning.

    A rerun into the same ``--out`` resumes its checkpoint only with the same settings and the same
    face images (else it stops with an error; ``--fresh`` starts over)."""
    from ..identity import check_output_dir
    from ..restore import make_pairs, train_super_resolution

    cfg = _load_config(config, {"arch": arch, "pretrain_iters": pretrain_iters, "gan_iters": gan_iters,
                                "vgg_weights": str(vgg_weights) if vgg_weights else None, "seed": seed})
    names, hr = _hr_faces(faces)
    lr = make_pairs(hr, cfg.lr_variants, seed=cfg.seed, median_prob=cfg.median_prob)
    masks = None
    if cfg.region_weight > 0:  # brows, eyes and mouth weigh more: their masks from each face's landmarks
        from ..restore.regions import region_masks

        masks = region_masks(hr, names=[str(faces / n) for n in names])
    check_output_dir(out, "run folder")
    result = train_super_resolution(hr, lr, cfg, out, resume=not fresh, max_minutes=max_minutes,
                                    data_digest=_faces_digest(faces, out), region_masks=masks,
                                    log=lambda m: typer.echo(m))
    typer.echo(f"{'finished' if result['finished'] else 'paused'}: {out}")


def _upscaler(model: str, self_ensemble: int = 1):
    from ..restore import load_generator, upscale_bicubic, upscale_with

    if model == "bicubic":
        return upscale_bicubic
    gen, _ = load_generator(model)
    return lambda lr: upscale_with(gen, lr, self_ensemble=self_ensemble)


_SELF_ENSEMBLE_HELP = "average over 1 (plain), 2 (with the mirror image) or 8 (all flips/transpositions) views"


@sr_app.command("eval")
def evaluate(model: str = typer.Option(..., help="generator file (generator_psnr.pt / generator_gan.pt) or 'bicubic'"),
             faces: Path = typer.Option(..., help="folder of HR face images"),
             out: Path = typer.Option(..., help="results folder"), seed: int = typer.Option(0),
             median_prob: Optional[float] = typer.Option(
                 None, help="chance of the degradation's median blur (default: paper 000's 0.5; 0 never, 1 always)"),
             self_ensemble: int = typer.Option(1, help=_SELF_ENSEMBLE_HELP)):
    """Degrade HR faces to 32×32, super-resolve them and report PSNR / SSIM / MSE against the HR faces."""
    import json

    import pandas as pd

    from ..io import atomic_write_json, atomic_write_text
    from ..restore import image_quality, make_pairs, summarise_quality

    names, hr = _hr_faces(faces)
    lr = make_pairs(hr, 1, seed=seed, median_prob=median_prob)[:, 0]
    per_image = image_quality(hr, _upscaler(model, self_ensemble)(lr))
    summary = {"model": model, "median_prob": median_prob, "self_ensemble": self_ensemble,
               **summarise_quality(per_image)}
    atomic_write_json(out / "metrics.json", summary)
    atomic_write_text(out / "per_image.csv", pd.DataFrame({"image": names, **per_image}).to_csv(index=False))
    typer.echo(json.dumps({k: summary[k] for k in ("n", "psnr", "ssim", "ssim_gauss", "mse")}))


@sr_app.command("upscale")
def upscale(model: str = typer.Option(..., help="generator file or 'bicubic'"),
            input: Path = typer.Option(..., help="folder of faces/frames, or a video file"),
            out: Path = typer.Option(..., help="folder for the ×4 images (same names, PNG)"),
            degrade_first: bool = typer.Option(False, "--degrade-first", help="simulate paper 000's LR first"),
            self_ensemble: int = typer.Option(1, help=_SELF_ENSEMBLE_HELP)):
    """Super-resolve every image of a folder (or every frame of a clip) by the model's scale."""
    import numpy as np

    from ..io import atomic_write_image
    from ..restore import degrade
    from ..restore.folders import read_clip

    names, images = read_clip(input)
    run = _upscaler(model, self_ensemble)
    for i, (name, img) in enumerate(zip(names, images)):
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        if degrade_first:
            img = degrade(img, seed=i)
        atomic_write_image(out / (Path(name).stem + ".png"), run(img[None])[0])
    typer.echo(f"{len(names)} images → {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(sr_app, name="sr")
