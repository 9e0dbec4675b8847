"""SP-LIME end to end (model included) against lime's SubmodularPick."""

import warnings

from sklearn.datasets import load_wine
from sklearn.ensemble import RandomForestClassifier

from lime_rs.lime_tabular import LimeTabularExplainer
from lime_rs.submodular_pick import SubmodularPick


def test_submodular_pick_wine_full(compare):
    from lime.lime_tabular import LimeTabularExplainer as RefExplainer
    from lime.submodular_pick import SubmodularPick as RefPick

    wine = load_wine()
    forest = RandomForestClassifier(n_estimators=30, random_state=0).fit(wine.data, wine.target)
    rows = wine.data[:150]
    kw = dict(method="full", num_exps_desired=5, num_features=10, num_samples=2000)

    def ours():
        explainer = LimeTabularExplainer(
            wine.data, feature_names=list(wine.feature_names), random_state=0
        )
        return SubmodularPick(explainer, rows, forest.predict_proba, **kw)

    def reference():
        explainer = RefExplainer(wine.data, feature_names=list(wine.feature_names), random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return RefPick(explainer, rows, forest.predict_proba, **kw)

    assert len(ours().V) == 5
    compare(
        "SubmodularPick wine 150 rows full, 2000 samples, 30-tree forest (end to end)",
        ours,
        reference,
        target=30,
        slow=True,
    )
