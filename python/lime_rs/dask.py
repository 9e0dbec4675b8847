"""Explaining a whole ``dask.dataframe`` on a Dask cluster (lime_rs addition).

``explain_dataframe(explainer, ddf, predict_fn, **kwargs)`` explains every
row of ``ddf`` partition by partition on the workers, with the explainer's
batch method (``explain_instances``), and returns a lazy dask DataFrame of
tidy rows, one per (row, label, feature)::

    row        the row's index label in ``ddf``
    label      the explained label (regression: 1, as ``Explanation.as_list``)
    rank       0 for the most important feature of that label, 1, 2, ...
    feature    the feature as ``Explanation.as_list`` names it
    weight     its weight in the local model
    intercept  the local model's intercept
    score      the local model's R² on the neighbourhood

The explainer and ``predict_fn`` are shipped to the workers once (as
``dask.delayed`` objects shared by every partition's task), not once per
partition. Both must pickle (lime_rs explainers do; for ``predict_fn`` a
scikit-learn ``model.predict_proba`` does; dask uses cloudpickle for lambdas
and local functions).

Reproducibility: one seed is drawn from the explainer's ``random_state`` when
``explain_dataframe`` is called; partition ``i`` is explained with a copy of
the explainer whose random state is derived from (that seed, ``i``). The result
therefore depends on the explainer's seed and on the partitioning of ``ddf``,
never on the number of workers, threads or the order in which partitions run.

``dask`` is an optional dependency (``pip install lime-rs[dask]``); importing
``lime_rs`` never imports it.
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


def _require_dask():
    try:
        import dask
        import dask.dataframe as dd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "lime_rs.dask needs dask: pip install 'lime-rs[dask]' (dask[dataframe,distributed])"
        ) from exc
    return dask, dd


def _is_text(explainer):
    from lime_rs.lime_text import LimeTextExplainer

    return isinstance(explainer, LimeTextExplainer)


def _frame(rows, row_dtype):
    import pandas as pd

    dtypes = (row_dtype, *_DTYPES)
    return pd.DataFrame(
        {c: pd.Series([r[i] for r in rows], dtype=dtypes[i]) for i, c in enumerate(TIDY_COLUMNS)}
    )


def _meta(index_dtype):
    return _frame([], index_dtype)


def tidy(explanations: Sequence[Any], row_ids: Sequence[Any]) -> Any:
    """The tidy rows (see the module docstring) of explanations, as a
    pandas DataFrame; ``row_ids[i]`` identifies ``explanations[i]``."""
    rows = []
    for row_id, exp in zip(row_ids, explanations):
        if exp.mode == "classification":
            labels = [int(lab) for lab in exp.available_labels()]
        else:
            labels = [exp.dummy_label]
        for label in labels:
            score = exp.score
            if isinstance(score, dict):
                score = score.get(label, score.get(0, np.nan))
            intercept = float(exp.intercept.get(label, np.nan))
            rows += [(row_id, label, rank, str(feature), float(weight), intercept, float(score))
                     for rank, (feature, weight) in enumerate(exp.as_list(label=label))]  # fmt: skip
    return _frame(rows, None if rows else object)


def _partition_state(seed, number):
    words = np.random.SeedSequence([seed, int(number)]).generate_state(4)
    return np.random.RandomState(words)


def _explain_partition(part, explainer, predict_fn, seed, column, kwargs, partition_info=None):
    number = 0 if partition_info is None else partition_info["number"]
    # The shipped explainer is shared by the worker's tasks: each partition
    # works on a shallow copy whose random state (and that of the parts that
    # share the explainer's state) is its own.
    shared = explainer.random_state
    local = copy.copy(explainer)
    local.random_state = _partition_state(seed, number)
    for attr in ("base", "discretizer"):
        part_obj = getattr(local, attr, None)
        if part_obj is not None and getattr(part_obj, "random_state", None) is shared:
            part_obj = copy.copy(part_obj)
            part_obj.random_state = local.random_state
            setattr(local, attr, part_obj)
    if _is_text(local):
        if hasattr(part, "columns"):
            values = part[column] if column is not None else part.iloc[:, 0]
        else:
            values = part
        rows = [str(v) for v in values.tolist()]
    else:
        frame = part[column] if column is not None else part
        rows = np.asarray(frame.to_numpy(), dtype=np.float64)
        if rows.ndim == 1:
            rows = rows.reshape(-1, 1)
    exps = local.explain_instances(rows, predict_fn, **kwargs)
    out = tidy(exps, list(part.index))
    if len(out) == 0:
        return _meta(part.index.dtype)
    out["row"] = out["row"].astype(part.index.dtype)
    return out


def explain_dataframe(explainer: Any, ddf: Any, predict_fn: Callable[..., Any], *,
                      columns: Sequence[Any] | None = None, **kwargs: Any) -> Any:  # fmt: skip
    """Explains every row of a dask DataFrame (or Series) on the cluster.

    Args:
        explainer: a lime_rs explainer with ``explain_instances``
            (LimeTabularExplainer, RecurrentTabularExplainer is not supported:
            its rows are 2-D; LimeTextExplainer).
        ddf: a ``dask.dataframe`` DataFrame (tabular: one column per training
            column, in order; text: one column of str) or Series (text).
        predict_fn: the model's prediction function (``classifier_fn`` for
            text), called on the workers once per chunk of rows.
        columns: optional column selection of ``ddf`` (a list for tabular, a
            column name for text) applied on each partition.
        **kwargs: passed to ``explain_instances`` (labels, top_labels,
            num_features, num_samples, distance_metric, model_regressor,
            sampling_method, batch_size). ``progress_bar`` is not allowed
            (use dask's progress tools).

    Returns:
        A lazy ``dask.dataframe.DataFrame`` with the columns ``row, label,
        rank, feature, weight, intercept, score`` (see the module docstring).
        Call ``.compute()`` (or ``.persist()``) to run it.
    """
    dask, dd = _require_dask()
    if not hasattr(explainer, "explain_instances"):
        raise TypeError(
            "explainer: expected a lime_rs explainer with explain_instances "
            f"(LimeTabularExplainer or LimeTextExplainer), got {type(explainer).__name__}"
        )
    from lime_rs.lime_tabular import RecurrentTabularExplainer

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
    if isinstance(columns, tuple):
        columns = list(columns)
    seed = draw_seed(explainer.random_state)
    shipped = dask.delayed(explainer, pure=True, traverse=False)
    model = dask.delayed(predict_fn, pure=True, traverse=False)
    return ddf.map_partitions(
        _explain_partition,
        shipped,
        model,
        seed,
        columns,
        kwargs,
        meta=_meta(ddf.index.dtype),
        align_dataframes=False,
        enforce_metadata=False,
    )
