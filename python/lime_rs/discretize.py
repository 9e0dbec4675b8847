"""
Discretizers classes, to be used in lime_tabular (drop-in for ``lime.discretize``;
subclass BaseDiscretizer and override ``bins`` for a custom one). Percentiles,
bin statistics and undiscretize's truncated-normal draws run in Rust.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from lime_rs import _native
from lime_rs._random import check_random_state, draw_seed
from lime_rs._validation import as_float_array

Moments = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass
class Binning:
    """A pass over the training data: each feature's bin edges (as ``bins()``),
    and where the same native pass computed them, the bins' statistics and,
    when every column is discretized, the columns' (mean, var, scale)."""

    bins: list[np.ndarray]
    stats: dict[int, tuple[np.ndarray, tuple]] = field(default_factory=dict)
    moments: Moments | None = None


def _present(data: np.ndarray, feature: int) -> np.ndarray:
    """Column ``feature``'s non-missing values as an (n, 1) array."""
    column = data[:, feature]
    return np.ascontiguousarray(column[~np.isnan(column)]).reshape(-1, 1)


def _as_data(data: Any) -> np.ndarray:
    """Training data as a C-contiguous float64 2-D array."""
    if hasattr(data, "toarray") and hasattr(data, "nnz"):
        data = data.toarray()
    return as_float_array(data, "data", 2, allow_nan=True)


