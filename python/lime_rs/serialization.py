"""Audit records of explanations: a versioned JSON/dict schema
(``docs/explanation_schema.md``), the explainer settings recorded on every
explanation, and the weights' confidence intervals as a pandas DataFrame.

``Explanation.to_json`` / ``from_json`` / ``to_dict`` / ``from_dict`` /
``as_frame`` are thin methods that call this module.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Callable, Mapping
from functools import partial
from typing import IO, Any, Literal, TypeVar, overload

import numpy as np

from lime_rs import _pipeline
from lime_rs._native import __version__
from lime_rs.explanation import DomainMapper, Explanation

SCHEMA = "lime_rs.explanation"
SCHEMA_VERSION = 2
#: Versions from_dict reads (version 1: no ``sampling`` field).
READABLE_VERSIONS = (1, 2)

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "READABLE_VERSIONS",
    "StoredDomainMapper",
    "as_frame",
    "from_dict",
    "from_json",
    "invalid",
    "json_value",
    "read_bool",
    "read_dict",
    "read_field",
    "read_float",
    "read_int",
    "read_json",
    "read_list",
    "read_sampling",
    "read_scalar",
    "read_str",
    "record",
    "to_dict",
    "to_json",
]

_Exp = TypeVar("_Exp", bound=Any)  # an Explanation, or lime_image's ImageExplanation

_DISCRETIZER_NAMES = {
    "QuartileDiscretizer": "quartile",
    "DecileDiscretizer": "decile",
    "EntropyDiscretizer": "entropy",
    "StatsDiscretizer": "stats",
}


# --------------------------------------------------------------------------
# Plain JSON values
# --------------------------------------------------------------------------


def json_value(value: Any) -> Any:
    """``value`` with numpy scalars/arrays turned into JSON-native values."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, dict):  # before numbers: Explanation.score is both
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, np.ndarray):
        return [json_value(v) for v in value.tolist()]
    if isinstance(value, list | tuple | range):
        return [json_value(v) for v in value]
    return str(value)


def _float(value: Any) -> float | None:
    """A float for JSON: NaN and infinities become None (strict JSON)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _callable_name(fn: Any) -> str:
    if isinstance(fn, partial):
        fn = fn.func
    module = getattr(fn, "__module__", None) or ""
    name = getattr(fn, "__qualname__", None) or type(fn).__name__
    return f"{module}.{name}" if module else name


# --------------------------------------------------------------------------
# Settings recorded by the explainers
# --------------------------------------------------------------------------


def _kernel_settings(explainer: Any) -> dict[str, Any]:
    base = getattr(explainer, "base", None)
    kernel_fn = getattr(base, "kernel_fn", None)
    out: dict[str, Any] = {"kernel_width": None, "kernel": None}
    if isinstance(kernel_fn, partial):
        width = kernel_fn.keywords.get("kernel_width")
        out["kernel_width"] = json_value(width) if isinstance(width, numbers.Real) else None
        default = _pipeline.default_kernel_width(kernel_fn) is not None
        out["kernel"] = "exponential" if default else _callable_name(kernel_fn.func)
    elif kernel_fn is not None:
        out["kernel"] = _callable_name(kernel_fn)
    return out


_SETTINGS_ATTRS = ("feature_selection", "discretizer", "sample_around_instance", "bow",
                   "char_level", "mask_string", "split_expression")  # fmt: skip


def _explainer_settings(explainer: Any) -> dict[str, Any]:
    """The explainer part of the recorded settings (JSON values), cached on
    the explainer until one of the attributes they are read from changes."""
    kernel_fn = getattr(getattr(explainer, "base", None), "kernel_fn", None)
    key = (type(explainer), kernel_fn, *(getattr(explainer, a, None) for a in _SETTINGS_ATTRS))
    cached = explainer.__dict__.get("_recorded_settings")
    if cached is not None and cached[0] == key:
        return cached[1]
    settings: dict[str, Any] = {"explainer": type(explainer).__name__}
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
    settings = json_value(settings)
    explainer.__dict__["_recorded_settings"] = (key, settings)
    return settings


def record(exp: _Exp, explainer: Any, seed: int | None, **call: Any) -> _Exp:
    """Records on ``exp`` the settings of ``explainer`` and of the call
    (``call``: num_samples, num_features, distance_metric, ...) as
    ``exp.explainer_settings`` (a dict of JSON values) and the 64-bit seed the
    explanation's neighbourhood was drawn from as ``exp.seed``."""
    settings = dict(_explainer_settings(explainer))
    for key, value in call.items():
        if key == "model_regressor":
            value = None if value is None else repr(value)
        elif not (value is None or type(value) in (int, str, float, bool)):
            value = json_value(value)
        settings[key] = value
    exp.explainer_settings = settings
    exp.seed = None if seed is None else int(seed)
    return exp


