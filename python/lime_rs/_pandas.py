"""pandas input for the tabular explainer (lime issues #554, #346).

With ``training_data`` a DataFrame, string columns (object, ``string`` or
``category`` dtype) are categorical features, encoded as integer codes (sorted
values, or a ``category`` column's order) and shown by value (``colour=red``);
``categorical_features`` may name columns and ``feature_names`` defaults to the
columns; ``data_row`` may be a Series (columns in any order) or a one-row
DataFrame; ``predict_fn`` receives DataFrames with the original columns and
dtypes (continuous numeric columns as float64), so a scikit-learn ``Pipeline``
with a ``ColumnTransformer`` works unchanged. pandas is imported only when a
DataFrame is passed.
"""

import numpy as np

__all__ = ["FrameCodec", "is_frame", "is_series"]


def is_frame(x):
    return (
        type(x).__module__.startswith("pandas") and hasattr(x, "columns") and hasattr(x, "dtypes")
    )


def is_series(x):
    return (
        type(x).__module__.startswith("pandas")
        and hasattr(x, "index")
        and hasattr(x, "dtype")
        and not hasattr(x, "columns")
    )


def _is_string_column(dtype):
    import pandas as pd

    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
    ) and not pd.api.types.is_bool_dtype(dtype)


def resolve_categorical(categorical_features, feature_names):
    """Column names in ``categorical_features`` turned into indices."""
    if categorical_features is None:
        return None
    try:
        items = list(categorical_features)
    except TypeError:
        return categorical_features
    names = [str(n) for n in feature_names]
    for f in items:
        if isinstance(f, str) and f not in names:
            raise ValueError(
                f"categorical_features: {f!r} is not a column name; the columns are {names}"
            )
    return [names.index(f) if isinstance(f, str) else f for f in items]


class FrameCodec:
    """Encodes a training DataFrame's columns as numbers and decodes perturbed
    samples back into a DataFrame with the original columns and dtypes."""

    def __init__(self, frame, categorical_features, categorical_names):
        import pandas as pd

        if frame.ndim != 2 or frame.shape[1] == 0:
            raise ValueError(
                f"training_data: expected a 2-D DataFrame with columns, got shape {frame.shape}"
            )
        self.columns = list(frame.columns)
        if len(set(map(str, self.columns))) != len(self.columns):
            raise ValueError(f"training_data: column names must be unique, got {self.columns}")
        self.dtypes = list(frame.dtypes)
        user_cat = resolve_categorical(categorical_features, self.columns) or []
        self.categories = {}
        for j, (col, dtype) in enumerate(zip(self.columns, self.dtypes)):
            if _is_string_column(dtype):  # missing values (NaN/None) are a state of their own
                if isinstance(dtype, pd.CategoricalDtype):
                    self.categories[j] = list(dtype.categories)
                else:
                    values = frame[col].dropna().unique().tolist()
                    self.categories[j] = sorted(values, key=lambda v: (type(v).__name__, v))
            elif not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
                raise TypeError(
                    f"training_data: column {self.columns[j]!r} has dtype {dtype}, which is "
                    "neither numeric nor string/category"
                )
        self.categorical = sorted(set(int(f) for f in user_cat) | set(self.categories))
        names = dict(categorical_names or {})
        for j, values in self.categories.items():
            names.setdefault(j, [str(v) for v in values])
        self.categorical_names = names
        self.feature_names = [str(c) for c in self.columns]
        self._lookup = {
            j: {v: k for k, v in enumerate(vals)} for j, vals in self.categories.items()
        }

    def encode(self, frame, name="training_data"):
        """The (n, d) float64 matrix of a DataFrame with the training columns."""
        cols = self._match(list(frame.columns), name)
        out = np.empty((frame.shape[0], len(self.columns)), dtype=np.float64)
        for j, col in enumerate(cols):
            series = frame[col]
            if j in self.categories:
                out[:, j] = self._codes(series.tolist(), j, name)
            else:
                try:
                    out[:, j] = series.to_numpy(dtype=np.float64)
                except (TypeError, ValueError) as exc:
                    raise TypeError(f"{name}: column {col!r} is not numeric: {exc}") from None
        return out

    def _codes(self, values, j, name):
        import pandas as pd

        lookup = self._lookup[j]
        codes = np.empty(len(values), dtype=np.float64)
        for i, v in enumerate(values):
            code = lookup.get(v)
            if code is None:
                if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                    code = np.nan
                else:
                    raise ValueError(
                        f"{name}: column {self.columns[j]!r} has value {v!r}, which was not in "
                        f"the training data (known values: {self.categories[j][:20]})"
                    )
            codes[i] = code
        return codes

    def _match(self, columns, name):
        """The training columns as they are named in ``columns`` (any order)."""
        if columns == self.columns:
            return columns
        have = {str(c): c for c in columns}
        missing = [c for c in self.columns if str(c) not in have]
        extra = [c for c in columns if str(c) not in {str(k) for k in self.columns}]
        if missing or extra or len(have) != len(columns):
            raise ValueError(
                f"{name}: its columns/index {list(columns)} do not match the training columns "
                f"{self.columns} (missing: {missing}, unexpected: {extra})"
            )
        return [have[str(c)] for c in self.columns]

    def encode_row(self, row):
        """A Series or one-row DataFrame as a 1-D float64 array."""
        import pandas as pd

        if is_series(row):
            row = pd.DataFrame([row.tolist()], columns=list(row.index))
        elif row.shape[0] != 1:
            raise ValueError(
                f"data_row: expected a Series or a one-row DataFrame, got a DataFrame with "
                f"{row.shape[0]} rows"
            )
        return self.encode(row, "data_row")[0]

    def decode(self, x):
        """Perturbed samples (n, d) as a DataFrame with the training columns and dtypes."""
        import pandas as pd

        x = np.asarray(x)
        data = {}
        for j, (col, dtype) in enumerate(zip(self.columns, self.dtypes)):
            column = x[:, j]
            if j in self.categories:
                values = np.asarray(self.categories[j], dtype=object)
                missing = np.isnan(column)
                codes = np.clip(np.rint(np.where(missing, 0, column)).astype(np.int64), 0,
                                len(values) - 1)  # fmt: skip
                if isinstance(dtype, pd.CategoricalDtype):
                    codes[missing] = -1  # pandas' code of a missing value
                    data[col] = pd.Categorical.from_codes(codes, dtype=dtype)
                else:
                    decoded = values[codes]
                    decoded[missing] = None
                    data[col] = pd.Series(decoded, dtype=dtype)
            elif j in self.categorical and (
                pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
            ):
                data[col] = pd.Series(np.rint(column)).astype(dtype)
            else:
                data[col] = pd.Series(column, dtype=np.float64)
        return pd.DataFrame(data, columns=self.columns)

    def wrap(self, predict_fn):
        """``predict_fn`` taking the explainer's arrays, calling the user's on DataFrames."""

        def predict_frame(x):
            return predict_fn(self.decode(x))

        return predict_frame


