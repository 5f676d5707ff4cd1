"""Flow ensemble: STSTNet seed members + an RBF SVM on the flow pixels, probabilities averaged.

The members are trained independently on the same training fold, with fixed budgets and equal
weights decided before any evaluation, so the ensemble is as leak-free as its members. STSTNet
(Liong et al. 2019) and the RBF SVM on the composite's 28×28×3 flow make different errors; their
average is steadier than either. Test-time flips (u → 1 − u) are averaged into the networks' votes;
the SVM, trained on every flow and its mirror with a scaling and a kernel the mirror leaves unchanged,
already votes alike on both (to the solver's tolerance), so it needs none.
An optional ``augmenter`` (e.g. the per-fold conditional GAN, ``augment.cgan``) adds synthetic
flows to the training fold before any member sees it; it never sees test data. ``net_init`` starts
the network from saved weights (e.g. pre-trained on simulated flows, which hold no real subject);
``swa_epochs`` averages its weights over the last epochs of its fixed schedule. ``frozen_nets``
adds one equal vote per saved network of the same architecture that is used as it is, never
trained on the fold (e.g. STSTNet trained on simulated flows only); with ``frozen_weight`` they are
pooled instead into one vote of that weight (their probabilities averaged). ``augment`` names the
training augmentation of the trained network (``microexp.training.augment``; "auto" is the flow flip).
``probe_nets`` adds one equal vote per saved network: an RBF SVM fitted on the fold, reading that
network's features (what its last layer reads) instead of the pixels; the network is not trained here.
``centre`` names the votes ("net": the trained networks, "svm": the pixel SVM, "frozen": the saved
networks of ``frozen_nets``, for networks trained on centred flows, "extra": the networks of
``extra_nets``) that read the flows with each image's zero-motion level moved to 0.5
(:func:`~microexp.motion.centre_composites`) instead of as min-max scaled; the others (and
``probe_nets``) read them as they are. ``extra_nets=("ststnet",)`` with ``centre=("net",)`` trains
the same network twice, once on each reading of the flows, as two votes. ``standardise`` names votes
(among the same) that read the flows centred and with every image's motion at one spread
(:func:`~microexp.motion.standardise_composites`); a vote cannot be in both.
``net_extra_flows`` names a flow file (:mod:`microexp.datasets.flow_file`, e.g. the simulator's
labelled flows, which hold no real subject) from which as many flows as the training fold has are
drawn (without replacement, by the ensemble's seed) to join the trained network's training set only;
the other votes never see them.

Shapes: (N, 3, S, S) flow → (N, num_classes) probabilities.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from ..augment.cgan import make_augmenter
from ..datasets.flow_file import read_flow_file
from ..errors import ConfigError
from ..models.registry import register_model
from ..motion import COMPOSITE_VIEWS
from ..training.classifier import TorchClassifier
from .model_selection import TunedSVM, with_mirrored_flows

#: Budgets of the networks an ensemble can hold (as in configs/<net>_megc2019.yaml).
NET_BUDGETS = {
    "ststnet": {"epochs": 40, "lr": 3e-3, "model_kwargs": {}},
    "offapexnet": {"epochs": 15, "lr": 1e-3, "model_kwargs": {"fc_units": 256}},
}
#: STSTNet trained on simulated flows only (``python benchmarks/sim_pretrain.py``, configs/pretrain/sim_pretrain.yaml:
#: 60 simulated people, 984 clips; no real sample), shipped with the package: ``flow_ensemble_sim``'s vote.
SIM_NET_WEIGHTS = Path(__file__).resolve().parents[1] / "resources" / "ststnet_sim.pt"
#: Weights files a registered recogniser uses unless its settings name others (for run fingerprints).
DEFAULT_WEIGHT_FILES = {name: {"frozen_nets": (str(SIM_NET_WEIGHTS),)}
                        for name in ("flow_ensemble_sim", "flow_ensemble_centred", "flow_ensemble_centred_net",
                                     "flow_ensemble_standardised_net")}
#: Softmax temperature turning the SVM's one-vs-rest decision values into probabilities.
SVM_DECISION_TEMPERATURE = 1.0


def _softmax(z: np.ndarray, temperature: float) -> np.ndarray:
    z = z / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@register_model("flow_ensemble", input_kind="flow", family="sklearn",
                paper="STSTNet (Liong et al. 2019) seed ensemble + RBF SVM on flow pixels, averaged")
class FlowEnsemble(ClassifierMixin, BaseEstimator):
    def __init__(self, members: int = 1, epochs: int = 40, batch_size: int = 64, lr: float = 3e-3,
                 optimizer: str = "adam", mixup_alpha: float = 0.0, tta_flip: bool = True, svm_C: float = 1.0,
                 svm_weight: float = 1.0, svm_flip_augment: bool = True, svm_tune: bool = False, net: str = "ststnet",
                 net_kwargs: dict | None = None, extra_nets: tuple = (), seed: int = 0,
                 threads: int | None = None, augmenter=None, net_init: str | None = None, swa_epochs: int = 0,
                 frozen_nets: tuple = (), frozen_weight: float | None = None, augment: str = "auto",
                 probe_nets: tuple = (), centre: tuple = (), net_extra_flows: str | None = None,
                 standardise: tuple = ()):
        self.members = members
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.mixup_alpha = mixup_alpha
        self.tta_flip = tta_flip
        self.svm_C = svm_C
        self.svm_weight = svm_weight
        self.svm_flip_augment = svm_flip_augment
        self.svm_tune = svm_tune
        self.net = net
        self.net_kwargs = net_kwargs
        self.extra_nets = extra_nets
        self.seed = seed
        self.threads = threads
        self.augmenter = augmenter
        self.net_init = net_init
        self.swa_epochs = swa_epochs
        self.frozen_nets = frozen_nets
        self.frozen_weight = frozen_weight
        self.augment = augment
        self.probe_nets = probe_nets
        self.centre = centre
        self.net_extra_flows = net_extra_flows
        self.standardise = standardise

    def watch(self, X) -> "FlowEnsemble":
        """Leak meter: after :meth:`fit`, ``epoch_probas_`` holds the ensemble's probabilities of
        ``X`` had its network stopped after each epoch (the other votes as trained). Nothing in
        training reads them (see :meth:`TorchClassifier.watch`)."""
        self._watched = X
        return self

    #: What ``centre`` may name.
    CENTRED_VOTES = ("net", "svm", "frozen", "extra")

    def _view(self, X: np.ndarray, vote: str) -> np.ndarray:
        """The flows as ``vote`` reads them: centred when ``centre`` names it, standardised when
        ``standardise`` does."""
        if vote in self.standardise:
            return COMPOSITE_VIEWS["standardised"](X)
        return COMPOSITE_VIEWS["centred"](X) if vote in self.centre else X

    def fit(self, X, y, groups=None):
        X, y = np.asarray(X, dtype=np.float32), np.asarray(y, dtype=int)
        for option in ("centre", "standardise"):
            votes = getattr(self, option)
            if isinstance(votes, str) or set(votes) - set(self.CENTRED_VOTES):
                raise ConfigError(f"{option} must list votes among {list(self.CENTRED_VOTES)}, got {votes!r}")
        both = sorted(set(self.centre) & set(self.standardise))
        if both:
            raise ConfigError(f"votes {both} are named by both centre and standardise; each vote reads one view")
        if self.net_extra_flows and self.members < 1:
            raise ConfigError(f"net_extra_flows {self.net_extra_flows} joins the trained network's set, "
                              "but members is 0: no network is trained")
        self.num_classes_ = int(y.max()) + 1
        self.n_synthetic_ = 0
        self.n_extra_flows_ = 0
        augmenter = make_augmenter(self.augmenter)
        if augmenter is not None:  # synthetic flows join this training fold only
            X_extra, y_extra = augmenter.fit_generate(X, y, groups, self.seed)
            self.n_synthetic_ = len(y_extra)
            if len(y_extra):
                X = np.concatenate([X, np.asarray(X_extra, dtype=np.float32)])
                y = np.concatenate([y, np.asarray(y_extra, dtype=int)])
                groups = None if groups is None else np.concatenate(
                    [np.asarray(groups), np.full(len(y_extra), "synthetic", dtype=object)])
        self.classes_ = np.arange(self.num_classes_)
        watched, self._watched = getattr(self, "_watched", None), None
        self.nets_ = None
        self.epoch_probas_ = None
        if self.members > 0:
            self.nets_ = TorchClassifier(
                self.net, num_classes=self.num_classes_, seed=self.seed, model_kwargs=self.net_kwargs,
                epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, optimizer=self.optimizer,
                mixup_alpha=self.mixup_alpha, members=self.members, tta_flip=self.tta_flip,
                threads=self.threads, init_weights=self.net_init, swa_epochs=self.swa_epochs,
                augment=self.augment)
            if watched is not None:
                self.nets_.watch(self._view(watched, "net"))
            Xn, yn, gn = self._with_extra_flows(X, y, groups)
            self.nets_.fit(self._view(Xn, "net"), yn, gn)
        self.extra_nets_ = []
        for name in self.extra_nets:  # other architectures, each with its own fixed budget
            budget = NET_BUDGETS[name]
            self.extra_nets_.append(TorchClassifier(
                name, num_classes=self.num_classes_, seed=self.seed, model_kwargs=budget["model_kwargs"],
                epochs=budget["epochs"], batch_size=self.batch_size, lr=budget["lr"], optimizer=self.optimizer,
                members=1, tta_flip=self.tta_flip, threads=self.threads).fit(self._view(X, "extra"), y, groups))
        if self.frozen_weight is not None and not float(self.frozen_weight) > 0:
            raise ConfigError(f"frozen_weight must be a positive weight or null, got {self.frozen_weight!r}")
        self.frozen_nets_ = [  # trained elsewhere (e.g. on simulated flows only): votes, never fitted here
            TorchClassifier(self.net, num_classes=self.num_classes_, model_kwargs=self.net_kwargs,
                            tta_flip=self.tta_flip, threads=self.threads).load(path)
            for path in self.frozen_nets]
        self.probes_ = []
        for path in self.probe_nets:  # a saved network's features, an SVM fitted on this fold reading them
            net = TorchClassifier(self.net, num_classes=self.num_classes_, model_kwargs=self.net_kwargs,
                                  threads=self.threads).load(path)
            Xs, ys = with_mirrored_flows(X, y) if self.svm_flip_augment else (X, y)
            svc = SVC(C=self.svm_C, class_weight="balanced", decision_function_shape="ovr", random_state=self.seed)
            self.probes_.append((net, make_pipeline(StandardScaler(), svc).fit(net.embed(Xs), ys)))
        self.svm_ = None
        if self.svm_weight > 0 and self.svm_tune:
            self.svm_ = TunedSVM(flip_augment=self.svm_flip_augment, seed=self.seed).fit(self._view(X, "svm"), y, groups)
        elif self.svm_weight > 0:
            svc = SVC(C=self.svm_C, class_weight="balanced", decision_function_shape="ovr", random_state=self.seed)
            Xv = self._view(X, "svm")
            Xs, ys = with_mirrored_flows(Xv, y) if self.svm_flip_augment else (Xv, y)
            self.svm_ = make_pipeline(StandardScaler(), svc).fit(Xs.reshape(len(Xs), -1), ys)
        if watched is not None and self.nets_ is not None:
            self.epoch_probas_ = np.stack([self._combine(watched, p) for p in self.nets_.epoch_probas_])
        return self

    def _with_extra_flows(self, X, y, groups):
        """The training fold with the draw from ``net_extra_flows`` appended (the trained network's set)."""
        if not self.net_extra_flows:
            return X, y, groups
        Xe, ye, classes, _ = read_flow_file(self.net_extra_flows)
        if len(classes) != self.num_classes_ or Xe.shape[1:] != X.shape[1:]:
            raise ConfigError(f"net_extra_flows {self.net_extra_flows}: {len(classes)} classes of {Xe.shape[1:]} flows, "
                              f"but the training fold has {self.num_classes_} classes of {X.shape[1:]} flows")
        take = np.sort(np.random.default_rng(self.seed).choice(len(ye), size=min(len(y), len(ye)), replace=False))
        self.n_extra_flows_ = len(take)
        groups = np.arange(len(y)) if groups is None else np.asarray(groups)
        extra_groups = np.full(len(take), "extra flows", dtype=object)
        return (np.concatenate([X, Xe[take]]), np.concatenate([y, ye[take]]),
                np.concatenate([groups.astype(object), extra_groups]))

    def predict_proba(self, X) -> np.ndarray:
        """Average of the networks' mean probability and the SVM's, the SVM weighted by ``svm_weight``."""
        X = np.asarray(X, dtype=np.float32)
        return self._combine(X, self.nets_.predict_proba(self._view(X, "net")) if self.nets_ is not None else None)

    def _combine(self, X, net_proba) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        parts, weights = [], []
        if net_proba is not None:
            parts.append(net_proba)
            weights.append(1.0)
        frozen = getattr(self, "frozen_nets_", [])
        for net in getattr(self, "extra_nets_", []):
            parts.append(net.predict_proba(self._view(X, "extra")))
            weights.append(1.0)
        for net in frozen if self.frozen_weight is None else []:
            parts.append(net.predict_proba(self._view(X, "frozen")))
            weights.append(1.0)
        if frozen and self.frozen_weight is not None:  # the frozen networks pooled into one vote
            parts.append(np.mean([net.predict_proba(self._view(X, "frozen")) for net in frozen], axis=0))
            weights.append(float(self.frozen_weight))
        for net, svm in getattr(self, "probes_", []):
            parts.append(self._svm_proba(svm, net.embed(X)))
            weights.append(1.0)
        if isinstance(self.svm_, TunedSVM):
            parts.append(self.svm_.predict_proba(self._view(X, "svm")))
            weights.append(self.svm_weight)
        elif self.svm_ is not None:
            parts.append(self._svm_proba(self.svm_, self._view(X, "svm").reshape(len(X), -1)))
            weights.append(self.svm_weight)
        return sum(w * p for w, p in zip(weights, parts)) / sum(weights)

    def _svm_proba(self, svm, features: np.ndarray) -> np.ndarray:
        """An SVM's one-vs-rest decision values as probabilities (softmax at a fixed temperature)."""
        d = svm.decision_function(features)
        if d.ndim == 1:  # two classes: a single signed margin
            d = np.stack([-d, d], axis=1)
        p = np.zeros((len(features), self.num_classes_))
        p[:, svm.classes_] = _softmax(d, SVM_DECISION_TEMPERATURE)
        return p

    def predict(self, X) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)


