"""
Functions for explaining classifiers that use Image data.

Drop-in for ``lime.lime_image`` (its latest source: ``score`` and
``local_pred`` are dicts keyed by label, ``progress_bar``). Where the time
goes, Rust does the work: the default segmentation is quick shift in Rust
(``SegmentationAlgorithm('quickshift_rs', ...)``, the same segments as
scikit-image's); the 0/1 masks are drawn in Rust from one seed per
explanation; the perturbed images are written in Rust, a batch at a time,
into one buffer of the image's dtype (peak memory: one batch); distances,
kernel and the local models of all labels are one Rust call.

Differences from lime, by design:

* the masks come from lime_rs's random streams, not numpy's, so a given
  ``random_state`` gives other (equally distributed) samples than lime;
* segment labels need not be ``0..n-1``: feature ``j`` is the ``j``-th
  smallest label and ``local_exp`` reports the labels themselves (lime
  assumes ``0..n-1``, what scikit-image's segmentations return, and then
  gives the same ids);
* bad input (wrong shapes, NaN, a single segment, a classifier returning the
  wrong number of rows, ``batch_size < 1``) raises a ValueError/TypeError
  naming the argument.
"""

import numbers
import sys
from functools import partial

import numpy as np

from lime_rs import _native, lime_base
from lime_rs._random import check_random_state, draw_seed
from lime_rs._validation import check_feature_selection, check_int
from lime_rs.wrappers.scikit_image import SegmentationAlgorithm


def _exponential_kernel(d, kernel_width):
    """lime's default kernel (a module-level function, so explainers pickle)."""
    return np.sqrt(np.exp(-(d**2) / kernel_width**2))


