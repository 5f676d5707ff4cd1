"""The one trainer of every deep recogniser, as a scikit-learn style estimator.

``TorchClassifier(model_name, ...)`` builds the registered model, and ``fit(X, y, groups)`` trains
it on one training fold:

* a fixed epoch budget by default; or early stopping on an inner validation split made of
  *training subjects* (``groups``) — the test subject is never seen, not even for choosing an epoch;
* normalisation statistics (per channel) from the training samples only;
* class-weighted loss (``class_weight="balanced"``), label smoothing, ArcFace margins, mixup;
* augmentation of training batches only; an optional ``augmenter`` (e.g. a conditional GAN) whose
  ``fit_generate(X_train, y_train, groups, seed) -> (X_extra, y_extra)`` is called on the training
  fold inside ``fit`` — its samples join training, never validation or test;
* ``init_weights``: start from saved weights (e.g. pre-trained on the simulator's labelled flows,
  ``microexp.pipeline.sim_pretrain``) instead of a random initialisation; read weights-only;
* ``swa_epochs``: the weights returned are the mean of the last ``swa_epochs`` epochs' weights
  (stochastic weight averaging on a fixed schedule), BatchNorm statistics recomputed for them;
* seeded, deterministic; whole folds preloaded as tensors; ``members`` > 1 trains a seed ensemble
  whose probabilities are averaged; ``tta_flip`` averages with the horizontally flipped input;
* ``flow_view``: flows read "centred" (each image's zero-motion level at 0.5,
  :func:`~microexp.motion.centre_composites`) or "standardised" (centred and at one spread,
  :func:`~microexp.motion.standardise_composites`) instead of as given, in training and prediction alike;
* auxiliary multi-label targets (``fit(..., aux=...)`` with ``aux_weight`` > 0, e.g. action units):
  a second head on the shared features, its masked BCE added to the loss (:mod:`.aux_targets`);
* a *watch* for the leak meter: :meth:`TorchClassifier.watch` hands over inputs whose class
  probabilities are recorded after every epoch (``epoch_probas_``). It only reads the network in
  eval mode, so training and the final predictions are bit-identical with or without it; the
  records exist to measure what choosing an epoch on test data would claim, never to choose one.

Inputs: "flow" arrays (N, C, H, W) float; "face"/"frames3" arrays (N, H, W, C) uint8 (converted to
(N, C, H, W) float in [0, 1]).
"""
from __future__ import annotations

import copy
import io
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin

from ..errors import ConfigError, DataError
from ..augment.cgan import make_augmenter
from ..io import atomic_write_bytes
from .augment import horizontal_flip_for, make_augmentation
from .aux_targets import AuxiliaryHead, check_aux_targets, masked_bce
from .losses import balanced_class_weights, classification_loss, main_logits, resolve_label_smoothing
from .optimizers import make_optimizer
from .validation import inner_subject_split


def as_image_tensor(X) -> torch.Tensor:
    """(N, C, H, W) float32 from float NCHW arrays or uint8 NHWC images (scaled to [0, 1])."""
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    X = np.asarray(X)
    if X.ndim == 3:
        X = X[:, None]
    if X.ndim != 4:
        raise DataError(f"expected a batch of images (N, C, H, W) or (N, H, W, C), got shape {X.shape}")
    if X.dtype == np.uint8:
        X = X.astype(np.float32) / 255.0
        if X.shape[-1] in (1, 3) and X.shape[1] not in (1, 3):
            X = X.transpose(0, 3, 1, 2)
    return torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))


@contextmanager
def _threads(n: int | None):
    if n is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