# --------------------------------------------------------------------------
# Reading records: every field checked, one ValueError naming its path
# --------------------------------------------------------------------------
#
# ``path`` is where a value sits in the record, as Python would index it from
# the top (``labels[0].features[3].id``, ``domain.positions[2][0]``). Domain
# mappers' ``from_record`` read their part with these helpers.

_INT64 = 2**63
_MAX_DEPTH = 64  # nesting of free-form JSON values (names, settings)


def invalid(path: str, problem: str, missing: bool = False) -> ValueError:
    """The error for a bad field: it names the field's path."""
    what = f"missing field {path!r}" if missing else f"field {path!r}: {problem}"
    return ValueError(
        f"explanation record: {what} (schema {SCHEMA} version {SCHEMA_VERSION}; "
        "see docs/explanation_schema.md)"
    )


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _shown(value: Any) -> str:
    """A short repr of a scalar, the type of anything else (which may be
    nested too deeply to repr)."""
    return f"{value!r:.60}" if isinstance(value, str | int | float | bool) else _kind(value)


def read_dict(value: Any, path: str) -> dict[str, Any]:
    """A JSON object."""
    if not isinstance(value, dict):
        raise invalid(path, f"expected an object, got {_kind(value)}")
    return value


def read_field(record: Any, name: str, path: str, read: Callable[..., Any] | None = None,
               **kwargs: Any) -> Any:  # fmt: skip
    """``record[name]``, present (it may be null) in an object at ``path``;
    with ``read``, checked by ``read(value, its_path, **kwargs)``."""
    where = f"{path}.{name}" if path else name
    if name not in read_dict(record, path or "record"):
        raise invalid(where, "", missing=True)
    return record[name] if read is None else read(record[name], where, **kwargs)


def read_list(value: Any, path: str, item: Callable[[Any, str], Any] | None = None,
              length: int | None = None, null: bool = False) -> Any:  # fmt: skip
    """A JSON array (None when ``null`` allows it), each element read by
    ``item(element, element_path)``; ``length``: the count it must have."""
    if value is None and null:
        return None
    if not isinstance(value, list):
        expected = "an array or null" if null else "an array"
        raise invalid(path, f"expected {expected}, got {_kind(value)}")
    if length is not None and len(value) != length:
        raise invalid(path, f"expected {length} items, got {len(value)}")
    if item is None:
        return value
    return [item(v, f"{path}[{i}]") for i, v in enumerate(value)]


def read_int(value: Any, path: str, lo: int = -_INT64, hi: int = _INT64) -> int:
    """An integer with ``lo <= value < hi`` (64-bit by default; no bool)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(path, f"expected an integer, got {_kind(value)}")
    if not lo <= value < hi:
        shown = str(value) if abs(value) < 10**30 else f"an integer of {value.bit_length()} bits"
        raise invalid(path, f"{shown} is out of range [{lo}, {hi - 1}]")
    return value


@overload
def read_float(value: Any, path: str, null: Literal[False] = False) -> float: ...
@overload
def read_float(value: Any, path: str, null: bool) -> float | None: ...
def read_float(value: Any, path: str, null: bool = False) -> float | None:
    """A finite number (None when ``null`` allows it)."""
    if value is None and null:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        expected = "a number or null" if null else "a number"
        raise invalid(path, f"expected {expected}, got {_kind(value)}")
    try:
        out = float(value)
    except OverflowError:
        out = math.inf
    if not math.isfinite(out):
        raise invalid(path, f"expected a finite number, got {value!r:.40}")
    return out


def read_bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise invalid(path, f"expected true or false, got {_kind(value)}")
    return value


def read_str(value: Any, path: str) -> str:
    """A string of valid Unicode (JSON's escapes allow lone surrogates, which
    neither UTF-8 nor matplotlib take)."""
    if not isinstance(value, str):
        raise invalid(path, f"expected a string, got {_kind(value)}")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise invalid(path, f"not valid Unicode (a lone surrogate at {exc.start})") from None
    return value


def read_scalar(value: Any, path: str) -> str | int | float | bool | None:
    """A JSON scalar (a name or a shown value); integers within 64 bits (one
    of thousands of digits would not even print)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return read_int(value, path, -_INT64, 2 * _INT64)
    if isinstance(value, str):
        return read_str(value, path)
    if value is not None and not isinstance(value, float | bool):
        raise invalid(path, f"expected a string or a number, got {_kind(value)}")
    return value


