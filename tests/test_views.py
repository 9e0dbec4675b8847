"""Explanation views a user sees: as_html / save_to_file / show_in_notebook /
_repr_html_ / as_pyplot_figure, for tabular (dense, sparse, multiclass,
regression) and text (bow, positions) explanations; escaping; lime's options.

The pages are checked as parsed HTML: the text users read, the colours of each
side, and that nothing runs or loads (no script, no outside URL)."""

import html as htmllib
import re
import sys
import types
from html.parser import HTMLParser

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from lime_rs import _html
from lime_rs.explanation import DomainMapper, Explanation
from lime_rs.lime_tabular import LimeTabularExplainer, TableDomainMapper
from lime_rs.lime_text import IndexedString, LimeTextExplainer, TextDomainMapper

N = 500
C10 = _html.CATEGORY10
NASTY = "<img src=x onerror=alert(1)>"


# ---- a small HTML reader ------------------------------------------------------------


class Page(HTMLParser):
    """Elements, attributes and visible text of an HTML string."""

    VOID = {"meta", "img", "br", "col", "hr", "input", "link"}

    def __init__(self, source):
        super().__init__(convert_charrefs=True)
        self.tags = []  # (tag, attrs dict)
        self.texts = []
        self.stack = []
        self.unbalanced = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        else:
            self.unbalanced.append(tag)

    def handle_data(self, data):
        self.texts.append(data)

    @property
    def text(self):
        return re.sub(r"\s+", " ", "".join(self.texts))

    def count(self, tag, **attrs):
        return sum(
            1 for t, a in self.tags if t == tag and all(v in a.get(k, "") for k, v in attrs.items())
        )

    def styles(self):
        return " ".join(a.get("style", "") for _, a in self.tags)


def check_self_contained(source):
    """No JavaScript, nothing fetched, well formed."""
    page = Page(source)
    assert page.count("script") == 0 and "<script" not in source.lower()
    assert page.count("link") == 0 and page.count("iframe") == 0 and page.count("object") == 0
    assert "http" not in source and "url(" not in source and "@import" not in source
    for tag, attrs in page.tags:
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        for key in ("src", "href"):
            if key in attrs:
                assert attrs[key].startswith("data:image/png;base64,"), (tag, attrs)
    assert page.unbalanced == [] and page.stack == []
    return page


# ---- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cancer():
    ds = load_breast_cancer()
    X = ds.data
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, ds.target)
    names = [str(f) for f in ds.feature_names]
    return X, names, list(ds.target_names), model


@pytest.fixture(scope="module")
def binary_exp(cancer):
    X, names, classes, model = cancer
    explainer = LimeTabularExplainer(X, feature_names=names, class_names=classes, random_state=0)
    return explainer.explain_instance(X[0], model.predict_proba, num_features=6, num_samples=N)


@pytest.fixture(scope="module")
def wine():
    ds = load_wine()
    X = (ds.data - ds.data.mean(0)) / ds.data.std(0)
    model = LogisticRegression(max_iter=5000).fit(X, ds.target)
    return X, [str(f) for f in ds.feature_names], ["barolo", "grignolino", "barbera"], model


@pytest.fixture(scope="module")
def multi_exp(wine):
    X, names, classes, model = wine
    explainer = LimeTabularExplainer(X, feature_names=names, class_names=classes, random_state=0)
    return explainer.explain_instance(
        X[70], model.predict_proba, num_features=5, top_labels=2, num_samples=N
    )


@pytest.fixture(scope="module")
def regression_exp():
    ds = load_diabetes()
    model = Ridge().fit(ds.data, ds.target)
    explainer = LimeTabularExplainer(
        ds.data, mode="regression", feature_names=list(ds.feature_names), random_state=0
    )
    return explainer.explain_instance(ds.data[3], model.predict, num_features=5, num_samples=N)


def spam_model(texts):
    """P(spam) grows with 'free' and 'prize', falls with 'meeting'."""
    out = []
    for t in texts:
        words = re.findall(r"\w+", t.lower())
        z = 1.2 * words.count("free") + 0.8 * words.count("prize") - 1.5 * words.count("meeting")
        p = 1 / (1 + np.exp(-(z - 0.5)))
        out.append([1 - p, p])
    return np.array(out)


