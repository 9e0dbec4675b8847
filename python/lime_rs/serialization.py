"""Audit records of explanations: a versioned JSON/dict schema
(``docs/explanation_schema.md``), the explainer settings recorded on every
explanation, and the weights' confidence intervals as a pandas DataFrame.

``Explanation.to_json`` / ``from_json`` / ``to_dict`` / ``from_dict`` /
``as_frame`` are thin methods that call this module.
"""

import json
import math
import numbers
from functools import partial

import numpy as np

SCHEMA = "lime_rs.explanation"
SCHEMA_VERSION = 1

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "StoredDomainMapper",
    "as_frame",
    "from_dict",
    "from_json",
    "record",
    "to_dict",
    "to_json",
]

_DISCRETIZER_NAMES = {
    "QuartileDiscretizer": "quartile",
    "DecileDiscretizer": "decile",
    "EntropyDiscretizer": "entropy",
    "StatsDiscretizer": "stats",
}


# --------------------------------------------------------------------------
# Plain JSON values
# --------------------------------------------------------------------------


def _plain(value):
    """``value`` with numpy scalars/arrays turned into JSON-native values."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | range):
        return [_plain(v) for v in value]
    return str(value)


def _float(value):
    """A float for JSON: NaN and infinities become None (strict JSON)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _callable_name(fn):
    if isinstance(fn, partial):
        fn = fn.func
    module = getattr(fn, "__module__", None) or ""
    name = getattr(fn, "__qualname__", None) or type(fn).__name__
    return f"{module}.{name}" if module else name


# --------------------------------------------------------------------------
# Settings recorded by the explainers
# --------------------------------------------------------------------------


def _kernel_settings(explainer):
    base = getattr(explainer, "base", None)
    kernel_fn = getattr(base, "kernel_fn", None)
    out = {"kernel_width": None, "kernel": None}
    if isinstance(kernel_fn, partial):
        width = kernel_fn.keywords.get("kernel_width")
        out["kernel_width"] = _plain(width) if isinstance(width, numbers.Real) else None
        fn = kernel_fn.func
        from lime_rs._pipeline import exponential_kernel

        default = fn is exponential_kernel or (
            getattr(fn, "__name__", "") == "_exponential_kernel"
            and getattr(fn, "__module__", "").startswith("lime_rs.")
        )
        out["kernel"] = "exponential" if default else _callable_name(fn)
    elif kernel_fn is not None:
        out["kernel"] = _callable_name(kernel_fn)
    return out


def _settings_key(explainer):
    """What the explainer part of the settings depends on (compared by
    identity or value, so a changed attribute is noticed)."""
    base = getattr(explainer, "base", None)
    return (
        type(explainer),
        getattr(base, "kernel_fn", None),
        getattr(explainer, "feature_selection", None),
        getattr(explainer, "discretizer", None),
        getattr(explainer, "sample_around_instance", None),
        getattr(explainer, "bow", None),
        getattr(explainer, "char_level", None),
        getattr(explainer, "mask_string", None),
        getattr(explainer, "split_expression", None),
    )


def _explainer_settings(explainer):
    """The explainer part of the recorded settings (JSON values), cached on
    the explainer until one of its attributes changes."""
    key = _settings_key(explainer)
    cached = explainer.__dict__.get("_recorded_settings")
    if cached is not None and cached[0] == key:
        return cached[1]
    settings = {"explainer": type(explainer).__name__}
    settings.update(_kernel_settings(explainer))
    settings["feature_selection"] = getattr(explainer, "feature_selection", None)
    if hasattr(explainer, "discretizer"):
        disc = explainer.discretizer
        settings["discretize_continuous"] = disc is not None
        settings["discretizer"] = (
            None
            if disc is None
            else _DISCRETIZER_NAMES.get(type(disc).__name__, type(disc).__name__)
        )
        settings["sample_around_instance"] = bool(
            getattr(explainer, "sample_around_instance", False)
        )
    for attr in ("bow", "char_level", "mask_string"):
        if hasattr(explainer, attr):
            settings[attr] = getattr(explainer, attr)
    if hasattr(explainer, "split_expression"):
        split = explainer.split_expression
        settings["split_expression"] = split if isinstance(split, str) else _callable_name(split)
    settings = _plain(settings)
    explainer.__dict__["_recorded_settings"] = (key, settings)
    return settings


