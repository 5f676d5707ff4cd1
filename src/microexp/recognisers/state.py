"""A fitted estimator as plain data: a JSON tree plus named numeric arrays, and back.

Reading the data back never runs code from the files. The tree holds only

* ``None``, booleans, integers, finite floats, strings, lists and string-keyed dicts;
* ``{"__float__": "nan" | "inf" | "-inf"}``, ``{"__tuple__": [...]}`` and
  ``{"__items__": [[key, value], ...]}`` (a dict with non-string keys);
* ``{"__array__": NAME}`` / ``{"__scalar__": NAME}`` / ``{"__tensor__": NAME}``: a numeric, boolean
  or text numpy array (a numpy scalar, a torch tensor) stored under ``NAME`` in the arrays file;
* ``{"__class__": NAME, "state": TREE}``: an instance of one of :data:`ALLOWED_CLASSES`, rebuilt
  without calling its constructor (``__setstate__`` where scikit-learn defines it);
* ``{"__class__": TorchClassifier, "params": TREE, "fitted": TREE, "members": [STATE_DICT, ...]}``:
  the shared deep-model trainer, rebuilt from its hyper-parameters and the registry, its networks
  filled from their state dicts.

A class name outside the allow-list is refused, as is any other marker or value.
"""
from __future__ import annotations

import importlib
import math
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError

#: The only classes a saved estimator may contain (public module path → class name).
ALLOWED_CLASSES: tuple[str, ...] = (
    "sklearn.svm.SVC",
    "sklearn.preprocessing.StandardScaler",
    "sklearn.pipeline.Pipeline",
    "sklearn.linear_model.LogisticRegression",
    "microexp.models.svm.FlattenedSVM",
    "microexp.models.lbptop_svm.LBPTOPSVM",
    "microexp.recognisers.ensemble.FlowEnsemble",
    "microexp.recognisers.model_selection.TunedSVM",
    "microexp.recognisers.model_selection.NestedSearch",
    "microexp.recognisers.au_detection.AUDetector",
    "microexp.training.classifier.TorchClassifier",
)
TORCH_CLASSIFIER = "microexp.training.classifier.TorchClassifier"
#: numpy dtype kinds an array may have: bool, signed/unsigned integer, float, complex, text.
ARRAY_KINDS = "biufcU"
#: Trainer settings that are not needed to predict (and may not be plain data).
_TRAINING_ONLY_PARAMS = {"augmenter": None, "checkpoint_path": None}
_MARKERS = ("__class__", "__float__", "__tuple__", "__items__", "__array__", "__scalar__", "__tensor__")


def _class_of(name: str) -> type:
    module, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def _allowed_name(obj) -> str | None:
    for name in ALLOWED_CLASSES:
        if name.rpartition(".")[2] == type(obj).__name__ and type(obj) is _class_of(name):
            return name
    return None


