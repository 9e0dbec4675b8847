"""Explanation records are checked on load: a mutated record either loads and
renders (as_list, as_map, as_html, as_pyplot_figure) or raises one ValueError
that names the path of the bad field."""

import copy
import json
import os
import re
import warnings

import matplotlib
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lime_rs.explanation import DomainMapper, Explanation
from lime_rs.lime_tabular import LimeTabularExplainer
from lime_rs.lime_text import LimeTextExplainer

matplotlib.use("Agg")

# A message names a field path (labels[0].features[3].id, domain.positions[2][0], ...).
PATH = re.compile(r"(missing )?field ['\"][A-Za-z_]\w*[.\[']|^schema(_version)?: |^s: ")


def _iris():
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    data = load_iris()
    return data, LogisticRegression(max_iter=500).fit(data.data, data.target)


def _records():
    data, model = _iris()
    x = data.data
    out = {}
    tab = LimeTabularExplainer(x, feature_names=data.feature_names, random_state=0)
    out["tabular"] = tab.explain_instance(x[0], model.predict_proba, top_labels=2, num_samples=200)
    cont = LimeTabularExplainer(x, discretize_continuous=False, random_state=0)
    out["continuous"] = cont.explain_instance(x[1], model.predict_proba, num_samples=200)
    reg = LimeTabularExplainer(x, mode="regression", random_state=0)
    out["regression"] = reg.explain_instance(
        x[2], lambda z: model.predict_proba(z)[:, 1], num_samples=200
    )

    def words(texts):
        p = np.array([("good" in t) * 0.8 + 0.1 for t in texts])
        return np.c_[1 - p, p]

    text = LimeTextExplainer(class_names=["bad", "good"], random_state=0)
    out["text"] = text.explain_instance("a good movie, a <b>good</b> plot", words, num_samples=100)
    chars = LimeTextExplainer(char_level=True, bow=False, random_state=0)
    out["chars"] = chars.explain_instance("good day", words, num_samples=100)

    class Names(DomainMapper):
        def map_exp_ids(self, exp, **kwargs):
            return [(f"f{i}", w) for i, w in exp]

    generic = Explanation(Names(), class_names=["a", "b"])
    generic.local_exp[1] = [(2, 0.5), (0, -0.25)]
    generic.intercept[1] = 0.1
    generic.score[1] = 0.5
    generic.local_pred[1] = np.array([0.4])
    generic.predict_proba = np.array([0.3, 0.7])
    out["generic"] = generic
    return {k: json.loads(e.to_json()) for k, e in out.items()}


RECORDS = _records()


def _paths(node, prefix=()):
    """Every path in the record, the root included (not inside deep values)."""
    yield prefix
    if len(prefix) > 8:
        return
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


def _deep(depth):
    out = []
    for _ in range(depth):
        out = [out]
    return out


ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([-1, 0, 1, 2, 3, 4, 5, 7, 100, 2**31, 2**63, 2**64, -(2**63) - 1, 10**400]),
    st.integers(),
    st.floats(),  # NaN, infinities, huge
    st.text(max_size=5),
    st.sampled_from(["\ud800", "a\udfffb", "<b>&amp;</b>"]),  # lone surrogates, markup
    st.sampled_from(["tabular", "text", "generic", "classification", "regression", ""]),
    st.lists(st.integers(-2, 5), max_size=3),
    st.lists(st.floats(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.builds(_deep, st.sampled_from([2, 70, 300])),
)


def _mutate(record, data):
    paths = list(_paths(record))
    path = data.draw(st.sampled_from(paths[1:]))
    parent = record
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    op = data.draw(st.sampled_from(["replace", "replace", "delete", "duplicate", "append"]))
    if op == "delete":
        del parent[key]
    elif op == "duplicate" and isinstance(parent, list):
        parent.insert(key, copy.deepcopy(parent[key]))
    elif op == "append" and isinstance(parent[key], list):
        parent[key].append(data.draw(ODD))
    else:
        parent[key] = data.draw(ODD)


def _renders(exp):
    import matplotlib.pyplot as plt

    labels = list(exp.as_map())
    for label in labels:
        assert isinstance(exp.as_list(label=label), list)
    assert exp.as_html().startswith("<html>")
    exp.to_dict()
    if labels:
        # finite weights near the float limit overflow matplotlib's own axis arithmetic
        # (a RuntimeWarning, the figure is still built): not the record's fault
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=RuntimeWarning, module="matplotlib")
            try:
                exp.as_pyplot_figure(label=labels[-1])
            finally:
                plt.close("all")


@pytest.mark.parametrize("kind", sorted(RECORDS))
def test_valid_records_load_and_render(kind):
    exp = Explanation.from_dict(copy.deepcopy(RECORDS[kind]))
    _renders(exp)
    assert exp.to_dict()["labels"] == RECORDS[kind]["labels"]


