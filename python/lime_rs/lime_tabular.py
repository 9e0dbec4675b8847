"""Explaining classifiers on tabular data (drop-in for ``lime.lime_tabular``).

``explain_instance`` and ``explain_instances`` run the same stages: check the call
(_Call), sample each row in Rust (_Sample), call the model once, then per row the
domain mapper, the labels, the fit (_pipeline) and the record."""

from __future__ import annotations

import numbers
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from functools import partial
from types import SimpleNamespace
from typing import Any

import numpy as np

from lime_rs import _adaptive, _native, _pandas, _tabdata, explanation, lime_base
from lime_rs._pipeline import (
    FitOptions,
    Neighbourhood,
    choose_labels,
    exponential_kernel,
    fit,
    kernel_weights,
    mirror_regression,
    mix_seed,
    resolve_feature_selection,
    store_models,
)
from lime_rs._pipeline import is_sparse as _is_sparse
from lime_rs._random import check_random_state, draw_seed, rewound_on_error
from lime_rs._validation import (
    as_float_array,
    check_class_names,
    check_distances,
    check_feature_selection,
    check_int,
    check_kernel_width,
    check_memory,
    check_model_output,
    check_real,
)
from lime_rs.discretize import (  # the discretizers are importable from here, as in lime
    BaseDiscretizer,
    DecileDiscretizer,  # noqa: F401
    EntropyDiscretizer,  # noqa: F401
    Moments,
    QuartileDiscretizer,  # noqa: F401
    StatsDiscretizer,
    fit_with_moments,
)
from lime_rs.exceptions import LimeError

__all__ = ["LimeTabularExplainer", "RecurrentTabularExplainer", "TableDomainMapper"]


class _StandardScalerStats:
    """lime's ``StandardScaler(with_mean=False)`` fit, computed without scikit-learn."""

    with_mean = False
    with_std = True
    copy = True

    def __init__(self, mean, var, scale, n_samples):
        self.mean_ = mean
        self.var_ = var
        self.scale_ = scale
        self.n_samples_seen_ = n_samples
        self.n_features_in_ = mean.shape[0]

    def transform(self, X, copy=None):
        return X / self.scale_

    def inverse_transform(self, X, copy=None):
        return X * self.scale_


def _sparse_moments(x):
    """Column means and variances of a sparse matrix (zeros included)."""
    x = x.tocsc().astype(np.float64)
    n = x.shape[0]
    if x.nnz and not np.isfinite(x.data).all():
        raise ValueError("training_data: contains NaN or infinity")
    mean = np.asarray(x.sum(axis=0), dtype=np.float64).ravel() / n
    counts = np.diff(x.indptr)
    col = np.repeat(np.arange(x.shape[1]), counts)
    dev = (x.data - mean[col]) ** 2
    var = (np.bincount(col, weights=dev, minlength=x.shape[1]) + (n - counts) * mean**2) / n
    eps = np.finfo(np.float64).eps
    constant = var <= n * eps * var + (n * mean * eps) ** 2
    scale = np.where(constant, 1.0, np.sqrt(var))
    return mean, var, scale


def _is_native_discretize(disc):
    return (
        isinstance(disc, BaseDiscretizer)
        and type(disc).discretize is BaseDiscretizer.discretize
        and all(
            isinstance(fn, partial)
            and fn.func is BaseDiscretizer.discretizer_fn
            and set(fn.keywords) == {"qts"}
            for fn in disc.lambdas.values()
        )
    )


def _is_native_undiscretize(disc):
    return (
        isinstance(disc, BaseDiscretizer)
        and type(disc).undiscretize is BaseDiscretizer.undiscretize
        and type(disc).get_undiscretize_values is BaseDiscretizer.get_undiscretize_values
    )


@dataclass
class _Sampler:
    """The Rust perturbation model, and which discretizer steps it runs itself."""

    native: Any
    discretize: bool
    undiscretize: bool


@dataclass
class _Call:
    """One explain call's options, checked once."""

    labels: Any
    top_labels: int | None
    num_features: int
    num_samples: int
    distance_metric: str
    model_regressor: Any
    method: str  # the sampling method run (gaussian for an invalid one, or with a discretizer)
    adaptive: _adaptive.Settings | None  # num_samples="auto" (num_samples is then max_samples)
    fixed: np.ndarray | None  # columns held at the instance's values (fixed_features)


@dataclass
class _Sample:
    """One row's neighbourhood (sparse rows: ``block`` samples the columns ``nz``)."""

    row: Any
    seed: int
    scaled: Any
    distances: np.ndarray
    inverse: Any = None
    first_row: np.ndarray | None = None
    nz: np.ndarray | None = None
    block: np.ndarray | None = None
    spec: _tabdata.Spec | None = None  # with the data options (scaled: the features not held)


@dataclass
class _Row:
    """One row's explanation under way."""

    sample: _Sample
    exp: Any
    labels: list[int]
    hood: Neighbourhood