class BaseDiscretizer:
    """Abstract class - Build a class that inherits from this class to implement
    a custom discretizer: redefine bins(), the actual custom part."""

    __metaclass__ = ABCMeta  # abstract class (as lime: not enforced)

    def __init__(
        self,
        data: Any,
        categorical_features: Sequence[int],
        feature_names: Sequence[str],
        labels: Any = None,
        random_state: Any = None,
        data_stats: Mapping[str, Any] | None = None,
    ) -> None:
        """Initializer

        Args:
            data: numpy 2d array
            categorical_features: indices of the categorical columns (not
                discretized); every other column is discretized.
            feature_names: the columns' names.
            labels: the training labels (for bins that need them).
            random_state: seeds undiscretize's draws.
            data_stats: must have 'means', 'stds', 'mins' and 'maxs', use this
                if you don't want these values to be computed from data
        """
        self._fit(data, categorical_features, feature_names, labels, random_state, data_stats)

    def _fit(self, data, categorical_features, feature_names, labels, random_state, data_stats):
        """__init__'s work; returns the Binning (the explainer takes its moments)."""
        data = _as_data(data)
        if not self.__dict__.get("_missing_ok") and np.isnan(data).any():
            bad = tuple(int(i) for i in np.argwhere(np.isnan(data))[0])
            raise ValueError(
                f"data: contains NaN (first at index {bad}); a discretizer built by "
                "LimeTabularExplainer takes missing values (bins from the present values)"
            )
        categorical = set(categorical_features)
        self.to_discretize = [x for x in range(data.shape[1]) if x not in categorical]
        self.data_stats = data_stats
        self.names = {}
        self.lambdas = {}
        self.means = {}
        self.stds = {}
        self.mins = {}
        self.maxs = {}
        self.random_state = check_random_state(random_state)
        self._bin_counts = {}  # training rows per bin: the explainer need not re-discretize
        binning = self._binning(data, labels)
        bins = [np.unique(x) for x in binning.bins]
        if data_stats:
            self.means, self.stds = data_stats.get("means"), data_stats.get("stds")
            self.mins, self.maxs = data_stats.get("mins"), data_stats.get("maxs")
        pairs = list(zip(self.to_discretize, bins))
        for feature, qts in pairs:
            if qts.ndim != 1 or qts.shape[0] == 0:
                raise ValueError(
                    f"bins: feature {feature} needs at least one bin boundary, got {qts!r}"
                )
            name = feature_names[feature]
            names = [f"{name} <= {qts[0]:.2f}"]
            for lo, hi in zip(qts[:-1], qts[1:]):
                names.append(f"{lo:.2f} < {name} <= {hi:.2f}")
            names.append(f"{name} > {qts[-1]:.2f}")
            self.names[feature] = names
            self.lambdas[feature] = partial(self.discretizer_fn, qts=qts)
        if data_stats or not pairs:  # given statistics: no per-bin pass
            return binning
        stats = {}
        for feature, qts in pairs:
            edges, found = binning.stats.get(feature, (None, None))
            if found is not None and np.array_equal(edges, qts):
                stats[feature] = found
        missing = [
            (f, np.asarray(q, dtype=np.float64).tolist()) for f, q in pairs if f not in stats
        ]
        if missing and np.isnan(data).any():  # missing values: statistics of the present values
            for f, q in missing:
                stats[f] = _native.tabular_bin_stats(_present(data, f), [0], [q])[0]
        elif missing:
            features = [f for f, _ in missing]
            computed = _native.tabular_bin_stats(data, features, [q for _, q in missing])
            stats.update(zip(features, computed))
        for feature, qts in pairs:
            counts, means, stds, lo, hi = stats[feature]
            self.means[feature] = means.tolist()
            self.stds[feature] = stds.tolist()
            self.mins[feature] = [lo] + qts.tolist()
            self.maxs[feature] = qts.tolist() + [hi]
            self._bin_counts[feature] = counts
        return binning

    def _binning(self, data: np.ndarray, labels: Any) -> Binning:
        """The bins of ``bins()`` (percentile discretizers: with their statistics)."""
        return Binning(list(self.bins(data, labels)))

    @staticmethod
    def discretizer_fn(x: Any, qts: np.ndarray) -> Any:
        return np.searchsorted(qts, x)

    @abstractmethod
    def bins(self, data: np.ndarray, labels: Any) -> Sequence[np.ndarray]:
        """To be overridden: the bins' boundaries of each feature to discretize."""
        raise NotImplementedError("Must override bins() method")

    def discretize(self, data: np.ndarray) -> np.ndarray:
        """``data`` (numpy 2d or 1d array) discretized; NaN (missing) stays NaN."""
        ret = data.copy()
        for feature in self.lambdas:
            if len(data.shape) == 1:
                if not np.isnan(ret[feature]):
                    ret[feature] = int(self.lambdas[feature](ret[feature]))
            else:
                column = ret[:, feature]
                binned = self.lambdas[feature](column).astype(int)
                ret[:, feature] = np.where(np.isnan(column), np.nan, binned)
        return ret

    def get_undiscretize_values(self, feature: int, values: Any) -> np.ndarray:
        """Values drawn from the truncated normal of each bin in ``values``
        (bin indices), as lime; drawn in Rust from one seed of ``random_state``."""
        idx = np.asarray(values)
        n_bins = len(self.mins[feature])
        flat = np.arange(n_bins)[idx.ravel()]  # numpy's indexing rules and errors
        lo, hi, mean, std = (
            np.asarray(stat[feature], dtype=np.float64).tolist()
            for stat in (self.mins, self.maxs, self.means, self.stds)
        )
        seed = draw_seed(self.random_state)
        out = _native.tabular_sample_bins(lo, hi, mean, std, flat.tolist(), seed)
        return out.reshape(idx.shape)

    def undiscretize(self, data: np.ndarray) -> np.ndarray:
        ret = data.copy()
        for feature in self.means:
            if len(data.shape) == 1:
                value = self.get_undiscretize_values(
                    feature, ret[feature].astype(int).reshape(-1, 1)
                )
                ret[feature] = np.asarray(value).ravel()[0]
            else:
                ret[:, feature] = self.get_undiscretize_values(feature, ret[:, feature].astype(int))
        return ret


class StatsDiscretizer(BaseDiscretizer):
    """Class to be used to supply the data stats info when discretize_continuous is true"""

    def bins(self, data: Any, labels: Any) -> list[np.ndarray]:
        given = self.data_stats.get("bins") or {}
        return [np.array(given[f]) for f in self.to_discretize if given.get(f) is not None]