class ImageExplanation:
    def __init__(self, image, segments):
        """Init function.

        Args:
            image: 3d numpy array
            segments: 2d numpy array, with the output from skimage.segmentation
        """
        self.image = image
        self.segments = segments
        self.intercept = {}
        self.local_exp = {}
        self.local_exp_stderr = {}
        self.local_pred = {}
        self.score = {}

    def get_image_and_mask(
        self,
        label,
        positive_only=True,
        negative_only=False,
        hide_rest=False,
        num_features=5,
        min_weight=0.0,
    ):
        """Init function.

        Args:
            label: label to explain
            positive_only: if True, only take superpixels that positively contribute to
                the prediction of the label.
            negative_only: if True, only take superpixels that negatively contribute to
                the prediction of the label. If false, and so is positive_only, then both
                negativey and positively contributions will be taken.
                Both can't be True at the same time
            hide_rest: if True, make the non-explanation part of the return
                image gray
            num_features: number of superpixels to include in explanation
            min_weight: minimum weight of the superpixels to include in explanation

        Returns:
            (image, mask), where image is a 3d numpy array and mask is a 2d
            numpy array that can be used with
            skimage.segmentation.mark_boundaries
        """
        if label not in self.local_exp:
            raise KeyError("Label not in explanation")
        if positive_only & negative_only:
            raise ValueError("Positive_only and negative_only cannot be true at the same time.")
        segments = self.segments
        image = self.image
        exp = self.local_exp[label]
        mask = np.zeros(segments.shape, segments.dtype)
        temp = np.zeros(image.shape) if hide_rest else image.copy()
        if positive_only or negative_only:
            if positive_only:
                chosen = [f for f, w in exp if w > 0 and w > min_weight]
            else:
                chosen = [f for f, w in exp if w < 0 and abs(w) > min_weight]
            shown = np.isin(segments, chosen[:num_features])
            temp[shown] = image[shown]
            mask[shown] = 1
            return temp, mask
        brightest = np.max(image)
        for f, w in exp[:num_features]:
            if np.abs(w) < min_weight:
                continue
            region = segments == f
            mask[region] = -1 if w < 0 else 1
            temp[region] = image[region]
            temp[region, 0 if w < 0 else 1] = brightest
        return temp, mask

    # ---- views (lime leaves these to the user's own plotting code) ----------------

    def _view_label(self, label):
        if label is None:
            top = getattr(self, "top_labels", None)
            label = top[0] if top else next(iter(self.local_exp), None)
        if label not in self.local_exp:
            available = sorted(int(k) for k in self.local_exp)
            raise KeyError(
                f"label {label!r} was not explained; explained labels are {available} "
                "(pass labels=... or top_labels=... to explain_instance)"
            )
        return label

    @staticmethod
    def _label_name(label, class_names):
        if class_names is None:
            return f"class {label}"
        try:
            return str(class_names[label])
        except (IndexError, KeyError, TypeError):
            return f"class {label}"

    def as_html(
        self,
        label=None,
        num_features=5,
        positive_only=False,
        negative_only=False,
        min_weight=0.0,
        class_names=None,
        show_original=True,
        dark_mode=False,
    ):
        """The explanation of ``label`` as a self-contained HTML fragment (no
        JavaScript; the images are embedded PNGs): the image, the image with
        its ``num_features`` most important superpixels outlined (green: for
        the label, red: against it; the same superpixels get_image_and_mask
        marks with these options) and numbered, and their weights chart.

        Args:
            label: label to show; default: the most probable of top_labels
                (or the first explained label).
            num_features, positive_only, negative_only, min_weight: which
                superpixels, as in get_image_and_mask (by default both signs).
            class_names: optional names of the classifier's outputs.
            show_original: if False, leave out the unmarked image.
            dark_mode: if true, text is white.
        """
        from lime_rs import _html

        label = self._view_label(label)
        caption = _html._caption(self, [label])
        body = _html.image_panels(
            self.image,
            self.segments,
            self.local_exp[label],
            self._label_name(label, class_names),
            num_features=num_features,
            positive_only=positive_only,
            negative_only=negative_only,
            min_weight=min_weight,
            caption=caption,
            show_original=show_original,
        )
        return _html.root([body], dark_mode)

    def save_to_file(self, file_path, **kwargs):
        """Saves the HTML view (see as_html for the options) as a page."""
        from lime_rs import _html

        page = _html.page(self.as_html(**kwargs), dark_mode=kwargs.get("dark_mode", False))
        with open(file_path, "w", encoding="utf8") as file_:
            file_.write(page)

    def show_in_notebook(self, **kwargs):
        """Shows the HTML view in a notebook (see as_html for the options)."""
        from IPython.display import HTML, display

        display(HTML(self.as_html(**kwargs)))

    def _repr_html_(self):
        return self.as_html()

    def as_pyplot_figure(
        self,
        label=None,
        num_features=5,
        positive_only=False,
        negative_only=False,
        min_weight=0.0,
        class_names=None,
        figsize=(4, 4),
    ):
        """The image with the explaining superpixels outlined (green: for the
        label, red: against it) and numbered by importance, as a pyplot figure.
        Options as in as_html."""
        import matplotlib.pyplot as plt
        from matplotlib.patches import Patch

        from lime_rs import _html

        label = self._view_label(label)
        chosen = _html.select_superpixels(
            self.local_exp[label], num_features, positive_only, negative_only, min_weight
        )
        _, overlay, centres = _html.image_overlay(self.image, self.segments, chosen, target=480)
        fig = plt.figure(figsize=figsize)
        ax = fig.add_subplot(1, 1, 1)
        ax.imshow(overlay)
        h, w = overlay.shape[:2]
        for rank, _, weight, (cy, cx) in centres:
            color = _html.IMAGE_POSITIVE if weight > 0 else _html.IMAGE_NEGATIVE
            ax.annotate(
                str(rank),
                (cx * w, cy * h),
                ha="center",
                va="center",
                color="white",
                fontsize=8,
                fontweight="bold",
                bbox={"boxstyle": "circle,pad=0.25", "fc": color, "ec": "white", "lw": 1},
            )
        ax.set_axis_off()
        name = self._label_name(label, class_names)
        ax.set_title(f"Local explanation for {name}")
        handles = [
            Patch(color=_html.IMAGE_POSITIVE, label=f"for {name}"),
            Patch(color=_html.IMAGE_NEGATIVE, label="against"),
        ]
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=2,
            frameon=False,
            fontsize=8,
        )
        return fig


def _randint(state, high):
    """``state.randint(0, high)`` for a RandomState or a Generator."""
    if isinstance(state, np.random.Generator):
        return int(state.integers(0, high))
    return state.randint(0, high=high)


