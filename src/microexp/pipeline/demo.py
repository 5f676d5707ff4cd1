"""The demo: simulate a small database, preprocess it, recognise its micro-expressions under
leave-one-subject-out, and write a report a person can open.

``OUT`` layout::

    dataset/          the simulated database, CASME II layout (see microexp.simulate)
    preprocessed/     aligned faces, onset→apex flow and strain (microexp.pipeline.preprocess)
    evaluation/       config.yaml, folds/, predictions.csv, metrics.json, confusion_matrix.png
    spotting/         apex_frames.csv, metrics.json (training-free apex spotting of every clip)
    model/            the recogniser fitted on every clip (microexp train), for the recording
    recording/        recording.mp4, its ground-truth sheet and page/ (microexp analyse with --truth)
    report/           index.html, metrics.json, demo.yaml, confusion_matrix.png, flow_gan_grid.png,
                      examples/*.png (frames with landmarks), flow/*.png, motion/*.png
"""
from __future__ import annotations

import html
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import ConfigError
from ..io import atomic_write_image, atomic_write_json, atomic_write_text, read_image


#: Batch size of the demo's flow GAN: a few dozen clips need many small steps to give class-like flows.
GAN_BATCH_SIZE = 8
#: The flow GAN's class-faithful settings (as in benchmarks/gan_augmentation.py): projection
#: discriminator with spectral normalisation and hinge loss, auxiliary class loss, generator EMA.
CLASS_FAITHFUL_GAN = {"discriminator": "projection", "aux_weight": 1.0, "ema_decay": 0.99}
#: Height of the flow pictures in the report (smaller ones are enlarged).
REPORT_PICTURE_HEIGHT = 192


@dataclass(frozen=True)
class DemoProfile:
    """How big the demo is. ``duration_range_s`` bounds the clips' onset→offset length."""

    subjects: int = 8
    clips_per_subject: int = 9
    difficulty: str = "medium"
    amplitude: float = 1.0
    face_size: int = 128
    flow_method: str = "tvl1"
    duration_range_s: tuple[float, float] = (0.04, 0.5)
    examples: int = 3
    gan_epochs: int = 120
    generated_clip: bool = True
    animator_steps: int = 300     # the learned AU animator's training steps (0: warp only)
    recording_s: float = 60.0     # a whole simulated recording analysed like a user's (0: none)


DEMO_PROFILES: dict[str, DemoProfile] = {
    "default": DemoProfile(),
    "fast": DemoProfile(subjects=6, clips_per_subject=6, face_size=64, flow_method="farneback",
                        duration_range_s=(0.04, 0.15), gan_epochs=60, animator_steps=60, recording_s=20.0),
    # for tests of the whole chain: a few seconds of work
    "tiny": DemoProfile(subjects=4, clips_per_subject=5, face_size=48, flow_method="farneback",
                        duration_range_s=(0.04, 0.06), examples=1, gan_epochs=2,
                        generated_clip=False, animator_steps=0, recording_s=0.0),
}


@dataclass
class DemoResult:
    out_dir: Path
    report_dir: Path
    metrics: dict
    timings: dict = field(default_factory=dict)

    @property
    def index_html(self) -> Path:
        return self.report_dir / "index.html"


def resolve_profile(profile: str | DemoProfile, amplitude: float | None = None) -> DemoProfile:
    if isinstance(profile, str):
        if profile not in DEMO_PROFILES:
            raise ConfigError(f"unknown demo profile {profile!r}; choose one of {', '.join(DEMO_PROFILES)}")
        profile = DEMO_PROFILES[profile]
    return profile if amplitude is None else replace(profile, amplitude=float(amplitude))


