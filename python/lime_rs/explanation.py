"""
Explanation class, with visualization functions (drop-in for ``lime.explanation``).

HTML views are self-contained HTML with inline styles (no JavaScript, no
outside resource; they show in JupyterLab, VS Code, nbviewer and with
JavaScript disabled); they are rendered by :mod:`lime_rs._html`.
"""

import numpy as np

from lime_rs.exceptions import LimeError


def id_generator(size=15, random_state=None):
    """Helper function to generate random div ids (as lime's)."""
    import string

    from lime_rs._random import check_random_state

    chars = list(string.ascii_uppercase + string.digits)
    return "".join(check_random_state(random_state).choice(chars, size, replace=True))


class DomainMapper:
    """Class for mapping features to the specific domain.

    The idea is that there would be a subclass for each domain (text, tables,
    images, etc), so that we can have a general Explanation class, and separate
    out the specifics of visualizing features in here.
    """

    def __init__(self):
        pass

    def map_exp_ids(self, exp, **kwargs):
        """Maps the feature ids to concrete names.

        Default behaviour is the identity function. Subclasses can implement
        this as they see fit.

        Args:
            exp: list of tuples [(id, weight), (id,weight)]
            kwargs: optional keyword arguments

        Returns:
            exp: list of tuples [(name, weight), (name, weight)...]
        """
        return exp

    def visualize_instance_html(self, exp, label, div_name, exp_object_name, **kwargs):
        """Produces html for visualizing the instance.

        Default behaviour does nothing. Subclasses can implement this as they
        see fit. lime_rs returns a self-contained HTML fragment (lime returned
        JavaScript).

        Args:
             exp: list of tuples [(id, weight), (id,weight)]
             label: label id (integer)
             div_name: name of div object to be used for rendering
             exp_object_name: name of explanation object
             kwargs: optional keyword arguments

        Returns:
             HTML for visualizing the instance
        """
        return ""