DOC = 'FREE prize: reply <b>now</b> & win "free" cash; free meeting 5 > 3'


@pytest.fixture(scope="module")
def text_exp():
    explainer = LimeTextExplainer(class_names=["ham", "spam"], random_state=0)
    return explainer.explain_instance(DOC, spam_model, num_features=4, num_samples=N)


# ---- classification ---------------------------------------------------------------------


def test_binary_page_shows_probabilities_chart_and_table(binary_exp, cancer):
    _, names, classes, _ = cancer
    source = binary_exp.as_html()
    assert source.startswith("<html>")  # a whole page, as lime's
    page = check_self_contained(source)
    text = page.text
    assert "Prediction probabilities" in text and "Feature values" in text
    for cls, p in zip(classes, binary_exp.predict_proba):
        assert cls in text and f"{p:.2f}" in text
    for name, _ in binary_exp.as_list():
        assert htmllib.unescape(htmllib.escape(name)) in text  # every explained feature
    # each explained feature has its value in the table
    mapper = binary_exp.domain_mapper
    for fid, _ in binary_exp.local_exp[1]:
        assert mapper.feature_values[fid] in text
    assert page.count("div", **{"class": "lime-rs-explanation"}) == 1
    # lime's colours for a binary label 1: class 0 (negative side) blue, class 1 orange
    styles = page.styles()
    signs = {np.sign(w) for _, w in binary_exp.local_exp[1]}
    if 1 in signs:
        assert f"background:{C10[1]}" in styles
    if -1 in signs:
        assert f"background:{C10[0]}" in styles


def test_binary_label_zero_keeps_each_class_colour(binary_exp, cancer):
    exp = binary_exp
    _, _, classes, _ = cancer
    labels = (0,)
    # explain label 0 too (the explainer was asked for label 1 only)
    exp0 = Explanation(exp.domain_mapper, class_names=classes)
    exp0.predict_proba = exp.predict_proba
    exp0.local_exp[0] = [(f, -w) for f, w in exp.local_exp[1]]
    page = Page(exp0.as_html(labels=labels))
    chart = _charts(exp0.as_html(labels=labels))[0]
    # right side (for the label) is class 0 in class 0's colour; left is class 1
    left, right = chart["titles"]
    assert left == classes[1] and right == classes[0]
    assert chart["colors"] == (C10[1], C10[0])
    assert page.text.count(classes[0]) >= 2


def _charts(source):
    """Per weights chart: side titles, side colours and rows (name, side, number)."""
    charts = []
    for block in source.split('class="lime-rs-panel lime-rs-explanation"')[1:]:
        block = block.split('class="lime-rs-panel')[0]
        header = block.split("</tr>")[0]
        titles = [htmllib.unescape(t).strip() for t in re.findall(r"(?:</i>|>)([^<>]+)<", header)]
        colors = tuple(re.findall(r"background:(#[0-9a-f]{6})", header))
        rows = []
        for row in block.split("</tr>")[1:]:
            cells = row.split("</td>")
            if len(cells) < 2:
                continue
            left, right = cells[0], cells[1]
            side = "right" if ">" in re.sub(r"<td[^>]*>", "", right).strip() else "left"
            cell = right if side == "right" else left
            name = re.search(r'word-break:break-word;[^"]*">([^<]*)</div>', cell)
            number = re.search(r"tabular-nums\">([^<]*)</span>", cell)
            bar = re.search(r"width:([0-9.]+)px;height:10px;background:(#[0-9a-f]{6})", cell)
            if name:
                rows.append(
                    (
                        htmllib.unescape(name.group(1)),
                        side,
                        number.group(1),
                        float(bar.group(1)),
                        bar.group(2),
                    )
                )
        charts.append({"titles": titles[:2], "colors": colors[:2], "rows": rows})
    return charts


