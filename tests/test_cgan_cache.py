"""The per-fold GAN cache: reused only for the same data, settings and version; never runs code."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

from microexp.augment.cgan import FlowGANAugmenter, load_generator
from microexp.augment.cgan import augmenter as augmenter_module
from microexp.errors import DataError

torch.set_num_threads(1)

KW = dict(per_class=2, epochs=1, generator_width=8, discriminator_width=8, latent_dim=8)


def _toy(n_per_class=4, size=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((3 * n_per_class, 3, size, size)).astype(np.float32)
    y = np.repeat(np.arange(3), n_per_class)
    return X, y


class _MakesMarker:
    """Unpickling this object creates the folder ``marker``: the stand-in for code in a pickle."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def _payload_file(path, marker):
    torch.save({"format": "microexp-flow-gan-generator/1", "state_dict": _MakesMarker(marker), "num_classes": 3,
                "config": {}, "image_size": 12, "channels": 3, "history": []}, path)
    return path


def test_the_payload_is_live_without_weights_only(tmp_path):
    """Guards the tests below: the crafted file does run code when loaded the unsafe way."""
    marker = tmp_path / "ran"
    path = _payload_file(tmp_path / "evil.pt", marker)
    torch.load(path, weights_only=False)
    assert marker.is_dir()


def test_load_generator_refuses_a_pickle_payload_naming_the_file(tmp_path):
    marker = tmp_path / "ran"
    path = _payload_file(tmp_path / "generator.pt", marker)
    with pytest.raises(DataError, match="generator.pt"):
        load_generator(path)
    assert not marker.exists()


@pytest.mark.parametrize("content", [b"", b"not a torch file", b"\x80\x02}q\x00."])
def test_load_generator_refuses_other_files(tmp_path, content):
    path = tmp_path / "junk.pt"
    path.write_bytes(content)
    with pytest.raises(DataError, match="junk.pt"):
        load_generator(path)
    with pytest.raises(DataError, match="missing"):
        load_generator(tmp_path / "absent.pt")


def test_a_cached_generator_round_trips_with_weights_only(tmp_path):
    X, y = _toy()
    aug = FlowGANAugmenter(cache_dir=tmp_path, **KW)
    aug.fit_generate(X, y, None, 0)
    path = tmp_path / aug.last_key / "generator.pt"
    torch.load(path, weights_only=True)  # tensors and plain values only
    gan = load_generator(path)
    fitted = aug.last_gan
    assert gan.num_classes == fitted.num_classes and gan.history == fitted.history
    np.testing.assert_array_equal(gan.sample(np.array([0, 2]), seed=5), fitted.sample(np.array([0, 2]), seed=5))


def test_a_cache_entry_with_a_pickle_payload_is_refitted_and_never_run(tmp_path):
    X, y = _toy()
    first = FlowGANAugmenter(cache_dir=tmp_path, **KW)
    X1, _ = first.fit_generate(X, y, None, 0)
    entry = tmp_path / first.last_key
    marker = tmp_path / "ran"
    _payload_file(entry / "generator.pt", marker)
    second = FlowGANAugmenter(cache_dir=tmp_path, **KW)
    X2, _ = second.fit_generate(X, y, None, 0)
    assert not marker.exists()
    assert second.last_cache_hit is False and second.last_key == first.last_key
    np.testing.assert_array_equal(X1, X2)  # the same fit again, deterministically
    load_generator(entry / "generator.pt")  # the entry was rewritten with a real generator
    third = FlowGANAugmenter(cache_dir=tmp_path, **KW)
    third.fit_generate(X, y, None, 0)
    assert third.last_cache_hit is True and not marker.exists()


def test_cache_misses_on_changed_data_of_the_same_shape(tmp_path):
    X, y = _toy()
    aug = FlowGANAugmenter(cache_dir=tmp_path, **KW)
    aug.fit_generate(X, y, None, 0)
    key = aug.last_key
    aug.fit_generate(X, y, None, 0)
    assert aug.last_cache_hit is True and aug.last_key == key
    changed = X.copy()
    changed[0, 0, 0, 0] = 1.0 - changed[0, 0, 0, 0]
    aug.fit_generate(changed, y, None, 0)
    assert aug.last_cache_hit is False and aug.last_key != key
    relabelled = y.copy()
    relabelled[[0, -1]] = relabelled[[-1, 0]]
    aug.fit_generate(X, relabelled, None, 0)
    assert aug.last_cache_hit is False and aug.last_key != key
    aug.fit_generate(X, y, None, 0)
    assert aug.last_cache_hit is True


def test_cache_misses_for_another_microexp_version(tmp_path, monkeypatch):
    X, y = _toy()
    aug = FlowGANAugmenter(cache_dir=tmp_path, **KW)
    aug.fit_generate(X, y, None, 0)
    key = aug.last_key
    meta = json.loads((tmp_path / key / "meta.json").read_text())
    assert set(meta["identity"]) == {"format", "microexp", "settings", "data"}
    monkeypatch.setattr(augmenter_module, "package_version", lambda: "999.0")
    aug.fit_generate(X, y, None, 0)
    assert aug.last_cache_hit is False and aug.last_key != key


def test_an_entry_whose_record_does_not_match_is_not_reused(tmp_path):
    """meta.json is checked as well as the folder name (an old entry, or a copied folder)."""
    X, y = _toy()
    aug = FlowGANAugmenter(cache_dir=tmp_path, **KW)
    aug.fit_generate(X, y, None, 0)
    meta_path = tmp_path / aug.last_key / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["identity"]["data"] = "0" * 64
    meta_path.write_text(json.dumps(meta))
    aug.fit_generate(X, y, None, 0)
    assert aug.last_cache_hit is False
    aug.fit_generate(X, y, None, 0)
    assert aug.last_cache_hit is True  # refitted and stored with the right record
