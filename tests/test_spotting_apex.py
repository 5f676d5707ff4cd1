"""spot_apex on synthetic clips with a known apex, the loader hook, the CLI, and real frames."""
import numpy as np
import pytest

from microexp.errors import DataError
from microexp.spotting import apex_spotter, eye_mask, spot_apex
from microexp.spotting.synthetic import synthetic_apex_clip, synthetic_face


def _clip(seed=0, blink=0.0, n=24):
    rng = np.random.default_rng(seed)
    return synthetic_apex_clip(rng, n_frames=n, size=48, blink_prob=blink, head_motion=0.3, noise=1.0)


def test_baseline_finds_the_apex_of_a_clean_clip():
    clip = _clip(1)
    index, curve = spot_apex(clip.frames, method="baseline", decoder="max")
    assert curve.shape == (len(clip.frames),)
    assert abs(index - clip.apex) <= 2
    index_sw, _ = spot_apex(clip.frames, method="baseline_strain")
    assert abs(index_sw - clip.apex) <= 3


def test_onset_offset_window_and_hook():
    clip = _clip(2, n=30)
    index, curve = spot_apex(clip.frames, onset=2, offset=25, method="baseline", decoder="max")
    assert 2 <= index <= 25
    assert np.all(curve[:2] == 0) and np.all(curve[26:] == 0)
    hook = apex_spotter("baseline", decoder="max")
    assert hook(clip.frames) == spot_apex(clip.frames, method="baseline", decoder="max")[0]
    with pytest.raises(DataError):
        spot_apex(clip.frames, onset=10, offset=5)
    with pytest.raises(DataError):
        spot_apex(clip.frames, method="no_such_method")


def test_eye_mask_keeps_blinks_from_winning():
    from microexp.spotting import FlowPreparation

    masked_err, plain_err = [], []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        clip = synthetic_apex_clip(rng, n_frames=30, size=48, face=synthetic_face(rng, 48), blink_prob=1.0,
                                   head_motion=0.0, noise=0.5)
        masked, _ = spot_apex(clip.frames, method="baseline", decoder="max")
        plain, _ = spot_apex(clip.frames, method="baseline", decoder="max",
                             prep=FlowPreparation(mask_eyes=False, compensate_head=False))
        masked_err.append(abs(masked - clip.apex))
        plain_err.append(abs(plain - clip.apex))
    assert np.mean(masked_err) <= 1.5 < np.mean(plain_err)
    assert eye_mask((48, 48)).any()


def test_cli_spot_writes_apex_csv_and_curves(tmp_path):
    import cv2
    import pandas as pd
    from typer.testing import CliRunner

    from microexp.cli.main import app

    clip = _clip(3, n=20)
    folder = tmp_path / "clip"
    folder.mkdir()
    for i, f in enumerate(clip.frames):
        cv2.imwrite(str(folder / f"img{i + 1}.png"), f)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["spot", "--dataset", "video", "--root", str(folder), "--out", str(out),
                                   "--no-landmarks", "--decoder", "max"])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "apex_frames.csv")
    assert len(table) == 1
    assert abs(int(table["spotted_index"][0]) - clip.apex) <= 2
    assert list((out / "curves").glob("*.png")) and (out / "metrics.json").is_file()


def test_real_casme2_frames_give_an_index_and_a_curve_picture(shared_data, tmp_path):
    from microexp.io import read_image
    from microexp.spotting.plots import plot_intensity_curve

    folder = shared_data / "casme2-sample"
    paths = sorted(folder.glob("*.jpg"))
    if len(paths) < 10:
        pytest.skip(f"the ten CASME II sample frames are not in {folder}")
    frames = np.stack([read_image(p, "gray") for p in paths])
    index, curve = spot_apex(frames, method="baseline")
    assert 0 <= index < len(frames) and curve.shape == (len(frames),)
    assert np.all(np.isfinite(curve)) and curve.max() > 0
    png = plot_intensity_curve(tmp_path / "casme2_curve.png", {"baseline": curve}, None, {"spotted": index})
    assert png.stat().st_size > 1000
