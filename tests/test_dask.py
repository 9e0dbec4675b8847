"""lime_rs.dask.explain_dataframe on a real two-process LocalCluster: tidy
rows for every row of the dask dataframe, equal to explaining each partition
locally, independent of the scheduler."""

import subprocess
import sys

import dask  # noqa: E402
import dask.dataframe  # noqa: F401  (an install problem must fail, not skip)
import dask.dataframe as dd  # noqa: E402
import distributed  # noqa: F401
import numpy as np
import pandas as pd  # noqa: E402
import pytest
from _batch_helpers import TEXTS, cancer_data  # noqa: E402

from lime_rs import dask as lrd  # noqa: E402
from lime_rs.lime_tabular import LimeTabularExplainer  # noqa: E402
from lime_rs.lime_text import LimeTextExplainer  # noqa: E402

KW = {"num_samples": 300, "num_features": 5}

# Starting and stopping a process cluster can leave asyncio/socket objects to
# the garbage collector (distributed's own noise, seen rarely): not our errors.
pytestmark = [
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            dashboard_address=None,
            silence_logs=50,
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def tabular():
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    data = load_breast_cancer()
    X = cancer_data()
    model = LogisticRegression(max_iter=5000).fit(X, data.target)
    frame = pd.DataFrame(X[:30], columns=data.feature_names, index=np.arange(1000, 1030))
    return X, model, frame


def expected(explainer, frame, npartitions, predict_fn, seed, **kw):
    ddf = dd.from_pandas(frame, npartitions=npartitions)
    parts = []
    for i in range(ddf.npartitions):
        part = ddf.get_partition(i).compute()
        parts.append(
            lrd._explain_partition(
                part, explainer, predict_fn, seed, None, kw, partition_info={"number": i}
            )
        )
    return pd.concat(parts, ignore_index=True)


def test_tabular_on_local_cluster(client, tabular):
    X, model, frame = tabular
    explainer = LimeTabularExplainer(X, feature_names=list(frame.columns), random_state=3)
    ddf = dd.from_pandas(frame, npartitions=3)
    seed_source = LimeTabularExplainer(X, feature_names=list(frame.columns), random_state=3)
    from lime_rs._random import draw_seed

    seed = draw_seed(seed_source.random_state)
    out = lrd.explain_dataframe(explainer, ddf, model.predict_proba, **KW)
    assert list(out.columns) == list(lrd.TIDY_COLUMNS)
    got = out.compute().reset_index(drop=True)
    assert len(got) == 30 * 5
    assert sorted(set(got["row"])) == list(frame.index)
    assert set(got["label"]) == {1}
    assert got.groupby("row")["rank"].apply(list).map(lambda r: r == [0, 1, 2, 3, 4]).all()
    assert got["feature"].map(lambda f: isinstance(f, str)).all()
    want = expected(explainer, frame, 3, model.predict_proba, seed, **KW)
    pd.testing.assert_frame_equal(got, want)
    # the same answer with the local threaded scheduler: independent of the workers
    again = lrd.explain_dataframe(
        LimeTabularExplainer(X, feature_names=list(frame.columns), random_state=3),
        ddf,
        model.predict_proba,
        **KW,
    ).compute(scheduler="threads")
    pd.testing.assert_frame_equal(again.reset_index(drop=True), got)


def test_text_series_on_local_cluster(client):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    pipe = make_pipeline(TfidfVectorizer(), LogisticRegression())
    pipe.fit(TEXTS * 2, [1, 0, 0, 1, 1] * 2)
    series = pd.Series(TEXTS, index=list("abcde"), name="text")
    ddf = dd.from_pandas(series, npartitions=2)
    explainer = LimeTextExplainer(random_state=1)
    got = (
        lrd.explain_dataframe(explainer, ddf, pipe.predict_proba, labels=(0, 1), **KW)
        .compute()
        .reset_index(drop=True)
    )
    assert set(got["row"]) == set("abcde")
    assert set(got["label"]) == {0, 1}
    words = {w for t in TEXTS for w in t.replace(",", " ").split()}
    assert set(got["feature"]) <= words


def test_errors_and_empty():
    X = cancer_data()
    explainer = LimeTabularExplainer(X, random_state=0)
    with pytest.raises(TypeError, match="ddf: expected a dask.dataframe"):
        lrd.explain_dataframe(explainer, X, lambda z: z)
    with pytest.raises(TypeError, match="explainer: expected a lime_rs explainer"):
        lrd.explain_dataframe(object(), dd.from_pandas(pd.DataFrame(X[:2]), npartitions=1), len)
    empty = dd.from_pandas(pd.DataFrame(X[:0]), npartitions=1)
    out = lrd.explain_dataframe(explainer, empty, lambda z: z, **KW)
    with dask.config.set(scheduler="sync"):
        assert len(out.compute()) == 0


def test_importing_lime_rs_does_not_import_dask():
    code = (
        "import sys, lime_rs, lime_rs.lime_tabular, lime_rs.lime_text\n"
        "assert 'dask' not in sys.modules, 'dask imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