def test_chart_rows_sides_bars_and_numbers(binary_exp):
    (chart,) = _charts(binary_exp.as_html())
    listed = binary_exp.as_list()
    assert [r[0] for r in chart["rows"]] == [n for n, _ in listed]
    biggest = max(abs(w) for _, w in listed)
    digits = _html.decimals_for(biggest)
    for (_name, side, number, width, color), (_, w) in zip(chart["rows"], listed):
        assert side == ("right" if w > 0 else "left")
        assert color == (C10[1] if w > 0 else C10[0])
        assert number == f"{abs(w):.{digits}f}"
        # bars are proportional to |weight|, the largest fills the side
        full = _html.CHART_HALF - _html.NUMBER_ROOM - 6
        assert width == pytest.approx(max(abs(w) / biggest * full, 1.0), abs=0.06)


def test_multiclass_top_labels(multi_exp, wine):
    _, _, classes, model = wine
    exp = multi_exp
    top = list(exp.available_labels())
    assert len(top) == 2 and top == list(np.argsort(exp.predict_proba)[::-1][:2])
    source = exp.as_html()
    check_self_contained(source)
    charts = _charts(source)
    assert len(charts) == 2
    for label, chart in zip(top, charts):
        name = classes[label]
        assert chart["titles"] == [f"NOT {name}", name]
        # "NOT label" in lime's cadet blue, the label in its class colour
        assert chart["colors"] == (_html.NOT_COLOR, C10[label])
        assert [r[0] for r in chart["rows"]] == [n for n, _ in exp.as_list(label)]
        for row in chart["rows"]:
            assert row[4] in (_html.NOT_COLOR, C10[label])
    # probabilities: one bar per class in the class's colour
    proba = source.split("lime-rs-explanation")[0]
    for i in range(3):
        assert f"background:{C10[i]}" in proba
    # the instance table uses the first label's colours (as lime shows labels[0])
    table = source.split("lime-rs-table")[1]
    tints = set(re.findall(r"background:(#[0-9a-f]{8})", table))
    assert tints and tints <= {_html.tint(_html.NOT_COLOR, 0.3), _html.tint(C10[top[0]], 0.3)}
    # one label only, in the order asked
    assert len(_charts(exp.as_html(labels=[top[1]]))) == 1
    assert [c["titles"][1] for c in _charts(exp.as_html(labels=top[::-1]))] == [
        classes[top[1]],
        classes[top[0]],
    ]


def test_unexplained_or_malformed_labels(multi_exp):
    missing = ({0, 1, 2} - set(multi_exp.available_labels())).pop()
    with pytest.raises(KeyError, match="not explained"):
        multi_exp.as_html(labels=[missing])
    with pytest.raises(TypeError, match="labels"):
        multi_exp.as_html(labels=1)


def test_many_classes_other_bar_and_category20():
    names = [f"digit {i}" for i in range(10)]
    exp = Explanation(DomainMapper(), class_names=names)
    proba = np.array([0.02, 0.03, 0.5, 0.2, 0.05, 0.04, 0.06, 0.04, 0.03, 0.03])
    exp.predict_proba = proba
    exp.local_exp[2] = [(0, 0.3), (1, -0.2)]
    source = exp.as_html()
    check_self_contained(source)
    proba_panel = Page(source.split("lime-rs-explanation")[0])
    text = proba_panel.text
    # lime: the four most probable, then "Other"
    for i in (2, 3, 6):
        assert f"digit {i}" in text
    assert "Other" in text and "digit 0" not in text
    other = 1 - proba[[2, 3, 6, 4]].sum()
    assert f"{other:.2f}" in text
    c20 = _html.CATEGORY20
    assert f"background:{c20[2]}" in source and f"background:{c20[3]}" in source
    (chart,) = _charts(source)
    assert chart["colors"] == (_html.NOT_COLOR, c20[2])


def test_predict_proba_false_and_no_proba(binary_exp):
    assert "Prediction probabilities" not in binary_exp.as_html(predict_proba=False)
    bare = Explanation(DomainMapper(), class_names=["a", "b"])
    bare.local_exp[1] = [(0, 0.5)]
    page = check_self_contained(bare.as_html())  # no predict_proba: no panel, no error
    assert "Prediction probabilities" not in page.text and "0.50" in page.text


# ---- regression -----------------------------------------------------------------------


