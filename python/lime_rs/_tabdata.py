"""Feature groups, features held fixed and missing values (issue #21) for
LimeTabularExplainer: the options checked, and the interpretable features the
native sampler (``TabularSampler.sample_data``, src/sampling/data.rs) reports."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lime_rs import _native


@dataclass
class Layout:
    """The explainer's groups and missingness (None when it has neither)."""

    groups: list[tuple[str, np.ndarray]]  # (name, column indices)
    group_of: np.ndarray  # column -> group index, -1 for a single column
    group_values: list[np.ndarray]  # training values of each group's columns
    missing_rate: np.ndarray | None  # each column's share of missing training values
    fill: np.ndarray | None  # the value the sampler takes for a missing instance value

    def sampler_args(self) -> dict[str, Any]:
        """The TabularSampler arguments ``groups`` and ``missing``."""
        groups = [(cols.tolist(), v) for (_, cols), v in zip(self.groups, self.group_values)]
        missing = None
        if self.missing_rate is not None and self.fill is not None:
            missing = (self.missing_rate.tolist(), self.fill.tolist())
        return {"groups": groups, "missing": missing}

    def filled(self, row: np.ndarray) -> np.ndarray:
        """``row`` with each missing value replaced by the column's fill value."""
        if self.fill is None or not np.isnan(row).any():
            return row
        return np.where(np.isnan(row), self.fill, row)


@dataclass
class Spec:
    """One row's interpretable features in the sampler's order: columns
    ``cols``, groups ``groups``, missingness of columns ``missing``; ``fixed``
    marks those held, ``keep`` the ids fitted on, ``row0`` the instance's values."""

    cols: list[int]
    groups: list[int]
    missing: list[int]
    fixed: np.ndarray
    keep: np.ndarray
    row0: np.ndarray


def spec_of(features: list[tuple[str, int, bool, float]]) -> Spec:
    """The Spec of the features ``TabularSampler.sample_data`` returns."""
    parts: dict[str, list[int]] = {"col": [], "group": [], "missing": []}
    for kind, at, _, _ in features:
        parts[kind].append(at)
    fixed = np.array([held for _, _, held, _ in features], dtype=bool)
    row0 = np.array([z for _, _, _, z in features], dtype=np.float64)
    return Spec(parts["col"], parts["group"], parts["missing"], fixed, np.flatnonzero(~fixed), row0)


def _column(item: Any, names: Sequence[Any], d: int, arg: str) -> int:
    if isinstance(item, numbers.Integral) and not isinstance(item, bool):
        if not 0 <= int(item) < d:
            raise ValueError(f"{arg}: column index {item} out of range (0..{d - 1})")
        return int(item)
    if item not in names:
        raise ValueError(f"{arg}: unknown column {item!r} (not an index or a feature name)")
    return list(names).index(item)