class Explanation:
    """Object returned by explainers."""

    def __init__(self, domain_mapper, mode="classification", class_names=None, random_state=None):
        """
        Initializer.

        Args:
            domain_mapper: must inherit from DomainMapper class
            type: "classification" or "regression"
            class_names: list of class names (only used for classification)
            random_state: an integer or numpy.RandomState that will be used to
                generate random numbers. If None, the random state will be
                initialized using the internal numpy seed.
        """
        self.random_state = random_state
        self.mode = mode
        self.domain_mapper = domain_mapper
        self.local_exp = {}
        # Sandwich (HC1) standard errors of the weights: same keys and order as local_exp.
        self.local_exp_stderr = {}
        self.intercept = {}
        # Per label, as lime's latest source (0.2.0.1 kept only the last label's).
        self.score = {}
        self.local_pred = {}
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

    def available_labels(self):
        """
        Returns the list of classification labels for which we have any explanations.
        """
        if self.mode != "classification":
            raise NotImplementedError("Not supported for regression explanations.")
        ans = self.top_labels if self.top_labels else self.local_exp.keys()
        return list(ans)

    def _label_key(self, label):
        key = label if self.mode == "classification" else self.dummy_label
        if key not in self.local_exp:
            available = sorted(int(k) for k in self.local_exp)
            raise KeyError(
                f"label {label!r} was not explained; explained labels are {available} "
                "(pass labels=... or top_labels=... to explain_instance)"
            )
        return key

    def as_list(self, label=1, **kwargs):
        """Returns the explanation as a list.

        Args:
            label: desired label. If you ask for a label for which an
                explanation wasn't computed, will throw an exception.
                Will be ignored for regression explanations.
            kwargs: keyword arguments, passed to domain_mapper

        Returns:
            list of tuples (representation, weight), where representation is
            given by domain_mapper. Weight is a float.
        """
        ans = self.domain_mapper.map_exp_ids(self.local_exp[self._label_key(label)], **kwargs)
        return [(x[0], float(x[1])) for x in ans]

    def as_map(self):
        """Returns the map of explanations.

        Returns:
            Map from label to list of tuples (feature_id, weight).
        """
        return self.local_exp

    def as_pyplot_figure(self, label=1, figsize=(4, 4), **kwargs):
        """Returns the explanation as a pyplot figure.

        Will throw an error if you don't have matplotlib installed

        Args:
            label: desired label. If you ask for a label for which an
                   explanation wasn't computed, will throw an exception.
                   Will be ignored for regression explanations.
            figsize: desired size of pyplot in tuple format, defaults to (4,4).
            kwargs: keyword arguments, passed to domain_mapper

        Returns:
            pyplot figure (barchart).
        """
        import warnings

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
            title = f"Local explanation for class {self.class_names[label]}"
        else:
            title = "Local explanation"
        plt.title(title)
        # lime leaves long feature names cut off at the figure's edge.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fig.tight_layout()
        return fig

    def show_in_notebook(
        self, labels=None, predict_proba=True, show_predicted_value=True, dark_mode=False, **kwargs
    ):
        """Shows html explanation in ipython notebook.

        See as_html() for parameters. The views are plain HTML (no JavaScript),
        so they also show in JupyterLab, VS Code, nbviewer and GitHub.
        This will throw an error if you don't have IPython installed"""
        from IPython.display import HTML, display

        from lime_rs import _html

        display(
            HTML(
                _html.explanation_fragment(
                    self,
                    labels=labels,
                    predict_proba=predict_proba,
                    show_predicted_value=show_predicted_value,
                    dark_mode=dark_mode,
                    **kwargs,
                )
            )
        )

    def save_to_file(
        self, file_path, labels=None, predict_proba=True, show_predicted_value=True, **kwargs
    ):
        """Saves html explanation to file. .

        Params:
            file_path: file to save explanations to

        See as_html() for additional parameters.
        """
        html = self.as_html(
            labels=labels,
            predict_proba=predict_proba,
            show_predicted_value=show_predicted_value,
            **kwargs,
        )
        with open(file_path, "w", encoding="utf8") as file_:
            file_.write(html)

    def as_html(
        self, labels=None, predict_proba=True, show_predicted_value=True, dark_mode=False, **kwargs
    ):
        """Returns the explanation as an html page.

        The page is self-contained HTML with inline styles: no JavaScript, no
        outside resource; every user string is escaped.

        Args:
            labels: desired labels to show explanations for (as barcharts).
                If you ask for a label for which an explanation wasn't
                computed, will throw an exception. If None, will show
                explanations for all available labels. (only used for classification)
            predict_proba: if true, add  barchart with prediction probabilities
                for the top classes. (only used for classification)
            show_predicted_value: if true, add  barchart with expected value
                (only used for regression)
            dark_mode: if true, text is white (for a notebook rendered in dark
                mode; the saved page gets a dark background).
            kwargs: keyword arguments, passed to domain_mapper (tabular:
                show_table, show_all; text: text, opacity)

        Returns:
            code for an html page.
        """
        from lime_rs import _html

        return _html.explanation_page(
            self,
            labels=labels,
            predict_proba=predict_proba,
            show_predicted_value=show_predicted_value,
            dark_mode=dark_mode,
            **kwargs,
        )

    # --- audit records (lime_rs additions; see lime_rs.serialization) ---
    def to_dict(self):
        """The explanation as a dict of JSON values (docs/explanation_schema.md)."""
        from lime_rs import serialization

        return serialization.to_dict(self)

    @classmethod
    def from_dict(cls, record):
        """An explanation from :meth:`to_dict`'s output."""
        from lime_rs import serialization

        return serialization.from_dict(record)

    def to_json(self, **kwargs):
        """The explanation as a JSON string (docs/explanation_schema.md)."""
        from lime_rs import serialization

        return serialization.to_json(self, **kwargs)

    @classmethod
    def from_json(cls, s):
        """An explanation from :meth:`to_json`'s output."""
        from lime_rs import serialization

        return serialization.from_json(s)

    def as_frame(self, label=1, **kwargs):
        """The label's weights as a pandas DataFrame: feature, weight, stderr,
        ci_low, ci_high (95%, from the sandwich standard errors)."""
        from lime_rs import serialization

        return serialization.as_frame(self, label=label, **kwargs)

    def _repr_html_(self):
        """A bare ``exp`` in a notebook cell shows the explanation."""
        from lime_rs import _html

        return _html.explanation_fragment(self)