@pytest.mark.parametrize("kind", sorted(RECORDS))
def test_mutated_records_load_and_render_or_name_the_field(kind):
    examples = int(os.environ.get("LIME_RS_RECORD_EXAMPLES", "120"))

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def check(data):
        record = copy.deepcopy(RECORDS[kind])
        for _ in range(data.draw(st.integers(1, 3))):
            if not isinstance(record, dict) or not record:
                break
            _mutate(record, data)
        as_json = data.draw(st.booleans())
        try:
            if as_json:
                try:
                    text = json.dumps(record)
                except (RecursionError, ValueError):  # json itself cannot write it
                    return
                exp = Explanation.from_json(text)
            else:
                exp = Explanation.from_dict(record)
        except ValueError as exc:
            assert PATH.search(str(exc)), str(exc)
            return
        _renders(exp)

    check()


def _bad(record, path, value):
    record = copy.deepcopy(record)
    parent = record
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return record


@pytest.mark.parametrize(
    "kind, path, value, message",
    [
        ("tabular", ("labels", 0, "features", 1, "id"), -1, r"'labels\[0\]\.features\[1\]\.id'"),
        ("tabular", ("labels", 0, "features", 1, "id"), 4, r"4 is out of range \[0, 3\]"),
        ("tabular", ("labels", 0, "features", 0, "weight"), float("nan"), "finite"),
        ("tabular", ("labels", 0, "features", 0, "weight"), 10**400, "finite"),
        ("tabular", ("labels", 0, "label"), 3, r"'labels\[0\]\.label'"),
        ("tabular", ("labels", 1, "label"), None, "expected an integer, got null"),
        ("tabular", ("top_labels", 0), 2, r"'top_labels\[0\]': label 2 has no entry"),
        ("tabular", ("domain", "feature_names", 2), ["x"], r"'domain\.feature_names\[2\]'"),
        ("tabular", ("domain", "feature_values"), ["1"], r"'domain\.feature_values': expected 4"),
        ("tabular", ("domain", "categorical_features"), [9], "categorical_features"),
        ("tabular", ("domain", "kind"), "image", "unknown kind"),
        ("tabular", ("mode",), _deep(5000), "expected 'classification' or 'regression', got list"),
        ("tabular", ("schema",), _deep(5000), "schema: expected 'lime_rs.explanation', got list"),
        ("tabular", ("predict_proba", 1), "0.5", r"'predict_proba\[1\]'"),
        ("tabular", ("seed",), -5, "'seed'"),
        ("tabular", ("settings",), _deep(3000), "nested deeper"),
        ("tabular", ("class_names",), ["a"], r"'labels\[0\]\.label'"),
        ("text", ("domain", "positions", 0, 0), 10**9, r"'domain\.positions\[0\]\[0\]'"),
        ("text", ("domain", "positions"), [], r"'domain\.positions': expected \d+ items"),
        ("text", ("domain", "words", 0), 5, r"'domain\.words\[0\]': expected a string"),
        ("text", ("labels", 0, "features", 0, "id"), 10**6, "out of range"),
        ("regression", ("labels", 1, "label"), 0, "appears twice"),
        ("regression", ("labels", 0, "label"), 2, r"'labels\[0\]\.label'"),
        ("generic", ("labels", 0, "features", 0, "id"), -1, r"\.id': -1 is out of range"),
        ("generic", ("labels", 0, "features", 0, "name"), _deep(100), "nested deeper"),
        ("generic", ("labels", 0, "local_pred"), [], "at least one number"),
        ("tabular", ("class_names", 0), "\udfff", r"'class_names\[0\]': not valid Unicode"),
        ("text", ("domain", "raw"), "x\ud800", r"'domain\.raw': not valid Unicode"),
        ("generic", ("labels", 0, "features", 0, "name"), 10**5000, "an integer of 16610 bits"),
        ("generic", ("labels", 0, "features", 0, "id"), -(10**5000), "an integer of 16610 bits"),
        ("tabular", ("settings",), {"x": [10**5000]}, r"'settings\.x\[0\]'"),
        ("tabular", ("settings",), {"a b": [None, 2**64]}, r"\"settings\['a b'\]\[1\]\""),
        ("generic", ("labels", 0, "features", 0, "stderr"), -1.0, "not negative"),
    ],
    ids=lambda v: "huge" if isinstance(v, int) and v.bit_length() > 64 else None,
)
def test_bad_field_is_named(kind, path, value, message):
    with pytest.raises(ValueError, match=message):
        Explanation.from_dict(_bad(RECORDS[kind], path, value))


def test_bad_json_text():
    with pytest.raises(ValueError, match="nested too deeply|not valid JSON"):
        Explanation.from_json("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match="not valid JSON"):
        Explanation.from_json('{"x": ' + "9" * 5000 + "}")
    with pytest.raises(ValueError, match="field 'record': expected an object, got list"):
        Explanation.from_json("[1, 2]")
    with pytest.raises(ValueError, match="not valid JSON"):
        Explanation.from_json(b"\xff\xfe")


def test_schema_v1_record_on_disk_loads():
    """A record as lime_rs 0.x wrote it (schema v1, before mappers wrote their
    own part) loads and renders unchanged."""
    for record in RECORDS.values():
        exp = Explanation.from_dict(copy.deepcopy(record))
        again = exp.to_dict()
        again["lime_rs_version"] = record["lime_rs_version"]
        assert again == record
