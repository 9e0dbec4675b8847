"""pandas input for LimeTabularExplainer: DataFrame training data, Series rows,
string columns, and scikit-learn pipelines with a ColumnTransformer receiving
DataFrames (lime issues #554, #346)."""

import numpy as np
import pandas as pd
import pytest

from lime_rs.explanation import Explanation
from lime_rs.lime_tabular import LimeTabularExplainer


@pytest.fixture(scope="module")
def frame():
    rng = np.random.RandomState(0)
    n = 600
    colour = rng.choice(["red", "green", "blue"], size=n, p=[0.3, 0.5, 0.2])
    size = rng.normal(10, 3, size=n)
    age = rng.randint(18, 80, size=n)
    logit = 1.5 * (colour == "red") - 1.0 * (colour == "blue") + 0.3 * (size - 10)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    df = pd.DataFrame({"size": size, "colour": colour, "age": age})
    return df, y


@pytest.fixture(scope="module")
def pipeline(frame):
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    df, y = frame
    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["colour"]),
            ("num", StandardScaler(), ["size", "age"]),
        ]
    )
    return make_pipeline(pre, LogisticRegression(max_iter=1000)).fit(df, y)


@pytest.mark.parametrize("discretize", [True, False])
def test_pipeline_with_column_transformer(frame, pipeline, discretize):
    df, _ = frame
    seen = []

    def predict(x):
        seen.append(x)
        return pipeline.predict_proba(x)

    explainer = LimeTabularExplainer(
        df, class_names=["no", "yes"], discretize_continuous=discretize, random_state=0
    )
    assert explainer.feature_names == ["size", "colour", "age"]
    assert explainer.categorical_features == ([0, 1, 2] if discretize else [1])
    row = df.iloc[4]
    exp = explainer.explain_instance(row, predict, num_features=3, num_samples=800)
    (batch,) = seen
    assert isinstance(batch, pd.DataFrame)
    assert list(batch.columns) == list(df.columns)
    assert batch["colour"].dtype == df["colour"].dtype
    assert set(batch["colour"]) <= {"red", "green", "blue"}
    assert batch["size"].dtype == np.float64
    assert batch.iloc[0]["colour"] == row["colour"]
    names = [n for n, _ in exp.as_list()]
    assert f"colour={row['colour']}" in names
    # the colour effect in the data is strong: it is among the explained features
    assert exp.predict_proba.tolist() == pytest.approx(
        pipeline.predict_proba(df.iloc[[4]])[0].tolist()
    )
    # one-row DataFrame and a Series in another order give the same explanation
    e1 = LimeTabularExplainer(df, discretize_continuous=discretize, random_state=5)
    e2 = LimeTabularExplainer(df, discretize_continuous=discretize, random_state=5)
    a = e1.explain_instance(df.iloc[[4]], pipeline.predict_proba, num_samples=300)
    b = e2.explain_instance(row[["age", "colour", "size"]], pipeline.predict_proba, num_samples=300)
    assert a.as_list() == b.as_list()
    # a plain array of the original values (strings included) works too
    e3 = LimeTabularExplainer(df, discretize_continuous=discretize, random_state=5)
    c = e3.explain_instance(row.to_numpy(), pipeline.predict_proba, num_samples=300)
    assert c.as_list() == a.as_list()
    # round trip of the record keeps the original values
    assert Explanation.from_json(exp.to_json()).as_list() == exp.as_list()


def test_category_dtype_and_named_categorical(frame, pipeline):
    df, _ = frame
    cat = df.assign(
        colour=pd.Categorical(df["colour"], categories=["red", "green", "blue"]),
        age=df["age"] // 20,
    )
    seen = []

    def predict(x):
        seen.append(x)
        return np.column_stack([np.full(len(x), 0.3), np.full(len(x), 0.7)]) + 0.01 * (
            x["colour"] == "red"
        ).to_numpy()[:, None] * np.array([-1, 1])

    explainer = LimeTabularExplainer(
        cat, categorical_features=["colour", "age"], discretize_continuous=False, random_state=0
    )
    assert explainer.categorical_features == [1, 2]
    assert explainer.categorical_names[1] == ["red", "green", "blue"]
    exp = explainer.explain_instance(cat.iloc[0], predict, num_samples=300)
    batch = seen[0]
    assert isinstance(batch["colour"].dtype, pd.CategoricalDtype)
    assert list(batch["colour"].cat.categories) == ["red", "green", "blue"]
    assert batch["age"].dtype == cat["age"].dtype
    assert set(batch["age"]) <= set(cat["age"])
    assert any(n.startswith("colour=") for n, _ in exp.as_list())


def test_categorical_names_resolve_with_numpy_and_feature_names():
    rng = np.random.RandomState(0)
    x = np.column_stack([rng.normal(size=100), rng.randint(0, 2, size=100)])
    explainer = LimeTabularExplainer(
        x, feature_names=["a", "b"], categorical_features=["b"], random_state=0
    )
    assert explainer.categorical_features == [0, 1]  # discretized: everything
    explainer = LimeTabularExplainer(
        x,
        feature_names=["a", "b"],
        categorical_features=["b"],
        discretize_continuous=False,
        random_state=0,
    )
    assert explainer.categorical_features == [1]
    # a Series row on a numpy-built explainer
    exp = explainer.explain_instance(
        pd.Series(x[0], index=["a", "b"]),
        lambda a: np.column_stack([1 - a[:, 0] / 10, a[:, 0] / 10]),
        num_samples=200,
    )
    assert len(exp.as_list()) == 2


def test_bad_pandas_input(frame):
    df, _ = frame
    with_nan = df.copy()
    with_nan.loc[7, "colour"] = None
    # issue #21: a missing category is a state of its own (tests/test_tabular_data.py)
    assert LimeTabularExplainer(with_nan)._layout.missing_rate[1] > 0
    explainer = LimeTabularExplainer(df, random_state=0)
    predict = lambda x: np.full((len(x), 2), 0.5)  # noqa: E731
    bad = df.iloc[0].rename({"colour": "color"})
    with pytest.raises(
        ValueError, match=r"do not match the training columns.*missing: \['colour'\]"
    ):
        explainer.explain_instance(bad, predict)
    with pytest.raises(ValueError, match="unexpected"):
        explainer.explain_instance(df.iloc[0].reindex(["size", "colour", "age", "x"]), predict)
    row = df.iloc[0].copy()
    row["colour"] = "purple"
    with pytest.raises(ValueError, match="'purple', which was not in the training data"):
        explainer.explain_instance(row, predict)
    with pytest.raises(ValueError, match="one-row DataFrame"):
        explainer.explain_instance(df.iloc[:2], predict)
    with pytest.raises(ValueError, match="'shape' is not a column name"):
        LimeTabularExplainer(df, categorical_features=["shape"])


def test_user_model_error_propagates(frame):
    df, _ = frame

    class Boom(Exception):
        pass

    def predict(x):
        raise Boom("model failed")

    explainer = LimeTabularExplainer(df, random_state=0)
    with pytest.raises(Boom, match="model failed"):
        explainer.explain_instance(df.iloc[0], predict, num_samples=50)


def test_explain_instances_with_a_dataframe(frame, pipeline):
    df, _ = frame
    a = LimeTabularExplainer(df, random_state=9)
    b = LimeTabularExplainer(df, random_state=9)
    batch = a.explain_instances(df.iloc[:3], pipeline.predict_proba, num_samples=300)
    singles = [
        b.explain_instance(df.iloc[i], pipeline.predict_proba, num_samples=300) for i in range(3)
    ]
    assert [e.as_list() for e in batch] == [e.as_list() for e in singles]