def read_json(value: Any, path: str, depth: int = 0) -> Any:
    """Any JSON value, nested at most ``_MAX_DEPTH`` deep (free-form fields)."""
    if value is None or isinstance(value, str | int | float | bool):
        return read_scalar(value, path)
    if depth >= _MAX_DEPTH:
        raise invalid(path, f"nested deeper than {_MAX_DEPTH} levels")
    if isinstance(value, list):
        for i, v in enumerate(value):
            read_json(v, f"{path}[{i}]", depth + 1)
        return value
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise invalid(path, f"object keys must be strings, got {_kind(k)}")
            key = f".{k}" if read_str(k, path).isidentifier() else f"[{k!r}]"
            read_json(v, path + key, depth + 1)
        return value
    raise invalid(path, f"expected a JSON value, got {_kind(value)}")


# --------------------------------------------------------------------------
# Domain mappers of loaded explanations
# --------------------------------------------------------------------------


class StoredDomainMapper(DomainMapper):
    """Domain mapper of a loaded explanation whose original mapper was neither
    a tabular nor a text one: maps feature ids to the stored names and renders
    no instance view (the bar charts of ``as_html`` are complete)."""

    def __init__(self, names: Mapping[int, Any]) -> None:
        self.names = {int(k): v for k, v in names.items()}

    def map_exp_ids(self, exp: list[tuple[Any, Any]], **kwargs: Any) -> list[tuple[Any, Any]]:
        return [(self.names.get(int(i), str(i)), w) for i, w in exp]


def _mapper_classes() -> dict[str, Any]:
    """Domain kind -> mapper class with ``from_record`` (imported on use: the
    explainer modules import this one)."""
    from lime_rs.lime_tabular import TableDomainMapper
    from lime_rs.lime_text import TextDomainMapper

    return {"tabular": TableDomainMapper, "text": TextDomainMapper}


def _domain_record(mapper: Any) -> dict[str, Any]:
    to_record = getattr(mapper, "to_record", None)
    return to_record() if callable(to_record) else {"kind": "generic"}


def _domain_mapper(domain: Any, names: dict[int, Any]) -> Any:
    kind = read_field(domain, "kind", "domain", read_str)
    classes = _mapper_classes()
    if kind in classes:
        return classes[kind].from_record(domain, "domain")
    if kind == "generic":
        return StoredDomainMapper(names)
    raise invalid(
        "domain.kind", f"unknown kind {_shown(kind)}; expected 'tabular', 'text' or 'generic'"
    )


# --------------------------------------------------------------------------
# to_dict / from_dict
# --------------------------------------------------------------------------