# ---------------------------------------------------------------------------------------------- save
class _Writer:
    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}

    def _store(self, array: np.ndarray, where: str) -> str:
        if array.dtype.kind not in ARRAY_KINDS:
            raise ConfigError(f"cannot save {where}: arrays of dtype {array.dtype} are not stored "
                              f"(only bool, numeric and text arrays)")
        name = f"a{len(self.arrays)}"
        self.arrays[name] = np.array(array, order="C")  # ascontiguousarray would make 0-d arrays 1-d
        return name

    def encode(self, obj, where: str):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if type(obj) is int:
            return obj
        if type(obj) is float:
            return obj if math.isfinite(obj) else {"__float__": repr(obj)}
        if isinstance(obj, np.ndarray):
            return {"__array__": self._store(obj, where)}
        if isinstance(obj, np.generic):
            return {"__scalar__": self._store(np.asarray(obj), where)}
        if type(obj) is list:
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        if type(obj) is tuple:
            return {"__tuple__": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        if isinstance(obj, dict) and type(obj).__module__ in ("builtins", "collections"):
            if all(type(k) is str and not k.startswith("__") for k in obj):
                return {k: self.encode(v, f"{where}.{k}") for k, v in obj.items()}
            return {"__items__": [[self.encode(k, f"{where} key"), self.encode(v, f"{where}[{k!r}]")]
                                  for k, v in obj.items()]}
        if type(obj).__module__ == "torch" and type(obj).__name__ in ("Tensor", "Parameter"):
            return {"__tensor__": self._store(obj.detach().cpu().numpy(), where)}
        name = _allowed_name(obj)
        if name == TORCH_CLASSIFIER:
            return self._torch_classifier(obj, where)
        if name is not None:
            state = obj.__getstate__() if hasattr(obj, "__getstate__") else obj.__dict__
            if not isinstance(state, dict):
                raise ConfigError(f"cannot save {where}: {name} has no attribute dict")
            return {"__class__": name, "state": self.encode(dict(state), where)}
        raise ConfigError(f"cannot save {where}: objects of type {type(obj).__module__}.{type(obj).__qualname__} "
                          f"are not stored (plain data, numeric arrays and the classes {list(ALLOWED_CLASSES)} only)")

    def _torch_classifier(self, est, where: str) -> dict:
        if not hasattr(est, "models_"):
            raise ConfigError(f"cannot save {where}: the TorchClassifier is not fitted")
        params = {**est.get_params(deep=False), **_TRAINING_ONLY_PARAMS}
        fitted = {k: v for k, v in vars(est).items() if k not in params and k != "models_"}
        return {"__class__": TORCH_CLASSIFIER, "params": self.encode(params, f"{where}.params"),
                "fitted": self.encode(fitted, where),
                "members": [self.encode(dict(m.state_dict()), f"{where}.models_[{i}]")
                            for i, m in enumerate(est.models_)]}


def estimator_to_state(estimator) -> tuple[dict, dict[str, np.ndarray]]:
    """``(tree, arrays)``: ``tree`` is JSON-ready, ``arrays`` maps the names it uses to arrays.

    Raises :class:`ConfigError` naming the attribute that is neither plain data, a numeric array
    nor an instance of an allowed class.
    """
    writer = _Writer()
    tree = writer.encode(estimator, "estimator")
    return {"estimator": tree}, writer.arrays


# ---------------------------------------------------------------------------------------------- load
class _Reader:
    def __init__(self, arrays, tree_file: Path, arrays_file: Path):
        self.arrays = arrays
        self.tree_file = tree_file
        self.arrays_file = arrays_file

    def _fail(self, message: str):
        raise DataError(message, self.tree_file)

    def _array(self, name) -> np.ndarray:
        if not isinstance(name, str) or name not in self.arrays.files:
            raise DataError(f"array {name!r} named in {self.tree_file.name} is missing", self.arrays_file)
        try:
            array = self.arrays[name]
        except ValueError as exc:  # an object array: it would need unpickling
            raise DataError(f"array {name!r} cannot be read without unpickling ({exc})", self.arrays_file) from exc
        if array.dtype.kind not in ARRAY_KINDS:
            raise DataError(f"array {name!r} has dtype {array.dtype}; expected a bool, numeric or text array",
                            self.arrays_file)
        return array

    def decode(self, node, where: str):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v, f"{where}[{i}]") for i, v in enumerate(node)]
        if not isinstance(node, dict):
            self._fail(f"{where}: unexpected value of type {type(node).__name__}")
        marker = [k for k in node if k in _MARKERS]
        if not marker:
            if any(k.startswith("__") for k in node):
                self._fail(f"{where}: unknown marker among {sorted(node)}")
            return {k: self.decode(v, f"{where}.{k}") for k, v in node.items()}
        key = marker[0]
        value = node[key]
        if key == "__class__":
            return self._instance(node, where)
        if len(node) != 1:
            self._fail(f"{where}: {key} comes with unexpected keys {sorted(node)}")
        if key == "__float__":
            if value not in ("nan", "inf", "-inf"):
                self._fail(f"{where}: __float__ must be 'nan', 'inf' or '-inf', got {value!r}")
            return float(value)
        if key == "__tuple__":
            if not isinstance(value, list):
                self._fail(f"{where}: __tuple__ needs a list")
            return tuple(self.decode(v, f"{where}[{i}]") for i, v in enumerate(value))
        if key == "__items__":
            if not isinstance(value, list) or not all(isinstance(p, list) and len(p) == 2 for p in value):
                self._fail(f"{where}: __items__ needs a list of [key, value] pairs")
            out = {}
            for k, v in value:
                k = self.decode(k, f"{where} key")
                if not isinstance(k, (str, int, float, bool, tuple, type(None))):
                    self._fail(f"{where}: a dict key must be plain data, got {type(k).__name__}")
                out[k] = self.decode(v, f"{where}[{k!r}]")
            return out
        if key == "__array__":
            return self._array(value)
        if key == "__scalar__":
            array = self._array(value)
            if array.ndim != 0:
                raise DataError(f"scalar {value!r} has shape {array.shape}", self.arrays_file)
            return array[()]
        import torch  # "__tensor__"

        return torch.from_numpy(np.array(self._array(value)))

    def _instance(self, node: dict, where: str):
        name = node["__class__"]
        if name not in ALLOWED_CLASSES:
            self._fail(f"{where}: class {name!r} is not one a model may contain (allowed: {list(ALLOWED_CLASSES)})")
        if name == TORCH_CLASSIFIER:
            return self._torch_classifier(node, where)
        if set(node) != {"__class__", "state"}:
            self._fail(f"{where}: a {name} needs exactly the keys __class__ and state, got {sorted(node)}")
        state = self.decode(node["state"], where)
        if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
            self._fail(f"{where}: the state of a {name} must be a dict of attribute names")
        cls = _class_of(name)
        shadowing = sorted(k for k in state if hasattr(cls, k))  # methods, properties, class constants
        if shadowing:
            self._fail(f"{where}: the state of a {name} would replace its class attributes {shadowing}")
        obj = cls.__new__(cls)
        if hasattr(cls, "__setstate__"):
            obj.__setstate__(state)
        else:
            obj.__dict__.update(state)
        if name == "sklearn.svm.SVC":
            self._check_svc(obj, where)
        return obj

    def _check_svc(self, svc, where: str) -> None:
        """libsvm reads these arrays by the counts in ``_n_support``: inconsistent sizes are refused
        here rather than handed to compiled code."""
        try:
            n_support = np.asarray(svc._n_support)
            n_sv, n_classes = len(np.asarray(svc.support_)), len(svc.classes_)
            n_pairs = max(n_classes * (n_classes - 1) // 2, 1)
            dual, intercept = np.asarray(svc._dual_coef_), np.asarray(svc._intercept_)
            ok = (n_support.ndim == 1 and len(n_support) == n_classes and bool((n_support >= 0).all())
                  and int(n_support.sum()) == n_sv and dual.shape == (max(n_classes - 1, 1), n_sv)
                  and intercept.shape == (n_pairs,)
                  and all(np.asarray(p).size in (0, n_pairs) for p in (svc._probA, svc._probB)))
            if svc.kernel != "precomputed":
                ok = ok and np.asarray(svc.support_vectors_).shape == (n_sv, svc.shape_fit_[1])
        except (AttributeError, TypeError, ValueError, IndexError) as exc:
            self._fail(f"{where}: the SVC's fitted arrays are incomplete ({exc})")
        if not ok:
            self._fail(f"{where}: the SVC's support vectors, coefficients and counts disagree in size")

    def _torch_classifier(self, node: dict, where: str):
        from ..models.registry import get_spec
        from ..training.classifier import TorchClassifier

        if set(node) != {"__class__", "params", "fitted", "members"}:
            self._fail(f"{where}: a TorchClassifier needs the keys __class__, params, fitted, members; "
                       f"got {sorted(node)}")
        params, fitted = self.decode(node["params"], where), self.decode(node["fitted"], where)
        members = self.decode(node["members"], where)
        if not isinstance(params, dict) or not isinstance(fitted, dict) or not isinstance(members, list):
            self._fail(f"{where}: TorchClassifier params and fitted must be dicts, members a list")
        try:
            if get_spec(str(params.get("model_name"))).family != "torch":
                self._fail(f"{where}: {params.get('model_name')!r} is not a deep model")
            shadowing = sorted(k for k in fitted if not isinstance(k, str) or hasattr(TorchClassifier, k))
            if shadowing:
                self._fail(f"{where}: the fitted state would replace the trainer's class attributes {shadowing}")
            est = TorchClassifier(**{**params, **_TRAINING_ONLY_PARAMS})
            est.__dict__.update({k: v for k, v in fitted.items() if k not in params})
            est.models_ = []
            for sd in members:
                model = est._build_model().to(est.device)
                model.load_state_dict(sd)
                est.models_.append(model.eval())
        except (ConfigError, TypeError, RuntimeError, KeyError, ValueError, AttributeError) as exc:
            raise DataError(f"{where}: cannot rebuild the deep model ({type(exc).__name__}: {exc})",
                            self.tree_file) from exc
        return est


def estimator_from_state(tree, arrays, tree_file: str | Path, arrays_file: str | Path):
    """The estimator :func:`estimator_to_state` described. ``arrays`` is the opened arrays file
    (``np.load(..., allow_pickle=False)``); errors name ``tree_file`` or ``arrays_file``."""
    tree_file, arrays_file = Path(tree_file), Path(arrays_file)
    if not isinstance(tree, dict) or set(tree) != {"estimator"}:
        raise DataError("expected a JSON object with the single key 'estimator'", tree_file)
    try:
        return _Reader(arrays, tree_file, arrays_file).decode(tree["estimator"], "estimator")
    except RecursionError as exc:
        raise DataError("the estimator tree is nested too deeply", tree_file) from exc