def record(exp, explainer, seed, **call):
    """Records on ``exp`` the settings of ``explainer`` and of the call
    (``call``: num_samples, num_features, distance_metric, ...) as
    ``exp.explainer_settings`` (a dict of JSON values) and the 64-bit seed the
    explanation's neighbourhood was drawn from as ``exp.seed``."""
    settings = dict(_explainer_settings(explainer))
    for key, value in call.items():
        if key == "model_regressor":
            value = None if value is None else repr(value)
        elif not (value is None or type(value) in (int, str, float, bool)):
            value = _plain(value)
        settings[key] = value
    exp.explainer_settings = settings
    exp.seed = None if seed is None else int(seed)
    return exp


# --------------------------------------------------------------------------
# Domain mappers of loaded explanations
# --------------------------------------------------------------------------


class StoredDomainMapper:
    """Domain mapper of a loaded explanation whose original mapper was neither
    a tabular nor a text one: maps feature ids to the stored names and renders
    no instance view (the bar charts of ``as_html`` are complete)."""

    def __init__(self, names):
        self.names = {int(k): v for k, v in names.items()}

    def map_exp_ids(self, exp, **kwargs):
        return [(self.names.get(int(i), str(i)), w) for i, w in exp]

    def visualize_instance_html(self, exp, label, div_name, exp_object_name, **kwargs):
        return ""


class _StoredIndexedString:
    """What a TextDomainMapper reads of an IndexedString, restored from a
    record: the raw text, its tokens and each feature's word and positions."""

    def __init__(self, raw, tokens, bow, words, positions):
        self.raw = raw
        self.as_list = list(tokens)
        self.as_np = np.array(self.as_list)
        self.bow = bool(bow)
        self.inverse_vocab = list(words)
        self._positions = positions

    def raw_string(self):
        return self.raw

    def num_words(self):
        return len(self.inverse_vocab)

    def word(self, id_):
        return self.inverse_vocab[id_]

    def string_position(self, id_):
        return np.array(self._positions[id_])


def _domain_record(exp):
    from lime_rs.lime_tabular import TableDomainMapper
    from lime_rs.lime_text import TextDomainMapper

    mapper = exp.domain_mapper
    if isinstance(mapper, TableDomainMapper):
        scaled = mapper.scaled_row
        scaled = None if scaled is None or hasattr(scaled, "nnz") else _plain(np.asarray(scaled))
        indexes = mapper.feature_indexes
        return {
            "kind": "tabular",
            "feature_names": _plain(list(mapper.exp_feature_names)),
            "feature_values": _plain(list(mapper.feature_values)),
            "discretized_feature_names": None
            if mapper.discretized_feature_names is None
            else _plain(list(mapper.discretized_feature_names)),
            "feature_indexes": None if indexes is None else _plain(np.asarray(indexes)),
            "categorical_features": _plain(list(mapper.categorical_features)),
            "all_categorical": bool(mapper.all_categorical),
            "scaled_row": scaled,
        }
    if isinstance(mapper, TextDomainMapper):
        indexed = mapper.indexed_string
        n = indexed.num_words()
        return {
            "kind": "text",
            "raw": str(indexed.raw_string()),
            "tokens": [str(t) for t in indexed.as_list],
            "bow": bool(getattr(indexed, "bow", True)),
            "words": [str(indexed.word(i)) for i in range(n)],
            "positions": [_plain(np.atleast_1d(indexed.string_position(i))) for i in range(n)],
        }
    return {"kind": "generic"}


def _domain_mapper(domain, names):
    kind = _field(domain, "kind", "domain")
    if kind == "tabular":
        from lime_rs.lime_tabular import TableDomainMapper

        mapper = TableDomainMapper.__new__(TableDomainMapper)
        mapper.exp_feature_names = list(_field(domain, "feature_names", "domain"))
        mapper.feature_names = mapper.exp_feature_names
        mapper.feature_values = list(_field(domain, "feature_values", "domain"))
        mapper.discretized_feature_names = _field(domain, "discretized_feature_names", "domain")
        indexes = _field(domain, "feature_indexes", "domain")
        mapper.feature_indexes = None if indexes is None else np.asarray(indexes, dtype=np.int32)
        mapper.categorical_features = list(_field(domain, "categorical_features", "domain"))
        mapper.all_categorical = bool(_field(domain, "all_categorical", "domain"))
        scaled = domain.get("scaled_row")
        mapper.scaled_row = None if scaled is None else np.asarray(scaled, dtype=np.float64)
        return mapper
    if kind == "text":
        from lime_rs.lime_text import TextDomainMapper

        indexed = _StoredIndexedString(
            _field(domain, "raw", "domain"),
            _field(domain, "tokens", "domain"),
            _field(domain, "bow", "domain"),
            _field(domain, "words", "domain"),
            _field(domain, "positions", "domain"),
        )
        return TextDomainMapper(indexed)
    if kind == "generic":
        return StoredDomainMapper(names)
    raise ValueError(f"domain.kind: unknown kind {kind!r}; expected 'tabular', 'text' or 'generic'")