class TableDomainMapper(explanation.DomainMapper):
    """Maps feature ids to names, generates table views, etc"""

    # lime_rs (issue #21): feature ids held fixed, and each feature's columns when
    # groups or missing values reshaped them (class defaults: older pickles lack them)
    fixed_features: list[int] = []  # replaced, never mutated
    feature_columns: list[list[int]] | None = None

    def __init__(
        self,
        feature_names,
        feature_values,
        scaled_row,
        categorical_features,
        discretized_feature_names=None,
        feature_indexes=None,
    ):
        """As lime's (feature_indexes: a sparse row's non-zero columns)."""
        self.exp_feature_names = feature_names
        self.discretized_feature_names = discretized_feature_names
        self.feature_names = feature_names
        self.feature_values = feature_values
        self.feature_indexes = feature_indexes
        self.scaled_row = scaled_row
        sparse = _is_sparse(scaled_row)
        self.all_categorical = not sparse and len(categorical_features) == len(scaled_row)
        self.categorical_features = categorical_features
        self.fixed_features = []
        self.feature_columns = None

    def held_at(self) -> list[tuple[Any, Any]]:
        """(name, value) of each feature held fixed (fixed_features), in order."""
        return [(self.exp_feature_names[i], self.feature_values[i]) for i in self.fixed_features]

    def map_exp_ids(self, exp, **kwargs):
        """[(id, weight)] as [(feature_name, weight)]."""
        disc = self.discretized_feature_names
        names = self.exp_feature_names if disc is None else disc
        return [(names[x[0]], x[1]) for x in exp]

    def visualize_instance_html(
        self, exp, label, div_name, exp_object_name, show_table=True, show_all=False
    ):
        """The example as a self-contained HTML Feature / Value table (no
        JavaScript: div_name, exp_object_name unused), rows tinted by their
        weight's sign in ``exp``; show_all: also the zero-weighted features."""
        return self._table(exp, label, None, None, show_table, show_all)

    def instance_html(self, exp, label, colors, names, show_table=True, show_all=False):
        """The table in the label's chart colours (a subclass's visualize_instance_html wins)."""
        if type(self).visualize_instance_html is not TableDomainMapper.visualize_instance_html:
            return super().instance_html(
                exp, label, colors, names, show_table=show_table, show_all=show_all
            )
        return self._table(exp, label, colors, names, show_table, show_all)

    def _table(self, exp, label, colors, names, show_table, show_all):
        if not show_table:
            return ""
        weights = [0] * len(self.feature_names)
        for x in exp:
            weights[x[0]] = x[1]
        if self.feature_indexes is not None:
            # sparse case: only the non-zero values and their weights
            shown = {
                i: (self.exp_feature_names[i], value, weights[i])
                for i, value in zip(self.feature_indexes, self.feature_values)
            }
            out_list = list(shown.values())
            if not show_all:
                out_list = [shown.get(x[0], (str(x[0]), 0.0, 0.0)) for x in exp]
        else:
            out_list = list(zip(self.exp_feature_names, self.feature_values, weights))
            if not show_all:
                out_list = [out_list[x[0]] for x in exp]
        if self.fixed_features and self.feature_indexes is None:
            held = {self.exp_feature_names[i] for i in self.fixed_features}
            out_list = [r for r in out_list if r[0] not in held]
            out_list += [(name, f"held at {value}", 0.0) for name, value in self.held_at()]
        from lime_rs import _html

        return _html.table_panel(out_list, colors or _html.default_colors(label), names)

    def feature_count(self):
        """Feature ids are columns: 0..len(feature_names)-1."""
        return len(self.exp_feature_names)

    def to_record(self):
        """The ``tabular`` domain record (docs/explanation_schema.md)."""
        from lime_rs.serialization import json_value

        scaled = self.scaled_row
        dense = scaled is not None and not hasattr(scaled, "nnz")
        indexes = self.feature_indexes
        disc = self.discretized_feature_names
        out = {
            "kind": "tabular",
            "feature_names": json_value(list(self.exp_feature_names)),
            "feature_values": json_value(list(self.feature_values)),
            "discretized_feature_names": None if disc is None else json_value(list(disc)),
            "feature_indexes": None if indexes is None else json_value(np.asarray(indexes)),
            "categorical_features": json_value(list(self.categorical_features)),
            "all_categorical": bool(self.all_categorical),
            "scaled_row": json_value(np.asarray(scaled)) if dense else None,
        }
        # lime_rs (issue #21), only when used: records without them stay as they were
        if self.fixed_features:
            out["fixed_features"] = [int(i) for i in self.fixed_features]
        if self.feature_columns is not None:
            out["feature_columns"] = [[int(c) for c in cols] for cols in self.feature_columns]
        return out

    @classmethod
    def from_record(cls, record, path="domain"):
        """The mapper :meth:`to_record` wrote, every field checked (one
        ValueError naming the bad field's path)."""
        from lime_rs import serialization as rec

        def read(key, item, required=True, **kwargs):
            value = rec.read_field(record, key, path) if required else record.get(key)
            return rec.read_list(value, f"{path}.{key}", item, **kwargs)

        names = read("feature_names", rec.read_scalar)
        n = len(names)

        def column(value, where):
            return rec.read_int(value, where, 0, n)

        disc = read("discretized_feature_names", rec.read_scalar, length=n, null=True)
        indexes = read("feature_indexes", column, null=True)
        length = n if indexes is None else len(indexes)
        values = read("feature_values", rec.read_scalar, length=length)
        categorical = read("categorical_features", column)
        all_categorical = rec.read_bool(
            rec.read_field(record, "all_categorical", path), f"{path}.all_categorical"
        )
        scaled = read("scaled_row", rec.read_float, False, length=n, null=True)
        scaled = None if scaled is None else np.array(scaled, dtype=np.float64)
        indexes = None if indexes is None else np.array(indexes, dtype=np.int32)
        # a sparse row's record has no scaled_row; __init__ measures an empty one
        row = np.zeros(0) if scaled is None else scaled
        mapper = cls(names, values, row, categorical, disc, indexes)
        mapper.scaled_row = scaled
        mapper.all_categorical = all_categorical
        mapper.fixed_features = list(read("fixed_features", column, False, null=True) or [])
        mapper.feature_columns = read(
            "feature_columns", partial(rec.read_list, item=rec.read_int), False, null=True
        )
        return mapper


