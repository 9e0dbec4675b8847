"""Bad input to the tabular explainer: clear ValueError/TypeError naming the
argument, never a panic, a hang or a silent wrong answer; a failing model's
own exception propagates unchanged."""

import numpy as np
import pytest

from lime_rs.lime_tabular import LimeTabularExplainer, RecurrentTabularExplainer

N = 300


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = np.c_[rng.normal(size=(200, 3)), rng.randint(0, 3, size=200)]
    return X


def proba(Z):
    p = 1 / (1 + np.exp(-Z[:, 0]))
    return np.c_[1 - p, p]


@pytest.fixture(params=[True, False], ids=["quartile", "continuous"])
def explainer(request, data):
    return LimeTabularExplainer(data, discretize_continuous=request.param, random_state=0)


def test_wrong_length_row(explainer, data):
    with pytest.raises(ValueError, match=r"data_row: has 3 values but the training data has 4"):
        explainer.explain_instance(data[0, :3], proba, num_samples=N)
    with pytest.raises(ValueError, match="data_row: expected a 1-D array"):
        explainer.explain_instance(data[:2], proba, num_samples=N)


def test_nan_in_row(explainer, data):
    row = data[0].copy()
    row[1] = np.nan
    with pytest.raises(ValueError, match="data_row: contains NaN"):
        explainer.explain_instance(row, proba, num_samples=N)


@pytest.mark.parametrize("disc", [True, False])
def test_nan_in_training_data(data, disc):
    X = data.copy()
    X[17, 2] = np.inf
    with pytest.raises(
        ValueError, match=r"training_data contains NaN or infinity.*row 17, column 2"
    ):
        LimeTabularExplainer(X, discretize_continuous=disc)


def test_model_exception_propagates_unchanged(explainer, data):
    class ModelBroke(RuntimeError):
        pass

    err = ModelBroke("boom")

    def broken(_):
        raise err

    with pytest.raises(ModelBroke) as info:
        explainer.explain_instance(data[0], broken, num_samples=N)
    assert info.value is err


def test_wrong_number_of_rows(explainer, data):
    with pytest.raises(
        ValueError, match=r"predict_fn: returned an array of shape \(10, 2\) for 300"
    ):
        explainer.explain_instance(data[0], lambda z: proba(z)[:10], num_samples=N)


def test_one_dimensional_output_in_classification(explainer, data):
    with pytest.raises(NotImplementedError, match="without probability scores"):
        explainer.explain_instance(data[0], lambda z: proba(z)[:, 1], num_samples=N)


def test_three_dimensional_output(explainer, data):
    with pytest.raises(ValueError, match="outputs arrays with 3 dimensions"):
        explainer.explain_instance(data[0], lambda z: proba(z)[:, :, None], num_samples=N)


def test_regression_with_matrix_output(data):
    explainer = LimeTabularExplainer(data, mode="regression")
    with pytest.raises(ValueError, match="single-dimensional"):
        explainer.explain_instance(data[0], lambda z: np.ones((len(z), 2, 2)), num_samples=N)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_outputs(explainer, data, bad):
    def f(z):
        out = proba(z)
        out[5, 1] = bad
        return out

    with pytest.raises(
        ValueError, match=r"predict_fn: returned NaN or infinity \(first at index \(5, 1\)\)"
    ):
        explainer.explain_instance(data[0], f, num_samples=N)
    regression = LimeTabularExplainer(data, mode="regression")
    with pytest.raises(ValueError, match="NaN or infinity"):
        regression.explain_instance(data[0], lambda z: f(z)[:, 1], num_samples=N)


def test_labels_not_among_classes(explainer, data):
    # one label check for every explainer (_pipeline.check_labels)
    with pytest.raises(ValueError, match=r"labels: 5 is not a class of the model.*\[0, 1\]"):
        explainer.explain_instance(data[0], proba, labels=(5,), num_samples=N)
    with pytest.raises(TypeError, match=r"labels: expected integer class indices, got str \('1'\)"):
        explainer.explain_instance(data[0], proba, labels=("1",), num_samples=N)
    with pytest.raises(TypeError, match="labels: expected an iterable"):
        explainer.explain_instance(data[0], proba, labels=1, num_samples=N)


def test_labels_default_on_single_column_output(explainer, data):
    # lime's default labels=(1,) on a model with one output column: lime's KeyError-ish
    # failure becomes a ValueError naming the labels that exist
    with pytest.raises(ValueError, match=r"the labels that exist are \[0\]"):
        explainer.explain_instance(data[0], lambda z: np.ones((len(z), 1)), num_samples=N)