def prepare_training(training_data, feature_names, categorical_features, categorical_names):
    """Explainer hook: (codec or None, training array, feature_names,
    categorical_features, categorical_names)."""
    if not is_frame(training_data):
        if feature_names is not None and not isinstance(categorical_features, str):
            categorical_features = resolve_categorical(categorical_features, feature_names)
        return None, training_data, feature_names, categorical_features, categorical_names
    codec = FrameCodec(training_data, categorical_features, categorical_names)
    data = codec.encode(training_data)
    if feature_names is None:
        feature_names = codec.feature_names
    return codec, data, feature_names, codec.categorical, codec.categorical_names


def prepare_row(codec, data_row, predict_fn):
    """Explainer hook: (data_row as a float array, predict_fn taking arrays)."""
    if codec is None:
        return (data_row.to_numpy() if is_series(data_row) else data_row), predict_fn
    if is_series(data_row) or is_frame(data_row):
        row = codec.encode_row(data_row)
    else:
        row = _encode_values(codec, data_row, "data_row")
    return row, codec.wrap(predict_fn) if callable(predict_fn) else predict_fn


def prepare_batch(codec, data, predict_fn):
    """explain_instances hook: (rows as a float array, predict_fn taking arrays)."""
    if codec is None:
        return (data.to_numpy(dtype=np.float64) if is_frame(data) else data), predict_fn
    rows = codec.encode(data, "data") if is_frame(data) else _encode_values(codec, data, "data")
    return rows, codec.wrap(predict_fn) if callable(predict_fn) else predict_fn


def _encode_values(codec, values, name):
    """A row (``data_row``) or rows (``data``) as plain sequences: with the
    original (string) values, they are encoded as a DataFrame's would be."""
    arr = np.asarray(values)
    if arr.dtype != object:
        return arr
    import pandas as pd

    one = name == "data_row"
    if arr.ndim != (1 if one else 2) or arr.shape[-1] != len(codec.columns):
        what = "" if one else "rows of "
        raise ValueError(
            f"{name}: expected {what}{len(codec.columns)} values (the training columns), got "
            f"shape {arr.shape}"
        )
    frame = pd.DataFrame([list(arr)] if one else list(arr), columns=codec.columns)
    encoded = codec.encode(frame, name)
    return encoded[0] if one else encoded