# --------------------------------------------------------------------------
# to_dict / from_dict
# --------------------------------------------------------------------------


def _lime_rs_version():
    from lime_rs import __version__

    return __version__


def to_dict(exp):
    """The explanation as a dict of JSON values (schema version 1)."""
    stderr_map = getattr(exp, "local_exp_stderr", {}) or {}
    labels = []
    names = {}
    for label, pairs in exp.local_exp.items():
        mapped = exp.domain_mapper.map_exp_ids(pairs)
        se = dict((int(i), s) for i, s in stderr_map.get(label, []))
        features = []
        for (fid, weight), (name, _) in zip(pairs, mapped):
            names[int(fid)] = _plain(name)
            features.append(
                {
                    "id": int(fid),
                    "name": _plain(name),
                    "weight": float(weight),
                    "stderr": _float(se[int(fid)]) if int(fid) in se else None,
                }
            )
        local_pred = exp.local_pred.get(label) if isinstance(exp.local_pred, dict) else None
        score = exp.score.get(label) if isinstance(exp.score, dict) else None
        labels.append(
            {
                "label": int(label),
                "intercept": _float(exp.intercept[label]) if label in exp.intercept else None,
                "score": _float(score),
                "local_pred": None
                if local_pred is None
                else [_float(v) for v in np.atleast_1d(np.asarray(local_pred, dtype=np.float64))],
                "has_stderr": label in stderr_map,
                "features": features,
            }
        )
    out = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "lime_rs_version": _lime_rs_version(),
        "mode": exp.mode,
        "class_names": None if exp.class_names is None else _plain(list(exp.class_names)),
        "labels": labels,
        "settings": getattr(exp, "explainer_settings", None),
        "seed": getattr(exp, "seed", None),
        "domain": _domain_record(exp),
    }
    if exp.mode == "classification":
        proba = exp.predict_proba
        out["predict_proba"] = None if proba is None else _plain(np.asarray(proba, dtype=float))
        out["top_labels"] = None if exp.top_labels is None else [int(t) for t in exp.top_labels]
    else:
        out["predicted_value"] = _float(exp.predicted_value)
        out["min_value"] = _float(exp.min_value)
        out["max_value"] = _float(exp.max_value)
    return out


_MISSING = object()


def _field(record, name, where):
    value = record.get(name, _MISSING) if isinstance(record, dict) else _MISSING
    if value is _MISSING:
        path = name if where is None else f"{where}.{name}"
        raise ValueError(
            f"explanation record: missing field {path!r} (schema {SCHEMA} version "
            f"{SCHEMA_VERSION}; see docs/explanation_schema.md)"
        )
    return value


def _nan(value):
    return float("nan") if value is None else float(value)