def test_regression_predicted_value_on_min_max_scale(regression_exp):
    exp = regression_exp
    source = exp.as_html()
    page = check_self_contained(source)
    text = page.text
    assert "Predicted value" in text and "Prediction probabilities" not in text
    for v in (exp.predicted_value, exp.min_value, exp.max_value):
        assert f"{float(v):.2f}" in text
    assert "(min)" in text and "(max)" in text
    frac = (exp.predicted_value - exp.min_value) / (exp.max_value - exp.min_value)
    assert f"width:{frac * 148:.1f}px;height:18px;background:{C10[0]}" in source
    (chart,) = _charts(source)
    assert chart["titles"] == ["negative", "positive"]
    assert [r[0] for r in chart["rows"]] == [n for n, _ in exp.as_list()]
    assert "R²" in text  # the local model's score (kept under label 0 in regression)
    assert "Predicted value" not in exp.as_html(show_predicted_value=False)
    # labels are ignored for regression, as lime
    assert exp.as_html(labels=[0, 5]) == source


def test_predicted_value_outside_range_and_flat_range():
    inside = _html.predicted_value_panel(12.0, 0.0, 10.0)
    assert "width:148.0px" in inside and "12.00" in inside
    below = _html.predicted_value_panel(-3.0, 0.0, 10.0)
    assert "width:0.0px" in below
    flat = _html.predicted_value_panel(5.0, 5.0, 5.0)
    assert "width:148.0px" in flat  # lime: a full bar when min == max


# ---- tabular options ------------------------------------------------------------------


def test_show_table_false_and_show_all(binary_exp, cancer):
    X, names, _, _ = cancer
    no_table = binary_exp.as_html(show_table=False)
    check_self_contained(no_table)
    assert "Feature values" not in no_table and "lime-rs-explanation" in no_table
    default = Page(binary_exp.as_html())
    every = Page(binary_exp.as_html(show_all=True))
    table_rows = lambda p: p.count("tr", title=": weight")  # noqa: E731
    assert table_rows(default) == 6
    assert table_rows(every) == X.shape[1]
    # zero-weight features are shown untinted
    untinted = [
        a
        for t, a in every.tags
        if t == "tr" and ": weight" in a.get("title", "") and "style" not in a
    ]
    assert len(untinted) == X.shape[1] - 6
    with pytest.raises(TypeError):
        binary_exp.as_html(not_an_option=True)


def test_sparse_tabular(cancer):
    rng = np.random.RandomState(0)
    X = sp.random(300, 40, density=0.15, format="csr", random_state=rng)
    w = rng.normal(size=40)

    def predict_proba(Z):
        z = np.asarray(Z @ w).ravel()
        p = 1 / (1 + np.exp(-z))
        return np.c_[1 - p, p]

    names = [f"term {i}" for i in range(40)]
    explainer = LimeTabularExplainer(X, feature_names=names, random_state=0)
    row = X[5]
    exp = explainer.explain_instance(row, predict_proba, num_features=4, num_samples=N)
    source = exp.as_html()
    page = check_self_contained(source)
    nz = list(row.indices)
    table = Page(source.split("lime-rs-table")[1])
    # only the explained features, each with its value (non-zero ones)
    assert table.count("tr", title=": weight") == 4
    all_rows = Page(exp.as_html(show_all=True).split("lime-rs-table")[1])
    assert all_rows.count("tr", title=": weight") == len(nz)  # sparse: the non-zero values
    for j in nz:
        assert f"term {j}" in all_rows.text
    assert "Feature values" in page.text


def test_table_fragment_direct_call(binary_exp):
    mapper = binary_exp.domain_mapper
    assert isinstance(mapper, TableDomainMapper)
    frag = mapper.visualize_instance_html(binary_exp.local_exp[1], 1, "div", "exp")
    page = check_self_contained(frag)
    assert frag.startswith("<div") and "Feature" in page.text
    assert (
        mapper.visualize_instance_html(binary_exp.local_exp[1], 1, "d", "e", show_table=False) == ""
    )


# ---- text -------------------------------------------------------------------------------