@register_model("flow_ensemble_wide", input_kind="flow", family="sklearn",
                paper="STSTNet (Liong et al. 2019) + OFF-ApexNet (Gan et al. 2019) + RBF SVM on flow pixels, averaged")
def flow_ensemble_wide(**kwargs) -> FlowEnsemble:
    """:class:`FlowEnsemble` with an OFF-ApexNet beside the STSTNet: three equal votes."""
    return FlowEnsemble(**{"extra_nets": ("offapexnet",), **kwargs})


@register_model("flow_ensemble_x3", input_kind="flow", family="sklearn",
                paper="three STSTNet seeds (Liong et al. 2019) + RBF SVM on flow pixels, averaged")
def flow_ensemble_x3(**kwargs) -> FlowEnsemble:
    """:class:`FlowEnsemble` whose network vote is the mean of three STSTNet seeds: the same two
    equal votes, with less seed noise in the network's one."""
    return FlowEnsemble(**{"members": 3, **kwargs})


@register_model("flow_ensemble_tuned", input_kind="flow", family="sklearn",
                paper="STSTNet (Liong et al. 2019) + RBF SVM tuned and calibrated by grouped inner CV, averaged")
def flow_ensemble_tuned(**kwargs) -> FlowEnsemble:
    """:class:`FlowEnsemble` whose SVM vote is :class:`~microexp.recognisers.model_selection.TunedSVM`:
    C and γ chosen, and its decision values turned into probabilities, by 5-fold inner CV over the
    training subjects, instead of the fixed C = 1, γ = "scale" and a softmax at temperature 1."""
    return FlowEnsemble(**{"svm_tune": True, **kwargs})