def _check_image(image):
    """The image as an array of 3 dimensions (grayscale -> RGB, as lime's gray2rgb)."""
    if not isinstance(image, np.ndarray):
        image = np.asarray(image)
    if image.dtype.kind not in "biuf":
        raise TypeError(
            f"image: expected an array of numbers (integers, floats or booleans), "
            f"got dtype {image.dtype}"
        )
    if image.ndim not in (2, 3):
        raise ValueError(
            f"image: expected a 2-D (grayscale) or 3-D (height, width, channels) array, "
            f"got an array of shape {image.shape}"
        )
    if image.size == 0:
        raise ValueError(f"image: must not be empty, got an array of shape {image.shape}")
    if image.dtype.kind == "f" and not np.isfinite(image).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(image))[0])
        raise ValueError(f"image: contains NaN or infinity (first at index {bad})")
    if image.ndim == 2:
        image = np.stack((image,) * 3, axis=-1)
    return image


def _segment_features(segments, shape):
    """Checks a segmentation and numbers its segments.

    Returns ``(ids, pixel_feature)``: the sorted segment labels (feature ``j``
    is segment ``ids[j]``) and the feature of every pixel, row-major. With
    labels ``0..n-1`` (what scikit-image's segmentations give) feature ``j``
    is segment ``j``, as in lime.
    """
    segments = np.asarray(segments)
    if segments.shape != tuple(shape):
        raise ValueError(
            f"segmentation_fn: returned segments of shape {segments.shape}, expected one "
            f"label per pixel, shape {tuple(shape)}"
        )
    flat = segments.ravel()
    if flat.dtype.kind == "b":
        flat = flat.astype(np.int64)
    elif flat.dtype.kind == "f":
        if not (np.isfinite(flat).all() and np.array_equal(flat, np.round(flat))):
            raise ValueError("segmentation_fn: returned non-integer segment labels")
        flat = flat.astype(np.int64)
    elif flat.dtype.kind not in "iu":
        raise TypeError(
            f"segmentation_fn: expected integer segment labels, got dtype {segments.dtype}"
        )
    lo, hi = int(flat.min()), int(flat.max())
    if lo >= 0 and hi < 4 * flat.size + 1024:
        flat = flat.astype(np.int64, copy=False)
        counts = np.bincount(flat)
        present = counts > 0
        if present.all():
            ids = np.arange(len(counts), dtype=np.int64)
            pixel_feature = flat
        else:
            ids = np.flatnonzero(present).astype(np.int64)
            pixel_feature = (np.cumsum(present) - 1)[flat].astype(np.int64)
    else:
        ids, pixel_feature = np.unique(flat, return_inverse=True)
        ids = ids.astype(np.int64)
        pixel_feature = pixel_feature.astype(np.int64).ravel()
    if len(ids) < 2:
        raise ValueError(
            "segmentation_fn: returned a single segment; an explanation needs at least two "
            "superpixels to switch on and off (try a segmentation with smaller segments)"
        )
    return ids, np.ascontiguousarray(pixel_feature)


def _fudged_image(image, pixel_feature, n_features, hide_color):
    """What hidden superpixels show: each segment's mean colour (hide_color None,
    cast to the image's dtype as lime's assignment does) or ``hide_color``."""
    fudged = np.empty(image.shape, dtype=image.dtype)  # C order: reshape below is a view
    if hide_color is None:
        channels = image.shape[-1]
        flat = image.reshape(-1, channels)
        counts = np.bincount(pixel_feature, minlength=n_features)
        means = np.empty((n_features, channels))
        for k in range(channels):
            sums = np.bincount(pixel_feature, weights=flat[:, k], minlength=n_features)
            means[:, k] = sums / counts
        fudged.reshape(-1, channels)[...] = means[pixel_feature]
    else:
        try:
            fudged[:] = hide_color
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValueError(
                f"hide_color: cannot fill an image of shape {image.shape} and dtype "
                f"{image.dtype} with {hide_color!r}: {exc}"
            ) from None
    return fudged


def _as_bytes(image):
    """A (pixels, channels * itemsize) uint8 view of a C-contiguous image."""
    h, w, c = image.shape
    return image.reshape(h * w, c).view(np.uint8)