class TorchClassifier(ClassifierMixin, BaseEstimator):
    def __init__(self, model_name: str, *, num_classes: int = 3, seed: int = 0, model_kwargs: dict | None = None,
                 epochs: int = 100, batch_size: int = 64, lr: float = 1e-3, optimizer: str = "adam",
                 weight_decay: float = 0.0, loss: str = "cross_entropy", label_smoothing: float | None = None,
                 class_weight: str | None = "balanced", augment: str | None = "auto", mixup_alpha: float = 0.0,
                 normalise: str = "channel", schedule: str | None = None, early_stopping: dict | None = None,
                 augmenter=None, members: int = 1, tta_flip: bool = False, threads: int | None = None,
                 device: str = "cpu", checkpoint_path: str | None = None, aux_weight: float = 0.0,
                 init_weights: str | None = None, swa_epochs: int = 0, flow_view: str | None = None):
        self.model_name = model_name
        self.num_classes = num_classes
        self.seed = seed
        self.model_kwargs = model_kwargs
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.loss = loss
        self.label_smoothing = label_smoothing
        self.class_weight = class_weight
        self.augment = augment
        self.mixup_alpha = mixup_alpha
        self.normalise = normalise
        self.schedule = schedule
        self.early_stopping = early_stopping
        self.augmenter = augmenter
        self.members = members
        self.tta_flip = tta_flip
        self.threads = threads
        self.device = device
        self.checkpoint_path = checkpoint_path
        self.aux_weight = aux_weight
        self.init_weights = init_weights
        self.swa_epochs = swa_epochs
        self.flow_view = flow_view

    # ------------------------------------------------------------------ helpers
    @property
    def input_kind(self) -> str:
        from ..models.registry import get_spec

        return get_spec(self.model_name).input_kind

    def _build_model(self) -> torch.nn.Module:
        from ..models.registry import create_model, get_spec

        if get_spec(self.model_name).family != "torch":
            raise ConfigError(f"model {self.model_name!r} is not a torch model")
        return create_model(self.model_name, num_classes=self.num_classes, **(self.model_kwargs or {}))

    def _augmentation(self):
        kind = self.augment
        if kind == "auto":
            kind = {"flow": "flow", "face": "face", "frames3": "none"}.get(self.input_kind, "none")
        return make_augmentation(kind)

    def _shrink(self, x: torch.Tensor) -> torch.Tensor:
        """Down-size inputs once to the model's ``input_size`` (models resize the same way inside),
        so that augmentation and every epoch work on small tensors instead of 224×224 faces."""
        size = getattr(self, "input_size_", None)
        if size is None or (x.shape[-1] <= size and x.shape[-2] <= size):
            return x
        return torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)

    def _normalise(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean_) / self.std_

    def _view(self, X):
        """``X`` as the network reads it: composites centred or standardised when ``flow_view`` says so."""
        if self.flow_view is None or X is None:
            return X
        from ..motion import COMPOSITE_VIEWS

        if self.flow_view not in COMPOSITE_VIEWS:
            raise ConfigError(f"unknown flow_view {self.flow_view!r}; choose one of {list(COMPOSITE_VIEWS)} or null")
        if self.input_kind != "flow":
            raise ConfigError(f"flow_view {self.flow_view!r} reads flows, but {self.model_name!r} reads "
                              f"{self.input_kind!r} inputs")
        X = X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else X
        return COMPOSITE_VIEWS[self.flow_view](X)

    def watch(self, X) -> "TorchClassifier":
        """Record the class probabilities of ``X`` after every epoch of the next :meth:`fit`
        (``epoch_probas_``: (epochs, N, classes), averaged over members like :meth:`predict_proba`).
        For the leak meter only: nothing in training reads these records."""
        self._watched = X
        return self

    # ------------------------------------------------------------------ fit
    def fit(self, X, y, groups=None, aux=None):
        X, y = np.asarray(X), np.asarray(y, dtype=int)
        if len(y) != len(X):
            raise DataError(f"X has {len(X)} samples but y has {len(y)}")
        X = self._view(X)
        groups = np.arange(len(y)) if groups is None else np.asarray(groups)
        use_aux = aux is not None and self.aux_weight > 0
        if use_aux:
            aux = check_aux_targets(aux, len(y))
            if self.mixup_alpha > 0:
                raise ConfigError("auxiliary targets cannot be combined with mixup")
        watched = self._view(getattr(self, "_watched", None))
        self._watched = None
        self.classes_ = np.arange(self.num_classes)
        with _threads(self.threads):
            torch.manual_seed(self.seed)
            train_idx, val_idx = np.arange(len(y)), np.array([], dtype=int)
            self.validation_subjects_ = []
            if self.early_stopping:
                frac = float(self.early_stopping.get("val_subjects_fraction", 0.2))
                train_idx, val_idx, self.validation_subjects_ = inner_subject_split(groups, y, frac, self.seed)
            X_tr, y_tr = X[train_idx], y[train_idx]
            augmenter = make_augmenter(self.augmenter)
            if augmenter is not None:
                X_extra, y_extra = augmenter.fit_generate(X_tr, y_tr, groups[train_idx], self.seed)
                if len(y_extra):
                    X_tr = np.concatenate([np.asarray(X_tr), np.asarray(X_extra, dtype=np.asarray(X_tr).dtype)])
                    y_tr = np.concatenate([y_tr, np.asarray(y_extra, dtype=int)])
            self.n_synthetic_ = len(y_tr) - len(train_idx)
            at = None
            if use_aux:  # synthetic samples have no auxiliary labels: unknown, masked out
                a = np.concatenate([aux[train_idx], np.full((self.n_synthetic_, aux.shape[1]), np.nan)])
                at = torch.as_tensor(a, dtype=torch.float32)
            size = getattr(self._build_model(), "input_size", None)
            self.input_size_ = size if isinstance(size, int) else None
            xt = self._shrink(as_image_tensor(X_tr))
            if self.normalise == "channel":
                self.mean_ = xt.mean(dim=(0, 2, 3), keepdim=True)
                self.std_ = xt.std(dim=(0, 2, 3), keepdim=True).clamp_min(1e-6)
            elif self.normalise in (None, "none"):
                self.mean_, self.std_ = torch.zeros(1, xt.shape[1], 1, 1), torch.ones(1, xt.shape[1], 1, 1)
            else:
                raise ConfigError(f"unknown normalise {self.normalise!r}; choose 'channel' or 'none'")
            xv = self._shrink(as_image_tensor(X[val_idx])) if len(val_idx) else None
            yv = torch.as_tensor(y[val_idx]) if len(val_idx) else None
            xw = self._shrink(as_image_tensor(watched)) if watched is not None else None
            self.epoch_probas_ = None
            self.models_, self.best_epochs_ = [], []
            self._init_states = self._read_init_states()  # read once, before any training
            for m in range(self.members):
                init = self._init_states[m % len(self._init_states)] if self._init_states else None
                model, best_epoch, probas = self._fit_one(xt, torch.as_tensor(y_tr), xv, yv, self.seed * 1000 + m,
                                                          at=at, xw=xw, init=init)
                self.models_.append(model)
                self.best_epochs_.append(best_epoch)
                if probas is not None:
                    self.epoch_probas_ = probas if self.epoch_probas_ is None else self.epoch_probas_ + probas
            if self.epoch_probas_ is not None:
                self.epoch_probas_ = self.epoch_probas_ / self.members
        if self.checkpoint_path:
            self.save(self.checkpoint_path)
        return self

    def _fit_one(self, xt, yt, xv, yv, seed: int, at=None, xw=None, init: dict | None = None):
        torch.manual_seed(seed)
        g = torch.Generator().manual_seed(seed)
        model = self._build_model().to(self.device)
        if init is not None:
            self._load_init(model, init)
        aux_head = AuxiliaryHead(model, at.shape[1]).to(self.device) if at is not None else None
        params = list(model.parameters()) + (list(aux_head.linear.parameters()) if aux_head is not None else [])
        opt = make_optimizer(self.optimizer, params, self.lr, self.weight_decay)
        sched = None
        if self.schedule == "cosine":
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, self.epochs))
        elif self.schedule not in (None, "none"):
            raise ConfigError(f"unknown schedule {self.schedule!r}; choose 'cosine' or none")
        weight = None
        if self.class_weight == "balanced":
            weight = torch.as_tensor(balanced_class_weights(yt.numpy(), self.num_classes), dtype=torch.float32)
            weight = weight.to(self.device)
        smoothing = resolve_label_smoothing(self.loss, self.label_smoothing)
        wants_labels = bool(getattr(model, "accepts_labels", False))
        if self.loss == "arcface" and not wants_labels:
            raise ConfigError(f"loss 'arcface' needs a model with an ArcFace head; {self.model_name!r} has none")
        aug = self._augmentation()
        patience = int((self.early_stopping or {}).get("patience", 20))
        best = (np.inf, 0, None)
        probas = [] if xw is not None else None
        swa_from = self.epochs - int(self.swa_epochs) + 1 if self.swa_epochs else None
        if swa_from is not None and (swa_from < 1 or self.early_stopping):
            raise ConfigError(f"swa_epochs must lie in 1 .. epochs ({self.epochs}) and cannot be combined "
                              "with early stopping")
        swa, swa_n = None, 0
        n = len(yt)
        bs = min(self.batch_size, n)
        for epoch in range(1, self.epochs + 1):
            model.train()
            perm = torch.randperm(n, generator=g)
            for start in range(0, n, bs):
                idx = perm[start:start + bs]
                if len(idx) < 2 and n >= 2:
                    continue  # BatchNorm needs two samples
                xb, yb = xt[idx], yt[idx]
                if aug is not None:
                    xb = aug(xb, g)
                xb, yb = self._normalise(xb).to(self.device), yb.to(self.device)
                yb2, lam = None, 1.0
                if self.mixup_alpha > 0:
                    lam = float(np.random.default_rng(seed + epoch * 7919 + start).beta(self.mixup_alpha, self.mixup_alpha))
                    j = torch.randperm(len(idx), generator=g).to(self.device)
                    xb, yb2 = lam * xb + (1 - lam) * xb[j], yb[j]
                out = model(xb, labels=yb) if wants_labels else model(xb)
                loss = classification_loss(out, yb, weight=weight, label_smoothing=smoothing, targets_b=yb2, lam=lam)
                if aux_head is not None:
                    loss = loss + self.aux_weight * masked_bce(aux_head.logits(), at[idx].to(self.device))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            if sched is not None:
                sched.step()
            if swa_from is not None and epoch >= swa_from:  # running mean of the last epochs' weights
                swa_n += 1
                current = {k: v.detach().clone() for k, v in model.state_dict().items()}
                swa = current if swa is None else {
                    k: (swa[k] + (current[k] - swa[k]) / swa_n) if current[k].is_floating_point() else current[k]
                    for k in current}
                if epoch == self.epochs:
                    self._set_averaged(model, swa, xt)
            if probas is not None:
                probas.append(self._probabilities([model], xw))
            if xv is not None:
                val_loss = self._validation_loss(model, xv, yv, weight)
                if val_loss < best[0] - 1e-6:
                    best = (val_loss, epoch, copy.deepcopy(model.state_dict()))
                elif epoch - best[1] >= patience:
                    break
        if aux_head is not None:
            aux_head.detach()
        probas = np.stack(probas) if probas else None
        if xv is not None and best[2] is not None:
            model.load_state_dict(best[2])
            return model.eval(), best[1], probas
        return model.eval(), self.epochs, probas

    @torch.no_grad()
    def _set_averaged(self, model: torch.nn.Module, state: dict, xt: torch.Tensor) -> None:
        """Load averaged weights and recompute BatchNorm statistics for them on the training
        inputs (one pass, exact averages), as stochastic weight averaging does."""
        model.load_state_dict(state)
        norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
        if not norms:
            return
        momenta = [m.momentum for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the pass
        model.train()
        for start in range(0, len(xt), 256):
            model(self._normalise(xt[start:start + 256]).to(self.device))
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        model.eval()

    def _read_init_states(self) -> list[dict]:
        """The starting weights named by ``init_weights`` (a file written by :meth:`save`, whose
        members start this fit's members in turn, or one plain state dict); read weights-only."""
        if not self.init_weights:
            return []
        from ..io import read_weights

        state = read_weights(self.init_weights, "initial weights")
        if isinstance(state, dict) and isinstance(state.get("members"), list) and state["members"]:
            return list(state["members"])
        if isinstance(state, dict) and state and all(isinstance(v, torch.Tensor) for v in state.values()):
            return [state]
        raise DataError("not a weights file of a microexp recogniser (expected a state dict, or "
                        "the 'members' written by TorchClassifier.save)", Path(self.init_weights))

    def _load_init(self, model: torch.nn.Module, state: dict) -> None:
        try:
            model.load_state_dict(state)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0]
            raise DataError(f"initial weights do not fit model {self.model_name!r} "
                            f"with {self.num_classes} classes ({first})", Path(self.init_weights)) from exc

    @torch.no_grad()
    def _validation_loss(self, model, xv, yv, weight) -> float:
        model.eval()
        logits = main_logits(model(self._normalise(xv).to(self.device)))
        return float(torch.nn.functional.cross_entropy(logits, yv.to(self.device), weight=weight))

    # ------------------------------------------------------------------ predict
    @torch.no_grad()
    def predict_proba(self, X) -> np.ndarray:
        if not hasattr(self, "models_"):
            raise ConfigError("TorchClassifier.predict called before fit")
        with _threads(self.threads):
            return self._probabilities(self.models_, self._shrink(as_image_tensor(self._view(X))))

    @torch.no_grad()
    def _probabilities(self, models, x: torch.Tensor) -> np.ndarray:
        """Mean class probabilities of ``models`` (and the flipped views with ``tta_flip``) on the
        already shrunk inputs ``x``; leaves every model in eval mode."""
        views = [x]
        flip = horizontal_flip_for(self.input_kind) if self.tta_flip else None
        if flip is not None:
            views.append(flip(x))
        probs = np.zeros((len(x), self.num_classes))
        for model in models:
            model.eval()
            for v in views:
                for start in range(0, len(v), 256):
                    xb = self._normalise(v[start:start + 256]).to(self.device)
                    probs[start:start + 256] += torch.softmax(main_logits(model(xb)), dim=1).cpu().numpy()
        return probs / (len(models) * len(views))

    def predict(self, X) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)

    @torch.no_grad()
    def embed(self, X) -> np.ndarray:
        """``(N, F)`` features of the first member's ``features`` method (what its last layer
        reads), on inputs normalised as in training; for a model without one, a ConfigError."""
        if not hasattr(self, "models_"):
            raise ConfigError("TorchClassifier.embed called before fit or load")
        model = self.models_[0].eval()
        if not hasattr(model, "features"):
            raise ConfigError(f"model {self.model_name!r} has no features method to embed with")
        x = self._shrink(as_image_tensor(self._view(X)))
        with _threads(self.threads):
            parts = [model.features(self._normalise(x[i:i + 256]).to(self.device)).cpu().numpy()
                     for i in range(0, len(x), 256)]
        return np.concatenate(parts)

    # ------------------------------------------------------------------ checkpoints
    def save(self, path: str | Path) -> Path:
        """Weights and normalisation statistics, written atomically (a crash leaves no partial file)."""
        state = {"mean": self.mean_, "std": self.std_, "members": [m.state_dict() for m in self.models_]}
        buf = io.BytesIO()
        torch.save(state, buf)
        return atomic_write_bytes(path, buf.getvalue())

    def load(self, path: str | Path) -> "TorchClassifier":
        """Restore weights saved by :meth:`save` (tensors only: ``weights_only=True``)."""
        path = Path(path)
        if not path.is_file():
            raise DataError("checkpoint is missing", path)
        state = torch.load(path, map_location=self.device, weights_only=True)
        self.mean_, self.std_ = state["mean"], state["std"]
        size = getattr(self._build_model(), "input_size", None)
        self.input_size_ = size if isinstance(size, int) else None
        self.models_ = []
        for sd in state["members"]:
            model = self._build_model().to(self.device)
            model.load_state_dict(sd)
            self.models_.append(model.eval())
        self.classes_ = np.arange(self.num_classes)
        return self
