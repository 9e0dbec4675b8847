"""Audit records of explanations: the versioned JSON schema
(``docs/explanation_schema.md``), the settings recorded on every explanation,
and the weights' confidence intervals as a DataFrame. ``Explanation.to_json``,
``from_json``, ``to_dict``, ``from_dict`` and ``as_frame`` call this module.
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
Z95 = 1.959963984540054  # the normal 97.5% quantile

_Exp = TypeVar("_Exp", bound=Any)  # an Explanation, or lime_image's ImageExplanation
Reader = Callable[[Any, str], Any]  # reads the value at a path, or raises invalid(path)

_DISCRETIZER_NAMES = {
    f"{k}Discretizer": k.lower() for k in ("Quartile", "Decile", "Entropy", "Stats")
}


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
    """A float for strict JSON: NaN and infinities become None."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def _callable_name(fn: Any) -> str:
    if isinstance(fn, partial):
        fn = fn.func
    module = getattr(fn, "__module__", None) or ""
    name = getattr(fn, "__qualname__", None) or type(fn).__name__
    return f"{module}.{name}" if module else name


def _kernel_settings(explainer: Any) -> dict[str, Any]:
    kernel_fn = getattr(getattr(explainer, "base", None), "kernel_fn", None)
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
    """The explainer's part of the settings (JSON values), cached on the
    explainer until an attribute they are read from changes."""
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
        name = type(disc).__name__
        settings["discretize_continuous"] = disc is not None
        settings["discretizer"] = None if disc is None else _DISCRETIZER_NAMES.get(name, name)
        settings["sample_around_instance"] = bool(
            getattr(explainer, "sample_around_instance", False)
        )
    for attr in ("bow", "char_level", "mask_string", "split_expression"):
        if hasattr(explainer, attr):
            value = getattr(explainer, attr)
            named = attr == "split_expression" and not isinstance(value, str)
            settings[attr] = _callable_name(value) if named else value
    settings = json_value(settings)
    explainer.__dict__["_recorded_settings"] = (key, settings)
    return settings


def record(exp: _Exp, explainer: Any, seed: int | None, **call: Any) -> _Exp:
    """Records on ``exp`` the settings of ``explainer`` and of the call
    (``call``: num_samples, num_features, ...) as ``exp.explainer_settings``
    (JSON values), and the 64-bit seed of its neighbourhood as ``exp.seed``."""
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


# --- readers: every field checked, one ValueError naming its path ---
#
# ``path`` is where a value sits, as Python would index the record
# (``labels[0].features[3].id``); domain mappers' ``from_record`` use these too.

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
    """A short repr of a scalar, the type of anything else (maybe too deep to repr)."""
    return f"{value!r:.60}" if isinstance(value, str | int | float | bool) else _kind(value)


def _expect(
    value: Any, path: str, types: type | tuple[type, ...], what: str, null: bool = False
) -> Any:
    """``value`` if one of ``types`` (a bool only where bool is asked), None if
    ``null`` allows it; else the error saying ``what`` was expected."""
    if value is None and null:
        return None
    if not isinstance(value, types) or (isinstance(value, bool) and types is not bool):
        raise invalid(path, f"expected {what}{' or null' if null else ''}, got {_kind(value)}")
    return value


def read_dict(value: Any, path: str) -> dict[str, Any]:
    """A JSON object."""
    return _expect(value, path, dict, "an object")


def read_field(record: Any, name: str, path: str, read: Callable[..., Any] | None = None,
               **kwargs: Any) -> Any:  # fmt: skip
    """``record[name]``, present (maybe null) in the object at ``path``; with
    ``read``, checked by ``read(value, its_path, **kwargs)``."""
    where = f"{path}.{name}" if path else name
    if name not in read_dict(record, path or "record"):
        raise invalid(where, "", missing=True)
    return record[name] if read is None else read(record[name], where, **kwargs)


def read_fields(value: Any, path: str, spec: Mapping[str, Reader]) -> dict[str, Any]:
    """The object at ``path`` read by ``spec`` (name -> reader): a name ending
    in ``?`` is optional (read when present), the others required (null only
    where their reader takes it). Returns {name: value} of the fields read."""
    out = {}
    for key, read in spec.items():
        name = key.removesuffix("?")
        if name != key and name in read_dict(value, path or "record"):
            out[name] = read(value[name], f"{path}.{name}" if path else name)
        elif name == key:
            out[name] = read_field(value, name, path, read)
    return out