class LimeTabularExplainer:
    """Explains predictions on tabular (i.e. matrix) data. Numerical features
    are perturbed from a Normal(0,1), then un-scaled with the training means
    and stds; categorical ones by their training frequencies, as a binary
    feature that is 1 when the value is the instance's."""

    # pandas codec and data options; class defaults: older pickles lack them
    _frame: Any = None
    _layout: _tabdata.Layout | None = None

    def __init__(
        self,
        training_data: Any,
        mode: str = "classification",
        training_labels: Any = None,
        feature_names: Sequence[str] | None = None,
        categorical_features: Sequence[int] | None = None,
        categorical_names: Mapping[int, Sequence[str]] | None = None,
        kernel_width: float | None = None,
        kernel: Callable[..., Any] | None = None,
        verbose: bool = False,
        class_names: Sequence[str] | None = None,
        feature_selection: str = "auto",
        discretize_continuous: bool = True,
        discretizer: str | BaseDiscretizer = "quartile",
        sample_around_instance: bool = False,
        random_state: Any = None,
        training_data_stats: Mapping[str, Any] | None = None,
        feature_groups: Mapping[str, Sequence[int | str]] | None = None,
    ) -> None:
        """Init function.

        Args:
            training_data: numpy 2d array, scipy.sparse matrix or (lime_rs addition)
                pandas DataFrame (predict_fn then receives DataFrames like it).
            mode: "classification" or "regression" (else LimeError).
            training_labels: labels of the training data (for the entropy discretizer).
            feature_names: the columns' names (default '0', '1', ...).
            categorical_features: indices of the categorical (integer) columns.
            categorical_names: categorical_names[x][y] names value y of column x.
            kernel_width: the exponential kernel's width (default sqrt(columns) * 0.75).
            kernel: kernel(distances, kernel_width) -> weights (default lime's, in Rust).
            verbose: if True, print the local models' predictions.
            class_names: the classifier's class names (default '0', '1', ...).
            feature_selection: 'forward_selection', 'highest_weights', 'lasso_path',
                'none' or 'auto'.
            discretize_continuous: if True, continuous columns are discretized.
            discretizer: 'quartile', 'decile', 'entropy' or a BaseDiscretizer (dense data).
            sample_around_instance: if True, sample around the instance, not the mean.
            random_state: None, an int, a numpy RandomState or Generator.
            training_data_stats: statistics used instead of the data's ("means",
                "mins", "maxs", "stds", "feature_values", "feature_frequencies").
            feature_groups: lime_rs addition: group name -> columns (indices or
                names), perturbed as one unit and explained as one feature.

        Missing values (lime_rs addition): NaN in training_data and the rows is
        missing; a column's missingness is sampled at its training rate and is an
        interpretable feature ``<name> is (not) missing``; the model receives NaN.
        """
        self.random_state = check_random_state(random_state)
        if mode not in ("classification", "regression"):
            raise LimeError(f'mode: expected "classification" or "regression", got {mode!r}')
        self.mode = mode
        # pandas input (lime_rs._pandas): string columns encoded, names resolved
        self._frame, training_data, feature_names, categorical_features, categorical_names = (
            _pandas.prepare_training(training_data, feature_names, categorical_features,
                                     categorical_names)
        )  # fmt: skip
        self.categorical_names = categorical_names or {}
        self.sample_around_instance = sample_around_instance
        self.training_data_stats = training_data_stats
        if self.training_data_stats:
            self.validate_training_data_stats(self.training_data_stats)

        sparse = _is_sparse(training_data)
        moments: Moments | None = None
        missing_rate: np.ndarray | None = None
        if sparse:
            data = training_data.tocsr()
            check_real(data, "training_data")
            if data.ndim != 2:
                raise ValueError(f"training_data: expected a 2-D matrix, got shape {data.shape}")
            moments = _sparse_moments(data)
        else:
            data = as_float_array(training_data, "training_data", 2, allow_nan=True)
        n_rows, d = data.shape
        if feature_names is None:
            feature_names = [str(i) for i in range(d)]
        if not sparse and np.isnan(data).any():  # missing: statistics of the present values
            missing_rate, moments = _tabdata.missing_stats(data, list(feature_names))
        elif not sparse and not (
            # quartile/decile bins of every column: the discretizer's pass computes them
            discretize_continuous
            and not self.training_data_stats
            and isinstance(discretizer, str)
            and discretizer in ("quartile", "decile")
            and not categorical_features
            and data.size > 0
        ):
            moments = _native.tabular_column_moments(data)
        self.categorical_features = _check_categorical(categorical_features, d)
        user_categorical = list(self.categorical_features)
        self.feature_names = list(feature_names)
        if len(self.feature_names) != d:
            raise ValueError(
                f"feature_names: has {len(self.feature_names)} names but training_data has "
                f"{d} columns"
            )

        self.discretizer: Any = None
        if discretize_continuous and not sparse:
            args = (data, self.categorical_features, self.feature_names)
            if self.training_data_stats:
                # Set the discretizer if training data stats are provided
                discretizer = StatsDiscretizer(
                    *args, labels=training_labels, data_stats=self.training_data_stats,
                    random_state=self.random_state,
                )  # fmt: skip
            if isinstance(discretizer, str) and discretizer in ("quartile", "decile", "entropy"):
                self.discretizer, found = fit_with_moments(
                    discretizer,
                    *args,
                    labels=training_labels,
                    random_state=self.random_state,
                    missing_ok=missing_rate is not None,
                )
                moments = moments if found is None else found
            elif isinstance(discretizer, BaseDiscretizer) or all(
                hasattr(discretizer, a)
                for a in ("discretize", "undiscretize", "names", "lambdas", "means")
            ):
                self.discretizer = discretizer
            else:
                raise ValueError(
                    "Discretizer must be 'quartile', 'decile', 'entropy' or a "
                    f"BaseDiscretizer instance (got {discretizer!r})"
                )
            self.categorical_features = list(range(d))
        if moments is None:
            moments = _native.tabular_column_moments(data)

        if kernel_width is None:
            kernel_width = np.sqrt(d) * 0.75
        kernel_width = check_kernel_width(kernel_width, positive=True)
        kernel_fn = partial(
            exponential_kernel if kernel is None else kernel, kernel_width=kernel_width
        )

        self.feature_selection = check_feature_selection(feature_selection)
        self.base = lime_base.LimeBase(kernel_fn, verbose, random_state=self.random_state)
        self.class_names = class_names

        mean, var, scale = moments
        self.scaler = _StandardScalerStats(mean, var, scale, n_rows)
        self.feature_values: dict[int, Any] = {}
        self.feature_frequencies: dict[int, np.ndarray] = {}
        discretized_columns = None
        # training rows per bin, when the discretizer counted them and bins as lime's base class
        native_counts = self.discretizer is not None and _is_native_discretize(self.discretizer)
        bin_counts = getattr(self.discretizer, "_bin_counts", {}) if native_counts else {}
        for feature in self.categorical_features:
            if training_data_stats is not None:
                values = training_data_stats["feature_values"][feature]
                frequencies = training_data_stats["feature_frequencies"][feature]
            elif self.discretizer is not None and feature in self.discretizer.lambdas:
                if feature in bin_counts:
                    counts = np.asarray(bin_counts[feature])
                    values = np.flatnonzero(counts).astype(np.float64).tolist()
                    frequencies = counts[counts > 0].tolist()
                else:
                    if discretized_columns is None:
                        discretized_columns = np.asarray(self.discretizer.discretize(data))
                    values, frequencies = (
                        a.tolist()
                        for a in np.unique(discretized_columns[:, feature], return_counts=True)
                    )
            else:
                column = data[:, feature]
                if sparse:
                    column = column.toarray().ravel()
                if missing_rate is not None:
                    column = column[~np.isnan(column)]
                values, frequencies = (a.tolist() for a in np.unique(column, return_counts=True))
            self.feature_values[feature] = values
            self.feature_frequencies[feature] = np.array(frequencies) / float(sum(frequencies))
            self.scaler.mean_[feature] = 0
            self.scaler.scale_[feature] = 1
        self._sampler: _Sampler | None = None
        self._layout = _tabdata.build_layout(
            None if sparse else data, feature_groups, self.feature_names, user_categorical,
            missing_rate,
        )  # fmt: skip
        disc = self.discretizer
        fitted_here = isinstance(discretizer, str) and not training_data_stats
        if disc is not None and fitted_here and _is_native_undiscretize(disc):
            # the bins' statistics are checked when the sampler is built: build it now,
            # so that training data too large for them fails here, not at explain time
            try:
                self._native_sampler()
            except ValueError as exc:
                raise ValueError(
                    f"training_data: values too large for the discretizer's bin statistics "
                    f"(largest magnitude {np.nanmax(np.abs(data)):.3g}): {exc}; rescale the data"
                ) from None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_sampler"] = None  # the native sampler is rebuilt on first use
        return state

    @staticmethod
    def convert_and_round(values: Any) -> list[str]:
        if isinstance(values, np.ndarray):
            values = values.tolist()  # formats faster than numpy scalars, same strings
        return [f"{v:.2f}" for v in values]

    @staticmethod
    def validate_training_data_stats(training_data_stats: Mapping[str, Any]) -> None:
        """Method to validate the structure of training data stats"""
        valid_stat_keys = ["means", "mins", "maxs", "stds", "feature_values", "feature_frequencies"]
        missing_keys = list(set(valid_stat_keys) - set(training_data_stats.keys()))
        if missing_keys:
            raise ValueError(f"Missing keys in training_data_stats. Details: {missing_keys}")

    def explain_instance(
        self,
        data_row: Any,
        predict_fn: Callable[[Any], Any],
        labels: Sequence[int] = (1,),
        top_labels: int | None = None,
        num_features: int = 10,
        num_samples: int | str = 5000,
        distance_metric: str = "euclidean",
        model_regressor: Any = None,
        sampling_method: str = "gaussian",
        *,
        max_samples: int = _adaptive.DEFAULT_MAX_SAMPLES,
        confidence: float = _adaptive.DEFAULT_CONFIDENCE,
        fixed_features: Sequence[int | str] | None = None,
    ) -> explanation.Explanation:
        """Generates explanations for a prediction: perturb the instance, then
        fit locally weighted linear models on the neighbourhood (lime_base.py).

        Args:
            data_row: 1d numpy array, scipy.sparse row or (lime_rs addition) pandas Series.
            predict_fn: ``predict_proba`` of a classifier, ``predict`` of a regressor.
            labels: iterable with labels to be explained.
            top_labels: if not None, explain the K most probable labels instead.
            num_features: maximum number of features present in explanation
            num_samples: size of the neighborhood to learn the linear model, or
                ``"auto"`` (lime_rs addition): sample in doubling rounds until the
                features and their signs are certain at ``confidence``, at most
                ``max_samples`` rows (``exp.sampling`` says what happened).
            distance_metric: the distance metric to use for weights.
            model_regressor: sklearn regressor to use in explanation (default:
                ridge regression, in Rust).
            sampling_method: 'gaussian' (default) or Latin Hypercube Sampling ('lhs').
            max_samples: with "auto", the most rows the model is asked about (5000).
            confidence: with "auto", the certainty of the features and signs (0.95).
            fixed_features: lime_rs addition: columns (indices, names or group
                names) held at the instance's values (``domain_mapper.held_at()``).

        Returns:
            An Explanation object (see explanation.py).
        """
        data_row, predict_fn = _pandas.prepare_row(self._frame, data_row, predict_fn)
        call = self._check_call(predict_fn, labels, top_labels, num_features, num_samples,
                                distance_metric, model_regressor, sampling_method,
                                max_samples, confidence, fixed_features)  # fmt: skip
        return self._explain_row(data_row, predict_fn, call)

    def explain_instances(self, data: Any, predict_fn: Callable[[Any], Any], *,
                          labels: Sequence[int] = (1,), top_labels: int | None = None,
                          num_features: int = 10, num_samples: int | str = 5000,
                          distance_metric: str = "euclidean", model_regressor: Any = None,
                          sampling_method: str = "gaussian", batch_size: int | None = None,
                          progress_bar: bool = False,
                          max_samples: int = _adaptive.DEFAULT_MAX_SAMPLES,
                          confidence: float = _adaptive.DEFAULT_CONFIDENCE,
                          fixed_features: Sequence[int | str] | None = None,
                          ) -> list[explanation.Explanation]:  # fmt: skip
        """Explains many rows (lime_rs addition): one Explanation per row of
        ``data``, in order, with one ``predict_fn`` call per chunk of rows.

        The result equals ``[explain_instance(row, f, **kw) for row in data]`` on
        an explainer in the same state, whatever ``batch_size`` or
        ``LIME_RS_NUM_THREADS``. Threads sharing an explainer share its
        ``random_state``: give each its own (``copy.deepcopy``) to reproduce results.

        Args:
            data: 2-D array (n_rows, n_columns), a list of rows or a scipy.sparse matrix.
            predict_fn: as in explain_instance, on up to ``batch_size`` samples.
            labels, top_labels, num_features, num_samples, distance_metric, model_regressor, sampling_method, max_samples, confidence, fixed_features: as in explain_instance.
            batch_size: most samples per ``predict_fn`` call (a row's are never
                split); default 4 MiB per array (17,476 samples for 30 columns).
            progress_bar: if True, show a tqdm progress bar (rows done).

        Returns:
            A list of Explanation objects, one per row (empty for no rows).
        """
        call = self._check_call(predict_fn, labels, top_labels, num_features, num_samples,
                                distance_metric, model_regressor, sampling_method,
                                max_samples, confidence, fixed_features)  # fmt: skip
        data, predict_fn = _pandas.prepare_batch(self._frame, data, predict_fn)
        d = self.scaler.mean_.shape[0]
        rows = _check_batch(data, d)
        if batch_size is None:
            batch_size = _DEFAULT_CHUNK_BYTES // (8 * max(d, 1))
        per_chunk = max(1, check_int(batch_size, "batch_size", minimum=1) // call.num_samples)
        bar: Any = None
        if progress_bar and rows.shape[0]:
            from tqdm.auto import tqdm

            bar = tqdm(total=rows.shape[0], desc="explain_instances", unit="row")
        out: list[explanation.Explanation] = []
        arrays = _ChunkArrays()
        disc_state = getattr(self.discretizer, "random_state", None)
        with nullcontext() if bar is None else bar, rewound_on_error(self.random_state, disc_state):
            for start in range(0, rows.shape[0], per_chunk):
                chunk = rows[start : start + per_chunk]
                if _is_sparse(chunk):
                    out.extend(self._explain_row(r, predict_fn, call) for r in chunk)
                elif call.adaptive is not None and call.model_regressor is None:
                    rows_ = _check_rows(chunk, start, d, self._allows_nan())
                    out.extend(self._explain_adaptive(rows_, predict_fn, call))
                else:
                    samples, inverse = self._sample_chunk(chunk, start, call, arrays)
                    out.extend(self._explain_samples(samples, inverse, predict_fn, call))
                    del samples, inverse
                    arrays.forget_if_kept()
                if bar is not None:
                    bar.update(chunk.shape[0])
        return out

    # --- the stages both calls run ---

    def _check_call(self, predict_fn, labels, top_labels, num_features, num_samples,
                    distance_metric, model_regressor, sampling_method,
                    max_samples=_adaptive.DEFAULT_MAX_SAMPLES,
                    confidence=_adaptive.DEFAULT_CONFIDENCE,
                    fixed_features=None) -> _Call:  # fmt: skip
        adaptive = None
        if type(num_samples) is not int:  # the common case skips the check
            num_samples = _adaptive.check_num_samples(num_samples, minimum=2)
        num_features = check_int(num_features, "num_features", minimum=1)
        if num_samples == "auto":
            adaptive = _adaptive.Settings(
                num_features, self.feature_selection, _adaptive.check_confidence(confidence),
                _adaptive.check_max_samples(max_samples),
            )  # fmt: skip
            num_samples = adaptive.max_samples
        num_samples = check_int(num_samples, "num_samples", minimum=2)
        # scaled and inverse samples, and their distances
        check_memory(num_samples, 8 * (2 * self.scaler.mean_.shape[0] + 1))
        if top_labels is not None and not isinstance(top_labels, bool):
            top_labels = check_int(top_labels, "top_labels", minimum=0)
        if not callable(predict_fn):
            raise TypeError(
                f"predict_fn: expected a callable (e.g. model.predict_proba), got "
                f"{type(predict_fn).__name__}"
            )
        # lime samples discretized rows by bin frequencies
        method = "gaussian" if self.discretizer is not None else sampling_method
        if method not in ("gaussian", "lhs"):
            warnings.warn(
                "Invalid input for sampling_method. Defaulting to Gaussian sampling.",
                UserWarning,
                stacklevel=3,
            )
            method = "gaussian"
        fixed = _tabdata.resolve_fixed(fixed_features, self.feature_names, self._layout)
        return _Call(labels, top_labels, num_features, num_samples, distance_metric,
                     model_regressor, method, adaptive, fixed)  # fmt: skip

    def _allows_nan(self) -> bool:
        return self._layout is not None and self._layout.fill is not None

    def _options(self, call: _Call) -> bool:
        """Whether the data options (groups, missing values, fixed features) apply."""
        return call.fixed is not None or self._layout is not None

    def _explain_row(self, data_row, predict_fn, call: _Call) -> explanation.Explanation:
        if _is_sparse(data_row):
            if self.discretizer is None:
                sample = self._sample_sparse(data_row, call)
                return self._explain_samples([sample], sample.inverse, predict_fn, call)[0]
            data_row = data_row.toarray().ravel()
        row = _check_row(data_row, self.scaler.mean_.shape[0], self._allows_nan())
        if call.adaptive is not None and call.model_regressor is None:
            return self._explain_adaptive([row], predict_fn, call)[0]
        sample = self._sample_row(row, call)
        inverse, sample.inverse = sample.inverse, None
        return self._explain_samples([sample], inverse, predict_fn, call)[0]

    def _native_sampler(self) -> _Sampler:
        """The Rust perturbation model built from the explainer's statistics."""
        if self._sampler is not None:
            return self._sampler
        disc = self.discretizer
        native_disc = disc is not None and _is_native_discretize(disc)
        native_undisc = disc is not None and _is_native_undiscretize(disc)
        categorical = {
            int(f): (_floats(self.feature_values[f]), _floats(self.feature_frequencies[f]))
            for f in self.categorical_features
        }
        edges, bins = {}, {}
        if native_disc:
            edges = {int(f): _floats(fn.keywords["qts"]) for f, fn in disc.lambdas.items()}
        if native_undisc:
            stats = (disc.mins, disc.maxs, disc.means, disc.stds)
            for f in disc.means:
                if int(f) in categorical:
                    lo, hi, mean, std = (_floats(s[f]) for s in stats)
                    bins[int(f)] = (lo, hi, mean, std)
        mean, scale = _floats(self.scaler.mean_), _floats(self.scaler.scale_)
        layout = {} if self._layout is None else self._layout.sampler_args()
        native = _native.TabularSampler(mean, scale, categorical, edges, bins, **layout)
        self._sampler = _Sampler(native, native_disc, native_undisc)
        return self._sampler

    def _draw_seed(self, undiscretize: bool) -> int:
        """One row's seed (each row, in each call, draws one)."""
        seed = draw_seed(self.random_state)
        disc_state = getattr(self.discretizer, "random_state", None)
        if undiscretize and disc_state is not None and disc_state is not self.random_state:
            # as in lime, a discretizer's own random state drives its draws
            seed = mix_seed(seed, draw_seed(disc_state))
        return seed

    def _sample_row(self, row: np.ndarray, call: _Call, seed: int | None = None,
                    num_samples: int | None = None) -> _Sample:  # fmt: skip
        """One dense row's neighbourhood (a custom discretizer's steps in Python)."""
        sampler = self._native_sampler()
        disc = self.discretizer
        first_row = None
        filled = row if self._layout is None else self._layout.filled(row)
        if disc is not None and not sampler.discretize:
            first_row = np.ascontiguousarray(disc.discretize(filled), dtype=np.float64)
        if seed is None:
            seed = self._draw_seed(sampler.undiscretize)
        n = call.num_samples if num_samples is None else num_samples
        args = (n, seed, call.method, bool(self.sample_around_instance), sampler.undiscretize,
                first_row)  # fmt: skip
        spec = None
        fixed = [] if call.fixed is None else call.fixed.tolist()
        if not self._options(call):
            scaled, inverse, distances = sampler.native.sample(row, *args)
        else:
            scaled, inverse, distances, features = sampler.native.sample_data(row, *args, fixed)
            spec = _tabdata.spec_of(features)
        if disc is not None:
            if first_row is None:
                first_row = sampler.native.first_row(filled)
            if not sampler.undiscretize and spec is None:
                inverse[1:] = disc.undiscretize(inverse[1:])
                inverse[0] = row
            elif not sampler.undiscretize:  # keep the values the sampler wrote, and NaN
                if self._layout is not None:
                    fixed += np.flatnonzero(self._layout.group_of >= 0).tolist()
                block = inverse[1:]
                own = np.isnan(block)
                own[:, fixed] = True
                values = disc.undiscretize(np.where(own, first_row, block))
                block[...] = np.where(own, block, values)
        distances = self._distances(scaled, call.distance_metric, distances)
        return _Sample(row, seed, scaled, distances, inverse, first_row, spec=spec)

    def _sample_chunk(self, chunk, first: int, call: _Call,
                      arrays: _ChunkArrays) -> tuple[list[_Sample], Any]:  # fmt: skip
        """A chunk's neighbourhoods (as _sample_row's) and their samples stacked."""
        d = self.scaler.mean_.shape[0]
        rows = _check_rows(chunk, first, d, self._allows_nan())
        k, n = len(rows), call.num_samples
        sampler = self._native_sampler()
        custom = self.discretizer is not None and not (sampler.discretize and sampler.undiscretize)
        # a custom discretizer's steps run in Python, and the data options'
        # neighbourhoods have their own widths: row by row
        if k == 1 or custom or self._options(call):
            samples = [self._sample_row(row, call) for row in rows]
            inverse = samples[0].inverse if k == 1 else np.concatenate([s.inverse for s in samples])
            for sample in samples:
                sample.inverse = None
            return samples, inverse
        scaled, inverse = arrays.take(k * n, d)
        dense = np.ascontiguousarray(rows, dtype=np.float64)
        seeds = [self._draw_seed(sampler.undiscretize) for _ in range(k)]
        distances = np.empty(k * n)
        _native.tabular_sample_many(
            sampler.native, dense, seeds, n, call.method, bool(self.sample_around_instance),
            sampler.undiscretize, scaled, inverse, distances,
        )  # fmt: skip
        samples = []
        for i in range(k):
            block = slice(i * n, (i + 1) * n)
            first_row = sampler.native.first_row(dense[i]) if self.discretizer is not None else None
            samples.append(
                _Sample(dense[i].copy(), seeds[i], scaled[block],
                        self._distances(scaled[block], call.distance_metric, distances[block],
                                        f"data[{first + i}]"),
                        first_row=first_row)
            )  # fmt: skip
        return samples, inverse

    def _sample_sparse(self, data_row, call: _Call) -> _Sample:
        """lime's sparse path: only the row's non-zero columns are perturbed and fitted."""
        import scipy.sparse as sp

        if self._options(call):
            raise ValueError(
                "data_row: feature_groups, missing values and fixed_features need dense "
                "rows (data_row.toarray().ravel())"
            )
        d = self.scaler.mean_.shape[0]
        row = sp.csr_matrix(data_row)
        check_real(row, "data_row")
        if row.shape != (1, d):
            raise ValueError(
                f"data_row: expected a sparse row of shape (1, {d}), got shape {row.shape}"
            )
        if self.categorical_features:
            raise ValueError(
                "data_row: a sparse row cannot be explained with categorical_features "
                f"{self.categorical_features}; pass a dense row (data_row.toarray().ravel())"
            )
        dense = row.toarray().ravel().astype(np.float64)
        if not np.isfinite(dense).all():
            raise ValueError("data_row: contains NaN or infinity")
        nz = row.nonzero()[1]
        k, n = len(nz), call.num_samples
        seed = self._draw_seed(False)
        scale = np.asarray(self.scaler.scale_, dtype=np.float64)
        if k:
            mean = np.asarray(self.scaler.mean_, dtype=np.float64)
            sub = _native.TabularSampler(mean[nz].tolist(), scale[nz].tolist(), {}, {}, {})
            _, block, _ = sub.sample(np.ascontiguousarray(dense[nz]), n, seed, call.method,
                                     bool(self.sample_around_instance))  # fmt: skip
        else:
            block = np.zeros((n, 0))
        indices = np.tile(nz, n)
        indptr = np.arange(0, k * (n + 1), k) if k else np.zeros(n + 1, int)
        inverse = sp.csr_matrix((block.ravel(), indices, indptr), shape=(n, d))
        # lime scales sparse data by multiplying with scale_ (not dividing)
        scaled_block = np.ascontiguousarray(block * scale[nz])
        scaled = sp.csr_matrix((scaled_block.ravel(), indices, indptr), shape=(n, d))
        if k and call.distance_metric in ("euclidean", "l2", "cosine"):
            metric = "cosine" if call.distance_metric == "cosine" else "euclidean"
            distances = _native.distances(scaled_block, scaled_block[0], metric)
        else:
            from sklearn.metrics import pairwise_distances

            distances = pairwise_distances(scaled, scaled[0], metric=call.distance_metric).ravel()
        check_distances(distances)
        return _Sample(row, seed, scaled, distances, inverse, nz=nz, block=scaled_block)

    @staticmethod
    def _distances(scaled, metric: str, euclidean: np.ndarray, row: str = "data_row") -> np.ndarray:
        """The samples' distances to row 0, checked finite (errors name ``row``)."""
        if metric in ("euclidean", "l2"):
            return check_distances(euclidean, row)
        if metric == "cosine":
            return check_distances(_native.distances(scaled, scaled[0], "cosine"), row)
        from sklearn.metrics import pairwise_distances

        distances = pairwise_distances(scaled, scaled[0].reshape(1, -1), metric=metric).ravel()
        return check_distances(distances, row)

    def _explain_samples(self, samples: list[_Sample], inverse, predict_fn,
                         call: _Call) -> list[explanation.Explanation]:  # fmt: skip
        """One model call on every row's samples, then each row's explanation."""
        yss_all = predict_fn(inverse)
        if call.model_regressor is None:
            _native.prewake()  # the pool wakes while the outputs are checked
        del inverse
        n = call.num_samples
        if not isinstance(yss_all, np.ndarray):
            yss_all = np.asarray(yss_all)
        total = n * len(samples)
        if yss_all.ndim == 0 or yss_all.shape[0] != total:
            raise ValueError(
                f"predict_fn: returned an array of shape {yss_all.shape} for {total} samples; "
                f"expected one row of predictions per sample ({total} rows)"
            )
        rows, native = [], []
        for i, sample in enumerate(samples):
            yss = self._check_predictions(yss_all[i * n : (i + 1) * n], n)
            exp, labels = self._new_explanation(sample, yss, call)
            keep = None if sample.spec is None else sample.spec.keep
            hood = Neighbourhood(sample.scaled, yss, sample.distances, keep)
            rows.append(row := _Row(sample, exp, labels, hood))
            if call.model_regressor is None and (sample.nz is None or len(sample.nz)):
                native.append(row)
            else:
                # the user's regressor, or a sparse row without non-zero values: LimeBase
                options = FitOptions(call.num_features, self.feature_selection,
                                     call.model_regressor, use_base=True)  # fmt: skip
                fit(row.exp, self.base, row.hood, row.labels, options)
        if native:
            self._fit_native(native, call)
        for row in rows:
            self._record(row.exp, row.sample.seed, call, self._fixed_sampling(call))
        return [row.exp for row in rows]

    @staticmethod
    def _fixed_sampling(call: _Call) -> dict[str, Any]:
        """``exp.sampling`` of a fixed-size neighbourhood ("auto" that cannot certify)."""
        if call.adaptive is None:
            return _adaptive.fixed_sampling(call.num_samples)
        if call.model_regressor is not None:
            reason = "model_regressor: its weights' uncertainty is unknown; drew max_samples rows"
        else:
            reason = "sparse row: not sampled adaptively; drew max_samples rows"
        return _adaptive.sampling_record(call.num_samples, 1, False, call.adaptive.confidence,
                                         call.num_samples, True, reason)  # fmt: skip

    def _round_sampler(self, row: np.ndarray, call: _Call,
                       keep: Callable[[_Sample], Any] | None = None) -> _adaptive.SampleRound:  # fmt: skip
        """One dense row's ``sample_round(n, seed, first)`` for the adaptive driver
        (round 0, handed to ``keep``, is what ``num_samples=n`` draws from ``seed``)."""

        def draw(n: int, seed: int, first: bool) -> _adaptive.Round:
            s = self._sample_row(row, call, seed, n if first else n + 1)
            if first and keep is not None:
                keep(s)
            skip = 0 if first else 1  # a later round drops its copy of the original
            return _adaptive.Round(s.scaled[skip:], s.inverse[skip:], s.distances[skip:])

        return draw

    def _explain_adaptive(self, rows: list[np.ndarray], predict_fn,
                          call: _Call) -> list[explanation.Explanation]:  # fmt: skip
        """``num_samples="auto"`` (_adaptive): rounds of one model call on the rows left."""
        assert call.adaptive is not None
        sampler = self._native_sampler()
        seeds = [self._draw_seed(sampler.undiscretize) for _ in rows]  # as the fixed path
        originals: dict[int, _Sample] = {}  # round 0 of each row: the domain mapper's inputs

        def predict(inverse: np.ndarray) -> np.ndarray:
            return self._check_predictions(predict_fn(inverse), inverse.shape[0])

        def columns(first_output: np.ndarray) -> list[int]:
            if self.mode == "regression":
                return [0]
            chosen = choose_labels(SimpleNamespace(), first_output, call.labels, call.top_labels)
            return [int(label) % first_output.shape[0] for label in chosen]

        tasks = [
            _adaptive.Task(self._round_sampler(row, call, partial(originals.__setitem__, i)),
                           seed, columns)
            for i, (row, seed) in enumerate(zip(rows, seeds))
        ]  # fmt: skip
        weigh = partial(kernel_weights, self.base.kernel_fn)
        outcomes = _adaptive.run_many(tasks, predict, weigh, call.adaptive)
        out = []
        for i, o in enumerate(outcomes):
            sample = replace(originals[i], scaled=o.hood.data, distances=o.hood.distances)
            exp, labels = self._new_explanation(sample, o.hood.yss, call)
            keep = None if sample.spec is None else sample.spec.keep
            store_models(exp, labels, o.models, o.hood.yss, keep, verbose=self.base.verbose)
            self._record(exp, seeds[i], call, o.sampling)
            out.append(exp)
        return out

    def _fit_native(self, rows: list[_Row], call: _Call) -> None:
        """The default local models of every row, in one native call."""
        data, yss, weights, columns = [], [], [], []
        for row in rows:
            row.hood.weights = kernel_weights(self.base.kernel_fn, row.hood.distances)
            data.append(row.hood.data if row.sample.block is None else row.sample.block)
            yss.append(row.hood.yss)
            weights.append(row.hood.weights)
            columns.append([int(label) % row.hood.yss.shape[1] for label in row.labels])
        method, num_features = self.feature_selection, call.num_features
        if len(rows) == 1:
            models = [_native.explain_with_data(data[0], yss[0], weights[0], columns[0],
                                                num_features, method, return_stderr=True)]  # fmt: skip
        else:
            models = _native.explain_with_data_many(data, yss, weights, columns, num_features,
                                                    method, return_stderr=True)  # fmt: skip
        for row, row_models in zip(rows, models):
            if row.sample.nz is not None:
                d = self.scaler.mean_.shape[0]
                row_models = _sparse_models(row_models, method, num_features, row.sample.nz, d)
            store_models(row.exp, row.labels, row_models, row.hood.yss, row.hood.feature_ids,
                         verbose=self.base.verbose)  # fmt: skip

    def _domain_mapper(self, sample: _Sample) -> TableDomainMapper:
        """The row's TableDomainMapper, as lime builds it."""
        if sample.spec is not None:
            return self._data_mapper(sample)
        if sample.nz is not None:
            return TableDomainMapper(
                list(self.feature_names),
                self.convert_and_round(sample.row.data),
                sample.scaled[0],
                categorical_features=self.categorical_features,
                discretized_feature_names=None,
                feature_indexes=sample.row.indices,
            )
        row, disc = sample.row, self.discretizer
        feature_names = list(self.feature_names)
        values = self.convert_and_round(row)
        for i in self.categorical_features:
            if disc is not None and i in disc.lambdas:
                continue
            name = _category_name(self.categorical_names, i, row[i])
            feature_names[i] = f"{feature_names[i]}={name}"
            values[i] = "True"
        categorical_features: Any = self.categorical_features
        discretized_feature_names = None
        if disc is not None:
            assert sample.first_row is not None  # _sample_row discretizes the row
            categorical_features = range(row.shape[0])
            discretized_feature_names = list(feature_names)
            for f in disc.names:
                discretized_feature_names[f] = disc.names[f][int(sample.first_row[f])]
        return TableDomainMapper(
            feature_names,
            values,
            # a copy: a view would keep the whole neighbourhood alive with the explanation
            sample.scaled[0].copy(),
            categorical_features=categorical_features,
            discretized_feature_names=discretized_feature_names,
        )

    def _data_mapper(self, sample: _Sample) -> TableDomainMapper:
        """One entry per interpretable feature (sample.spec), from the mapper of
        the row with its missing values filled."""
        spec, layout, row = sample.spec, self._layout, sample.row
        assert spec is not None
        filled = row if layout is None else layout.filled(row)
        base = self._domain_mapper(replace(sample, row=filled, spec=None, scaled=spec.row0[None]))
        base.fixed_features = spec.fixed.nonzero()[0].tolist()
        if layout is None:  # features held fixed alone: the features are the columns
            return base
        disc, fnames = base.discretized_feature_names, self.feature_names
        nan = np.isnan(row).tolist()
        shown = ["missing" if m else v for m, v in zip(nan, base.feature_values)]
        cols, missing = spec.cols, spec.missing
        group_names = [layout.groups[g][0] for g in spec.groups]
        group_cols = [layout.groups[g][1].tolist() for g in spec.groups]
        states = [f"{fnames[j]} {'is missing' if nan[j] else 'is not missing'}" for j in missing]
        names = [base.feature_names[j] for j in cols] + group_names + states
        values = [shown[j] for j in cols]
        values += [", ".join(f"{fnames[c]}={shown[c]}" for c in cs) for cs in group_cols]
        values += [shown[j] for j in missing]
        disc_names = None if disc is None else [disc[j] for j in cols] + group_names + states
        # groups and missingness are categorical (1 when as in the instance)
        base_categorical = set(base.categorical_features)
        categorical = [i for i, j in enumerate(cols) if j in base_categorical]
        categorical += range(len(cols), len(names))
        columns = [[j] for j in cols] + group_cols + [[j] for j in missing]
        mapper = TableDomainMapper(names, values, spec.row0, categorical, disc_names)
        mapper.fixed_features = base.fixed_features
        mapper.feature_columns = columns
        return mapper

    def _record(self, exp, seed: int, call: _Call, sampling: dict[str, Any]) -> None:
        """Regression's mirrored label, then settings, seed and ``sampling`` recorded."""
        from lime_rs.serialization import record

        if self.mode == "regression":
            mirror_regression(exp)
        extra: dict[str, Any] = {}
        num_samples: int | str = call.num_samples
        if call.adaptive is not None:
            num_samples = "auto"
            extra = {"max_samples": call.adaptive.max_samples,
                     "confidence": call.adaptive.confidence}  # fmt: skip
        record(exp, self, seed, num_samples=num_samples, num_features=call.num_features,
               distance_metric=call.distance_metric, sampling_method=call.method,
               model_regressor=call.model_regressor, **extra)  # fmt: skip
        exp.sampling = sampling

    def _new_explanation(self, sample: _Sample, yss: np.ndarray, call: _Call) -> tuple[Any, list]:
        """The row's Explanation with the model's output on it, and the labels to explain."""
        exp = explanation.Explanation(
            self._domain_mapper(sample), mode=self.mode, class_names=self.class_names
        )
        if self.mode == "regression":
            exp.predicted_value, exp.min_value, exp.max_value = yss[0, 0], yss.min(), yss.max()
            return exp, [0]
        exp.predict_proba = yss[0].copy()
        return exp, choose_labels(exp, yss[0], call.labels, call.top_labels)

    def _check_predictions(self, yss, num_samples):
        """The model's output checked, with lime's warning for improper probabilities."""
        yss = check_model_output(yss, num_samples, "predict_fn", mode=self.mode)
        if self.mode == "regression":
            return yss
        names = self.class_names
        check_class_names(names, yss.shape[1])
        self.class_names = [str(x) for x in range(yss.shape[1])] if names is None else list(names)
        # np.allclose(yss.sum(axis=1), 1.0) without its overhead (a product is
        # faster than sum(axis=1) on few columns)
        if not (np.abs(yss @ np.ones(yss.shape[1]) - 1.0) <= 1e-8 + 1e-5).all():
            warnings.warn(
                "Prediction probabilties do not sum to 1, and thus does not constitute a "
                "probability space. Check that you classifier outputs probabilities (Not log "
                "probabilities, or actual class predictions).",
                stacklevel=3,
            )
        return yss


def _sparse_models(models, method: str, num_features: int, nz: np.ndarray, d: int) -> list:
    """A sparse row's local models (fitted on columns ``nz``) on column indices;
    all-zero columns lime would add get weight 0, lowest index first."""
    effective = resolve_feature_selection(method, num_features)
    out = []
    for intercept, feats, coefs, score, local_pred, se in models:
        feats = nz[feats]
        if effective == "none":
            want = d
        elif effective in ("forward_selection", "highest_weights"):
            want = min(num_features, d)
        else:
            want = len(feats)
        if len(feats) < want:
            pad = lime_base.lowest_unused(nz, d, want - len(feats))
            feats = np.concatenate([feats, pad])
            coefs = np.concatenate([coefs, np.zeros(len(pad))])
            se = np.concatenate([se, np.zeros(len(pad))])  # all-zero columns: weight exactly 0
        out.append((intercept, feats, coefs, score, local_pred, se))
    return out


# Default bytes of one chunk's samples in explain_instances: cache-sized chunks are
# fastest (breast_cancer, LogisticRegression: 200,000-sample chunks ~1.8x slower).
_DEFAULT_CHUNK_BYTES = 4 << 20


@dataclass
class _ChunkArrays:
    """explain_instances' sample arrays, reused from chunk to chunk (page faults
    cost more than the sampling) unless predict_fn kept a reference to its input."""

    scaled: np.ndarray | None = None
    inverse: np.ndarray | None = None

    def take(self, rows: int, d: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, d) views of the two arrays (grown as needed)."""
        if self.scaled is None or self.scaled.shape[0] < rows or self.scaled.shape[1] != d:
            self.scaled = np.empty((rows, d))
        if self.inverse is None or self.inverse.shape[0] < rows or self.inverse.shape[1] != d:
            self.inverse = np.empty((rows, d))
        return self.scaled[:rows], self.inverse[:rows]

    def forget_if_kept(self) -> None:
        if self.inverse is not None and sys.getrefcount(self.inverse) > 2:
            self.inverse = None  # predict_fn kept (a view of) its input: never overwrite it


def _check_batch(data: Any, d: int) -> Any:
    """explain_instances' rows as a 2-D float array or a CSR matrix."""
    if _is_sparse(data):
        data = data.tocsr()
        if data.ndim != 2 or data.shape[1] != d:
            raise ValueError(
                f"data: expected a matrix with {d} columns (one row per instance), got shape "
                f"{data.shape}"
            )
        check_real(data, "data")
        return data
    if not isinstance(data, np.ndarray):
        try:
            items = list(data)
        except TypeError:
            raise TypeError(
                f"data: expected a 2-D array of rows, got {type(data).__name__}"
            ) from None
        shapes = [np.shape(r) for r in items]
        if len(set(shapes)) > 1:
            bad = next(i for i, shape in enumerate(shapes) if shape != shapes[0])
            raise ValueError(
                f"data: rows have different lengths (row 0 has shape {shapes[0]}, row {bad} "
                f"has shape {shapes[bad]}); every row needs {d} values"
            )
        data = np.asarray(items)
    if data.ndim == 1 and data.shape[0] == 0:
        return np.empty((0, d))
    if data.ndim != 2:
        hint = " (a single row: use explain_instance, or data.reshape(1, -1))"
        raise ValueError(
            f"data: expected a 2-D array of rows, got shape {data.shape}"
            + (hint if data.ndim == 1 else "")
        )
    if data.shape[1] != d and data.shape[0]:
        raise ValueError(
            f"data: rows have {data.shape[1]} values but the training data has {d} columns"
        )
    check_real(data, "data")
    try:
        return np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"data: expected numbers, got {data.dtype}: {exc}") from None