def _highlights(source):
    return [
        (htmllib.unescape(m.group(2)), m.group(1))
        for m in re.finditer(r'<span style="background:(rgba\([^)]*\))[^>]*>([^<]*)</span>', source)
    ]


def test_text_bow_highlights_every_occurrence(text_exp):
    exp = text_exp
    source = exp.as_html()
    page = check_self_contained(source)
    # the whole document, escaped, reads as it was written
    assert DOC in page.text
    assert "<b>" not in source and "&lt;b&gt;now&lt;/b&gt;" in source
    marks = _highlights(source)
    words = dict(exp.as_list())
    indexed = exp.domain_mapper.indexed_string
    expected = sum(len(indexed.string_position(f)) for f, _ in exp.local_exp[1])
    assert len(marks) == expected
    assert {w for w, _ in marks} == set(words)
    if "free" in words:  # every occurrence: 'free' twice, not 'FREE'
        assert [w for w, _ in marks].count("free") == 2
    # colours: spam side orange, ham side blue; strongest word fully opaque
    for word, rgba in marks:
        r, g, b, a = rgba[5:-1].split(",")
        expected_rgb = _html.rgb(C10[1] if words[word] > 0 else C10[0])
        assert (int(r), int(g), int(b)) == expected_rgb
        assert 0.12 <= float(a) <= 1.0
    assert max(float(rgba[5:-1].split(",")[3]) for _, rgba in marks) == 1.0


def test_text_options(text_exp):
    solid = text_exp.as_html(opacity=False)
    assert all(rgba.endswith(",1.000)") for _, rgba in _highlights(solid))
    no_text = text_exp.as_html(text=False)
    check_self_contained(no_text)
    assert "Text with highlighted words" not in no_text and "lime-rs-explanation" in no_text


def _document(source):
    """(visible text, [(offset, word) of each highlight]) of the text panel."""
    doc_html = source.split("lime-rs-doc")[1].split(">", 1)[1].split("</div>")[0]
    text, marks = "", []
    for piece in re.split(r"(<span[^>]*>[^<]*</span>)", doc_html):
        if piece.startswith("<span"):
            word = htmllib.unescape(re.sub(r"<[^>]+>", "", piece))
            marks.append((len(text), word))
            text += word
        else:
            text += htmllib.unescape(piece)
    return text, marks


def test_text_positions_bow_false():
    explainer = LimeTextExplainer(class_names=["ham", "spam"], bow=False, random_state=0)
    doc = "free free meeting free"
    exp = explainer.explain_instance(doc, spam_model, num_features=2, num_samples=N)
    text, marks = _document(exp.as_html())
    assert text == doc
    ix = exp.domain_mapper.indexed_string
    starts = sorted(int(ix.string_position(f)[0]) for f, _ in exp.local_exp[1])
    # one highlight per explained position, exactly there (not every 'free')
    assert [m[0] for m in marks] == starts
    assert all(doc[o : o + len(w)] == w for o, w in marks)
    direct = TextDomainMapper(IndexedString("spam ham spam", bow=False))
    frag = direct.visualize_instance_html([(2, 0.5)], 1, "d", "e")
    assert _document(frag)[1] == [(9, "spam")]


def test_text_bow_marks_are_at_the_words(text_exp):
    text, marks = _document(text_exp.as_html())
    assert text == DOC
    ix = text_exp.domain_mapper.indexed_string
    starts = sorted(int(s) for f, _ in text_exp.local_exp[1] for s in ix.string_position(f))
    assert [m[0] for m in marks] == starts


def test_text_char_level():
    explainer = LimeTextExplainer(class_names=["ham", "spam"], char_level=True, random_state=0)
    doc = "free <prize> & more"
    exp = explainer.explain_instance(doc, spam_model, num_features=4, num_samples=N)
    source = exp.as_html()
    check_self_contained(source)
    text, marks = _document(source)
    assert text == doc
    ix = exp.domain_mapper.indexed_string
    assert len(marks) == sum(len(ix.string_position(f)) for f, _ in exp.local_exp[1])
    assert all(doc[o : o + len(w)] == w and len(w) == 1 for o, w in marks)


