"""Functions for explaining classifiers that use Image data (drop-in for
``lime.lime_image``, its latest source: ``score`` and ``local_pred`` keyed by
label, ``progress_bar``; plus ``explain_instances`` for many images).

``explain_instance`` is the batch of one: draw the seeds, check and segment
(``_prepare``; quick shift in Rust by default), write the perturbed images in Rust
into one reused buffer and predict (``_predict``), fit every label in Rust. By
design, unlike lime: the masks come from lime_rs's random streams; segment labels
need not be ``0..n-1`` (``local_exp`` reports the labels themselves); bad input
raises a ValueError/TypeError naming the argument.
"""

from __future__ import annotations

import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sized
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np

from lime_rs import _adaptive, _enumerate, _native, _pipeline, lime_base
from lime_rs._random import check_random_state, draw_seed, rewound_on_error
from lime_rs._validation import (
    check_feature_selection,
    check_int,
    check_kernel_width,
    check_memory,
    check_model_output,
    threads_from_env,
)
from lime_rs.explanation import LabelScores, LocalPredictions
from lime_rs.wrappers.scikit_image import check_image_values, quickshift_rs


class ImageExplanation:
    def __init__(self, image: np.ndarray, segments: np.ndarray) -> None:
        """``image`` (3-D) and its ``segments`` (2-D, one label per pixel)."""
        self.image = image
        self.segments = segments
        self.intercept: dict = {}
        self.local_exp: dict = {}
        self.local_exp_stderr: dict = {}
        # per label (lime's master), and the last label's value for 0.2.0.1 code
        self.local_pred = LocalPredictions()
        self.score = LabelScores()
        #: what the sampling did (num_samples="auto", deduplicate): see _enumerate
        self.sampling: dict | None = None

    def get_image_and_mask(
        self,
        label: int,
        positive_only: bool = True,
        negative_only: bool = False,
        hide_rest: bool = False,
        num_features: int = 5,
        min_weight: float = 0.0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(image, mask) showing the ``num_features`` superpixels that explain
        ``label`` most (only those for it with ``positive_only``, only those
        against it with ``negative_only``, both otherwise, marked 1 / -1), with
        weights above ``min_weight``; ``hide_rest`` greys out the rest. The
        mask suits skimage.segmentation.mark_boundaries."""
        if label not in self.local_exp:
            raise KeyError("Label not in explanation")
        if positive_only & negative_only:
            raise ValueError("Positive_only and negative_only cannot be true at the same time.")
        segments, image, exp = self.segments, self.image, self.local_exp[label]
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
        if image.ndim != 3 or image.shape[-1] < 2:
            raise ValueError(
                f"get_image_and_mask: marking both signs colours channels 0 and 1, but the image "
                f"has shape {image.shape}; explain an RGB image, or pass positive_only=True or "
                f"negative_only=True"
            )
        brightest = np.max(image)
        for f, w in exp[:num_features]:
            if np.abs(w) < min_weight:
                continue
            region = segments == f
            mask[region] = -1 if w < 0 else 1
            temp[region] = image[region]
            temp[region, 0 if w < 0 else 1] = brightest
        return temp, mask

    # views (lime leaves these to the user's own plotting code)

    def _view(
        self, label: int | None, class_names: Any, *select: Any
    ) -> tuple[int, str, list[tuple[Any, float]]]:
        """The label a view shows (default: the most probable of top_labels), its
        name and its superpixels (``select``: _html.select_superpixels' options)."""
        from lime_rs import _html

        if label is None:
            top = getattr(self, "top_labels", None)
            label = top[0] if top else next(iter(self.local_exp), None)
        if label not in self.local_exp:
            available = sorted(int(k) for k in self.local_exp)
            raise KeyError(
                f"label {label!r} was not explained; explained labels are {available} "
                "(pass labels=... or top_labels=... to explain_instance)"
            )
        try:
            name = f"class {label}" if class_names is None else str(class_names[label])
        except (IndexError, KeyError, TypeError):
            name = f"class {label}"
        return label, name, _html.select_superpixels(self.local_exp[label], *select)  # type: ignore[return-value]

    def as_html(
        self,
        label: int | None = None,
        num_features: int = 5,
        positive_only: bool = False,
        negative_only: bool = False,
        min_weight: float = 0.0,
        class_names: Any = None,
        show_original: bool = True,
        dark_mode: bool = False,
    ) -> str:
        """The explanation of ``label`` (default: the most probable of top_labels)
        as self-contained HTML (embedded PNGs, no JavaScript): the image, the image
        with its ``num_features`` most important superpixels (chosen as
        get_image_and_mask does; by default both signs) outlined, green for the
        label and red against, numbered, and their weights chart; ``class_names``
        name the outputs, ``show_original=False`` leaves out the plain image,
        ``dark_mode`` makes the text white."""
        from lime_rs import _html

        label, name, chosen = self._view(
            label, class_names, num_features, positive_only, negative_only, min_weight
        )
        caption = _html._caption(self, [label])
        body = _html.image_panels(self.image, self.segments, chosen, name, caption, show_original)
        return _html.root([body, _html.sampling_panel(self)], dark_mode)

    def save_to_file(self, file_path: str, **kwargs: Any) -> None:
        """Saves the HTML view (see as_html for the options) as a page."""
        from lime_rs import _html

        page = _html.page(self.as_html(**kwargs), dark_mode=kwargs.get("dark_mode", False))
        with open(file_path, "w", encoding="utf8") as file_:
            file_.write(page)

    def show_in_notebook(self, **kwargs: Any) -> None:
        """Shows the HTML view in a notebook (see as_html for the options)."""
        from IPython.display import HTML, display

        display(HTML(self.as_html(**kwargs)))

    def _repr_html_(self) -> str:
        return self.as_html()

    def as_pyplot_figure(
        self,
        label: int | None = None,
        num_features: int = 5,
        positive_only: bool = False,
        negative_only: bool = False,
        min_weight: float = 0.0,
        class_names: Any = None,
        figsize: tuple[float, float] = (4, 4),
    ) -> Any:
        """The image with the explaining superpixels outlined (green: for the
        label, red: against it) and numbered by importance, as a pyplot figure.
        Options as in as_html; ``figsize``: the figure's size in inches."""
        import matplotlib.pyplot as plt
        from matplotlib.patches import Patch

        from lime_rs import _html

        label, name, chosen = self._view(
            label, class_names, num_features, positive_only, negative_only, min_weight
        )
        _, overlay, centres = _html.image_overlay(self.image, self.segments, chosen, target=480)
        fig = plt.figure(figsize=figsize)
        ax = fig.add_subplot(1, 1, 1)
        ax.imshow(overlay)
        h, w = overlay.shape[:2]
        badge: dict[str, Any] = {"ha": "center", "va": "center", "color": "white", "fontsize": 8}
        for rank, _, weight, (cy, cx) in centres:
            color = _html.IMAGE_POSITIVE if weight > 0 else _html.IMAGE_NEGATIVE
            bbox = {"boxstyle": "circle,pad=0.25", "fc": color, "ec": "white", "lw": 1}
            ax.annotate(str(rank), (cx * w, cy * h), fontweight="bold", bbox=bbox, **badge)
        ax.set_axis_off()
        ax.set_title(f"Local explanation for {name}")
        handles = [
            Patch(color=_html.IMAGE_POSITIVE, label=f"for {name}"),
            Patch(color=_html.IMAGE_NEGATIVE, label="against"),
        ]
        below: dict[str, Any] = {"loc": "upper center", "bbox_to_anchor": (0.5, 0.0), "ncol": 2}
        ax.legend(handles=handles, frameon=False, fontsize=8, **below)
        return fig


def _check_image(image: Any) -> np.ndarray:
    """The image as a C-contiguous 3-D array (grayscale -> RGB, as lime's gray2rgb)."""
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(
            f"image: expected a 2-D (grayscale) or 3-D (height, width, channels) array, "
            f"got an array of shape {image.shape}"
        )
    check_image_values(image)
    return np.ascontiguousarray(np.stack((image,) * 3, axis=-1) if image.ndim == 2 else image)


def _segment_features(segments: Any, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Checks a segmentation and numbers its segments: ``(ids, pixel_feature)``,
    the sorted segment labels (feature ``j`` is segment ``ids[j]``; ``j`` itself
    for labels ``0..n-1``, as in lime) and each pixel's feature, row-major."""
    segments = np.asarray(segments)
    if segments.shape != tuple(shape):
        raise ValueError(
            f"segmentation_fn: returned segments of shape {segments.shape}, expected one "
            f"label per pixel, shape {tuple(shape)}"
        )
    flat = segments.ravel()
    if flat.dtype.kind == "f" and not (
        np.isfinite(flat).all() and np.array_equal(flat, np.round(flat))
    ):
        raise ValueError("segmentation_fn: returned non-integer segment labels")
    if flat.dtype.kind not in "biuf":
        raise TypeError(
            f"segmentation_fn: expected integer segment labels, got dtype {segments.dtype}"
        )
    if flat.dtype.kind in "bf":
        flat = flat.astype(np.int64)
    lo, hi = int(flat.min()), int(flat.max())
    if lo >= 0 and hi < 4 * flat.size + 1024:  # small labels: count them
        flat = flat.astype(np.int64, copy=False)
        present = np.bincount(flat) > 0
        ids = np.flatnonzero(present)
        pixel_feature = flat if present.all() else (np.cumsum(present) - 1)[flat]
    else:
        ids, pixel_feature = np.unique(flat, return_inverse=True)
    if len(ids) < 2:
        raise ValueError(
            "segmentation_fn: returned a single segment; an explanation needs at least two "
            "superpixels to switch on and off (try a segmentation with smaller segments)"
        )
    return ids.astype(np.int64), np.ascontiguousarray(pixel_feature.ravel(), dtype=np.int64)


def _fudged_image(
    image: np.ndarray, pixel_feature: np.ndarray, n_features: int, hide_color: Any
) -> np.ndarray:
    """What hidden superpixels show: each segment's mean colour (hide_color None,
    cast to the image's dtype as lime's assignment does) or ``hide_color``."""
    fudged = np.empty(image.shape, dtype=image.dtype)  # C order: reshape below is a view
    if hide_color is None:
        flat = image.reshape(-1, image.shape[-1])
        counts = np.bincount(pixel_feature, minlength=n_features)
        means = [
            np.bincount(pixel_feature, weights=flat[:, k], minlength=n_features) / counts
            for k in range(flat.shape[1])
        ]
        fudged.reshape(flat.shape)[...] = np.stack(means, axis=1)[pixel_feature]
        return fudged
    colour = np.asarray(hide_color)
    if colour.dtype.kind == "c" or (colour.dtype.kind == "f" and not np.isfinite(colour).all()):
        raise ValueError(
            f"hide_color: must be a real, finite colour (or None for each superpixel's mean "
            f"colour), got {hide_color!r:.80}"
        )
    try:
        fudged[:] = hide_color
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(
            f"hide_color: cannot fill an image of shape {image.shape} and dtype "
            f"{image.dtype} with {hide_color!r}: {exc}"
        ) from None
    return fudged


def _as_bytes(image: np.ndarray) -> np.ndarray:
    """A (pixels, channels * itemsize) uint8 view of a C-contiguous image."""
    h, w, c = image.shape
    return image.reshape(h * w, c).view(np.uint8)


def _references(obj: object) -> float:
    """``obj``'s reference count (infinite without CPython's: buffers never reused)."""
    getrefcount = getattr(sys, "getrefcount", None)
    return getrefcount(obj) if getrefcount is not None else float("inf")


@dataclass
class _Seeds:
    """An explanation's draws from the explainer's random state, in lime's order."""

    segmentation: int
    masks: int


@dataclass
class _Instance:
    """One image on its way through the pipeline: segmented (``_prepare``), then
    perturbed and predicted (``_predict`` fills ``masks`` and ``yss``)."""

    image: np.ndarray
    segments: np.ndarray
    ids: np.ndarray
    pixel_feature: np.ndarray
    fudged: np.ndarray
    seeds: _Seeds
    masks: np.ndarray | None = None
    yss: np.ndarray | None = None
    # the masks the classifier sees (the distinct ones with deduplicate) and,
    # per row of masks, its row among them (None: queries are the masks)
    queries: np.ndarray | None = None
    inverse: np.ndarray | None = None


@dataclass(kw_only=True)
class _Options(_enumerate.Options):
    """The explain call's options (checked)."""

    batch_size: int
    progress_bar: bool


def _mask_distances(masks: np.ndarray, metric: str) -> np.ndarray:
    """Each mask's distance to the original (all superpixels on)."""
    ones = np.ones(masks.shape[1])
    if metric in ("cosine", "euclidean", "l2"):
        return _native.distances(masks, ones, metric)
    from sklearn.metrics import pairwise_distances

    return pairwise_distances(masks, ones[None, :], metric=metric).ravel()


def _prepare(
    image: Any, seeds: _Seeds, segmentation_fn: Callable | None, hide_color: Any
) -> _Instance:
    """Checks and segments one image (thread-safe: runs in a worker thread)."""
    image = _check_image(image)
    if segmentation_fn is None:
        segmentation_fn = partial(
            quickshift_rs, kernel_size=4, max_dist=200, ratio=0.2, random_seed=seeds.segmentation
        )
    segments = segmentation_fn(image)
    ids, pixel_feature = _segment_features(segments, image.shape[:2])
    fudged = _fudged_image(image, pixel_feature, len(ids), hide_color)
    return _Instance(image, segments, ids, pixel_feature, fudged, seeds)


def _num_threads() -> int:
    return threads_from_env() or os.cpu_count() or 1


def _ahead(
    fn: Callable[..., _Instance], jobs: Iterator[tuple], threads: int
) -> Iterator[_Instance]:
    """``fn(*job)`` for each job, in order, computed up to ``threads`` jobs ahead
    in worker threads (so few images are held segmented at once)."""
    if threads <= 1:
        yield from (fn(*job) for job in jobs)
        return
    with ThreadPoolExecutor(threads) as pool:
        futures: deque = deque()
        try:
            for job in jobs:
                futures.append(pool.submit(fn, *job))
                if len(futures) > threads:
                    yield futures.popleft().result()
            while futures:
                yield futures.popleft().result()
        finally:
            for f in futures:
                f.cancel()


def _predict(
    instances: Iterable[_Instance], classifier_fn: Callable, opts: _Options, total: int | None
) -> Iterator[_Instance]:
    """Each instance with its masks (float64, row 0 all ones; kept if it has them)
    and predictions, in order, once all its rows are predicted (each distinct mask
    once with ``opts.deduplicate``). Perturbed images are written in Rust into one
    reused buffer of ``batch_size`` images, a chunk running on into the next image
    of the same shape and dtype."""
    size = min(opts.batch_size, total or opts.batch_size)
    n_labels: int | None = None
    batch: np.ndarray | None = None
    alone = 0.0
    parts: list[tuple[_Instance, int, int]] = []  # rows of the chunk: (instance, start, stop)
    rows = 0

    def flush() -> Iterator[_Instance]:
        nonlocal n_labels, rows
        assert batch is not None
        chunk = batch if rows == len(batch) else batch[:rows]
        preds = check_model_output(
            classifier_fn(chunk), rows, "classifier_fn", unit="images", columns=n_labels
        )
        del chunk
        n_labels = preds.shape[1]
        at = 0
        for inst, start, stop in parts:
            if inst.yss is None:
                inst.yss = np.empty((len(inst.queries), n_labels))  # type: ignore[arg-type]
            inst.yss[start:stop] = preds[at : at + stop - start]
            at += stop - start
        if bar is not None:
            bar.update(rows)
        done = [inst for inst, _, stop in parts if stop == len(inst.queries)]  # type: ignore[arg-type]
        parts.clear()
        rows = 0
        for inst in done:
            if inst.inverse is not None:
                inst.yss = inst.yss[inst.inverse]  # type: ignore[index]
                if bar is not None:  # the bar counts samples; repeats were not sent
                    bar.update(len(inst.inverse) - len(inst.queries))  # type: ignore[arg-type]
                inst.inverse = None
        yield from done

    with _enumerate.progress(opts.progress_bar, total=total) as bar:
        for inst in instances:
            image = inst.image
            h, w, c = image.shape
            if inst.masks is None:
                check_memory(opts.num_samples, 8 * len(inst.ids))  # the masks
                inst.masks = _native.image_masks(inst.seeds.masks, opts.num_samples, len(inst.ids))
                if opts.deduplicate:
                    keep, inst.inverse = _enumerate.unique_rows(inst.masks)
                    inst.queries = np.ascontiguousarray(inst.masks[keep])
            if inst.queries is None:
                inst.queries = inst.masks
            perturber = _native.ImagePerturber(
                _as_bytes(image), _as_bytes(inst.fudged), inst.pixel_feature, len(inst.ids)
            )
            start, n = 0, len(inst.queries)
            while start < n:
                same = batch is not None and batch.shape[1:] == image.shape
                same = same and batch.dtype == image.dtype  # type: ignore[union-attr]
                if rows and not same:
                    yield from flush()
                # Reuse the buffer unless the classifier kept a reference or view of it.
                if not same or (rows == 0 and _references(batch) > alone):
                    batch = np.empty((size, h, w, c), dtype=image.dtype)
                    alone = _references(batch)
                stop = min(n, start + size - rows)
                out = batch[rows : rows + stop - start].reshape(stop - start, h * w, c)  # type: ignore[index]
                perturber.fill(inst.queries[start:stop], out.view(np.uint8))
                del out
                parts.append((inst, start, stop))
                rows += stop - start
                start = stop
                if rows == size:
                    yield from flush()
        if rows:
            yield from flush()


class LimeImageExplainer:
    """Explains predictions on Image (i.e. matrix) data: the image is split into
    superpixels; each perturbed sample hides a random subset of them (filled with
    ``hide_color`` or each superpixel's mean colour), and a weighted linear model
    of the classifier's outputs on the superpixels' presence is the explanation."""

    def __init__(
        self,
        kernel_width: float = 0.25,
        kernel: Callable[..., Any] | None = None,
        verbose: bool = False,
        feature_selection: str = "auto",
        random_state: Any = None,
    ) -> None:
        """Init function.

        Args:
            kernel_width: kernel width for the exponential kernel.
            kernel: ``kernel(d, kernel_width)``, distances -> weights; None: exponential (Rust).
            verbose: if true, print local prediction values from linear model
            feature_selection: 'forward_selection', 'lasso_path', 'none' or 'auto'.
            random_state: an int, numpy.RandomState or numpy.Generator; None: numpy's global one.
        """
        kernel_fn = partial(
            kernel or _pipeline.exponential_kernel, kernel_width=check_kernel_width(kernel_width)
        )
        self.random_state = check_random_state(random_state)
        self.feature_selection = feature_selection
        self.base = lime_base.LimeBase(kernel_fn, verbose, random_state=self.random_state)

    def explain_instance(
        self,
        image: np.ndarray,
        classifier_fn: Callable[[np.ndarray], Any],
        labels: Iterable[int] = (1,),
        hide_color: Any = None,
        top_labels: int | None = 5,
        num_features: int = 100000,
        num_samples: int | str = 1000,
        batch_size: int = 10,
        segmentation_fn: Callable[[np.ndarray], Any] | None = None,
        distance_metric: str = "cosine",
        model_regressor: Any = None,
        random_seed: int | None = None,
        progress_bar: bool = True,
        *,
        deduplicate: bool = True,
        max_samples: int = _adaptive.DEFAULT_MAX_SAMPLES,
        confidence: float = _adaptive.DEFAULT_CONFIDENCE,
    ) -> ImageExplanation:
        """Generates explanations for a prediction (lime's arguments).

        Args:
            image: 3-D RGB image (2-D: grayscale, converted as gray2rgb).
            classifier_fn: takes a batch of images, returns class probabilities.
            labels: labels to explain (when top_labels is None).
            hide_color: colour of hidden superpixels; None: their mean colour.
            top_labels: explain the K most probable labels instead.
            num_features: maximum number of superpixels in the explanation.
            num_samples: size of the neighbourhood, or "auto" (lime_rs addition: rounds until
                certified, ``lime_rs._adaptive``; exact for <= log2(max_samples) superpixels).
            batch_size: classifier_fn gets batches of this size.
            segmentation_fn: default: quick shift in Rust (kernel_size=4, max_dist=200, ratio=0.2).
            distance_metric: distance of the masks to the original's.
            model_regressor: sklearn regressor (sample_weight, ``coef_``); default: ridge in Rust.
            random_seed: the segmentation's seed; None: drawn from random_state.
            progress_bar: show a tqdm bar (not with ``num_samples="auto"``).
            deduplicate: lime_rs addition: the classifier sees each distinct perturbed
                image once, its answer reused for the repeats (False for a stochastic one).
            max_samples: with ``num_samples="auto"``, the most images drawn (default 5000).
            confidence: with ``num_samples="auto"``, the certificate's confidence (default 0.95).

        Returns:
            An ImageExplanation; ``exp.sampling`` says how it was sampled.
        """
        # explain_instances takes every other argument, under the same name
        options = {k: v for k, v in locals().items() if k not in ("self", "image")}
        return self.explain_instances([image], **options)[0]

    def explain_instances(
        self,
        images: Iterable[np.ndarray],
        classifier_fn: Callable[[np.ndarray], Any],
        *,
        labels: Iterable[int] = (1,),
        hide_color: Any = None,
        top_labels: int | None = 5,
        num_features: int = 100000,
        num_samples: int | str = 1000,
        batch_size: int = 10,
        segmentation_fn: Callable[[np.ndarray], Any] | None = None,
        distance_metric: str = "cosine",
        model_regressor: Any = None,
        random_seed: int | None = None,
        progress_bar: bool = True,
        deduplicate: bool = True,
        max_samples: int = _adaptive.DEFAULT_MAX_SAMPLES,
        confidence: float = _adaptive.DEFAULT_CONFIDENCE,
    ) -> list[ImageExplanation]:
        """One ImageExplanation per image of ``images`` (a list, a 4-D array, any
        iterable), equal to ``explain_instance`` on each in turn (lime_rs addition).
        ``batch_size`` chunks run across images of one shape and dtype;
        segmentations run a few images ahead in ``LIME_RS_NUM_THREADS`` threads
        (``segmentation_fn`` must be thread-safe). With ``num_samples="auto"`` each
        round is one pass of chunks over the new masks of every uncertified image."""
        if not callable(classifier_fn):
            raise TypeError(
                f"classifier_fn: expected a callable taking a batch of images, got "
                f"{type(classifier_fn).__name__}"
            )
        check_feature_selection(self.feature_selection)
        opts = _Options.checked(
            labels,
            top_labels,
            num_features,
            num_samples,
            distance_metric,
            model_regressor,
            deduplicate,
            self.feature_selection,
            confidence,
            max_samples,
            min_samples=1,
            batch_size=check_int(batch_size, "batch_size", minimum=1),
            progress_bar=progress_bar,
        )
        if isinstance(images, np.ndarray) and images.ndim != 4:
            raise ValueError(
                f"images: expected a sequence of images or a 4-D array (images, height, width, "
                f"channels), got an array of shape {images.shape} (one image: explain_instance)"
            )
        count = len(images) if isinstance(images, Sized) else None
        # Seeds are drawn here, in the caller's thread and in image order, and
        # travel with each image: explanations never read shared state.
        jobs = (
            (image, self._draw_seeds(random_seed), segmentation_fn, hide_color) for image in images
        )
        prepared = _ahead(_prepare, jobs, 1 if count == 1 else _num_threads())
        if opts.settings is not None:
            return self._explain_auto(list(prepared), classifier_fn, opts)
        total = None if count is None else count * int(opts.num_samples)
        with rewound_on_error(self.random_state):  # a retry gives what a first try would have
            return [self._explain(i, opts) for i in _predict(prepared, classifier_fn, opts, total)]

    def _draw_seeds(self, random_seed: int | None) -> _Seeds:
        state: Any = self.random_state
        if random_seed is None:  # lime's randint(0, 1000), for a RandomState or a Generator
            generator = isinstance(state, np.random.Generator)
            random_seed = int(state.integers(0, 1000) if generator else state.randint(0, 1000))
        return _Seeds(random_seed, draw_seed(state))

    def _record(self, exp: ImageExplanation, inst: _Instance, opts: _Options) -> ImageExplanation:
        """The call's settings and seeds on ``exp`` (``serialization.record``)."""
        from lime_rs.serialization import record

        seeds = inst.seeds
        return record(
            exp, self, seeds.masks, **opts.record_options(), segmentation_seed=seeds.segmentation
        )

    def _explain(self, inst: _Instance, opts: _Options) -> ImageExplanation:
        """Labels, distances, local models and the record of one image."""
        masks, yss = inst.masks, inst.yss
        assert masks is not None and yss is not None
        exp = ImageExplanation(inst.image, inst.segments)
        hood = _pipeline.Neighbourhood(
            masks, yss, _mask_distances(masks, opts.distance_metric), feature_ids=inst.ids
        )
        evaluated = [len(inst.queries)]  # type: ignore[arg-type]
        _enumerate.fit_fixed(
            opts, [exp], [yss[0]], [hood], evaluated, self.base, self.feature_selection
        )
        return self._record(exp, inst, opts)

    def _explain_auto(
        self, instances: list[_Instance], classifier_fn: Callable, opts: _Options
    ) -> list[ImageExplanation]:
        """``num_samples="auto"``: images with few superpixels exactly, the others
        in certified rounds (``_adaptive.run_many``)."""
        quiet = replace(opts, progress_bar=False, deduplicate=False)

        def run(todo: list[tuple[int, np.ndarray]]) -> np.ndarray:
            jobs = [
                replace(instances[t], masks=m, queries=m, inverse=None, yss=None) for t, m in todo
            ]
            done = _predict(jobs, classifier_fn, quiet, sum(len(m) for _, m in todo))
            return np.concatenate([inst.yss for inst in done if inst.yss is not None], axis=0)

        def draw(d: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
            masks = _native.image_masks(seed, n, d)
            return masks, _mask_distances(masks, opts.distance_metric)

        def new_explanation(i: int, first: np.ndarray) -> ImageExplanation:
            return ImageExplanation(instances[i].image, instances[i].segments)

        items = [
            _enumerate.Item(len(inst.ids), inst.seeds.masks, partial(draw, len(inst.ids)), inst.ids)
            for inst in instances
        ]
        distances = partial(_mask_distances, metric=opts.distance_metric)
        auto = _enumerate.AutoCall(_enumerate.image_space, distances, new_explanation, run)
        exps = _enumerate.explain_auto(items, auto, opts, self.base)
        for exp, inst in zip(exps, instances):
            self._record(exp, inst, opts)
        return exps

    def data_labels(
        self,
        image: np.ndarray,
        fudged_image: np.ndarray,
        segments: np.ndarray,
        classifier_fn: Callable[[np.ndarray], Any],
        num_samples: int,
        batch_size: int = 10,
        progress_bar: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """lime's neighbourhood of ``image``: the 0/1 masks (num_samples x
        superpixels, row 0 all ones) and the classifier's predictions on the
        images they stand for (hidden superpixels show ``fudged_image``)."""
        image = np.ascontiguousarray(image)
        if image.ndim != 3:
            raise ValueError(
                f"image: expected a 3-D (height, width, channels) array, got shape {image.shape}"
            )
        fudged = np.ascontiguousarray(fudged_image, dtype=image.dtype)
        if fudged.shape != image.shape:
            raise ValueError(
                f"fudged_image: shape {fudged.shape} differs from the image's {image.shape}"
            )
        num_samples = check_int(num_samples, "num_samples", minimum=1)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        opts = _Options(
            (), None, 1, num_samples, "cosine", batch_size=batch_size, progress_bar=progress_bar
        )
        ids, pixel_feature = _segment_features(segments, image.shape[:2])
        seeds = _Seeds(0, draw_seed(self.random_state))
        inst = _Instance(image, segments, ids, pixel_feature, fudged, seeds)
        (done,) = _predict([inst], classifier_fn, opts, num_samples)
        assert done.masks is not None and done.yss is not None
        return done.masks.astype(np.int64), done.yss