def _check_rows(chunk: Any, first: int, d: int, allow_nan: bool = False) -> list[np.ndarray]:
    """A chunk's dense rows, each checked (errors name ``data[i]``)."""
    rows = []
    for i, row in enumerate(chunk):
        try:
            rows.append(_check_row(row, d, allow_nan))
        except ValueError as exc:
            raise ValueError(f"data[{first + i}]: {exc}") from None
    return rows


def _floats(values: Any) -> list[float]:
    return np.asarray(values, dtype=np.float64).ravel().tolist()


def _check_categorical(categorical_features, d):
    try:
        features = [] if categorical_features is None else list(categorical_features)
    except TypeError:
        raise TypeError(
            "categorical_features: expected a list of column indices, got "
            f"{type(categorical_features).__name__}"
        ) from None
    seen: set[int] = set()
    for f in features:
        if isinstance(f, bool) or not isinstance(f, numbers.Integral) or not 0 <= int(f) < d:
            raise ValueError(
                f"categorical_features: {f!r} is not a column index; training_data has {d} "
                f"columns (indices 0..{d - 1})"
            )
        if int(f) in seen:
            raise ValueError(
                f"categorical_features: column {int(f)} is listed twice; list each "
                "categorical column once"
            )
        seen.add(int(f))
    return [int(f) for f in features]