def missing_stats(
    data: np.ndarray, names: Sequence[Any]
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Each column's missing rate and the (mean, var, scale) of its present values."""
    if np.isinf(data).any():
        bad = tuple(int(i) for i in np.argwhere(np.isinf(data))[0])
        raise ValueError(f"training_data: contains infinity (first at index {bad})")
    rate = np.isnan(data).mean(axis=0)
    full = np.flatnonzero(rate == 1.0)
    if full.size:
        j = int(full[0])
        raise ValueError(
            f"training_data: column {str(names[j])!r} (index {j}) has only missing values (NaN)"
        )
    out = [
        _native.tabular_column_moments(np.ascontiguousarray(c[~np.isnan(c)]).reshape(-1, 1))
        for c in data.T
    ]
    return rate, tuple(np.array([m[k][0] for m in out]) for k in range(3))  # type: ignore[return-value]


def fill_values(data: np.ndarray, categorical: Sequence[int]) -> np.ndarray:
    """Each column's median (a categorical column's most frequent value)."""
    fill = np.nanmedian(data, axis=0) if data.shape[0] else np.zeros(data.shape[1])
    for j in categorical:
        col = data[:, j][~np.isnan(data[:, j])]
        if col.size:
            values, counts = np.unique(col, return_counts=True)
            fill[j] = values[np.argmax(counts)]
    return fill


def build_layout(
    data: Any,
    feature_groups: Mapping[str, Sequence[Any]] | None,
    names: Sequence[Any],
    categorical: Sequence[int],
    missing_rate: np.ndarray | None,
) -> Layout | None:
    """The explainer's Layout, ``feature_groups`` checked (errors name it)."""
    if not feature_groups and missing_rate is None:
        return None
    d = len(names)
    groups: list[tuple[str, np.ndarray]] = []
    group_of = np.full(d, -1, dtype=np.int64)
    if feature_groups:
        if not isinstance(feature_groups, Mapping):
            raise TypeError(
                "feature_groups: expected a mapping from a group name to columns, got "
                f"{type(feature_groups).__name__}"
            )
        if data is None or hasattr(data, "nnz"):
            raise ValueError("feature_groups: needs dense training_data (not a sparse matrix)")
        for name, cols in feature_groups.items():
            if isinstance(cols, (str, numbers.Integral)):
                cols = [cols]
            idx = [_column(c, names, d, "feature_groups") for c in cols]
            if not idx:
                raise ValueError(f"feature_groups: group {name!r} is empty")
            if len(set(idx)) != len(idx):
                raise ValueError(f"feature_groups: group {name!r} names a column twice")
            for j in idx:
                if group_of[j] >= 0:
                    other = groups[group_of[j]][0]
                    raise ValueError(
                        f"feature_groups: column {str(names[j])!r} is in groups {other!r} and {name!r}"
                    )
                if j in categorical:
                    raise ValueError(
                        f"feature_groups: column {str(names[j])!r} of group {name!r} is in "
                        "categorical_features; a group is sampled as one unit, so leave its "
                        "columns out of categorical_features"
                    )
                group_of[j] = len(groups)
            if name in names:
                raise ValueError(f"feature_groups: group name {name!r} is also a column name")
            groups.append((name, np.array(idx, dtype=np.int64)))
    values = [np.ascontiguousarray(data[:, cols], dtype=np.float64) for _, cols in groups]
    fill = None if missing_rate is None else fill_values(data, categorical)
    return Layout(groups, group_of, values, missing_rate, fill)


def resolve_fixed(
    fixed_features: Any, names: Sequence[Any], layout: Layout | None
) -> np.ndarray | None:
    """The columns ``fixed_features`` holds (a group's name holds its columns),
    checked (errors name ``fixed_features``)."""
    if fixed_features is None:
        return None
    if isinstance(fixed_features, (str, numbers.Integral)):
        fixed_features = [fixed_features]
    try:
        items = list(fixed_features)
    except TypeError:
        raise TypeError(
            "fixed_features: expected a list of column indices or names, got "
            f"{type(fixed_features).__name__}"
        ) from None
    if not items:
        return None
    groups = {} if layout is None else dict(layout.groups)
    cols: list[int] = []
    seen: set[Any] = set()  # each entry is one interpretable feature: a column or a group
    for item in items:
        key = int(item) if isinstance(item, numbers.Integral) else item
        if key in seen:
            raise ValueError(f"fixed_features: {item!r} is listed twice")
        seen.add(key)
        if isinstance(item, str) and item in groups:
            cols.extend(int(c) for c in groups[item])
            continue
        j = _column(item, names, len(names), "fixed_features")
        if layout is not None and layout.group_of[j] >= 0:
            group = layout.groups[layout.group_of[j]][0]
            raise ValueError(
                f"fixed_features: column {str(names[j])!r} is in group {group!r}; hold the whole "
                f"group by its name ({group!r})"
            )
        if j in cols:
            raise ValueError(f"fixed_features: column {str(names[j])!r} is listed twice")
        cols.append(j)
    grouped = sum(len(c) - 1 for _, c in groups.items())
    if len(seen) >= len(names) - grouped:
        raise ValueError("fixed_features: holds every feature fixed; leave at least one free")
    return np.array(sorted(cols), dtype=np.int64)
