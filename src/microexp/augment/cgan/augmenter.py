"""Per-fold GAN augmentation: fit the conditional DC-GAN on a training fold, add synthetic flows.

The trainer calls :meth:`FlowGANAugmenter.fit_generate` inside ``fit`` with the training fold only,
so the GAN never sees a test subject; the synthetic samples join training, never testing
(paper 004 §4.3: "augmented data are only applicable during the training process").

GANs are cached per fold under ``cache_dir/<key>/``. The key is made of the fold's identity: a
digest of the training arrays and labels, a digest of every hyper-parameter, the cache format and
the microexp version; so a repeated run (or a second recogniser on the same folds) skips the GAN
fit, while changed data, settings or code fit a new GAN. ``meta.json`` in an entry records that
identity and is checked on reuse; the generator is read with ``torch.load(weights_only=True)``, and
an entry that does not read back cleanly is fitted again, never trusted.
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np

from ...errors import DataError
from ...identity import package_version, settings_digest
from ...io import atomic_write_json, atomic_write_npz
from .training import GANConfig, load_generator, save_generator, train_flow_gan

log = logging.getLogger(__name__)

#: Synthetic flows per class (paper 004 §4.3: "For each ME emotion category, 100 synthetic optical flows").
PAPER_PER_CLASS = 100
#: Bumped when the layout of a cache entry changes (the microexp version is in the key as well).
CACHE_FORMAT_VERSION = "cgan-v2"


def to_channels_first_unit(X: np.ndarray) -> tuple[np.ndarray, bool, float]:
    """``X`` as ``(N, C, S, S)`` float32 in [0, 1], whether it was channels-last, and its scale (1 or 255)."""
    X = np.asarray(X)
    if X.ndim != 4:
        raise DataError(f"GAN augmentation needs image-shaped flows (N, C, H, W) or (N, H, W, C); got {X.shape}")
    channels_last = X.shape[-1] in (1, 2, 3) and X.shape[1] not in (1, 2, 3)
    if channels_last:
        X = X.transpose(0, 3, 1, 2)
    if X.shape[2] != X.shape[3]:
        raise DataError(f"GAN augmentation needs square flows; got {X.shape[2]}×{X.shape[3]}")
    scale = 255.0 if X.dtype == np.uint8 or float(np.nanmax(X)) > 1.5 else 1.0
    X01 = X.astype(np.float32) / scale
    lo, hi = float(np.nanmin(X01)), float(np.nanmax(X01))
    if lo < -1e-4 or hi > 1 + 1e-4:
        raise DataError(f"GAN augmentation needs flows scaled to [0, 1] (or [0, 255]); got values in [{lo:.3g}, {hi:.3g}]")
    return X01, channels_last, scale


def data_digest(X: np.ndarray, y: np.ndarray) -> str:
    """SHA-256 of a training fold: the flows (as float32) and labels (as int64), shapes included."""
    h = hashlib.sha256()
    for arr in (np.ascontiguousarray(X, dtype=np.float32), np.ascontiguousarray(y, dtype=np.int64)):
        h.update(str(arr.shape).encode())
        h.update(arr.tobytes())
    return h.hexdigest()


def cache_identity(X: np.ndarray, y: np.ndarray, params: dict) -> dict:
    """What a cache entry was made from: format, microexp version, settings and training data."""
    return {"format": CACHE_FORMAT_VERSION, "microexp": package_version(),
            "settings": settings_digest(params), "data": data_digest(X, y)}


def entry_name(identity: dict) -> str:
    """Folder name of the cache entry with this :func:`cache_identity`."""
    return settings_digest(identity)[:24]


def cache_key(X: np.ndarray, y: np.ndarray, params: dict) -> str:
    """Folder name of the cache entry for this fold and these settings."""
    return entry_name(cache_identity(X, y, params))


class FlowGANAugmenter:
    """Class-conditional synthetic flows for a training fold.

    Parameters
    ----------
    per_class: synthetic samples per class present in the fold.
    epochs: GAN epochs per fold (a budget; no early stopping, nothing is chosen on test data).
    seed: default seed when ``fit_generate`` gets none.
    cache_dir: folder for per-fold GAN caches (``None``: no cache).
    pin_seed: always use ``seed``, whatever seed the caller passes, so recognisers trained with
        different seeds on the same fold share one GAN (and one cache entry).
    """

    def __init__(self, per_class: int = PAPER_PER_CLASS, epochs: int = 30, seed: int = 0,
                 cache_dir: str | Path | None = None, batch_size: int = 16, pin_seed: bool = False, **gan_kwargs):
        self.per_class = int(per_class)
        self.epochs = int(epochs)
        self.seed = int(seed)
        self.pin_seed = bool(pin_seed)
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self.config = GANConfig(epochs=self.epochs, batch_size=batch_size, **gan_kwargs)
        self.last_cache_hit: bool | None = None
        self.last_gan = None
        self.last_key: str | None = None

    def params(self, seed: int) -> dict:
        return {"per_class": self.per_class, "seed": int(seed), **self.config.as_dict()}

    def fit_generate(self, X_train: np.ndarray, y_train: np.ndarray, groups=None, seed: int | None = None
                     ) -> tuple[np.ndarray, np.ndarray]:
        """Fit a GAN on the training fold and return ``per_class`` synthetic samples per class.

        ``X_train`` may be ``(N, C, S, S)`` or ``(N, S, S, C)``, in [0, 1] or [0, 255]; ``X_extra``
        comes back in the same layout, scale and dtype. ``groups`` (subjects) is not used by the
        GAN; it is accepted for the trainer's augmenter contract.
        """
        seed = self.seed if seed is None or self.pin_seed else int(seed)
        y_train = np.asarray(y_train, dtype=np.int64)
        X01, channels_last, scale = to_channels_first_unit(X_train)
        if len(X01) != len(y_train):
            raise DataError(f"{len(X01)} training samples but {len(y_train)} labels")
        present = np.unique(y_train)
        num_classes = int(y_train.max()) + 1
        params = self.params(seed)
        identity = cache_identity(X01, y_train, params)
        key = entry_name(identity)
        self.last_key = key
        synthetic = self._load_cached(key, identity)
        self.last_cache_hit = synthetic is not None
        if synthetic is None:
            gan = train_flow_gan(X01, y_train, num_classes, self.config, seed=seed)
            self.last_gan = gan
            labels = np.repeat(present, self.per_class)
            synthetic = (gan.sample(labels, seed=seed + 1), labels)
            self._store(key, gan, synthetic, params, identity, len(y_train))
        X_extra, y_extra = synthetic
        if channels_last:
            X_extra = X_extra.transpose(0, 2, 3, 1)
        dtype = np.asarray(X_train).dtype
        X_extra = X_extra * scale
        if np.issubdtype(dtype, np.integer):
            X_extra = np.rint(X_extra)
        X_extra = X_extra.astype(dtype if dtype.kind in "fiu" else np.float32)
        return X_extra, y_extra.astype(y_train.dtype)

    def _entry(self, key: str) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / key

    def _load_cached(self, key: str, identity: dict):
        entry = self._entry(key)
        if entry is None or not (entry / "samples.npz").is_file():
            return None
        try:
            meta = json.loads((entry / "meta.json").read_text())
            if not isinstance(meta, dict) or meta.get("identity") != identity:
                log.info("GAN cache entry %s was made from other data, settings or code; fitting again", entry)
                return None
            with np.load(entry / "samples.npz", allow_pickle=False) as z:
                found = (z["X"].astype(np.float32), z["y"].astype(np.int64))
            if (entry / "generator.pt").is_file():
                self.last_gan = load_generator(entry / "generator.pt")
            return found
        except Exception as exc:  # a damaged or foreign entry is refitted rather than trusted
            log.warning("ignoring unreadable GAN cache entry %s: %s", entry, exc)
            return None

    def _store(self, key: str, gan, synthetic, params: dict, identity: dict, n_train: int) -> None:
        entry = self._entry(key)
        if entry is None:
            return
        entry.mkdir(parents=True, exist_ok=True)
        (entry / "samples.npz").unlink(missing_ok=True)  # the entry is incomplete until rewritten
        save_generator(gan, entry / "generator.pt")
        atomic_write_json(entry / "meta.json", {"identity": identity, "params": params, "n_train": n_train,
                                                "history": gan.history, "version": CACHE_FORMAT_VERSION})
        # samples.npz is written last: its presence marks a complete entry.
        atomic_write_npz(entry / "samples.npz", X=synthetic[0], y=synthetic[1])

    def to_config(self) -> dict:
        """A YAML/JSON-ready description that :func:`make_augmenter` turns back into this augmenter."""
        return {"flow_gan": {"per_class": self.per_class, "epochs": self.epochs, "seed": self.seed,
                             "pin_seed": self.pin_seed, "cache_dir": None if self.cache_dir is None else str(self.cache_dir),
                             **{k: v for k, v in self.config.as_dict().items() if k != "epochs"}}}

    def __repr__(self) -> str:
        return (f"FlowGANAugmenter(per_class={self.per_class}, epochs={self.epochs}, seed={self.seed}, "
                f"cache_dir={self.cache_dir})")


def make_augmenter(spec):
    """An augmenter from a config value: ``None``, an object with ``fit_generate``, or
    ``{"flow_gan": {per_class: 100, epochs: 10, cache_dir: ...}}`` (as in a trainer YAML)."""
    from ...errors import ConfigError

    if spec is None or hasattr(spec, "fit_generate"):
        return spec
    if isinstance(spec, dict) and set(spec) == {"flow_gan"}:
        kwargs = dict(spec["flow_gan"] or {})
        try:
            return FlowGANAugmenter(**kwargs)
        except TypeError as exc:
            raise ConfigError(f"bad flow_gan augmenter settings {kwargs}: {exc}") from exc
    raise ConfigError(f"unknown augmenter {spec!r}; expected {{'flow_gan': {{...}}}} or an object with fit_generate")
