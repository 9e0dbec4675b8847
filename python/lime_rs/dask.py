"""Explaining a whole ``dask.dataframe`` on a Dask cluster (lime_rs addition).

:func:`explain_dataframe` explains every row partition by partition on the
workers, with the explainer's ``explain_instances``, and returns a lazy dask
DataFrame of tidy rows, one per (row, label, feature): ``row`` (the row's index
label), ``label`` (regression: 1, as ``Explanation.as_list``), ``rank`` (0 for
the label's most important feature), ``feature`` (as ``as_list`` names it),
``weight``, ``intercept`` and ``score`` (the local model's R²).

The explainer and ``predict_fn`` are shipped to the workers once (shared
``dask.delayed`` objects); both must pickle (dask uses cloudpickle for lambdas).
One seed is drawn from the explainer's ``random_state`` per call; partition
``i`` is explained with a random state derived from (seed, ``i``), so the result
depends on the seed and the partitioning, never on the workers, threads or
order. ``dask`` is optional (``pip install lime-rs[dask]``); ``import lime_rs``
never imports it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from lime_rs._random import draw_seed

__all__ = ["explain_dataframe", "TIDY_COLUMNS"]

TIDY_COLUMNS = ("row", "label", "rank", "feature", "weight", "intercept", "score")
# pandas dtypes of the columns after "row" (whose dtype is the index's)
_DTYPES = ("int64", "int64", object, "float64", "float64", "float64")


def _frame(rows: list[tuple[Any, ...]], row_dtype: Any) -> Any:
    import pandas as pd

    dtypes = (row_dtype, *_DTYPES)
    return pd.DataFrame(
        {c: pd.Series([r[i] for r in rows], dtype=dtypes[i]) for i, c in enumerate(TIDY_COLUMNS)}
    )


def tidy(explanations: Sequence[Any], row_ids: Sequence[Any]) -> Any:
    """The tidy rows of ``explanations`` as a pandas DataFrame; ``row_ids[i]``
    identifies ``explanations[i]``."""
    rows = []
    for row_id, exp in zip(row_ids, explanations):
        regression = exp.mode != "classification"
        for label in [exp.dummy_label] if regression else map(int, exp.available_labels()):
            score = exp.score
            if isinstance(score, dict):
                score = score.get(label, score.get(0, np.nan))
            intercept = float(exp.intercept.get(label, np.nan))
            rows += [(row_id, label, rank, str(feature), float(weight), intercept, float(score))
                     for rank, (feature, weight) in enumerate(exp.as_list(label=label))]  # fmt: skip
    return _frame(rows, None if rows else object)


def _explain_partition(part, explainer, predict_fn, seed, column, kwargs, partition_info=None):
    from lime_rs.lime_text import LimeTextExplainer

    number = 0 if partition_info is None else partition_info["number"]
    # The shipped explainer is shared by the worker's tasks: each partition works on a
    # shallow copy whose random state (and that of the parts sharing it) is its own.
    shared = explainer.random_state
    local = copy.copy(explainer)
    words = np.random.SeedSequence([seed, int(number)]).generate_state(4)
    local.random_state = np.random.RandomState(words)
    for attr in ("base", "discretizer"):
        part_obj = getattr(local, attr, None)
        if part_obj is not None and getattr(part_obj, "random_state", None) is shared:
            part_obj = copy.copy(part_obj)
            part_obj.random_state = local.random_state
            setattr(local, attr, part_obj)
    if isinstance(local, LimeTextExplainer):
        values = part
        if hasattr(part, "columns"):  # a DataFrame: the column given, else the first
            values = part[column] if column is not None else part.iloc[:, 0]
        rows = [str(v) for v in values.tolist()]
    else:
        frame = part[column] if column is not None else part
        rows = np.asarray(frame.to_numpy(), dtype=np.float64)
        rows = rows.reshape(-1, 1) if rows.ndim == 1 else rows
    out = tidy(local.explain_instances(rows, predict_fn, **kwargs), list(part.index))
    if len(out) == 0:
        return _frame([], part.index.dtype)
    out["row"] = out["row"].astype(part.index.dtype)
    return out


def explain_dataframe(explainer: Any, ddf: Any, predict_fn: Callable[..., Any], *,
                      columns: Sequence[Any] | None = None, **kwargs: Any) -> Any:  # fmt: skip
    """Explains every row of a dask DataFrame (or Series) on the cluster.

    Args:
        explainer: a LimeTabularExplainer or LimeTextExplainer (not a
            RecurrentTabularExplainer: its rows are 2-D).
        ddf: a ``dask.dataframe`` DataFrame (tabular: the training columns, in
            order; text: one column of str) or Series (text).
        predict_fn: the model's prediction function (``classifier_fn`` for
            text), called on the workers once per chunk of rows.
        columns: optional column selection of ``ddf`` (a list for tabular, a
            column name for text) applied on each partition.
        **kwargs: passed to ``explain_instances`` (labels, top_labels,
            num_features, num_samples, distance_metric, model_regressor,
            sampling_method, batch_size); not ``progress_bar`` (use dask's).

    Returns:
        A lazy ``dask.dataframe.DataFrame`` with the columns ``row, label,
        rank, feature, weight, intercept, score``; ``.compute()`` runs it.
    """
    try:
        import dask
        import dask.dataframe as dd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "lime_rs.dask needs dask: pip install 'lime-rs[dask]' (dask[dataframe,distributed])"
        ) from exc
    from lime_rs.lime_tabular import RecurrentTabularExplainer

    if not hasattr(explainer, "explain_instances"):
        raise TypeError(
            "explainer: expected a lime_rs explainer with explain_instances "
            f"(LimeTabularExplainer or LimeTextExplainer), got {type(explainer).__name__}"
        )
    if isinstance(explainer, RecurrentTabularExplainer):
        raise TypeError(
            "explainer: RecurrentTabularExplainer rows are 2-D (n_timesteps, n_features) and "
            "cannot be rows of a dataframe; flatten them and use a LimeTabularExplainer"
        )
    if not isinstance(ddf, dd.DataFrame | dd.Series):
        raise TypeError(
            f"ddf: expected a dask.dataframe DataFrame or Series, got {type(ddf).__name__}"
        )
    if not callable(predict_fn):
        raise TypeError(f"predict_fn: expected a callable, got {type(predict_fn).__name__}")
    if "progress_bar" in kwargs:
        raise TypeError(
            "progress_bar: not supported by explain_dataframe; use dask.diagnostics or the "
            "dashboard to follow the computation"
        )
    seed = draw_seed(explainer.random_state)
    shipped = dask.delayed(explainer, pure=True, traverse=False)
    model = dask.delayed(predict_fn, pure=True, traverse=False)
    columns = list(columns) if isinstance(columns, tuple) else columns
    return ddf.map_partitions(
        _explain_partition,
        shipped,
        model,
        seed,
        columns,
        kwargs,
        meta=_frame([], ddf.index.dtype),
        align_dataframes=False,
        enforce_metadata=False,
    )
