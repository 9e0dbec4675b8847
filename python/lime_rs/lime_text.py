"""Functions for explaining text classifiers (drop-in for ``lime.lime_text``).

The document is tokenised as lime does (Python's ``re.split``, or a callable);
the neighbourhood, the perturbed documents, their distances and the local
models are computed in Rust with the GIL released; only the classifier (and a
callable tokenizer) run in Python. Positions are Python string indices.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from lime_rs import _adaptive, _enumerate, _native, _pipeline, explanation, lime_base
from lime_rs._random import check_random_state, draw_seed, rewound_on_error
from lime_rs._validation import (
    check_class_names,
    check_feature_selection,
    check_int,
    check_kernel_width,
    check_memory,
    check_model_output,
)

__all__ = ["IndexedCharacters", "IndexedString", "LimeTextExplainer", "TextDomainMapper"]


def _check_str(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected a str, got {type(value).__name__} ({value!r:.80})")
    return value


def _check_text(text: object) -> None:
    if not _check_str(text, "text_instance"):
        raise ValueError("text_instance: is an empty string; there is nothing to explain")


def _check_split_expression(expr: object) -> None:
    if not (isinstance(expr, str) or callable(expr)):
        raise TypeError(
            "split_expression: expected a regular expression string or a callable returning "
            f"a list of str tokens, got {type(expr).__name__} ({expr!r:.80})"
        )


def _call_tokenizer(tokenizer: Callable[[str], Any], raw: str) -> list[str]:
    tokens = tokenizer(raw)
    if isinstance(tokens, str) or not hasattr(tokens, "__iter__"):
        raise TypeError(
            "split_expression: a callable split_expression must return a list of str "
            f"tokens, got {type(tokens).__name__} ({tokens!r:.80})"
        )
    tokens = list(tokens)
    for i, t in enumerate(tokens):
        if not isinstance(t, str):
            raise TypeError(
                f"split_expression: a callable split_expression must return a list of str "
                f"tokens, but token {i} is {type(t).__name__} ({t!r:.80})"
            )
    return tokens


def _feature_ids(words: Any, d: int) -> list[int]:
    """Non-negative feature ids (negative ones count from the end, as lime's indexing)."""
    ids = np.asarray(words)
    if ids.size == 0:
        return []
    if ids.dtype.kind not in "iu":
        raise TypeError(
            f"words_to_remove: expected integer feature ids, got {ids.dtype} values ({words!r:.80})"
        )
    ids = ids.ravel().astype(np.int64)
    bad = (ids < -d) | (ids >= d)
    if bad.any():
        raise IndexError(
            f"words_to_remove: feature id {int(ids[bad][0])} is out of range for a document "
            f"with {d} features"
        )
    return np.where(ids < 0, ids + d, ids).tolist()


class _IndexedBase:
    """lime's attributes of an indexed document plus the native index (rebuilt after unpickling)."""

    positions: Any  # lime's: a list of lists (bow) or an array of token positions
    string_start: np.ndarray

    def __init__(self, raw_string: str, bow: bool, mask_string: str | None, default_mask: str):
        self.raw = _check_str(raw_string, "raw_string")
        mask = default_mask if mask_string is None else mask_string
        self.mask_string = _check_str(mask, "mask_string")
        self.bow = bool(bow)

    def _set_index(self, index: _native.TextIndex) -> None:
        self._index = index
        self.as_list = index.tokens()
        self.as_np = np.array(self.as_list)
        self.inverse_vocab = index.words()
        flat, offsets = index.positions()
        if self.bow:
            items, cuts = flat.tolist(), offsets.tolist()
            self.positions = [items[a:b] for a, b in zip(cuts[:-1], cuts[1:])]
        else:
            self.positions = np.array(flat.tolist())

    def _native(self) -> _native.TextIndex:
        index = self.__dict__.get("_index")
        if index is None:
            index = _native.TextIndex.from_tokens(
                list(self.as_list), list(self.__dict__["_is_word"]), self.bow, self.mask_string
            )
            self._index = index
        return index

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        index = state.pop("_index", None)
        if index is not None:
            state["_is_word"] = (index.token_features() >= 0).tolist()
        return state

    def raw_string(self) -> str:
        """Returns the original raw string"""
        return self.raw

    def num_words(self) -> int:
        """Returns the number of tokens in the vocabulary for this document."""
        return len(self.inverse_vocab)

    def word(self, id_: int) -> str:
        """Returns the word that corresponds to id_ (int)"""
        return self.inverse_vocab[id_]

    def string_position(self, id_: int) -> np.ndarray:
        """Returns a np array with indices to id_ (int) occurrences"""
        if self.bow:
            return self.string_start[self.positions[id_]]
        return self.string_start[[self.positions[id_]]]

    def inverse_removing(self, words_to_remove: Iterable[int]) -> str:
        """Returns the raw string with the words of ids ``words_to_remove``
        removed (replaced by the mask string when bow is False)."""
        ids = _feature_ids(words_to_remove, self.num_words())
        return self._native().inverse_removing(ids)


class StoredIndexedString(_IndexedBase):
    """A document restored from an explanation record (not tokenized again)."""

    def __init__(
        self, raw: str, tokens: list[str], bow: bool, words: list[str], positions: list[list[int]]
    ) -> None:
        self.raw, self.bow, self.as_list, self.inverse_vocab = raw, bool(bow), tokens, words
        self.as_np = np.array(tokens)
        self._positions = positions

    def string_position(self, id_: int) -> np.ndarray:
        return np.array(self._positions[id_], dtype=np.int64)


class IndexedString(_IndexedBase):
    """String with various indexes."""

    def __init__(
        self,
        raw_string: str,
        split_expression: str | Callable[[str], list[str]] = r"\W+",
        bow: bool = True,
        mask_string: str | None = None,
    ) -> None:
        """Initializer.

        Args:
            raw_string: string with raw text in it
            split_expression: Regex string (used with re.split) or callable returning the tokens.
            bow: if True, a word is the same everywhere in the text (one id for all
                its occurrences); if False, each occurrence is its own feature.
            mask_string: replaces removed words if bow=False (None: 'UNKWORDZ').
        """
        super().__init__(raw_string, bow, mask_string, "UNKWORDZ")
        _check_split_expression(split_expression)
        if callable(split_expression):
            tokens = _call_tokenizer(split_expression, raw_string)
            index = _native.TextIndex.from_tokenizer(raw_string, tokens, self.bow, self.mask_string)
        else:
            splitter = re.compile("(" + split_expression + ")|$")  # lime's pattern and errors
            tokens = [s for s in splitter.split(raw_string) if s]
            is_word = [not splitter.match(t) for t in tokens]
            index = _native.TextIndex.from_tokens(tokens, is_word, self.bow, self.mask_string)
        self._set_index(index)
        if len(self.as_list) > 1:
            lengths = index.token_char_lengths()
            self.string_start = np.hstack(([0], np.cumsum(lengths[:-1])))
        else:
            # lime: np.hstack(([0], np.cumsum([]))), a float array
            self.string_start = np.array([0.0])

    @staticmethod
    def _segment_with_tokens(text: str, tokens: list[str]) -> list[str]:
        """Segment a string around the tokens created by a passed-in tokenizer"""
        return _native.TextIndex.from_tokenizer(
            _check_str(text, "text"), _call_tokenizer(lambda _: tokens, text), True, ""
        ).tokens()


class IndexedCharacters(_IndexedBase):
    """String with various indexes."""

    def __init__(self, raw_string: str, bow: bool = True, mask_string: str | None = None) -> None:
        """Initializer.

        Args:
            raw_string: string with raw text in it
            bow: if True, a char is the same everywhere in the text (one id for all
                its occurrences); if False, each occurrence is its own feature.
            mask_string: replaces removed characters if bow=False (None: chr(0)).
        """
        super().__init__(raw_string, bow, mask_string, chr(0))
        self._set_index(_native.TextIndex.from_chars(raw_string, self.bow, self.mask_string))
        self.string_start = np.arange(len(self.raw))


def _display_text(indexed):
    """The text to show and a map from token positions to positions in it:
    the raw string, unless a callable tokenizer's tokens cannot be found in it
    in order (then the concatenated tokens)."""
    raw = str(indexed.raw_string())
    tokens = [str(t) for t in indexed.as_list]
    joined = "".join(tokens)
    if joined == raw:
        return raw, lambda p: p
    where = {}
    cursor = 0
    offset = 0
    for tok in tokens:
        found = raw.find(tok, cursor) if tok else cursor
        if found < 0:
            return joined, lambda p: p
        where[offset] = found
        cursor = found + len(tok)
        offset += len(tok)
    return raw, lambda p: where.get(p, p)


class TextDomainMapper(explanation.DomainMapper):
    """Maps feature ids to words or word-positions"""

    def __init__(self, indexed_string):
        """Initializer.

        Args:
            indexed_string: lime_text.IndexedString, original string
        """
        self.indexed_string = indexed_string

    def map_exp_ids(self, exp, positions=False):
        """Maps ids to words or word-position strings.

        Args:
            exp: list of tuples [(id, weight), (id,weight)]
            positions: if True, also return word positions

        Returns:
            list of tuples (word, weight), or (word_positions, weight),
            e.g. ('bad', 1) or ('bad_3-6-12', 1)
        """
        indexed = self.indexed_string
        if positions:
            return [
                (f"{indexed.word(i)}_" + "-".join(map(str, indexed.string_position(i))), w)
                for i, w in exp
            ]
        return [(indexed.word(i), w) for i, w in exp]

    def visualize_instance_html(
        self, exp, label, div_name, exp_object_name, text=True, opacity=True
    ):
        """The document with the explained words highlighted in the colour of
        the side they push ``label`` to (lime_rs: self-contained HTML, no JavaScript).

        Args:
             exp: list of tuples [(id, weight), (id,weight)]
             label: label id (integer)
             div_name: unused (lime's JavaScript target)
             exp_object_name: unused (lime's JavaScript object)
             text: if False, return empty
             opacity: if True, fade colors according to weight
        """
        return self._highlighted(exp, label, None, None, text, opacity)

    def instance_html(self, exp, label, colors, names, text=True, opacity=True):
        """The document in the label chart's ``colors`` and ``names``; a
        subclass's own visualize_instance_html wins."""
        if type(self).visualize_instance_html is not TextDomainMapper.visualize_instance_html:
            return super().instance_html(exp, label, colors, names, text=text, opacity=opacity)
        return self._highlighted(exp, label, colors, names, text, opacity)

    def _highlighted(self, exp, label, colors, names, text, opacity):
        from lime_rs import _html

        if not text:
            return ""
        indexed = self.indexed_string
        doc, shift = _display_text(indexed)
        occurrences = []
        for fid, weight in exp:
            word = indexed.word(fid)
            for start in np.atleast_1d(indexed.string_position(fid)):
                start = shift(int(start))
                occurrences.append((start, start + len(word), word, float(weight)))
        return _html.text_panel(
            doc, occurrences, colors or _html.default_colors(label), opacity=opacity, names=names
        )

    def feature_count(self):
        """Feature ids are the document's distinct words (or positions)."""
        return self.indexed_string.num_words()

    def to_record(self):
        """The ``text`` domain record (docs/explanation_schema.md)."""
        from lime_rs.serialization import json_value

        indexed = self.indexed_string
        n = indexed.num_words()
        return {
            "kind": "text",
            "raw": str(indexed.raw_string()),
            "tokens": [str(t) for t in indexed.as_list],
            "bow": bool(getattr(indexed, "bow", True)),
            "words": [str(indexed.word(i)) for i in range(n)],
            "positions": [json_value(np.atleast_1d(indexed.string_position(i))) for i in range(n)],
        }

    @classmethod
    def from_record(cls, record, path="domain"):
        """The mapper :meth:`to_record` wrote, every field checked (a
        ValueError names the bad field's path)."""
        from lime_rs import serialization as rec

        def field(key, read):
            return read(rec.read_field(record, key, path), f"{path}.{key}")

        def strings(value, where):
            return rec.read_list(value, where, rec.read_str)

        raw = field("raw", rec.read_str)
        tokens = field("tokens", strings)
        bow = field("bow", rec.read_bool)
        words = field("words", strings)
        end = max(len(raw), sum(len(t) for t in tokens))

        def offsets(value, where):
            return rec.read_list(value, where, lambda v, w: rec.read_int(v, w, 0, end + 1))

        where = f"{path}.positions"
        positions = rec.read_list(
            rec.read_field(record, "positions", path), where, offsets, length=len(words)
        )
        return cls(StoredIndexedString(raw, tokens, bow, words, positions))


# The explainer: explain_instance is the batch of one; per chunk of texts: index
# and sample each, one classifier call, then _enumerate.fit_fixed and the record.

_Indexed = IndexedString | IndexedCharacters

# Default bounds of one classifier call in explain_instances.
_DEFAULT_BATCH_SAMPLES = 100_000
_DEFAULT_BATCH_CHARS = 256 * 2**20


@dataclass(kw_only=True)
class _Call(_enumerate.Options):
    """One explain call's checked options, shared by every text of the call."""

    classifier_fn: Callable[[list[str]], Any]


@dataclass
class _Sample:
    """One text's masks (row 0 the original), distances (x100) and perturbed
    documents (the distinct ones with ``inverse`` mapping each row to its own)."""

    indexed: _Indexed
    seed: int
    data: np.ndarray
    distances: np.ndarray
    texts: list[str] | None
    inverse: np.ndarray | None = None


def _check_texts(texts: Iterable[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError(
            "texts: expected a list of str, got a single str; use explain_instance for one "
            "text, or pass [text]"
        )
    try:
        items = list(texts)
    except TypeError:
        raise TypeError(
            f"texts: expected a list of str, got {type(texts).__name__} ({texts!r:.80})"
        ) from None
    for i, t in enumerate(items):
        _check_str(t, f"texts[{i}]")
    return items


@contextmanager
def _naming(i: int, n: int) -> Iterator[None]:
    """An error about text ``i`` of ``n`` > 1 says which (``texts[i]: ...``)."""
    try:
        yield
    except (TypeError, ValueError) as exc:
        if n == 1 or type(exc) not in (TypeError, ValueError):
            raise
        raise type(exc)(f"texts[{i}]: {exc}") from exc


def _distances(data: np.ndarray, cosine: np.ndarray, distance_metric: str) -> np.ndarray:
    """Distances (x100, as lime) of the perturbed samples to the original;
    cosine comes with the masks, other metrics as lime computes them."""
    if distance_metric == "cosine":
        return cosine
    if distance_metric in ("euclidean", "l2"):
        return _native.distances(data, data[0], "euclidean") * 100
    import scipy.sparse
    from sklearn.metrics.pairwise import pairwise_distances

    x = scipy.sparse.csr_matrix(data)
    return pairwise_distances(x, x[0], metric=distance_metric).ravel() * 100


def _mask_distances(masks: np.ndarray, distance_metric: str) -> np.ndarray:
    return _distances(masks, _native.distances(masks, masks[0], "cosine") * 100, distance_metric)


def _chunks(items: list[str], batch_size: int | None, num_samples: int) -> list[range]:
    """Ranges of texts whose perturbed documents make one classifier call: at
    most ``batch_size`` documents (default 100,000 and ~256 MB of text), but
    at least one whole text."""
    if batch_size is None:
        limit, chars = max(_DEFAULT_BATCH_SAMPLES, num_samples), _DEFAULT_BATCH_CHARS
    else:
        limit, chars = max(check_int(batch_size, "batch_size", minimum=1), num_samples), None
    out, start = [], 0
    while start < len(items):
        stop, size = start + 1, len(items[start])
        while stop < len(items) and (stop - start + 1) * num_samples <= limit:
            size += len(items[stop])
            if chars is not None and size * num_samples > chars:
                break
            stop += 1
        out.append(range(start, stop))
        start = stop
    return out


class LimeTextExplainer:
    """Explains text classifiers.
    Currently, we are using an exponential kernel on cosine distance, and
    restricting explanations to words that are present in documents."""

    def __init__(
        self,
        kernel_width: float = 25,
        kernel: Callable[..., Any] | None = None,
        verbose: bool = False,
        class_names: list[str] | None = None,
        feature_selection: str = "auto",
        split_expression: str | Callable[[str], list[str]] = r"\W+",
        bow: bool = True,
        mask_string: str | None = None,
        random_state: int | np.random.RandomState | np.random.Generator | None = None,
        char_level: bool = False,
    ) -> None:
        """Init function.

        Args:
            kernel_width: width of the exponential kernel.
            kernel: ``kernel(d, kernel_width)``, distances -> weights; None: exponential.
            verbose: if True, print the local models' intercepts and predictions.
            class_names: the classifier's class names, in its order (default '0', '1', ...).
            feature_selection: 'auto', 'none', 'forward_selection', 'highest_weights', 'lasso_path'.
            split_expression: Regex string (used with re.split) or callable returning the tokens.
            bow: if True, a sample removes all occurrences of a word (or character);
                if False, features are word positions (for classifiers using word order).
            mask_string: replaces removed tokens if bow=False (None: 'UNKWORDZ',
                or chr(0) with char_level).
            random_state: an int, numpy.RandomState or numpy.Generator; None: numpy's global one.
            char_level: if True, each character is a feature.
        """
        if kernel is None:
            kernel = _pipeline.exponential_kernel
            # it reads only width**2; the Rust kernel wants it positive
            kernel_width = abs(check_kernel_width(kernel_width))
        _check_split_expression(split_expression)
        self.random_state = check_random_state(random_state)
        self.base = lime_base.LimeBase(
            partial(kernel, kernel_width=kernel_width), verbose, random_state=self.random_state
        )
        self.class_names = class_names
        self.vocabulary = None
        self.feature_selection = check_feature_selection(feature_selection)
        self.bow = bow
        self.mask_string = None if mask_string is None else _check_str(mask_string, "mask_string")
        self.split_expression = split_expression
        self.char_level = char_level

    def explain_instance(
        self,
        text_instance: str,
        classifier_fn: Callable[[list[str]], Any],
        labels: Iterable[int] = (1,),
        top_labels: int | None = None,
        num_features: int = 10,
        num_samples: int | str = 5000,
        distance_metric: str = "cosine",
        model_regressor: Any = None,
        *,
        deduplicate: bool = True,
        max_samples: int = _adaptive.DEFAULT_MAX_SAMPLES,
        confidence: float = _adaptive.DEFAULT_CONFIDENCE,
    ) -> explanation.Explanation:
        """Generates explanations for a prediction.

        We generate neighborhood data by randomly hiding words of the instance,
        then learn locally weighted linear models on it to explain each of the
        classes in an interpretable way (see lime_base.py).

        Args:
            text_instance: the text (str) to explain.
            classifier_fn: list of d strings -> (d, k) array of class probabilities.
            labels: the labels (class indices) to explain.
            top_labels: if not None, explain the K most probable classes instead.
            num_features: maximum number of features in the explanation.
            num_samples: size of the neighbourhood, or "auto" (lime_rs addition: rounds
                until certified, ``lime_rs._adaptive``; exact for <= log2(max_samples) features).
            distance_metric: the metric behind the sample weights (default cosine).
            model_regressor: sklearn regressor (sample_weight, ``coef_``); default Ridge.
            deduplicate: each distinct perturbed document goes to the classifier once
                (False for a stochastic classifier).
            max_samples: with "auto", the most perturbed documents drawn (default 5000).
            confidence: with "auto", the confidence of the certificate (default 0.95).

        Returns:
            An Explanation (see explanation.py); ``exp.sampling`` says how it was sampled.
        """
        _check_text(text_instance)
        # explain_instances takes every other argument, under the same name; this
        # class's, not an override's (a subclass may build that on explain_instance)
        options = {k: v for k, v in locals().items() if k not in ("self", "text_instance")}
        return LimeTextExplainer.explain_instances(self, [text_instance], **options)[0]

    def explain_instances(
        self,
        texts: Iterable[str],
        classifier_fn: Callable[[list[str]], Any],
        *,
        labels: Iterable[int] = (1,),
        top_labels: int | None = None,
        num_features: int = 10,
        num_samples: int | str = 5000,
        distance_metric: str = "cosine",
        model_regressor: Any = None,
        batch_size: int | None = None,
        progress_bar: bool = False,
        deduplicate: bool = True,
        max_samples: int = _adaptive.DEFAULT_MAX_SAMPLES,
        confidence: float = _adaptive.DEFAULT_CONFIDENCE,
    ) -> list[explanation.Explanation]:
        """Explains many texts: one Explanation per text, in order (lime_rs addition).

        One classifier call and one native fit per chunk of texts; the result
        equals ``[explain_instance(t, f, **kw) for t in texts]`` on an explainer in
        the same state, whatever ``batch_size`` or the thread count (the random
        state is rewound if the call fails).

        Args:
            texts: a list (or other sequence) of str.
            classifier_fn: as in explain_instance, called on lists of up to
                ``batch_size`` perturbed documents.
            labels, top_labels, num_features, num_samples, distance_metric, model_regressor: as
                in explain_instance.
            deduplicate, max_samples, confidence: as in explain_instance (with "auto", each
                round makes one classifier call per ``batch_size`` documents of every
                uncertified text).
            batch_size: maximum documents per classifier call (at least
                ``num_samples``: a neighbourhood is never split). Default:
                100,000 documents and about 256 MB of text per call.
            progress_bar: if True, show a tqdm progress bar (texts done).

        Returns:
            A list of Explanation objects, one per text (empty for no texts).
        """
        items = _check_texts(texts)
        if not callable(classifier_fn):
            raise TypeError(
                "classifier_fn: expected a callable taking a list of str and returning "
                f"class probabilities, got {type(classifier_fn).__name__}"
            )
        call = _Call.checked(
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
            min_samples=2,
            classifier_fn=classifier_fn,
        )
        return self._explain(items, call, batch_size, progress_bar)

    # --- the stages ---

    def _explain(
        self, texts: list[str], call: _Call, batch_size: int | None, progress_bar: bool
    ) -> list[explanation.Explanation]:
        """Rounds for num_samples="auto", else chunk by chunk; a failure rewinds the random state."""
        with rewound_on_error(self.random_state):
            if call.settings is not None:
                return self._explain_auto(texts, call, batch_size)
            out: list[explanation.Explanation] = []
            with _enumerate.progress(
                progress_bar, total=len(texts), desc="explain_instances", unit="row"
            ) as bar:
                for rows in _chunks(texts, batch_size, call.num_samples):
                    out.extend(self._explain_chunk(texts, rows, call))
                    if bar is not None:
                        bar.update(len(rows))
            return out

    def _index(self, text_instance: str) -> _Indexed:
        _check_text(text_instance)
        indexed: _Indexed
        if self.char_level:
            indexed = IndexedCharacters(text_instance, bow=self.bow, mask_string=self.mask_string)
        else:
            indexed = IndexedString(
                text_instance, self.split_expression, bow=self.bow, mask_string=self.mask_string
            )
        if indexed.num_words() == 0:
            raise ValueError(
                f"text_instance: has no words to explain: split_expression "
                f"{self.split_expression!r:.80} finds only separators in {text_instance!r:.80}"
            )
        return indexed

    def _sample(
        self, indexed: _Indexed, num_samples: int, distance_metric: str, deduplicate: bool = False
    ) -> _Sample:
        """Draw this text's seed, its masks and the perturbed documents."""
        index = indexed._native()
        check_memory(num_samples, 8 * (indexed.num_words() + 1) + len(indexed.raw_string()))
        seed = draw_seed(self.random_state)
        data, cosine = index.sample(num_samples, seed)
        distances = _distances(data, cosine, distance_metric)
        if not deduplicate:
            return _Sample(indexed, seed, data, distances, index.perturbed_strings(data))
        keep, inverse = _enumerate.unique_rows(data)
        texts = index.perturbed_strings(np.ascontiguousarray(data[keep]))
        return _Sample(indexed, seed, data, distances, texts, inverse)

    def _new_explanation(self, indexed: _Indexed, first: np.ndarray) -> explanation.Explanation:
        if self.class_names is None:
            self.class_names = [str(x) for x in range(first.shape[0])]
        exp = explanation.Explanation(
            domain_mapper=TextDomainMapper(indexed),
            class_names=self.class_names,
            random_state=self.random_state,
        )
        exp.predict_proba = np.array(first)  # a copy: frees the chunk's outputs
        return exp

    def _explain_chunk(
        self, texts: list[str], rows: range, call: _Call
    ) -> list[explanation.Explanation]:
        """The texts ``rows`` with one classifier call and one fit."""
        samples = []
        for i in rows:
            with _naming(i, len(texts)):
                indexed = self._index(texts[i])
                samples.append(
                    self._sample(indexed, call.num_samples, call.distance_metric, call.deduplicate)
                )
        if len(samples) == 1:
            docs = samples[0].texts or []
        else:
            docs = list(itertools.chain.from_iterable(s.texts or () for s in samples))
        counts = [len(s.texts or ()) for s in samples]
        offsets = np.cumsum([0, *counts])
        for s in samples:
            s.texts = None  # the documents live once, in docs, until the model has run
        raw = call.classifier_fn(docs)
        del docs
        yss = check_model_output(raw, int(offsets[-1]), "classifier_fn", unit="texts")
        raw = np.asarray(raw)
        if raw.dtype.kind not in "biuf":
            raw = yss  # object arrays of numbers: their float64 values
        check_class_names(self.class_names, yss.shape[1], "classifier_fn")
        exps, firsts, hoods = [], [], []
        for i, s in enumerate(samples):
            at = int(offsets[i])
            firsts.append(raw[at])
            exps.append(self._new_explanation(s.indexed, raw[at]))
            own = yss[at : offsets[i + 1]]
            if s.inverse is not None:
                own = own[s.inverse]
            hoods.append(_pipeline.Neighbourhood(s.data, own, s.distances))
        _enumerate.fit_fixed(call, exps, firsts, hoods, counts, self.base, self.feature_selection)
        from lime_rs.serialization import record

        for exp, s in zip(exps, samples):
            record(exp, self, s.seed, **call.record_options())
        return exps

    def _explain_auto(
        self, texts: list[str], call: _Call, batch_size: int | None
    ) -> list[explanation.Explanation]:
        """``num_samples="auto"`` (``_enumerate.explain_auto``): one classifier
        call per round and per ``batch_size`` documents."""
        limit = _DEFAULT_BATCH_SAMPLES
        if batch_size is not None:
            limit = check_int(batch_size, "batch_size", minimum=1)
        indexed: list[_Indexed] = []
        seeds: list[int] = []
        for i, text in enumerate(texts):
            with _naming(i, len(texts)):
                indexed.append(self._index(text))
            seeds.append(draw_seed(self.random_state))
        width: list[int] = []  # the classifier's column count, set by its first call

        def run(todo: list[tuple[int, np.ndarray]]) -> np.ndarray:
            docs: list[str] = []
            for task, masks in todo:
                docs.extend(indexed[task]._native().perturbed_strings(np.ascontiguousarray(masks)))
            outs = []
            for a in range(0, len(docs), limit):
                part = docs[a : a + limit]
                known = width[0] if width else None
                out = check_model_output(
                    call.classifier_fn(part),
                    len(part),
                    "classifier_fn",
                    unit="texts",
                    columns=known,
                )
                width[:1] = [out.shape[1]]
                outs.append(out)
            return np.concatenate(outs, axis=0)

        def draw(ix: _Indexed, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
            data, cosine = ix._native().sample(n, seed)
            return data, _distances(data, cosine, call.distance_metric)

        def new_explanation(i: int, first: np.ndarray) -> explanation.Explanation:
            return self._new_explanation(indexed[i], first)

        items = [
            _enumerate.Item(ix.num_words(), seed, partial(draw, ix))
            for ix, seed in zip(indexed, seeds)
        ]
        distances = partial(_mask_distances, distance_metric=call.distance_metric)
        auto = _enumerate.AutoCall(_enumerate.text_space, distances, new_explanation, run)
        exps = _enumerate.explain_auto(items, auto, call, self.base)
        from lime_rs.serialization import record

        for exp, seed in zip(exps, seeds):
            record(exp, self, seed, **call.record_options())
        return exps

    def _data_labels_distances(
        self,
        indexed_string: _Indexed,
        classifier_fn: Callable[..., Any],
        num_samples: int,
        distance_metric: str = "cosine",
    ) -> tuple:
        """lime's neighbourhood: (masks, classifier_fn's outputs, distances x100)."""
        s = self._sample(indexed_string, num_samples, distance_metric)
        return s.data, classifier_fn(s.texts), s.distances