def to_dict(exp: Explanation) -> dict[str, Any]:
    """The explanation as a dict of JSON values (schema version 2)."""
    stderr_map = getattr(exp, "local_exp_stderr", {}) or {}
    labels = []
    for label, pairs in exp.local_exp.items():
        mapped = exp.domain_mapper.map_exp_ids(pairs)
        se = {int(i): s for i, s in stderr_map.get(label, [])}
        features = [
            {"id": int(fid), "name": json_value(name), "weight": float(weight),
             "stderr": _float(se.get(int(fid)))}
            for (fid, weight), (name, _) in zip(pairs, mapped)
        ]  # fmt: skip
        local_pred = exp.local_pred.get(label) if isinstance(exp.local_pred, dict) else None
        score = exp.score.get(label) if isinstance(exp.score, dict) else None
        labels.append(
            {
                "label": int(label),
                "intercept": _float(exp.intercept.get(label)),
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
        "lime_rs_version": __version__,
        "mode": exp.mode,
        "class_names": None if exp.class_names is None else json_value(list(exp.class_names)),
        "labels": labels,
        "settings": getattr(exp, "explainer_settings", None),
        "seed": getattr(exp, "seed", None),
        "sampling": _sampling_record(getattr(exp, "sampling", None)),
        "domain": _domain_record(exp.domain_mapper),
    }
    if exp.mode == "classification":
        proba = exp.predict_proba
        out["predict_proba"] = None if proba is None else json_value(np.asarray(proba, dtype=float))
        out["top_labels"] = None if exp.top_labels is None else [int(t) for t in exp.top_labels]
    else:
        for key in ("predicted_value", "min_value", "max_value"):
            out[key] = _float(getattr(exp, key))
    return out


def _read_feature(feat: Any, path: str) -> tuple[int, Any, float, float | None]:
    read_dict(feat, path)
    fid = read_field(feat, "id", path, read_int, lo=0)
    name = read_json(feat.get("name"), f"{path}.name")
    weight = read_field(feat, "weight", path, read_float)
    stderr = read_float(feat.get("stderr"), f"{path}.stderr", null=True)
    if stderr is not None and stderr < 0:
        raise invalid(f"{path}.stderr", f"a standard error is not negative, got {stderr}")
    return fid, name, weight, stderr


def _read_label(exp: Explanation, entry: Any, where: str, n_labels: int | None,
                names: dict[int, Any]) -> None:  # fmt: skip
    """One ``labels`` entry into ``exp``; each feature's name into ``names``
    (its id is checked against the domain once the domain is read)."""
    read_dict(entry, where)
    hi = 2 if exp.mode == "regression" else _INT64 if n_labels is None else n_labels
    lo = 0 if exp.mode == "regression" else -hi
    label = read_field(entry, "label", where, read_int, lo=lo, hi=hi)
    if label in exp.local_exp:
        raise invalid(f"{where}.label", f"label {label} appears twice")
    features = read_field(entry, "features", where, read_list)
    has_stderr = read_bool(entry.get("has_stderr", False), f"{where}.has_stderr")
    local_pred = read_field(entry, "local_pred", where, read_list, null=True,
                            item=lambda v, p: _nan(read_float(v, p, null=True)))  # fmt: skip
    if local_pred is not None and not local_pred:
        raise invalid(f"{where}.local_pred", "expected at least one number")
    intercept = read_field(entry, "intercept", where, read_float, null=True)
    score = read_field(entry, "score", where, read_float, null=True)
    pairs, ses, seen = [], [], set()
    for j, feat in enumerate(features):
        path = f"{where}.features[{j}]"
        fid, names[fid], weight, stderr = _read_feature(feat, path)
        if fid in seen:
            raise invalid(f"{path}.id", f"feature {fid} appears twice in the label")
        seen.add(fid)
        pairs.append((np.int64(fid), np.float64(weight)))
        ses.append((np.int64(fid), np.float64(_nan(stderr))))
    exp.local_exp[label] = pairs
    if has_stderr:
        exp.local_exp_stderr[label] = ses
    if intercept is not None:
        exp.intercept[label] = np.float64(intercept)
    if score is not None:
        exp.score[label] = score
    if local_pred is not None:
        exp.local_pred[label] = np.array(local_pred)


def _sampling_record(sampling: Any) -> dict[str, Any] | None:
    if sampling is None:
        return None
    out = {key: json_value(value) for key, value in sampling.items()}
    if out.get("confidence") is not None:
        out["confidence"] = _float(out["confidence"])
    return out


def read_sampling(value: Any, path: str = "sampling") -> dict[str, Any] | None:
    """``exp.sampling`` (num_samples="auto", issue #17): null or an object
    with ``num_samples``, ``rounds``, ``certified``, ``confidence``,
    ``max_samples`` (required); ``adaptive``, ``reason``, and for text and
    images ``rows`` and ``exact`` (optional). Unknown extra keys are kept as
    JSON values."""
    if value is None:
        return None
    out = dict(read_json(read_dict(value, path), path))
    for key in ("num_samples", "rounds", "max_samples"):
        out[key] = read_field(value, key, path, read_int, lo=1)
    out["certified"] = read_field(value, "certified", path, read_bool)
    confidence = read_field(value, "confidence", path, read_float, null=True)
    if confidence is not None and not 0.0 < confidence < 1.0:
        raise invalid(f"{path}.confidence", f"expected a number in (0, 1), got {confidence}")
    if out["certified"] and confidence is None:
        raise invalid(f"{path}.confidence", "a certified explanation states its confidence")
    out["confidence"] = confidence
    for key in ("adaptive", "exact"):
        if key in value:
            out[key] = read_bool(value[key], f"{path}.{key}")
    if "rows" in value:
        out["rows"] = read_int(value["rows"], f"{path}.rows", lo=1)
    if value.get("reason") is not None:
        out["reason"] = read_str(value["reason"], f"{path}.reason")
    return out


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def from_dict(record: Mapping[str, Any]) -> Explanation:
    """An :class:`~lime_rs.explanation.Explanation` from :func:`to_dict`'s
    output. Every field is checked first: a bad one raises one ValueError that
    names its path (``labels[0].features[3].id``); what loads renders."""
    if not isinstance(record, dict):
        raise TypeError(f"record: expected a dict, got {type(record).__name__}")
    schema = read_field(record, "schema", "")
    if schema != SCHEMA:
        raise ValueError(f"schema: expected {SCHEMA!r}, got {_shown(schema)}")
    version = read_field(record, "schema_version", "")
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise ValueError(
            f"schema_version: unknown version {_shown(version)}; this lime_rs "
            f"({__version__}) reads versions " + ", ".join(str(v) for v in READABLE_VERSIONS)
        )
    mode = read_field(record, "mode", "")
    if mode not in ("classification", "regression"):
        raise invalid("mode", f"expected 'classification' or 'regression', got {_shown(mode)}")
    class_names = read_field(record, "class_names", "", read_list, item=read_scalar, null=True)
    exp = Explanation(None, mode=mode, class_names=class_names)
    names: dict[int, Any] = {}
    n_labels = None if class_names is None else len(class_names)
    for i, entry in enumerate(read_field(record, "labels", "", read_list)):
        _read_label(exp, entry, f"labels[{i}]", n_labels, names)
    if mode == "classification":
        proba = read_field(record, "predict_proba", "", read_list, item=read_float, null=True)
        exp.predict_proba = None if proba is None else np.asarray(proba, dtype=np.float64)
        exp.top_labels = read_field(record, "top_labels", "", read_list, item=read_int, null=True)
        for i, t in enumerate(exp.top_labels or ()):
            if t not in exp.local_exp:
                raise invalid(f"top_labels[{i}]", f"label {t} has no entry in labels")
    else:
        if 1 not in exp.local_exp:
            raise invalid("labels", "a regression record explains label 1 (and its mirror 0)")
        exp.predicted_value, exp.min_value, exp.max_value = (
            _nan(read_field(record, k, "", read_float, null=True))
            for k in ("predicted_value", "min_value", "max_value")
        )
    exp.explainer_settings = read_json(record.get("settings"), "settings")
    if exp.explainer_settings is not None:
        read_dict(exp.explainer_settings, "settings")
    exp.seed = record.get("seed")
    if exp.seed is not None:
        read_int(exp.seed, "seed", 0, 2**64)
    exp.lime_rs_version = record.get("lime_rs_version")
    if exp.lime_rs_version is not None:
        read_str(exp.lime_rs_version, "lime_rs_version")
    # version 1 records predate the field
    exp.sampling = read_field(record, "sampling", "", read_sampling) if version >= 2 else None
    exp.domain_mapper = _domain_mapper(read_field(record, "domain", "", read_dict), names)
    n_features = exp.domain_mapper.feature_count()
    for i, pairs in enumerate(exp.local_exp.values() if n_features is not None else ()):
        for j, (fid, _) in enumerate(pairs):
            read_int(int(fid), f"labels[{i}].features[{j}].id", 0, n_features)
    return exp


def to_json(exp: Explanation, **kwargs: Any) -> str:
    """:func:`to_dict` as a JSON string (``kwargs`` go to ``json.dumps``)."""
    kwargs.setdefault("allow_nan", False)
    return json.dumps(to_dict(exp), **kwargs)


def from_json(s: str | bytes | bytearray | IO[Any]) -> Explanation:
    """An explanation from :func:`to_json`'s output (str, bytes or a file
    object); a record that is not one raises ValueError (see :func:`from_dict`)."""
    if hasattr(s, "read"):
        s = s.read()
    if not isinstance(s, str | bytes | bytearray):
        raise TypeError(f"s: expected a JSON string, got {type(s).__name__}")
    try:
        record = json.loads(s)
    except RecursionError:
        raise ValueError("s: is not an explanation record: JSON nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, bad UTF-8, an integer of > 4300 digits
        raise ValueError(f"s: is not valid JSON: {exc}") from None
    if not isinstance(record, dict):
        raise invalid("record", f"expected an object, got {_kind(record)}")
    return from_dict(record)


# --------------------------------------------------------------------------
# as_frame
# --------------------------------------------------------------------------


def _pandas() -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "Explanation.as_frame needs pandas, an optional dependency of lime_rs: "
            "pip install pandas (or pip install 'lime-rs[pandas]')"
        ) from None
    return pd


Z95 = 1.959963984540054


def as_frame(exp: Explanation, label: Any = 1, **kwargs: Any) -> Any:
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
