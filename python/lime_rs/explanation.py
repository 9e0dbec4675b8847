"""Explanation class, with visualization functions (drop-in for ``lime.explanation``).
The HTML views (:mod:`lime_rs._html`) are self-contained: no JavaScript, no outside resource."""

from __future__ import annotations

import math
import numbers
import operator
import os
import string
import textwrap
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import IO, Any

import numpy as np

from lime_rs import _html
from lime_rs._random import check_random_state
from lime_rs.exceptions import LimeError


def id_generator(size: int = 15, random_state: Any = None) -> str:
    """Helper function to generate random div ids (as lime's)."""
    chars = list(string.ascii_uppercase + string.digits)
    return "".join(check_random_state(random_state).choice(chars, size, replace=True))


def _binary(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """The method ``self <op> other``, on the last label's value."""
    return lambda self, other: op(self._value(), _as_value(other))


def _reflected(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """The method ``other <op> self`` (``__radd__`` and the like), on the value."""
    return lambda self, other: op(_as_value(other), self._value())


def _unary(op: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda self: op(self._value())


class _ByLabel(dict):
    """``score`` and ``local_pred``: lime 0.2.0.1 keeps the last explained
    label's value (a float, an array of shape (1,)), lime master a dict by
    label. Both styles read the same attribute: a dict (``[label]``, ``items``,
    ``in``, ``len``, iteration, JSON, ``repr``, truthiness) that, in arithmetic,
    comparisons, numpy and format specs, is the last label assigned's value."""

    _last: Any
    _what = "value"

    def _value(self) -> Any:
        return dict.__getitem__(self, self.last_label())

    def __setitem__(self, label: Any, value: Any) -> None:
        dict.__setitem__(self, label, value)
        self._last = label

    def update(self, *args: Any, **kwargs: Any) -> None:
        for label, value in dict(*args, **kwargs).items():
            self[label] = value

    def __ior__(self, other: Any) -> Any:  # type: ignore[misc]
        self.update(other)
        return self

    def setdefault(self, label: Any, default: Any = None) -> Any:
        if label not in self:
            self[label] = default
        return dict.__getitem__(self, label)

    def copy(self) -> Any:
        out = type(self)()
        dict.update(out, self)
        if self:
            out._last = self.last_label()
        return out

    def last_label(self) -> Any:
        """The label assigned last (0.2.0.1's one value is its value)."""
        last = self.__dict__.get("_last", _NO_LABEL)
        if last is _NO_LABEL or not dict.__contains__(self, last):
            if not self:
                raise TypeError(f"{self._what}: no label explained yet (lime 0.2.0.1 left it None)")
            last = next(reversed(self))  # deleted, or restored without __setitem__
        return last

    def __bool__(self) -> bool:
        return len(self) > 0

    __hash__ = None  # mutable, as both a dict and lime's array

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        arr = np.asarray(self._value(), dtype=dtype)  # a plain ndarray, as lime's
        return arr.copy() if copy else arr

    def __format__(self, spec: str) -> str:
        return format(self._value(), spec) if spec else str(self)

    __add__, __radd__ = _binary(operator.add), _reflected(operator.add)
    __sub__, __rsub__ = _binary(operator.sub), _reflected(operator.sub)
    __mul__, __rmul__ = _binary(operator.mul), _reflected(operator.mul)
    __truediv__, __rtruediv__ = _binary(operator.truediv), _reflected(operator.truediv)
    __floordiv__, __rfloordiv__ = _binary(operator.floordiv), _reflected(operator.floordiv)
    __mod__, __rmod__ = _binary(operator.mod), _reflected(operator.mod)
    __pow__, __rpow__ = _binary(operator.pow), _reflected(operator.pow)
    __divmod__, __rdivmod__ = _binary(divmod), _reflected(divmod)
    __lt__, __le__ = _binary(operator.lt), _binary(operator.le)
    __gt__, __ge__ = _binary(operator.gt), _binary(operator.ge)
    __neg__, __pos__, __abs__ = _unary(operator.neg), _unary(operator.pos), _unary(abs)


_NO_LABEL = object()


def _as_value(x: Any) -> Any:
    return x._value() if isinstance(x, _ByLabel) else x


class LabelScores(_ByLabel, numbers.Real):  # type: ignore[misc]  # both unhashable
    """``Explanation.score``: the R² of each label's local model, keyed by label
    (lime master); as a number, the last explained label's R² (lime 0.2.0.1)."""

    _what = "score"

    def _value(self) -> float:
        return float(_ByLabel._value(self))

    __float__, __int__ = _unary(float), _unary(int)
    __trunc__, __floor__, __ceil__ = _unary(math.trunc), _unary(math.floor), _unary(math.ceil)

    def __round__(self, ndigits: int | None = None) -> Any:
        return round(self._value(), ndigits)

    # with a mapping, as dicts compare; with a number, as the number
    def __eq__(self, other: object) -> Any:
        if isinstance(other, Mapping):
            return dict.__eq__(self, other)
        if not isinstance(other, numbers.Number | np.generic):
            return NotImplemented
        return bool(self) and self._value() == other  # unexplained: None == x in 0.2.0.1

    def __ne__(self, other: object) -> Any:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq


class Prediction(np.ndarray):
    """One label's local prediction, shape (1,), that ``float()`` and format
    specs read as its number (0.2.0.1's ``local_pred[0]`` may be label 0's array)."""

    def __float__(self) -> float:
        return float(self.reshape(-1)[0]) if self.size == 1 else np.ndarray.__float__(self)

    def __format__(self, spec: str) -> str:
        if spec and self.size == 1:
            return format(self.reshape(-1)[0].item(), spec)
        return np.ndarray.__format__(self, spec)

    def __repr__(self) -> str:
        return repr(self.view(np.ndarray))  # prints as lime's array([0.42])


class LocalPredictions(_ByLabel):
    """``Explanation.local_pred``: each label's local prediction (shape (1,))
    by label (lime master); as an array, the last label's (lime 0.2.0.1). A key
    that is an explained label selects it; any other index or slice, and the
    public array attributes (``shape``, ``item``, ...), are the last label's array's."""

    _what = "local_pred"

    def __setitem__(self, label: Any, value: Any) -> None:
        _ByLabel.__setitem__(self, label, np.asarray(value).view(Prediction))

    def __getitem__(self, key: Any) -> Any:
        try:
            return dict.__getitem__(self, key)
        except (KeyError, TypeError):
            if not self or isinstance(key, str):
                raise
            try:
                return self._value()[key]
            except (IndexError, TypeError, ValueError):
                pass
            raise

    def __getattr__(self, name: str) -> Any:
        # public ndarray attributes only: pickle's and copy's lookups must not
        # reach last() on a half-built object
        if name.startswith("_") or not hasattr(np.ndarray, name) or not self:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(self._value(), name)

    __float__ = _unary(float)

    # with a mapping, as dicts compare; else elementwise, as lime's array
    def __eq__(self, other: object) -> Any:
        if isinstance(other, Mapping):
            return dict.__eq__(self, other)
        return self._value() == _as_value(other)

    def __ne__(self, other: object) -> Any:
        if isinstance(other, Mapping):
            return dict.__ne__(self, other)
        return self._value() != _as_value(other)


class DomainMapper:
    """Class for mapping features to the specific domain: a subclass per domain
    (text, tables, images) maps ids to names and draws the instance. lime_rs
    additions: :meth:`instance_html`, :meth:`to_record` / ``from_record`` (the
    ``domain`` part of a record) and :meth:`feature_count`."""

    def map_exp_ids(self, exp: list[tuple[Any, Any]], **kwargs: Any) -> list[tuple[Any, Any]]:
        """Maps the feature ids to concrete names (default: identity).

        Args:
            exp: list of tuples [(id, weight), (id,weight)]; returns [(name, weight), ...]
            kwargs: optional keyword arguments
        """
        return exp

    def visualize_instance_html(
        self, exp: list[tuple[Any, Any]], label: Any, div_name: str, exp_object_name: str,
        **kwargs: Any,
    ) -> str:  # fmt: skip
        """Produces html for visualizing the instance (default: nothing; lime_rs
        returns a self-contained HTML fragment where lime returned JavaScript).

        Args:
             exp: list of tuples [(id, weight), (id,weight)]
             label: label id (integer)
             div_name: name of div object to be used for rendering
             exp_object_name: name of explanation object
             kwargs: optional keyword arguments
        """
        return ""

    def instance_html(
        self, exp: list[tuple[Any, Any]], label: Any, colors: tuple[str, str] | None,
        names: tuple[str, str] | None, **kwargs: Any,
    ) -> str:  # fmt: skip
        """The instance view of ``Explanation.as_html``; ``colors`` and ``names``:
        the (negative, positive) sides of the label's chart. This base calls
        :meth:`visualize_instance_html`, so a lime-style mapper keeps its view."""
        return self.visualize_instance_html(exp, label, "raw_div", "exp", **kwargs) or ""

    def feature_count(self) -> int | None:
        """How many feature ids (0..n-1) the mapper names; None: any id."""
        return None

    def to_record(self) -> dict[str, Any]:
        """The ``domain`` part of a record (JSON values); this base's,
        ``generic``, keeps the features' names but not the instance view."""
        return {"kind": "generic"}


class Explanation:
    """Object returned by explainers."""

    # Set per mode by the explainers (and lime_rs's records); declared for type checkers.
    class_names: Sequence[Any] | None
    top_labels: list[Any] | None
    predict_proba: np.ndarray | None
    predicted_value: float | None
    min_value: float
    max_value: float
    dummy_label: int
    explainer_settings: dict[str, Any] | None
    seed: int | None
    lime_rs_version: str | None
    #: lime_rs: what the sampling did (docs/explanation_schema.md), None when not recorded.
    sampling: dict[str, Any] | None

    def __init__(self, domain_mapper: Any, mode: str = "classification",
                 class_names: Sequence[Any] | None = None, random_state: Any = None) -> None:  # fmt: skip
        """Initializer.

        Args:
            domain_mapper: must inherit from DomainMapper class
            mode: "classification" or "regression"
            class_names: list of class names (only used for classification)
            random_state: an integer or numpy.RandomState (kept as lime's)
        """
        self.random_state = random_state
        self.mode = mode
        self.domain_mapper = domain_mapper
        self.local_exp: dict[Any, list[tuple[Any, Any]]] = {}
        # lime_rs: sandwich (HC1) standard errors, same keys and order as local_exp
        self.local_exp_stderr: dict[Any, list[tuple[Any, Any]]] = {}
        self.intercept: dict[Any, Any] = {}
        self.sampling = None
        self.score = LabelScores()
        self.local_pred = LocalPredictions()
        if mode == "classification":
            self.class_names = class_names
            self.top_labels = None
            self.predict_proba = None
        elif mode == "regression":
            self.class_names = ["negative", "positive"]
            self.predicted_value = None
            self.min_value = 0.0
            self.max_value = 1.0
            self.dummy_label = 1
        else:
            raise LimeError(
                f'Invalid explanation mode "{mode}". Should be either "classification" or "regression".'
            )

    def available_labels(self) -> list[Any]:
        """Returns the list of classification labels for which we have any explanations."""
        if self.mode != "classification":
            raise NotImplementedError("Not supported for regression explanations.")
        return list(self.top_labels if self.top_labels else self.local_exp.keys())

    def _label_key(self, label: Any) -> Any:
        key = label if self.mode == "classification" else self.dummy_label
        if key not in self.local_exp:
            available = sorted(int(k) for k in self.local_exp)
            raise KeyError(
                f"label {label!r} was not explained; explained labels are {available} "
                "(pass labels=... or top_labels=... to explain_instance)"
            )
        return key

    def as_list(self, label: Any = 1, **kwargs: Any) -> list[tuple[Any, float]]:
        """Returns the explanation as a list of (representation, weight) tuples,
        the representation given by domain_mapper, the weight a float.

        Args:
            label: desired label (an unexplained one raises; ignored for regression)
            kwargs: keyword arguments, passed to domain_mapper
        """
        ans = self.domain_mapper.map_exp_ids(self.local_exp[self._label_key(label)], **kwargs)
        return [(x[0], float(x[1])) for x in ans]

    def as_map(self) -> dict[Any, list[tuple[Any, Any]]]:
        """Returns the map from label to list of tuples (feature_id, weight)."""
        return self.local_exp

    def as_pyplot_figure(self, label: Any = 1, figsize: tuple[float, float] = (4, 4),
                         **kwargs: Any) -> Any:  # fmt: skip
        """Returns the explanation as a pyplot figure (a bar chart; needs matplotlib).

        Args:
            label: desired label (an unexplained one raises; ignored for regression)
            figsize: desired size of pyplot in tuple format, defaults to (4,4).
            kwargs: keyword arguments, passed to domain_mapper

        lime_rs addition: the features held fixed (no bar) are named under the chart.
        """
        import matplotlib.pyplot as plt

        exp = self.as_list(label=label, **kwargs)
        fig = plt.figure(figsize=figsize)
        vals = [x[1] for x in exp][::-1]
        names = [str(x[0]) for x in exp][::-1]
        colors = ["green" if x > 0 else "red" for x in vals]
        pos = np.arange(len(exp)) + 0.5
        plt.barh(pos, vals, align="center", color=colors)
        plt.yticks(pos, names)
        if self.mode == "classification":
            name = label if self.class_names is None else self.class_names[label]
            plt.title(f"Local explanation for class {name}")
        else:
            plt.title("Local explanation")
        held_at = getattr(self.domain_mapper, "held_at", None)
        held = held_at() if callable(held_at) else []
        bottom = 0.0
        if held:
            note = "held fixed: " + ", ".join(f"{n} = {v}" for n, v in held)
            note = textwrap.fill(note, int(figsize[0] * 14))
            fig.text(0.02, 0.02, note, fontsize="small")
            bottom = (note.count("\n") + 1.5) * 10 / (72 * figsize[1])  # ~10 pt a line
        # lime leaves long feature names cut off at the figure's edge
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fig.tight_layout(rect=(0, bottom, 1, 1))
        return fig

    def show_in_notebook(
        self, labels: Iterable[Any] | None = None, predict_proba: bool = True,
        show_predicted_value: bool = True, dark_mode: bool = False, **kwargs: Any,
    ) -> None:  # fmt: skip
        """Shows html explanation in ipython notebook (needs IPython; plain HTML,
        so it also shows in JupyterLab, VS Code, nbviewer and GitHub). See as_html()."""
        from IPython.display import HTML, display

        fragment = _html.explanation_fragment(
            self, labels, predict_proba, show_predicted_value, dark_mode, **kwargs
        )
        display(HTML(fragment))

    def save_to_file(
        self, file_path: str | os.PathLike[str], labels: Iterable[Any] | None = None,
        predict_proba: bool = True, show_predicted_value: bool = True, **kwargs: Any,
    ) -> None:  # fmt: skip
        """Saves html explanation to ``file_path``. See as_html() for the other parameters."""
        html = self.as_html(labels, predict_proba, show_predicted_value, **kwargs)
        with open(file_path, "w", encoding="utf8") as file_:
            file_.write(html)

    def as_html(
        self, labels: Iterable[Any] | None = None, predict_proba: bool = True,
        show_predicted_value: bool = True, dark_mode: bool = False, **kwargs: Any,
    ) -> str:  # fmt: skip
        """Returns the explanation as an html page: self-contained, with inline
        styles, no JavaScript, no outside resource; every user string escaped.

        Args:
            labels: labels to show as bar charts (classification; None: all explained)
            predict_proba: if true, add a bar chart of the top classes' probabilities
                (classification)
            show_predicted_value: if true, add a bar chart of the predicted value
                (regression)
            dark_mode: lime_rs addition: white text (the saved page gets a dark background)
            kwargs: passed to domain_mapper (tabular: show_table, show_all; text:
                text, opacity)
        """
        return _html.explanation_page(
            self, labels, predict_proba, show_predicted_value, dark_mode, **kwargs
        )

    # lime_rs additions: audit records (lime_rs.serialization)
    def to_dict(self) -> dict[str, Any]:
        """The explanation as a dict of JSON values (docs/explanation_schema.md)."""
        return serialization.to_dict(self)

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> Explanation:
        """An explanation from :meth:`to_dict`'s output."""
        return serialization.from_dict(record)

    def to_json(self, **kwargs: Any) -> str:
        """The explanation as a JSON string (``kwargs``: json.dumps's)."""
        return serialization.to_json(self, **kwargs)

    @classmethod
    def from_json(cls, s: str | bytes | bytearray | IO[Any]) -> Explanation:
        """An explanation from :meth:`to_json`'s output."""
        return serialization.from_json(s)

    def as_frame(self, label: Any = 1, **kwargs: Any) -> Any:
        """The label's weights as a pandas DataFrame: feature, weight, stderr,
        ci_low, ci_high (95%, from the sandwich standard errors)."""
        return serialization.as_frame(self, label=label, **kwargs)

    def _repr_html_(self) -> str:
        """A bare ``exp`` in a notebook cell shows the explanation."""
        return _html.explanation_fragment(self)


# serialization imports this module's classes: bound last, used at call time.
from lime_rs import serialization  # noqa: E402