def read_list(value: Any, path: str, item: Callable[[Any, str], Any] | None = None,
              length: int | None = None, null: bool = False) -> Any:  # fmt: skip
    """A JSON array (None when ``null`` allows it), each element read by
    ``item(element, element_path)``; ``length``: the count it must have."""
    if _expect(value, path, list, "an array", null) is None:
        return None
    if length is not None and len(value) != length:
        raise invalid(path, f"expected {length} items, got {len(value)}")
    return value if item is None else [item(v, f"{path}[{i}]") for i, v in enumerate(value)]


def read_int(value: Any, path: str, lo: int = -_INT64, hi: int = _INT64) -> int:
    """An integer with ``lo <= value < hi`` (64-bit by default; no bool)."""
    _expect(value, path, int, "an integer")
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
    if _expect(value, path, (int, float), "a number", null) is None:
        return None
    try:
        out = float(value)
    except OverflowError:
        out = math.inf
    if not math.isfinite(out):
        raise invalid(path, f"expected a finite number, got {value!r:.40}")
    return out


def read_bool(value: Any, path: str) -> bool:
    return _expect(value, path, bool, "true or false")


def read_str(value: Any, path: str) -> str:
    """A string of valid Unicode (JSON's escapes allow lone surrogates, which
    neither UTF-8 nor matplotlib take)."""
    if _expect(value, path, str, "a string").isascii():
        return value
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


# The fields of each object of the record (name? : optional), read by read_fields.
_POSITIVE = partial(read_int, lo=1)
_FLOAT_OR_NULL = partial(read_float, null=True)
_SAMPLING: dict[str, Reader] = {
    "num_samples": _POSITIVE,
    "rounds": _POSITIVE,
    "max_samples": _POSITIVE,
    "certified": read_bool,
    "confidence": _FLOAT_OR_NULL,
    "adaptive?": read_bool,
    "exact?": read_bool,
    "rows?": _POSITIVE,
}
_FEATURE: dict[str, Reader] = {
    "id": partial(read_int, lo=0),
    "weight": read_float,
    "name?": read_json,
    "stderr?": _FLOAT_OR_NULL,
}
_LABEL: dict[str, Reader] = {
    "features": read_list,
    "has_stderr?": read_bool,
    "local_pred": partial(read_list, item=_FLOAT_OR_NULL, null=True),
    "intercept": _FLOAT_OR_NULL,
    "score": _FLOAT_OR_NULL,
}


def read_sampling(value: Any, path: str = "sampling") -> dict[str, Any] | None:
    """``exp.sampling`` (issue #17): null or an object with the fields of
    ``_SAMPLING`` and ``reason``; unknown extra keys are kept as JSON values."""
    if value is None:
        return None
    out = dict(read_json(read_dict(value, path), path))
    out.update(read_fields(value, path, _SAMPLING))
    confidence = out["confidence"]
    if confidence is not None and not 0.0 < confidence < 1.0:
        raise invalid(f"{path}.confidence", f"expected a number in (0, 1), got {confidence}")
    if out["certified"] and confidence is None:
        raise invalid(f"{path}.confidence", "a certified explanation states its confidence")
    if value.get("reason") is not None:
        out["reason"] = read_str(value["reason"], f"{path}.reason")
    return out


class StoredDomainMapper(DomainMapper):
    """A loaded ``generic`` domain: the stored names, no instance view."""

    def __init__(self, names: Mapping[int, Any]) -> None:
        self.names = {int(k): v for k, v in names.items()}

    def map_exp_ids(self, exp: list[tuple[Any, Any]], **kwargs: Any) -> list[tuple[Any, Any]]:
        return [(self.names.get(int(i), str(i)), w) for i, w in exp]