def test_text_callable_tokenizer_shows_raw_text():
    explainer = LimeTextExplainer(
        class_names=["ham", "spam"], split_expression=lambda s: s.split(), random_state=0
    )
    doc = "free  prize\nnow meeting free"
    exp = explainer.explain_instance(doc, spam_model, num_features=3, num_samples=N)
    text, marks = _document(exp.as_html())
    assert text == doc  # separators kept (lime shows the raw text, misplacing highlights)
    assert marks and all(doc[o : o + len(w)] == w for o, w in marks)


# ---- escaping ---------------------------------------------------------------------------


def test_every_user_string_is_escaped(cancer):
    X, names, _, model = cancer
    names = list(names)
    names[0] = NASTY
    names[1] = "quote \" and ' & <b>bold</b>"
    classes = ["<script>alert('c')</script>", "ok & <i>fine</i>"]
    explainer = LimeTabularExplainer(
        X, feature_names=names, class_names=classes, discretize_continuous=False, random_state=0
    )
    # the weight of a nasty feature makes it into the chart, table and tooltips
    exp = explainer.explain_instance(X[0], model.predict_proba, num_features=30, num_samples=N)
    source = exp.as_html(show_all=True)
    page = check_self_contained(source)
    assert page.count("img") == 0 and page.count("b") == 0 and page.count("script") == 0
    assert all("style" in a for t, a in page.tags if t == "i")  # only our swatches and bars
    assert NASTY in page.text and classes[0] in page.text and classes[1] in page.text
    assert names[1] in page.text
    for _, attrs in page.tags:
        title = attrs.get("title")
        if title and "img" in title:
            assert title.startswith(NASTY)  # tooltip text, intact
    # text documents and class names
    text_exp = LimeTextExplainer(class_names=[NASTY, "spam"], random_state=0).explain_instance(
        NASTY + " free prize", spam_model, num_features=3, num_samples=N
    )
    src = text_exp.as_html()
    page = check_self_contained(src)
    assert page.count("img") == 0 and page.text.count(NASTY) >= 2


def test_unicode_names_survive(cancer):
    X, names, _, model = cancer
    names = list(names)
    names[0] = "ÄÖÜ naïve — 東京 📈"
    explainer = LimeTabularExplainer(
        X, feature_names=names, class_names=["négatif", "positif ✓"], random_state=0
    )
    exp = explainer.explain_instance(X[0], model.predict_proba, num_features=30, num_samples=N)
    page = check_self_contained(exp.as_html())
    assert "ÄÖÜ naïve — 東京 📈" in page.text and "positif ✓" in page.text


def test_long_names_can_be_read_whole():
    long = "a very long feature name " * 8
    exp = Explanation(DomainMapper(), class_names=["no", "yes"])
    exp.local_exp[1] = [(long, 0.4), ("short", -0.1)]
    source = exp.as_html()
    page = Page(source)
    assert long.strip() in page.text  # wrapped, never cut to "..."
    assert "overflow-wrap:anywhere" in source
    assert any(a.get("title", "").startswith(long) for _, a in page.tags)


# ---- notebooks, files, dark mode ----------------------------------------------------


def test_repr_html_and_show_in_notebook(binary_exp, monkeypatch):
    frag = binary_exp._repr_html_()
    assert frag.startswith('<div class="lime-rs"') and "<html" not in frag
    check_self_contained(frag)
    assert "<style" not in frag and "<svg" not in frag  # survives notebook sanitisers
    shown = []
    fake = types.ModuleType("IPython.display")
    fake.HTML = lambda data: ("HTML", data)
    fake.display = shown.append
    monkeypatch.setitem(sys.modules, "IPython", types.ModuleType("IPython"))
    monkeypatch.setitem(sys.modules, "IPython.display", fake)
    binary_exp.show_in_notebook(show_table=False)
    ((kind, data),) = shown
    assert kind == "HTML" and data.startswith('<div class="lime-rs"')
    assert "Feature values" not in data and "Prediction probabilities" in data
    binary_exp.show_in_notebook(predict_proba=False, dark_mode=True)
    assert "Prediction probabilities" not in shown[1][1] and "color:#f2f2f2" in shown[1][1]