def run_demo(out_dir: str | Path = "runs/demo", *, profile: str | DemoProfile = "default",
             amplitude: float | None = None, seed: int = 0, model: str = "best", jobs: int = 2, progress: bool = True,
             echo: Callable[[str], None] = print) -> DemoResult:
    """Run the demo into ``out_dir`` (see the module docstring) and return its metrics.

    ``amplitude`` overrides the profile's expression amplitude (0 gives faces that do not move:
    recognition then falls to chance). ``model``: a registered recogniser or ``best``.
    """
    from ..datasets.casme2 import load_casme2
    from ..evaluation import EvaluationConfig, evaluate
    from ..recognisers import resolve_name
    from ..simulate import simulate_dataset
    from .preprocess import preprocess_dataset, preprocessed_table

    prof = resolve_profile(profile, amplitude)
    out = Path(out_dir)
    _check_replaceable(out)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    echo(f"[1/5] simulating {prof.subjects} subjects x {prof.clips_per_subject} clips -> {out / 'dataset'}")
    sim = simulate_dataset(out / "dataset", subjects=prof.subjects, clips_per_subject=prof.clips_per_subject,
                           seed=seed, amplitude=prof.amplitude, difficulty=prof.difficulty,
                           duration_range_s=prof.duration_range_s, workers=jobs)
    timings["simulate_s"] = time.perf_counter() - t

    t = time.perf_counter()
    echo(f"[2/5] preprocessing {sim.n_clips} clips (face alignment, {prof.flow_method} flow, strain)")
    table = load_casme2(out / "dataset", taxonomy="megc3", strict=False)
    pre_dir = out / "preprocessed"
    _clear_earlier_output(pre_dir)  # fresh frames: never mix with an older run
    pre = preprocess_dataset(table, pre_dir, features="flow,strain", size=prof.face_size, method=prof.flow_method,
                             jobs=jobs, progress=progress)
    if pre.failed:
        echo(f"      {pre.failed} clips failed preprocessing (see {pre_dir / 'errors.csv'})")
    timings["preprocess_s"] = time.perf_counter() - t

    t = time.perf_counter()
    model_name = resolve_name(model)
    echo(f"[3/5] leave-one-subject-out recognition with {model_name!r} (3 MEGC classes)")
    samples = preprocessed_table(pre_dir)
    eval_dir = out / "evaluation"
    _clear_earlier_output(eval_dir)
    result = evaluate(samples, EvaluationConfig(model=model_name, protocol="loso", seed=seed), eval_dir,
                      jobs=1 if jobs <= 1 else min(jobs, prof.subjects), progress=progress)
    timings["evaluate_s"] = time.perf_counter() - t

    t = time.perf_counter()
    echo("[4/5] spotting the apex of every clip (training-free flow-magnitude baseline)")
    from ..spotting.dataset_run import spot_dataset

    spotted = spot_dataset(table, out / "spotting", method="baseline", max_plots=0, echo=lambda s: None)
    timings["spot_s"] = time.perf_counter() - t

    t = time.perf_counter()
    echo("[5/5] writing the report")
    report_dir = out / "report"
    metrics, config, items = _write_report(report_dir, out, prof, sim, pre, result, model_name, seed, spotted)
    timings["report_s"] = time.perf_counter() - t
    t = time.perf_counter()
    metrics["flow_gan"] = _flow_gan_grid(samples, report_dir / "flow_gan_grid.png", prof.gan_epochs, seed)
    timings["flow_gan_s"] = time.perf_counter() - t
    if prof.generated_clip:
        t = time.perf_counter()
        metrics["generated_clip"] = _generated_clip(out, report_dir / "generated_clip.png", prof, seed)
        timings["generate_s"] = time.perf_counter() - t
    if prof.recording_s > 0:
        t = time.perf_counter()
        echo(f"      a {prof.recording_s:g}-second recording: every expression spotted, each micro-expression "
             f"recognised, scored against the simulator's truth")
        metrics["recording"] = _whole_recording(out, samples, pre_dir, prof, model_name, seed)
        timings["recording_s"] = time.perf_counter() - t
    timings = {k: round(v, 2) for k, v in timings.items()}
    timings["total_s"] = round(sum(timings.values()), 2)
    metrics["timings"] = timings
    atomic_write_json(report_dir / "metrics.json", metrics)
    atomic_write_text(report_dir / "index.html", _index_html(metrics, config, items))
    full = metrics["recognition"]
    echo(f"UF1 {full['uf1']:.3f}  UAR {full['uar']:.3f}  accuracy {full['accuracy']:.3f}  "
         f"({full['n']} clips, chance UF1 ~ {1 / len(samples.classes):.2f}); apex spotting MAE "
         f"{metrics['spotting']['mae_frames']:.1f} frames; {timings['total_s']:.0f} s")
    return DemoResult(out, report_dir, metrics, timings)