def from_dict(record):
    """An :class:`~lime_rs.explanation.Explanation` from :func:`to_dict`'s output."""
    from lime_rs.explanation import Explanation

    if not isinstance(record, dict):
        raise TypeError(f"record: expected a dict, got {type(record).__name__}")
    schema = _field(record, "schema", None)
    if schema != SCHEMA:
        raise ValueError(f"schema: expected {SCHEMA!r}, got {schema!r}")
    version = _field(record, "schema_version", None)
    if version != SCHEMA_VERSION:
        raise ValueError(
            f"schema_version: unknown version {version!r}; this lime_rs "
            f"({_lime_rs_version()}) reads version {SCHEMA_VERSION}"
        )
    mode = _field(record, "mode", None)
    if mode not in ("classification", "regression"):
        raise ValueError(f"mode: expected 'classification' or 'regression', got {mode!r}")
    labels = _field(record, "labels", None)
    if not isinstance(labels, list):
        raise ValueError(f"labels: expected a list, got {type(labels).__name__}")
    names = {}
    for i, entry in enumerate(labels):
        for feat in _field(entry, "features", f"labels[{i}]"):
            names[int(_field(feat, "id", f"labels[{i}].features"))] = feat.get("name")
    domain = _field(record, "domain", None)
    mapper = _domain_mapper(domain, names)
    class_names = _field(record, "class_names", None)
    exp = Explanation(mapper, mode=mode, class_names=class_names)
    if not isinstance(exp.score, dict):
        exp.score, exp.local_pred = {}, {}
    exp.local_exp_stderr = {}
    for i, entry in enumerate(labels):
        where = f"labels[{i}]"
        label = int(_field(entry, "label", where))
        feats = _field(entry, "features", where)
        pairs = []
        ses = []
        for j, feat in enumerate(feats):
            fw = f"{where}.features[{j}]"
            fid = np.int64(_field(feat, "id", fw))
            pairs.append((fid, np.float64(_field(feat, "weight", fw))))
            ses.append((fid, np.float64(_nan(feat.get("stderr")))))
        exp.local_exp[label] = pairs
        if entry.get("has_stderr", False):
            exp.local_exp_stderr[label] = ses
        intercept = _field(entry, "intercept", where)
        if intercept is not None:
            exp.intercept[label] = np.float64(intercept)
        score = _field(entry, "score", where)
        if score is not None:
            exp.score[label] = float(score)
        local_pred = _field(entry, "local_pred", where)
        if local_pred is not None:
            exp.local_pred[label] = np.array([_nan(v) for v in local_pred])
    if mode == "classification":
        proba = _field(record, "predict_proba", None)
        exp.predict_proba = None if proba is None else np.asarray(proba, dtype=np.float64)
        top = _field(record, "top_labels", None)
        exp.top_labels = None if top is None else [int(t) for t in top]
    else:
        exp.predicted_value = _nan(_field(record, "predicted_value", None))
        exp.min_value = _nan(_field(record, "min_value", None))
        exp.max_value = _nan(_field(record, "max_value", None))
    exp.explainer_settings = record.get("settings")
    exp.seed = record.get("seed")
    exp.lime_rs_version = record.get("lime_rs_version")
    return exp


def to_json(exp, **kwargs):
    """:func:`to_dict` as a JSON string (``kwargs`` go to ``json.dumps``)."""
    kwargs.setdefault("allow_nan", False)
    return json.dumps(to_dict(exp), **kwargs)


def from_json(s):
    """An explanation from :func:`to_json`'s output (str, bytes or a file object)."""
    if hasattr(s, "read"):
        s = s.read()
    if not isinstance(s, str | bytes | bytearray):
        raise TypeError(f"s: expected a JSON string, got {type(s).__name__}")
    try:
        record = json.loads(s)
    except json.JSONDecodeError as exc:
        raise ValueError(f"s: is not valid JSON: {exc}") from None
    return from_dict(record)


# --------------------------------------------------------------------------
# as_frame
# --------------------------------------------------------------------------


def _pandas():
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "Explanation.as_frame needs pandas, an optional dependency of lime_rs: "
            "pip install pandas (or pip install 'lime-rs[pandas]')"
        ) from None
    return pd


Z95 = 1.959963984540054


def as_frame(exp, label=1, **kwargs):
    """The label's weights as a DataFrame: feature, weight, stderr and the
    normal 95% confidence interval ``weight ± 1.96·stderr`` (NaN when the
    standard error is unknown: a user-supplied ``model_regressor``)."""
    pd = _pandas()
    key = exp._label_key(label)
    pairs = exp.local_exp[key]
    names = [name for name, _ in exp.domain_mapper.map_exp_ids(pairs, **kwargs)]
    se_map = dict((int(i), float(s)) for i, s in getattr(exp, "local_exp_stderr", {}).get(key, []))
    weights = np.array([float(w) for _, w in pairs], dtype=np.float64)
    se = np.array([se_map.get(int(i), np.nan) for i, _ in pairs], dtype=np.float64)
    return pd.DataFrame(
        {
            "feature": names,
            "weight": weights,
            "stderr": se,
            "ci_low": weights - Z95 * se,
            "ci_high": weights + Z95 * se,
        }
    )