def _check_row(data_row, d, allow_nan=False):
    row = as_float_array(data_row, "data_row", 1, allow_nan=allow_nan)
    if allow_nan and np.isinf(row).any():
        raise ValueError("data_row: contains infinity")
    if row.shape[0] != d:
        raise ValueError(
            f"data_row: has {row.shape[0]} values but the training data has {d} columns"
        )
    return row


def _category_name(categorical_names, feature, value):
    name = int(value)
    if feature in categorical_names:
        names = categorical_names[feature]
        try:
            name = names[name]
        except (IndexError, KeyError):
            raise ValueError(
                f"categorical_names[{feature}]: has no name for value {name} of data_row "
                f"(it has {len(names)} names)"
            ) from None
    return name


class RecurrentTabularExplainer(LimeTabularExplainer):
    """An explainer for keras-style recurrent neural networks, whose input
    shape is (n_samples, n_timesteps, n_features): a LimeTabularExplainer on
    the flattened columns (val1_t1, val1_t2, ..., val2_t1, ..., valn_tn). Every
    method takes data shaped as the network does."""

    def __init__(self, training_data: Any, mode: str = "classification", training_labels: Any = None,
                 feature_names: Sequence[str] | None = None,
                 categorical_features: Sequence[int] | None = None,
                 categorical_names: Mapping[int, Sequence[str]] | None = None,
                 kernel_width: float | None = None, kernel: Callable[..., Any] | None = None,
                 verbose: bool = False, class_names: Sequence[str] | None = None,
                 feature_selection: str = "auto", discretize_continuous: bool = True,
                 discretizer: str | BaseDiscretizer = "quartile",
                 random_state: Any = None,
                 feature_groups: Mapping[str, Sequence[int | str]] | None = None,
                 ) -> None:  # fmt: skip
        """
        Args:
            training_data: numpy 3d array (n_samples, n_timesteps, n_features)
            feature_names: the n_features names (columns ``{name}_t-{lag}``).
            feature_groups: as LimeTabularExplainer's, on the flattened columns.
            The other arguments are LimeTabularExplainer's.
        """
        training_data = np.asarray(training_data)
        if training_data.ndim != 3:
            raise ValueError(
                "training_data: expected a 3-D array (n_samples, n_timesteps, n_features), "
                f"got shape {training_data.shape}"
            )
        _, n_timesteps, self.n_features = training_data.shape
        self.n_timesteps = n_timesteps
        if feature_names is None:
            feature_names = [f"feature{i}" for i in range(self.n_features)]
        feature_names = [
            f"{n}_t-{n_timesteps - (i + 1)}" for n in feature_names for i in range(n_timesteps)
        ]
        super().__init__(
            self._flatten(training_data), mode, training_labels, feature_names,
            categorical_features, categorical_names, kernel_width, kernel, verbose, class_names,
            feature_selection, discretize_continuous, discretizer, random_state=random_state,
            feature_groups=feature_groups,
        )  # fmt: skip

    def _flatten(self, x: np.ndarray) -> np.ndarray:
        """(n, n_timesteps, n_features) as (n, n_features * n_timesteps)."""
        return np.transpose(x, axes=(0, 2, 1)).reshape(x.shape[0], x.shape[1] * x.shape[2])

    def _make_predict_proba(self, func: Callable[[Any], Any]) -> Callable[[np.ndarray], Any]:
        """``func`` on the flat samples reshaped as the network expects them."""

        def predict_proba(X):
            X = X.reshape(X.shape[0], self.n_features, self.n_timesteps)
            return func(np.transpose(X, axes=(0, 2, 1)))

        return predict_proba

    def explain_instances(  # type: ignore[override]
        self, data: Any, classifier_fn: Callable[[Any], Any], **kwargs: Any
    ) -> list[explanation.Explanation]:
        """explain_instances on ``data`` of shape (n_rows, n_timesteps, n_features)."""
        arr = np.asarray(data)
        if arr.ndim == 1 and arr.shape[0] == 0:
            arr = arr.reshape(0, self.n_timesteps, self.n_features)
        if arr.ndim != 3 or arr.shape[1:] != (self.n_timesteps, self.n_features):
            raise ValueError(
                f"data: expected shape (n_rows, n_timesteps, n_features) = "
                f"(n_rows, {self.n_timesteps}, {self.n_features}), got {arr.shape}"
            )
        wrapped = self._make_predict_proba(classifier_fn)
        return super().explain_instances(self._flatten(arr), wrapped, **kwargs)

    def explain_instance(  # type: ignore[override]
        self, data_row: Any, classifier_fn: Callable[[Any], Any], *args: Any, **kwargs: Any
    ) -> explanation.Explanation:
        """Generates explanations for a prediction.

        Args:
            data_row: 2d numpy array (n_timesteps, n_features), corresponding to a row
            classifier_fn: classifier.predict_proba on 3d arrays.
            args, kwargs: as in LimeTabularExplainer.explain_instance.

        Returns:
            An Explanation object (see explanation.py).
        """
        data_row = np.asarray(data_row)
        if data_row.shape != (self.n_timesteps, self.n_features):
            raise ValueError(
                f"data_row: expected shape (n_timesteps, n_features) = "
                f"({self.n_timesteps}, {self.n_features}), got {data_row.shape}"
            )
        flat = data_row.T.reshape(self.n_timesteps * self.n_features)
        wrapped = self._make_predict_proba(classifier_fn)
        return super().explain_instance(flat, wrapped, *args, **kwargs)