#: Sub-folders the demo replaces on a re-run, and a file or folder that shows an earlier demo wrote them.
OUTPUT_MARKERS: dict[str, tuple[str, ...]] = {"preprocessed": ("preprocess.json", "clips"),
                                              "evaluation": ("config.yaml",), "report": ("demo.yaml",),
                                              "model": ("model.json",), "recording": ("recording.mp4",)}


def _check_replaceable(out: Path) -> None:
    """Refuse, before any work, an ``out`` whose sub-folders the demo would replace but did not write."""
    for name, markers in OUTPUT_MARKERS.items():
        path = out / name
        if path.exists() and not any((path / m).exists() for m in markers):
            raise ConfigError(f"{path} exists but was not written by the demo (none of {list(markers)} in it); "
                              "choose another --out")


def _clear_earlier_output(path: Path) -> None:
    """Remove a sub-folder written by an earlier demo (checked by :func:`_check_replaceable`)."""
    _check_replaceable(path.parent)
    if path.exists():
        shutil.rmtree(path)


def _spotting_metrics(spotted) -> dict:
    err = (spotted["spotted_apex"] - spotted["annotated_apex"].astype(float)).abs()
    middle = (spotted["onset"] + (spotted["offset"] - spotted["onset"]) // 2 - spotted["annotated_apex"]).abs()
    return {"method": "baseline (onset-to-frame flow magnitude, SW-Max)", "clips": int(len(spotted)),
            "mae_frames": float(err.mean()), "within_2_frames": float((err <= 2).mean()),
            "mae_frames_middle_guess": float(middle.mean())}


def _write_report(report_dir: Path, out: Path, prof: DemoProfile, sim, pre, result, model_name: str, seed: int,
                  spotted) -> tuple[dict, dict, list[dict]]:
    import yaml

    from ..simulate import read_ground_truth

    _clear_earlier_output(report_dir)
    report_dir.mkdir(parents=True)
    full = result.metrics["full"]
    metrics = {
        "recognition": {**{k: full[k] for k in ("uf1", "uar", "accuracy")}, "n": int(len(result.predictions))},
        "per_class": full.get("per_class", {}),
        "confusion_matrix": full.get("confusion_matrix"),
        "classes": list(full.get("per_class", {})),
        "model": model_name, "protocol": "loso", "folds": result.metrics.get("folds"),
        "dataset": sim.to_dict() | {"root": str(sim.root)},
        "preprocess": {"done": pre.done, "cached": pre.cached, "failed": pre.failed},
        "spotting": _spotting_metrics(spotted),
    }
    config = {"profile": asdict(prof), "seed": seed, "model": model_name, "out": str(out)}
    atomic_write_text(report_dir / "demo.yaml", yaml.safe_dump(config, sort_keys=False))
    shutil.copyfile(out / "evaluation" / "confusion_matrix.png", report_dir / "confusion_matrix.png")

    truth = read_ground_truth(out / "dataset")
    examples = _pick_examples(truth["clips"], result.predictions, prof.examples)
    items = []
    for clip in examples:
        name = f"{clip['folder']}_{clip['filename']}"
        frames_dir = out / "dataset" / "CASME2_RAW_selected" / clip["folder"] / clip["filename"]
        frames = [read_image(frames_dir / f"img{clip['onset_frame'] + i}.jpg", "rgb") for i in range(clip["n_frames"])]
        atomic_write_image(report_dir / "examples" / f"{name}.png", _example_panel(frames, clip))
        npz = out / "preprocessed" / "clips" / "casme2" / clip["folder"] / f"{clip['filename']}.npz"
        flow_rel = ""
        if npz.is_file():
            from .pictures import make_picture

            picture = make_picture("flow", npz)
            if picture.shape[0] < REPORT_PICTURE_HEIGHT:  # small faces: enlarge without smoothing
                import cv2

                k = REPORT_PICTURE_HEIGHT / picture.shape[0]
                picture = cv2.resize(picture, None, fx=k, fy=k, interpolation=cv2.INTER_NEAREST)
            atomic_write_image(report_dir / "flow" / f"{name}.png", picture)
            flow_rel = f"flow/{name}.png"
        _motion_plot(frames, clip, report_dir / "motion" / f"{name}.png")
        items.append({"name": name, "clip": clip, "example": f"examples/{name}.png", "flow": flow_rel,
                      "motion": f"motion/{name}.png"})
    return metrics, config, items


def _fidelity_text(fidelity: dict) -> str:
    return ", ".join(f"{100 * v:.0f}% ({html.escape(str(k))})" for k, v in fidelity.items()) + " of the cases"


def _flow_gan_grid(samples, path: Path, epochs: int, seed: int) -> dict:
    """Fit the class-conditional flow GAN (paper 004) on every clip's 28x28 flow and draw real vs
    generated flows per class. An illustration only: the LOSO evaluation above does not use it."""
    from ..augment.cgan import GANConfig, class_fidelity, train_flow_gan, write_sample_grid

    flows, labels = samples.arrays("flow"), np.array(samples.y)
    config = GANConfig(epochs=epochs, batch_size=GAN_BATCH_SIZE, **CLASS_FAITHFUL_GAN)
    gan = train_flow_gan(flows, labels, len(samples.classes), config, seed=seed)
    per_class = 8
    wanted = np.repeat(np.unique(labels), per_class)
    generated = gan.sample(wanted, seed=seed)
    write_sample_grid(path, generated, wanted, per_row=per_class, real_flows=flows, real_labels=labels)
    fidelity = class_fidelity(flows, labels, generated, wanted)["recall_per_class"]
    return {"epochs": epochs, "trained_on": int(len(flows)), "grid": path.name,
            "settings": dict(CLASS_FAITHFUL_GAN),
            "fidelity": {samples.classes[k]: round(v, 3) for k, v in fidelity.items()},
            "final_losses": gan.history[-1] if gan.history else {}}


def _whole_recording(out: Path, samples, pre_dir: Path, prof: DemoProfile, model_name: str, seed: int) -> dict:
    """What a user does with a recording: fit the recogniser on every clip (``microexp train``),
    simulate a recording of a new person with raised expression rates, and analyse it with the
    built-in spotter against the simulator's truth (``microexp analyse --truth``)."""
    from ..datasets.long_videos import write_long_video_sheet
    from ..simulate.long_recording import simulate_recording, write_recording
    from .analyse_recording import analyse_recording
    from .recording_truth import truth_for_recording
    from .train import train_model

    for name in ("model", "recording"):
        _clear_earlier_output(out / name)
    train_model(dataset="preprocessed", root=pre_dir, out=out / "model", model=model_name, seed=seed,
                progress=False, echo=lambda s: None, table=samples)
    rec = simulate_recording("casme_sq", seconds=prof.recording_s, fps=30.0, seed=seed + 7000, subject="demo",
                             video="recording", micro_per_minute=6, macro_per_minute=3)
    video = out / "recording" / "recording.mp4"
    sheet = write_long_video_sheet(write_recording(video, rec), out / "recording" / "truth.csv")
    report = analyse_recording(video, out / "model", out / "recording" / "page", cache_dir=out / "recording" / "cache",
                               truth=truth_for_recording(sheet, video), echo=lambda s: None).report
    ivs = report["intervals"]
    return {"seconds": prof.recording_s, "frames": report["recording"]["frames"], "spotter": report["spotter"]["name"],
            "micro": sum(i["type"] == "micro" for i in ivs), "macro": sum(i["type"] == "macro" for i in ivs),
            "true_micro": sum(g["type"] == "micro" for g in report["ground_truth"]),
            "true_macro": sum(g["type"] == "macro" for g in report["ground_truth"]),
            "truth_scores": report["truth_scores"], "page": "../recording/page/index.html"}


def _recording_html(m: dict | None) -> str:
    if not m:
        return ""
    s = m["truth_scores"]
    return (f'<h2>A whole recording</h2><p>A {m["seconds"]:g}-second recording of a new synthetic person '
            f'({m["frames"]} frames; {m["true_micro"]} micro- and {m["true_macro"]} macro-expressions in the '
            f'simulator\'s truth), analysed as a user\'s would be: the recogniser above fitted on every clip, the '
            f'{html.escape(m["spotter"])} spotter, every micro-expression recognised. Spotted {m["micro"]} micro and '
            f'{m["macro"]} macro intervals; against the truth (MEGC: IoU ≥ 0.5, one to one) micro F1 '
            f'{s["micro"]["f1"]:.3f}, macro F1 {s["macro"]["f1"]:.3f}, overall F1 <b>{s["overall"]["f1"]:.3f}</b>. '
            f'<a href="{html.escape(m["page"])}">Open the recording\'s page</a>.</p>')


def _generated_clip(out: Path, path: Path, prof: DemoProfile, seed: int) -> dict:
    """Animate a new synthetic person with the AU sequence read from a simulated clip (paper 002:
    landmark AU estimation, modulation, AU-driven warp) and draw source vs generated frames."""
    from ..augment.famgan import calibrate_on_rendered_clips, transfer_clip
    from ..simulate import make_identity, read_ground_truth
    from .pictures import panel

    clips = [c for c in read_ground_truth(out / "dataset")["clips"] if c["megc3"] is not None]
    source = max(clips, key=lambda c: c["max_displacement_px"])
    folder = out / "dataset" / "CASME2_RAW_selected" / source["folder"] / source["filename"]
    frames = np.stack([read_image(folder / f"img{source['onset_frame'] + i}.jpg", "rgb")
                       for i in range(source["n_frames"])])
    # calibration identities lie outside the dataset's population (indices from 200 on)
    estimator = calibrate_on_rendered_clips(range(200, 202), 4, seed=seed)
    target = make_identity(prof.subjects + 50, seed)
    result = transfer_clip(frames, np.array(target.image), estimator, target_landmarks=np.array(target.landmarks))
    gen = result.frames
    apex = source["apex_index"]
    atomic_write_image(path, panel([frames[0], frames[apex], _difference(frames[apex], frames[0]),
                                    gen[0], gen[apex], _difference(gen[apex], gen[0])]))
    peak = {a: round(float(max(result.left[:, k].max(), result.right[:, k].max())), 3)
            for k, a in enumerate(result.aus) if max(result.left[:, k].max(), result.right[:, k].max()) > 0.05}
    info = {"source": f"{source['folder']}/{source['filename']}", "source_emotion": source["emotion"],
            "source_action_units": source["action_units"], "estimated_peak_aus": peak, "frames": int(len(gen)),
            "picture": path.name}
    if prof.animator_steps > 0:
        info["learned"] = _learned_animation(result, target, apex, path.with_name("generated_clip_learned.png"),
                                             prof.animator_steps, seed)
    return info


def _learned_animation(result, target, apex: int, path: Path, steps: int, seed: int) -> dict:
    """The same AU sequences replayed by the learned animator (trained here on simulator pairs of
    synthetic people outside the dataset): a strip of frames from onset to offset, and the apex change."""
    from ..augment.famgan import animate_face
    from ..augment.famgan.learned_animator import animator_pairs, train_animator
    from ..simulate import make_identity
    from .pictures import panel

    faces = [(make_identity(300 + i, seed).image, make_identity(300 + i, seed).landmarks) for i in range(6)]
    animator = train_animator(animator_pairs(faces, 20, result.aus, seed=seed, guided=True), steps=steps, seed=seed)
    frames = animate_face(np.array(target.image), np.array(target.landmarks), result.left, result.right,
                          result.aus, animator)
    picks = np.unique(np.linspace(0, len(frames) - 1, 6).round().astype(int))
    atomic_write_image(path, panel([frames[i] for i in picks] + [_difference(frames[apex], frames[0])]))
    last = animator.history[-1]
    return {"picture": path.name, "steps": steps, "frames_shown": [int(i) for i in picks],
            "held_in_l1": round(last["l1"], 5), "copy_l1": round(last["l1_copy"], 5)}


def _learned_html(learned: dict | None) -> str:
    if not learned:
        return ""
    esc = html.escape
    frames = ", ".join(str(i) for i in learned["frames_shown"])
    return (f'<p>The same AU sequences replayed by the <b>learned animator</b> (displacement, attention and colour '
            f'heads; {learned["steps"]} training steps on simulator pairs of six synthetic people outside this '
            f'dataset): frames {esc(frames)}, then |apex − onset| × 8.</p>'
            f'<p><img src="{esc(learned["picture"])}" alt="learned animation"></p>')


def _pick_examples(clips: list[dict], predictions, n: int) -> list[dict]:
    """Up to ``n`` clips, one per MEGC class first, preferring clips that were evaluated."""
    evaluated = {(str(s).split("/")[-1], c) for s, c in zip(predictions["subject"], predictions["clip"])}
    chosen, classes = [], set()
    for clip in clips:
        if (clip["folder"], clip["filename"]) in evaluated and clip["megc3"] not in classes:
            chosen.append(clip)
            classes.add(clip["megc3"])
    return chosen[:n]


def _example_panel(frames: list[np.ndarray], clip: dict) -> np.ndarray:
    """Onset and apex frames with true (green) and detected (red) landmarks, and |apex - onset| x 8."""
    import cv2

    from ..face import draw_landmarks, find_face, landmarks_68
    from .pictures import panel

    tiles = []
    for i in (0, clip["apex_index"]):
        img = draw_landmarks(frames[i], clip["landmarks"][i], radius=1)
        found = find_face(frames[i])
        if found.strategy != "whole_frame":
            for x, y in landmarks_68(frames[i], found.box):
                cv2.circle(img, (int(round(x)), int(round(y))), 1, (255, 40, 40), -1, cv2.LINE_AA)
        tiles.append(img)
    tiles.append(_difference(frames[clip["apex_index"]], frames[0]))
    return panel(tiles)


def _difference(a: np.ndarray, b: np.ndarray, gain: int = 8) -> np.ndarray:
    """|a - b| x gain as uint8: micro-expressions are too small to see without amplification."""
    return np.clip(np.abs(a.astype(np.int16) - b.astype(np.int16)) * gain, 0, 255).astype(np.uint8)


def _motion_plot(frames: list[np.ndarray], clip: dict, path: Path) -> None:
    """The apex spotter's intensity curve (from detected landmarks) against the true AU intensity and apex."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..io import save_figure
    from ..spotting import spot_apex
    from ..spotting.dataset_run import onset_landmarks

    spotted, curve = spot_apex(np.stack(frames), 0, None, "baseline", landmarks=onset_landmarks(frames[0]))
    curves = clip["au_intensity_per_frame"]
    profile = np.max(np.abs(np.array(list(curves.values()))), axis=0) if curves else np.zeros(len(frames))
    fig, ax = plt.subplots(figsize=(5.5, 3.0))
    ax.plot(curve, label="spotting curve (flow magnitude)", color="tab:blue")
    ax2 = ax.twinx()
    ax2.plot(profile, label="true AU intensity", color="tab:green", linestyle="--")
    ax.axvline(clip["apex_index"], color="tab:green", linestyle=":", label="true apex")
    ax.axvline(spotted, color="tab:red", linestyle=":", label=f"spotted apex ({spotted})")
    ax.set_xlabel("frame after onset")
    ax.set_title(f"{clip['folder']}/{clip['filename']}: {clip['emotion']} (AU {clip['action_units']})", fontsize=9)
    lines = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(lines, [ln.get_label() for ln in lines], fontsize=7, loc="upper right")
    save_figure(fig, path)
    plt.close(fig)


def _index_html(metrics: dict, config: dict, items: list[dict]) -> str:
    r = metrics["recognition"]
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(c)}</td><td>{v.get('f1', float('nan')):.3f}</td><td>{v.get('recall', float('nan')):.3f}</td>"
        f"<td>{v.get('support', '')}</td></tr>" for c, v in metrics.get("per_class", {}).items() if isinstance(v, dict))
    per_class = f"<table><tr><th>class</th><th>F1</th><th>recall</th><th>clips</th></tr>{rows}</table>" if rows else ""
    ds = metrics["dataset"]
    blocks = []
    for it in items:
        c = it["clip"]
        flow = f'<p><img src="{esc(it["flow"])}" alt="flow"><br>aligned apex face | onset→apex flow ' \
               f'(hue = direction, brightness = magnitude) | optical strain</p>' if it["flow"] else ""
        blocks.append(
            f'<h3>{esc(it["name"])}: {esc(str(c["emotion"]))} ({esc(str(c["megc3"]))}), '
            f'AU {esc(str(c["action_units"]))}, '
            f'apex at frame {c["apex_index"]} of {c["n_frames"]}, peak motion {c["max_displacement_px"]:.1f} px</h3>'
            f'<p><img src="{esc(it["example"])}" alt="frames"><br>onset | apex (green: true landmarks, red: detected) '
            f'| |apex − onset| × 8</p>{flow}'
            f'<p><img src="{esc(it["motion"])}" alt="spotting curve"></p>')
    g = metrics.get("generated_clip")
    generated = "" if not g else (
        f'<h2>A generated clip</h2><p>The action units of {esc(g["source"])} ({esc(str(g["source_emotion"]))}, '
        f'AU {esc(str(g["source_action_units"]))}) read from its detected landmarks and replayed on a new synthetic '
        f'person (paper 002: landmark AU estimation, modulation, AU-driven warp). Estimated peak AUs: '
        f'{esc(", ".join(f"{k} {v:.2f}" for k, v in g["estimated_peak_aus"].items()))}.</p>'
        f'<p><img src="{esc(g["picture"])}" alt="generated clip"><br>source onset | source apex | |difference| × 8 | '
        f'generated onset | generated apex | |difference| × 8</p>' + _learned_html(g.get("learned")))
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>microexp demo</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td,th{{padding:2px 10px;text-align:right}}
img{{max-width:100%}}</style></head><body>
<h1>microexp demo</h1>
<p>{ds['n_clips']} simulated clips of {ds['n_subjects']} synthetic subjects ({ds['n_frames']} frames, CASME II layout,
profile amplitude {config['profile']['amplitude']}, difficulty {esc(config['profile']['difficulty'])}),
preprocessed (face alignment, {esc(config['profile']['flow_method'])} optical flow and strain) and recognised with
<b>{esc(metrics['model'])}</b> under leave-one-subject-out, in the three MEGC2019 classes
({r['n']} clips; clips labelled <i>others</i> have no MEGC class).</p>
<h2>Recognition</h2>
<p><b>UF1 {r['uf1']:.3f}</b> &nbsp; UAR {r['uar']:.3f} &nbsp; accuracy {r['accuracy']:.3f}</p>
{per_class}
<p><img src="confusion_matrix.png" alt="confusion matrix"></p>
<p>Files: <a href="metrics.json">metrics.json</a>, <a href="demo.yaml">demo.yaml</a>,
<a href="../evaluation/predictions.csv">predictions.csv</a>,
<a href="../dataset/ground_truth.json">ground truth</a>.</p>
<h2>Apex spotting</h2>
<p>Training-free baseline (onset-to-frame optical-flow magnitude, head motion removed, eyes masked,
SW-Max decoder) on {metrics['spotting']['clips']} clips: mean absolute error
<b>{metrics['spotting']['mae_frames']:.2f} frames</b>, {100 * metrics['spotting']['within_2_frames']:.0f}% within
2 frames of the true apex (guessing the middle of onset–offset: {metrics['spotting']['mae_frames_middle_guess']:.2f}
frames). Files: <a href="../spotting/apex_frames.csv">apex_frames.csv</a>.</p>
<h2>Generated optical flows</h2>
<p>A class-conditional GAN (paper 004's generator; a projection discriminator with an auxiliary class loss)
fitted on the clips' 28&times;28 onset→apex flows (u, v, strain as R, G, B); per class, a row of real flows above
a row of generated ones. An RBF SVM fitted on the real flows gives the generated flows the class they were asked
for in {_fidelity_text(metrics['flow_gan']['fidelity'])}. For illustration: the recognition above does not
use it (inside an evaluation, a GAN may only see the training subjects of each fold).</p>
<p><img src="flow_gan_grid.png" alt="GAN flow grid"></p>
{generated}
{_recording_html(metrics.get("recording"))}
<h2>Examples</h2>
{''.join(blocks)}
</body></html>
"""