def test_save_to_file(binary_exp, tmp_path):
    path = tmp_path / "exp.html"
    binary_exp.save_to_file(path, show_all=True)
    assert path.read_text(encoding="utf8") == binary_exp.as_html(show_all=True)
    binary_exp.save_to_file(str(tmp_path / "b.html"), labels=[1], predict_proba=False)
    assert "Prediction probabilities" not in (tmp_path / "b.html").read_text(encoding="utf8")


def test_dark_mode(binary_exp):
    light = binary_exp.as_html()
    dark = binary_exp.as_html(dark_mode=True)
    assert "color:#f2f2f2" in dark and "color:#f2f2f2" not in light
    check_self_contained(dark)


def test_user_domain_mapper_is_called_as_lime_does():
    calls = []

    class Mine(DomainMapper):
        def visualize_instance_html(self, exp, label, div_name, exp_object_name, flag=False):
            calls.append((list(exp), label, flag))
            return '<p class="mine">instance</p>'

    exp = Explanation(Mine(), class_names=["a", "b", "c"])
    exp.predict_proba = np.array([0.2, 0.5, 0.3])
    exp.local_exp[1] = [(0, 0.5)]
    exp.local_exp[2] = [(1, -0.5)]
    exp.top_labels = [1, 2]
    source = exp.as_html(flag=True)
    assert '<p class="mine">instance</p>' in source
    assert calls == [([(0, 0.5)], 1, True)]  # once, for the first label


def test_subclass_view_wins_over_the_chart_colours(binary_exp, text_exp):
    """A subclass of lime_rs's mappers that overrides visualize_instance_html
    (calling the parent's) is what as_html shows; without an override, the
    mapper draws in the chart's colours (DomainMapper.instance_html)."""

    class Boxed(TableDomainMapper):
        def visualize_instance_html(self, exp, label, div_name, exp_object_name, **kwargs):
            inner = super().visualize_instance_html(exp, label, div_name, exp_object_name, **kwargs)
            return f'<section class="boxed">{inner}</section>'

    class Quiet(TextDomainMapper):
        def visualize_instance_html(self, exp, label, div_name, exp_object_name, **kwargs):
            return '<p class="quiet"></p>'

    table = binary_exp.domain_mapper
    boxed = Boxed(table.exp_feature_names, table.feature_values, table.scaled_row,
                  table.categorical_features, table.discretized_feature_names)  # fmt: skip
    exp = Explanation(boxed, class_names=binary_exp.class_names)
    exp.local_exp, exp.predict_proba = binary_exp.local_exp, binary_exp.predict_proba
    source = exp.as_html()
    assert '<section class="boxed">' in source and "Feature values" in source
    quiet = Explanation(Quiet(text_exp.domain_mapper.indexed_string), class_names=["ham", "spam"])
    quiet.local_exp = text_exp.local_exp
    assert '<p class="quiet"></p>' in quiet.as_html()

    # the mappers' own views take the chart's side names; visualize_instance_html has none
    plain = table.visualize_instance_html(binary_exp.local_exp[1], 1, "d", "e")
    names, colors = _html._sides(binary_exp, 1, 2)
    charted = table.instance_html(binary_exp.local_exp[1], 1, colors, names)
    assert charted in binary_exp.as_html() and plain != charted


def test_duck_typed_mapper_as_lime_allows():
    class Duck:  # not a DomainMapper: lime only calls these two methods
        def map_exp_ids(self, exp, **kwargs):
            return [(f"w{i}", w) for i, w in exp]

        def visualize_instance_html(self, exp, label, div_name, exp_object_name, **kwargs):
            return '<p class="duck"></p>'

    exp = Explanation(Duck(), class_names=["a", "b"])
    exp.local_exp[1] = [(0, 0.5)]
    assert '<p class="duck"></p>' in exp.as_html()
    assert exp.to_dict()["domain"] == {"kind": "generic"}


# ---- matplotlib ---------------------------------------------------------------------