def _domain_mapper(domain: Any, names: dict[int, Any]) -> Any:
    """The mapper of the ``domain`` record, by ``kind``."""
    from lime_rs.lime_tabular import TableDomainMapper  # imported on use: they import this
    from lime_rs.lime_text import TextDomainMapper

    kind = read_field(domain, "kind", "domain", read_str)
    classes: dict[str, Any] = {"tabular": TableDomainMapper, "text": TextDomainMapper}
    if kind in classes:
        return classes[kind].from_record(domain, "domain")
    if kind == "generic":
        return StoredDomainMapper(names)
    raise invalid(
        "domain.kind", f"unknown kind {_shown(kind)}; expected 'tabular', 'text' or 'generic'"
    )


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
        if local_pred is not None:
            local_pred = [_float(v) for v in np.atleast_1d(np.asarray(local_pred, dtype=float))]
        labels.append(
            {
                "label": int(label),
                "intercept": _float(exp.intercept.get(label)),
                "score": _float(score),
                "local_pred": local_pred,
                "has_stderr": label in stderr_map,
                "features": features,
            }
        )
    to_record = getattr(exp.domain_mapper, "to_record", None)  # duck-typed mappers: generic
    sampling = getattr(exp, "sampling", None)
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "lime_rs_version": __version__,
        "mode": exp.mode,
        "class_names": None if exp.class_names is None else json_value(list(exp.class_names)),
        "labels": labels,
        "settings": getattr(exp, "explainer_settings", None),
        "seed": getattr(exp, "seed", None),
        "sampling": None
        if sampling is None
        else {k: _float(v) if k == "confidence" else json_value(v) for k, v in sampling.items()},
        "domain": to_record() if callable(to_record) else {"kind": "generic"},
    }
    if exp.mode == "classification":
        proba = exp.predict_proba
        out["predict_proba"] = None if proba is None else json_value(np.asarray(proba, dtype=float))
        out["top_labels"] = None if exp.top_labels is None else [int(t) for t in exp.top_labels]
    else:
        for key in ("predicted_value", "min_value", "max_value"):
            out[key] = _float(getattr(exp, key))
    return out


def _read_label(exp: Explanation, entry: Any, where: str, n_labels: int | None,
                names: dict[int, Any]) -> None:  # fmt: skip
    """One ``labels`` entry into ``exp``; each feature's name into ``names``."""
    hi = 2 if exp.mode == "regression" else _INT64 if n_labels is None else n_labels
    lo = 0 if exp.mode == "regression" else -hi
    label = read_field(entry, "label", where, read_int, lo=lo, hi=hi)
    if label in exp.local_exp:
        raise invalid(f"{where}.label", f"label {label} appears twice")
    fields = read_fields(entry, where, _LABEL)
    if fields["local_pred"] == []:
        raise invalid(f"{where}.local_pred", "expected at least one number")
    pairs, ses, seen = [], [], set()
    for j, feat in enumerate(fields["features"]):
        path = f"{where}.features[{j}]"
        f = read_fields(feat, path, _FEATURE)
        if f["id"] in seen:
            raise invalid(f"{path}.id", f"feature {f['id']} appears twice in the label")
        if (f.get("stderr") or 0.0) < 0:
            raise invalid(f"{path}.stderr", f"a standard error is not negative, got {f['stderr']}")
        seen.add(f["id"])
        names[f["id"]] = f.get("name")
        pairs.append((np.int64(f["id"]), np.float64(f["weight"])))
        ses.append((np.int64(f["id"]), np.float64(_nan(f.get("stderr")))))
    exp.local_exp[label] = pairs
    if fields.get("has_stderr"):
        exp.local_exp_stderr[label] = ses
    if fields["intercept"] is not None:
        exp.intercept[label] = np.float64(fields["intercept"])
    if fields["score"] is not None:
        exp.score[label] = fields["score"]
    if fields["local_pred"] is not None:
        exp.local_pred[label] = np.array(fields["local_pred"], dtype=np.float64)  # null: NaN


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


def as_frame(exp: Explanation, label: Any = 1, **kwargs: Any) -> Any:
    """The label's weights as a DataFrame: feature, weight, stderr and the
    normal 95% confidence interval ``weight ± 1.96·stderr`` (NaN when the
    standard error is unknown: a user-supplied ``model_regressor``)."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "Explanation.as_frame needs pandas, an optional dependency of lime_rs: "
            "pip install pandas (or pip install 'lime-rs[pandas]')"
        ) from None
    key = exp._label_key(label)
    pairs = exp.local_exp[key]
    names = [name for name, _ in exp.domain_mapper.map_exp_ids(pairs, **kwargs)]
    se_map = {int(i): float(s) for i, s in getattr(exp, "local_exp_stderr", {}).get(key, [])}
    weights = np.array([float(w) for _, w in pairs], dtype=np.float64)
    se = np.array([se_map.get(int(i), np.nan) for i, _ in pairs], dtype=np.float64)
    ci = {"ci_low": weights - Z95 * se, "ci_high": weights + Z95 * se}
    return pd.DataFrame({"feature": names, "weight": weights, "stderr": se, **ci})