def _check_predictions(preds, n_rows, n_labels):
    try:
        preds = np.asarray(preds, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"classifier_fn: expected an array of prediction probabilities, got "
            f"{type(preds).__name__}: {exc}"
        ) from None
    if preds.ndim != 2:
        raise ValueError(
            f"classifier_fn: expected a 2-D array (one row of class probabilities per image), "
            f"got an array of shape {preds.shape}"
        )
    if preds.shape[0] != n_rows:
        raise ValueError(
            f"classifier_fn: returned {preds.shape[0]} rows for a batch of {n_rows} images; "
            f"expected one row per image"
        )
    if n_labels is not None and preds.shape[1] != n_labels:
        raise ValueError(
            f"classifier_fn: returned {preds.shape[1]} columns, but {n_labels} for an earlier batch"
        )
    if not np.isfinite(preds).all():
        raise ValueError("classifier_fn: returned NaN or infinity")
    return preds


class LimeImageExplainer:
    """Explains predictions on Image (i.e. matrix) data.
    The image is split into superpixels; each perturbed sample hides a random
    subset of them (filled with ``hide_color`` or each superpixel's mean
    colour), and a weighted linear model of the classifier's outputs on the
    superpixels' presence is the explanation."""

    def __init__(
        self,
        kernel_width=0.25,
        kernel=None,
        verbose=False,
        feature_selection="auto",
        random_state=None,
    ):
        """Init function.

        Args:
            kernel_width: kernel width for the exponential kernel.
            If None, defaults to sqrt(number of columns) * 0.75.
            kernel: similarity kernel that takes euclidean distances and kernel
                width as input and outputs weights in (0,1). If None, defaults to
                an exponential kernel.
            verbose: if true, print local prediction values from linear model
            feature_selection: feature selection method. can be
                'forward_selection', 'lasso_path', 'none' or 'auto'.
                See function 'explain_instance_with_data' in lime_base.py for
                details on what each of the options does.
            random_state: an integer, numpy.RandomState or numpy.Generator that
                will be used to generate random numbers. If None, the random
                state will be initialized using the internal numpy seed.
        """
        kernel_width = float(kernel_width)
        native_kernel = kernel is None
        if kernel is None:
            kernel = _exponential_kernel
        kernel_fn = partial(kernel, kernel_width=kernel_width)
        # The default kernel is computed in Rust, as long as base.kernel_fn is it.
        self._kernel_width = kernel_width
        self._native_kernel_fn = kernel_fn if native_kernel else None

        self.random_state = check_random_state(random_state)
        self.feature_selection = feature_selection
        self.base = lime_base.LimeBase(kernel_fn, verbose, random_state=self.random_state)

    def explain_instance(
        self,
        image,
        classifier_fn,
        labels=(1,),
        hide_color=None,
        top_labels=5,
        num_features=100000,
        num_samples=1000,
        batch_size=10,
        segmentation_fn=None,
        distance_metric="cosine",
        model_regressor=None,
        random_seed=None,
        progress_bar=True,
    ):
        """Generates explanations for a prediction.

        First, we generate neighborhood data by randomly perturbing features
        from the instance (see __data_inverse). We then learn locally weighted
        linear models on this neighborhood data to explain each of the classes
        in an interpretable way (see lime_base.py).

        Args:
            image: 3 dimension RGB image. If this is only two dimensional,
                we will assume it's a grayscale image and call gray2rgb.
            classifier_fn: classifier prediction probability function, which
                takes a numpy array and outputs prediction probabilities.  For
                ScikitClassifiers , this is classifier.predict_proba.
            labels: iterable with labels to be explained.
            hide_color: If not None, will hide superpixels with this color.
                Otherwise, use the mean pixel color of the image.
            top_labels: if not None, ignore labels and produce explanations for
                the K labels with highest prediction probabilities, where K is
                this parameter.
            num_features: maximum number of features present in explanation
            num_samples: size of the neighborhood to learn the linear model
            batch_size: batch size for model predictions
            distance_metric: the distance metric to use for weights.
            model_regressor: sklearn regressor to use in explanation. Defaults
            to Ridge regression in LimeBase. Must have model_regressor.coef_
            and 'sample_weight' as a parameter to model_regressor.fit()
            segmentation_fn: SegmentationAlgorithm, wrapped skimage
            segmentation function
            random_seed: integer used as random seed for the segmentation
                algorithm. If None, a random integer, between 0 and 1000,
                will be generated using the internal random number generator.
            progress_bar: if True, show tqdm progress bar.

        Returns:
            An ImageExplanation object (see lime_image.py) with the corresponding
            explanations.
        """
        image = _check_image(image)
        if not callable(classifier_fn):
            raise TypeError(
                f"classifier_fn: expected a callable taking a batch of images, got "
                f"{type(classifier_fn).__name__}"
            )
        num_samples = check_int(num_samples, "num_samples", minimum=1)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        num_features = check_int(num_features, "num_features", minimum=1)
        check_feature_selection(self.feature_selection)
        if top_labels:
            top_labels = check_int(top_labels, "top_labels", minimum=1)
        if random_seed is None:
            random_seed = _randint(self.random_state, 1000)

        if segmentation_fn is None:
            segmentation_fn = SegmentationAlgorithm(
                "quickshift_rs",
                kernel_size=4,
                max_dist=200,
                ratio=0.2,
                random_seed=random_seed,
            )
        segments = segmentation_fn(image)
        ids, pixel_feature = _segment_features(segments, image.shape[:2])
        fudged_image = _fudged_image(image, pixel_feature, len(ids), hide_color)

        top = labels
        data, labels = self._neighbourhood(
            image, fudged_image, pixel_feature, len(ids), classifier_fn, num_samples,
            batch_size, progress_bar,
        )  # fmt: skip

        ret_exp = ImageExplanation(image, segments)
        n_labels = labels.shape[1]
        if top_labels:
            top = np.argsort(labels[0])[-top_labels:]
            ret_exp.top_labels = list(top)
            ret_exp.top_labels.reverse()
        else:
            top = list(top)
            for label in top:
                if (
                    isinstance(label, bool)
                    or not isinstance(label, numbers.Integral)
                    or not -n_labels <= label < n_labels
                ):
                    raise ValueError(
                        f"labels: {label!r} is not a label index of the classifier's "
                        f"{n_labels} outputs (expected integers 0..{n_labels - 1})"
                    )

        if distance_metric in ("cosine", "euclidean", "l2"):
            distances = _native.distances(data, np.ascontiguousarray(data[0]), distance_metric)
        else:
            from sklearn.metrics import pairwise_distances

            distances = pairwise_distances(
                data, data[0].reshape(1, -1), metric=distance_metric
            ).ravel()

        if model_regressor is not None:
            for label in top:
                (
                    ret_exp.intercept[label],
                    local_exp,
                    ret_exp.score[label],
                    ret_exp.local_pred[label],
                ) = self.base.explain_instance_with_data(
                    data,
                    labels,
                    distances,
                    label,
                    num_features,
                    model_regressor=model_regressor,
                    feature_selection=self.feature_selection,
                )
                ret_exp.local_exp[label] = [(ids[f], w) for f, w in local_exp]
            return self._record(
                ret_exp, num_samples, num_features, distance_metric, model_regressor, random_seed
            )

        if self.base.kernel_fn is self._native_kernel_fn:
            weights = _native.kernel(distances, self._kernel_width)
        else:
            weights = np.ascontiguousarray(self.base.kernel_fn(distances), dtype=np.float64)
        which = [int(label) % n_labels for label in top]
        models = _native.explain_with_data(
            data, labels, weights, which, num_features, self.feature_selection,
            return_stderr=True,
        )  # fmt: skip
        for label, column, (intercept, features, coefs, score, local_pred, se) in zip(
            top, which, models
        ):
            ret_exp.intercept[label] = np.float64(intercept)
            ret_exp.local_exp[label] = list(zip(ids[features], coefs))
            ret_exp.local_exp_stderr[label] = list(zip(ids[features], se))
            ret_exp.score[label] = float(score)
            ret_exp.local_pred[label] = np.array([local_pred])
            if self.base.verbose:
                print("Intercept", ret_exp.intercept[label])
                print("Prediction_local", ret_exp.local_pred[label])
                print("Right:", labels[0, column])
        return self._record(
            ret_exp, num_samples, num_features, distance_metric, model_regressor, random_seed
        )

    def _record(self, exp, num_samples, num_features, distance_metric, regressor, random_seed):
        """Settings and seed on the explanation (lime_rs.serialization.record)."""
        from lime_rs.serialization import record

        return record(exp, self, getattr(self, "_last_seed", None), num_samples=num_samples,
                      num_features=num_features, distance_metric=distance_metric,
                      model_regressor=regressor, segmentation_seed=random_seed)  # fmt: skip

    def _neighbourhood(
        self,
        image,
        fudged_image,
        pixel_feature,
        n_features,
        classifier_fn,
        num_samples,
        batch_size,
        progress_bar,
    ):
        """Masks (float64, row 0 all ones) and the classifier's predictions on
        the perturbed images, built batch by batch into one reused buffer."""
        image = np.ascontiguousarray(image)
        fudged_image = np.ascontiguousarray(fudged_image)
        self._last_seed = draw_seed(self.random_state)  # recorded on the explanation
        data = _native.image_masks(self._last_seed, num_samples, n_features)
        perturber = _native.ImagePerturber(
            _as_bytes(image), _as_bytes(fudged_image), pixel_feature, n_features
        )
        h, w, c = image.shape
        bar = None
        if progress_bar:
            from tqdm.auto import tqdm

            bar = tqdm(total=num_samples)
        labels = None
        batch = None
        alone = 0
        try:
            for start in range(0, num_samples, batch_size):
                stop = min(start + batch_size, num_samples)
                rows = stop - start
                # Reuse the buffer unless the classifier kept a reference or view of it.
                if batch is None or len(batch) != rows or _references(batch) > alone:
                    batch = np.empty((rows, h, w, c), dtype=image.dtype)
                    alone = _references(batch)
                perturber.fill(data[start:stop], batch.reshape(rows, h * w, c).view(np.uint8))
                preds = _check_predictions(
                    classifier_fn(batch), rows, None if labels is None else labels.shape[1]
                )
                if labels is None:
                    labels = np.empty((num_samples, preds.shape[1]))
                labels[start:stop] = preds
                if bar is not None:
                    bar.update(rows)
        finally:
            if bar is not None:
                bar.close()
        return data, labels

    def data_labels(
        self,
        image,
        fudged_image,
        segments,
        classifier_fn,
        num_samples,
        batch_size=10,
        progress_bar=True,
    ):
        """Generates images and predictions in the neighborhood of this image.

        Args:
            image: 3d numpy array, the image
            fudged_image: 3d numpy array, image to replace original image when
                superpixel is turned off
            segments: segmentation of the image
            classifier_fn: function that takes a list of images and returns a
                matrix of prediction probabilities
            num_samples: size of the neighborhood to learn the linear model
            batch_size: classifier_fn will be called on batches of this size.
            progress_bar: if True, show tqdm progress bar.

        Returns:
            A tuple (data, labels), where:
                data: dense num_samples * num_superpixels
                labels: prediction probabilities matrix
        """
        image = np.asarray(image)
        if image.ndim != 3:
            raise ValueError(
                f"image: expected a 3-D (height, width, channels) array, got shape {image.shape}"
            )
        fudged_image = np.asarray(fudged_image, dtype=image.dtype)
        if fudged_image.shape != image.shape:
            raise ValueError(
                f"fudged_image: shape {fudged_image.shape} differs from the image's {image.shape}"
            )
        num_samples = check_int(num_samples, "num_samples", minimum=1)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        ids, pixel_feature = _segment_features(segments, image.shape[:2])
        data, labels = self._neighbourhood(
            image, fudged_image, pixel_feature, len(ids), classifier_fn, num_samples,
            batch_size, progress_bar,
        )  # fmt: skip
        return data.astype(np.int64), labels


def _references(obj):
    """How many references ``obj`` has (infinite where CPython's count is not
    available, so that buffers are never reused there)."""
    getrefcount = getattr(sys, "getrefcount", None)
    return getrefcount(obj) if getrefcount is not None else float("inf")
