"""
Discretizers classes, to be used in lime_tabular (drop-in for ``lime.discretize``).

Percentiles, per-bin statistics and the truncated-normal draws of
``undiscretize`` run in Rust; bin edges and names are identical to lime's.
Subclass :class:`BaseDiscretizer` and override :meth:`~BaseDiscretizer.bins`
to build a custom discretizer, as with lime.
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
    """What a discretizer's pass over the training data found: each feature's
    bin edges (as ``bins()`` returns them) and, where the same native pass
    computed them, each feature's bin statistics and every column's
    (mean, var, scale) (``moments``, only when every column is discretized)."""

    bins: list[np.ndarray]
    stats: dict[int, tuple[np.ndarray, tuple]] = field(default_factory=dict)
    moments: Moments | None = None


def _present(data: np.ndarray, feature: int) -> np.ndarray:
    """Column ``feature``'s non-missing values as an (n, 1) array."""
    column = data[:, feature]
    return np.ascontiguousarray(column[~np.isnan(column)]).reshape(-1, 1)


def _as_data(data: Any) -> np.ndarray:
    """Training data as a C-contiguous float64 2-D array (NaN is caught by the
    native passes, which say where)."""
    if hasattr(data, "toarray") and hasattr(data, "nnz"):
        data = data.toarray()
    return as_float_array(data, "data", 2, allow_nan=True)


class BaseDiscretizer:
    """Abstract class - Build a class that inherits from this class to implement
    a custom discretizer.

    Method bins() is to be redefined in the child class, as it is the actual
    custom part of the discretizer.
    """

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
            categorical_features: list of indices (ints) corresponding to the
                categorical columns. These features will not be discretized.
                Everything else will be considered continuous, and will be
                discretized.
            categorical_names: map from int to list of names, where
                categorical_names[x][y] represents the name of the yth value of
                column x.
            feature_names: list of names (strings) corresponding to the columns
                in the training data.
            data_stats: must have 'means', 'stds', 'mins' and 'maxs', use this
                if you don't want these values to be computed from data
        """
        self._fit(data, categorical_features, feature_names, labels, random_state, data_stats)

    def _fit(self, data, categorical_features, feature_names, labels, random_state, data_stats):
        """__init__'s work; returns the Binning (LimeTabularExplainer takes
        its column moments instead of reading the data again)."""
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
        # Training rows per bin (lime_rs: lets the explainer skip re-discretizing).
        self._bin_counts = {}

        # To override when implementing a custom binning
        binning = self._binning(data, labels)
        bins = [np.unique(x) for x in binning.bins]

        # Read the stats from data_stats if exists
        if data_stats:
            self.means = self.data_stats.get("means")
            self.stds = self.data_stats.get("stds")
            self.mins = self.data_stats.get("mins")
            self.maxs = self.data_stats.get("maxs")

        pairs = list(zip(self.to_discretize, bins))
        for feature, qts in pairs:
            if qts.ndim != 1 or qts.shape[0] == 0:
                raise ValueError(
                    f"bins: feature {feature} needs at least one bin boundary, got {qts!r}"
                )
            n_bins = qts.shape[0]  # Actually number of borders (= #bins-1)
            name = feature_names[feature]
            names = [f"{name} <= {qts[0]:.2f}"]
            for i in range(n_bins - 1):
                names.append(f"{qts[i]:.2f} < {name} <= {qts[i + 1]:.2f}")
            names.append(f"{name} > {qts[n_bins - 1]:.2f}")
            self.names[feature] = names
            self.lambdas[feature] = partial(self.discretizer_fn, qts=qts)

        # If data stats are provided no need to compute the per-bin details
        if data_stats or not pairs:
            return binning
        stats = {}
        for feature, qts in pairs:
            edges, found = binning.stats.get(feature, (None, None))
            if found is not None and np.array_equal(edges, qts):
                stats[feature] = found
        missing = [(f, q) for f, q in pairs if f not in stats]
        if missing and np.isnan(data).any():
            # missing values (lime_rs): each bin's statistics from the present values
            for f, q in missing:
                edges = [np.asarray(q, dtype=np.float64).tolist()]
                stats[f] = _native.tabular_bin_stats(_present(data, f), [0], edges)[0]
        elif missing:
            computed = _native.tabular_bin_stats(
                data,
                [f for f, _ in missing],
                [np.asarray(q, dtype=np.float64).tolist() for _, q in missing],
            )
            stats.update((f, s) for (f, _), s in zip(missing, computed))
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
        """
        To be overridden
        Returns for each feature to discretize the boundaries
        that form each bin of the discretizer
        """
        raise NotImplementedError("Must override bins() method")

    def discretize(self, data: np.ndarray) -> np.ndarray:
        """Discretizes the data.
        Args:
            data: numpy 2d or 1d array
        Returns:
            numpy array of same dimension, discretized (a missing value, NaN,
            stays NaN: lime_rs).
        """
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
        out = _native.tabular_sample_bins(
            np.asarray(self.mins[feature], dtype=np.float64).tolist(),
            np.asarray(self.maxs[feature], dtype=np.float64).tolist(),
            np.asarray(self.means[feature], dtype=np.float64).tolist(),
            np.asarray(self.stds[feature], dtype=np.float64).tolist(),
            flat.tolist(),
            draw_seed(self.random_state),
        )
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
    """
    Class to be used to supply the data stats info when discretize_continuous is true
    """

    def bins(self, data: Any, labels: Any) -> list[np.ndarray]:
        bins_from_stats = self.data_stats.get("bins")
        bins = []
        if bins_from_stats is not None:
            for feature in self.to_discretize:
                bins_from_stats_feature = bins_from_stats.get(feature)
                if bins_from_stats_feature is not None:
                    qts = np.array(bins_from_stats_feature)
                    bins.append(qts)
        return bins


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
        data = _as_data(data)
        if np.isnan(data).any():  # missing values (lime_rs): bins of the present values
            out = [
                _native.tabular_quantile_bins(_present(data, f), [0], list(self._q))[0][0]
                for f in self.to_discretize
            ]
            return Binning(
                [percentiles for percentiles, _, _ in out],
                {f: (edges, stats) for f, (_, edges, stats) in zip(self.to_discretize, out)},
            )
        out, moments = _native.tabular_quantile_bins(data, self.to_discretize, list(self._q))
        every_column = len(self.to_discretize) == data.shape[1]
        return Binning(
            [percentiles for percentiles, _, _ in out],
            {f: (edges, stats) for f, (_, edges, stats) in zip(self.to_discretize, out)},
            moments if every_column else None,
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
            present = ~np.isnan(data[:, feature])  # missing values (lime_rs): left out
            x = np.reshape(data[present, feature], (-1, 1))
            dt.fit(x, np.asarray(labels)[present])
            qts = dt.tree_.threshold[np.where(dt.tree_.children_left > -1)]

            if qts.shape[0] == 0:
                qts = np.array([np.median(x)])
            else:
                qts = np.sort(qts)

            bins.append(qts)

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
    'entropy'), with the columns' (mean, var, scale) when its pass over the
    data computed them (None otherwise). ``missing_ok``: NaN in ``data`` are
    missing values, left out of each column's bins and statistics."""
    cls: type[BaseDiscretizer] = {
        "quartile": QuartileDiscretizer,
        "decile": DecileDiscretizer,
    }.get(name, EntropyDiscretizer)
    disc = cls.__new__(cls)
    disc.__dict__["_missing_ok"] = missing_ok
    binning = disc._fit(data, categorical_features, feature_names, labels, random_state, None)
    return disc, None if cls is EntropyDiscretizer else binning.moments