class _BinsFromData(BaseDiscretizer):
    """lime's quartile, decile and entropy discretizers: bins from the data
    (their signature has no ``data_stats``)."""

    def __init__(self, data: Any, categorical_features: Sequence[int], feature_names: Sequence[str],
                 labels: Any = None, random_state: Any = None) -> None:  # fmt: skip
        BaseDiscretizer.__init__(self, data, categorical_features, feature_names, labels=labels,
                                 random_state=random_state)  # fmt: skip


class _PercentileDiscretizer(_BinsFromData):
    """Quartile and decile bins: np.percentile of every column to discretize,
    with the bins' statistics and the columns' moments from the same native pass."""

    _q: tuple[float, ...] = ()

    def bins(self, data: Any, labels: Any) -> list[np.ndarray]:
        return self._percentiles(data).bins

    def _binning(self, data: np.ndarray, labels: Any) -> Binning:
        if type(self).bins is not _PercentileDiscretizer.bins:  # a subclass's own bins()
            return super()._binning(data, labels)
        return self._percentiles(data)

    def _percentiles(self, data: Any) -> Binning:
        if not self.to_discretize:
            return Binning([])
        data, q = _as_data(data), list(self._q)
        if np.isnan(data).any():  # missing values: bins of the present values
            out = [
                _native.tabular_quantile_bins(_present(data, f), [0], q)[0][0]
                for f in self.to_discretize
            ]
            moments = None
        else:
            out, moments = _native.tabular_quantile_bins(data, self.to_discretize, q)
            if len(self.to_discretize) != data.shape[1]:
                moments = None  # the moments of every column, or none
        return Binning(
            [percentiles for percentiles, _, _ in out],
            {f: (edges, stats) for f, (_, edges, stats) in zip(self.to_discretize, out)},
            moments,
        )


class QuartileDiscretizer(_PercentileDiscretizer):
    _q = (25.0, 50.0, 75.0)


class DecileDiscretizer(_PercentileDiscretizer):
    _q = (10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0)


class EntropyDiscretizer(_BinsFromData):
    def bins(self, data: np.ndarray, labels: Any) -> list[np.ndarray]:
        if labels is None:
            raise ValueError(
                "Labels must be not None when using EntropyDiscretizer "
                "(pass training_labels to LimeTabularExplainer)"
            )
        from sklearn.tree import DecisionTreeClassifier

        state = self.random_state
        if isinstance(state, np.random.Generator):  # scikit-learn wants a RandomState or an int
            state = draw_seed(state) % (2**32)
        bins = []
        for feature in self.to_discretize:
            # Entropy splitting / at most 8 bins so max_depth=3
            dt = DecisionTreeClassifier(criterion="entropy", max_depth=3, random_state=state)
            present = ~np.isnan(data[:, feature])  # missing values: left out
            x = np.reshape(data[present, feature], (-1, 1))
            dt.fit(x, np.asarray(labels)[present])
            qts = dt.tree_.threshold[np.where(dt.tree_.children_left > -1)]
            bins.append(np.sort(qts) if qts.shape[0] else np.array([np.median(x)]))
        return bins


def fit_with_moments(
    name: str,
    data: Any,
    categorical_features: Sequence[int],
    feature_names: Sequence[str],
    labels: Any = None,
    random_state: Any = None,
    missing_ok: bool = False,
) -> tuple[BaseDiscretizer, Moments | None]:
    """LimeTabularExplainer's discretizer by name ('quartile', 'decile',
    'entropy'), and the columns' (mean, var, scale) if its pass computed them.
    ``missing_ok``: NaN are missing values, left out of bins and statistics."""
    cls: type[BaseDiscretizer] = {
        "quartile": QuartileDiscretizer,
        "decile": DecileDiscretizer,
    }.get(name, EntropyDiscretizer)
    disc = cls.__new__(cls)
    disc.__dict__["_missing_ok"] = missing_ok
    binning = disc._fit(data, categorical_features, feature_names, labels, random_state, None)
    return disc, None if cls is EntropyDiscretizer else binning.moments