@register_model("flow_ensemble_sim", input_kind="flow", family="sklearn",
                paper="STSTNet (Liong et al. 2019) + RBF SVM on flow pixels + STSTNet trained on simulated flows only, averaged")
def flow_ensemble_sim(**kwargs) -> FlowEnsemble:
    """:class:`FlowEnsemble` with a third equal vote: the packaged STSTNet trained on the
    simulator's flows alone (:data:`SIM_NET_WEIGHTS`), used as it is, never trained on the fold.
    ``frozen_nets`` may name other such networks."""
    return FlowEnsemble(**{**DEFAULT_WEIGHT_FILES["flow_ensemble_sim"], **kwargs})


@register_model("flow_ensemble_centred", input_kind="flow", family="sklearn",
                paper="flow_ensemble_sim with its trained STSTNet (Liong et al. 2019) and RBF SVM reading centred flows")
def flow_ensemble_centred(**kwargs) -> FlowEnsemble:
    """:class:`FlowEnsemble` as :func:`flow_ensemble_sim`, its trained network and pixel SVM reading
    the flows with each image's zero-motion level at 0.5 (``centre=("net", "svm")``,
    :func:`~microexp.motion.centre_composites`); the simulator's network reads them as they are."""
    return FlowEnsemble(**{**DEFAULT_WEIGHT_FILES["flow_ensemble_centred"], "centre": ("net", "svm"), **kwargs})