@pytest.mark.parametrize("n", [0, 1, -5])
def test_num_samples_too_small(explainer, data, n):
    with pytest.raises(ValueError, match=f"num_samples: must be at least 2, got {n}"):
        explainer.explain_instance(data[0], proba, num_samples=n)


def test_num_samples_and_features_types(explainer, data):
    with pytest.raises(TypeError, match="num_samples: expected an integer"):
        explainer.explain_instance(data[0], proba, num_samples=100.5)
    with pytest.raises(ValueError, match="num_features: must be at least 1"):
        explainer.explain_instance(data[0], proba, num_features=0, num_samples=N)
    with pytest.raises(TypeError, match="predict_fn: expected a callable"):
        explainer.explain_instance(data[0], "model", num_samples=N)


def test_unknown_discretizer(data):
    with pytest.raises(ValueError, match="Discretizer must be 'quartile', 'decile', 'entropy'"):
        LimeTabularExplainer(data, discretizer="quintile")


@pytest.mark.parametrize("cats", [[4], [-1], [1.5], ["a"]])
def test_categorical_features_out_of_range(data, cats):
    with pytest.raises(
        ValueError,
        match=r"categorical_features: .* is not a column index; training_data has 4 columns",
    ):
        LimeTabularExplainer(data, categorical_features=cats)


def test_other_constructor_arguments(data):
    with pytest.raises(ValueError, match="feature_names: has 2 names but training_data has 4"):
        LimeTabularExplainer(data, feature_names=["a", "b"])
    with pytest.raises(ValueError, match='mode: expected "classification" or "regression"'):
        LimeTabularExplainer(data, mode="ranking")
    with pytest.raises(ValueError, match="kernel_width: must be a positive number"):
        LimeTabularExplainer(data, kernel_width=0)
    with pytest.raises(ValueError, match="feature_selection: unknown method 'best'"):
        LimeTabularExplainer(data, feature_selection="best")
    with pytest.raises(ValueError, match="Missing keys in training_data_stats"):
        LimeTabularExplainer(data, training_data_stats={"means": {}})
    with pytest.raises(ValueError, match="Labels must be not None"):
        LimeTabularExplainer(data, discretizer="entropy")
    with pytest.raises(ValueError, match="training_data: expected a 2-D array"):
        LimeTabularExplainer(data[0])
    with pytest.raises(TypeError, match="random_state"):
        LimeTabularExplainer(data, random_state="seed")
    with pytest.raises(ValueError, match="training_data: expected a 3-D array"):
        RecurrentTabularExplainer(data)


def test_unknown_category_name(data):
    explainer = LimeTabularExplainer(
        data, categorical_features=[3], categorical_names={3: ["a", "b"]}, random_state=0
    )
    row = data[0].copy()
    row[3] = 2.0
    with pytest.raises(ValueError, match=r"categorical_names\[3\]: has no name for value 2"):
        explainer.explain_instance(row, proba, num_samples=N)


def test_bad_kernel_output(data):
    explainer = LimeTabularExplainer(data, kernel=lambda d, kernel_width: np.ones(3))
    with pytest.raises(ValueError, match="kernel: returned shape"):
        explainer.explain_instance(data[0], proba, num_samples=N)
    negative = LimeTabularExplainer(data, kernel=lambda d, kernel_width: -np.ones_like(d))
    with pytest.raises(ValueError, match="non-negative"):
        negative.explain_instance(data[0], proba, num_samples=N)


def test_bad_training_data_stats(data):
    stats = {
        "means": {0: [0.0, 1.0]},
        "stds": {0: [1.0, 0.0]},
        "mins": {0: [-1.0, 0.0]},
        "maxs": {0: [0.0, 2.0]},
        "bins": {0: [0.0]},
        "feature_values": {f: [0.0, 1.0] for f in range(4)},
        "feature_frequencies": {f: [1, 1] for f in range(4)},
    }
    explainer = LimeTabularExplainer(data, training_data_stats=stats)
    with pytest.raises(ValueError, match="standard deviations must be positive"):
        explainer.explain_instance(data[0], proba, num_samples=N)


def test_invalid_mode_raises_lime_error(data):
    # lime raises LimeError for a bad mode (at explain time); lime_rs raises it at
    # construction, and it is still a ValueError
    from lime_rs.exceptions import LimeError

    with pytest.raises(LimeError, match='mode: expected "classification" or "regression"'):
        LimeTabularExplainer(data, mode="ranking")
    with pytest.raises(LimeError, match="mode"):
        RecurrentTabularExplainer(data.reshape(len(data), 2, 2), mode="regresion")
    assert issubclass(LimeError, ValueError)