@pytest.fixture
def plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_as_pyplot_figure(plt, binary_exp, multi_exp, regression_exp, text_exp, cancer):
    _, _, classes, _ = cancer
    fig = binary_exp.as_pyplot_figure()
    ax = fig.axes[0]
    assert ax.get_title() == f"Local explanation for class {classes[1]}"
    listed = binary_exp.as_list()
    assert [t.get_text() for t in ax.get_yticklabels()] == [n for n, _ in listed][::-1]
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx([w for _, w in listed][::-1])
    colors = {tuple(p.get_facecolor()[:3]) for p in ax.patches}
    assert colors <= {(0.0, 0.5019607843137255, 0.0), (1.0, 0.0, 0.0)}  # lime's green / red
    assert tuple(fig.get_size_inches()) == (4, 4)
    # long names stay inside the figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    left = min(t.get_window_extent(renderer).x0 for t in ax.get_yticklabels())
    assert left >= -1
    label = multi_exp.available_labels()[1]
    fig = multi_exp.as_pyplot_figure(label=label, figsize=(6, 3))
    assert fig.axes[0].get_title().endswith(multi_exp.class_names[label])
    assert tuple(fig.get_size_inches()) == (6, 3)
    assert regression_exp.as_pyplot_figure().axes[0].get_title() == "Local explanation"
    fig = text_exp.as_pyplot_figure()
    assert {t.get_text() for t in fig.axes[0].get_yticklabels()} == set(dict(text_exp.as_list()))
    with pytest.raises(KeyError):
        binary_exp.as_pyplot_figure(label=0)


# ---- PNG encoder --------------------------------------------------------------------


@pytest.mark.parametrize("channels", [None, 3, 4])
def test_png_encoder_round_trip(tmp_path, channels):
    import matplotlib.image as mpimg

    rng = np.random.RandomState(0)
    shape = (17, 23) if channels is None else (17, 23, channels)
    img = rng.randint(0, 256, size=shape).astype(np.uint8)
    path = tmp_path / "x.png"
    path.write_bytes(_html.png_bytes(img))
    back = np.rint(mpimg.imread(path) * 255).astype(np.uint8)
    if channels is None:
        back = back if back.ndim == 2 else back[..., 0]
    assert np.array_equal(back, img)
    assert _html.png_data_uri(img).startswith("data:image/png;base64,iVBORw0KGgo")
    with pytest.raises(TypeError):
        _html.png_bytes(img.astype(np.float32))
    with pytest.raises(ValueError):
        _html.png_bytes(np.zeros((2, 2, 2), np.uint8))


def test_to_uint8_rgb_scales_lime_inputs():
    f = np.full((2, 2, 3), 0.5)
    assert _html.to_uint8_rgb(f)[0, 0, 0] == 128
    assert _html.to_uint8_rgb(f * 255)[0, 0, 0] == 128
    assert _html.to_uint8_rgb(np.full((2, 2), 7, np.uint8)).shape == (2, 2, 3)


def test_as_pyplot_figure_names_features_held_fixed(plt, cancer, binary_exp):
    """Features held fixed have no bar: the figure names them under the chart,
    as the HTML table lists them "held at" their values."""
    X, names, classes, model = cancer
    explainer = LimeTabularExplainer(X, feature_names=names, class_names=classes, random_state=0)
    exp = explainer.explain_instance(
        X[0], model.predict_proba, num_samples=N, fixed_features=["mean radius", "worst area"]
    )
    held = exp.domain_mapper.held_at()
    assert [name for name, _ in held] == ["mean radius", "worst area"]
    fig = exp.as_pyplot_figure()
    (text,) = fig.texts
    note = " ".join(text.get_text().split())  # the note may wrap
    assert note == "held fixed: " + ", ".join(f"{n} = {v}" for n, v in held)
    ax = fig.axes[0]
    bars = {t.get_text() for t in ax.get_yticklabels()}
    assert not any(name in bar for name, _ in held for bar in bars)
    # the note is inside the figure, below the chart and its tick labels
    fig.canvas.draw()
    box = text.get_window_extent(fig.canvas.get_renderer())
    chart = ax.get_tightbbox(fig.canvas.get_renderer())
    assert box.y0 >= 0 and box.x1 <= fig.bbox.width and box.y1 <= chart.y0
    assert binary_exp.as_pyplot_figure().texts == []