@register_model("flow_ensemble_centred_net", input_kind="flow", family="sklearn",
                paper="flow_ensemble_sim with its trained STSTNet (Liong et al. 2019) reading centred flows")
def flow_ensemble_centred_net(**kwargs) -> FlowEnsemble:
    """:class:`FlowEnsemble` as :func:`flow_ensemble_sim`, only its trained network reading centred
    flows (``centre=("net",)``); the pixel SVM and the simulator's network read them as scaled."""
    return FlowEnsemble(**{**DEFAULT_WEIGHT_FILES["flow_ensemble_centred_net"], "centre": ("net",), **kwargs})


@register_model("flow_ensemble_standardised_net", input_kind="flow", family="sklearn",
                paper="flow_ensemble_sim with its trained STSTNet (Liong et al. 2019) reading standardised flows")
def flow_ensemble_standardised_net(**kwargs) -> FlowEnsemble:
    """:class:`FlowEnsemble` as :func:`flow_ensemble_centred_net`, its trained network reading the
    flows centred and with every image's motion at one spread (``standardise=("net",)``,
    :func:`~microexp.motion.standardise_composites`); the pixel SVM and the simulator's network read
    them as scaled."""
    return FlowEnsemble(**{**DEFAULT_WEIGHT_FILES["flow_ensemble_standardised_net"], "standardise": ("net",), **kwargs})
