"""
Functions for explaining text classifiers (drop-in for ``lime.lime_text``).

One explanation is one pass: the document is tokenised, the neighbourhood
(which words each sample removes), the perturbed documents handed to the
model, their cosine distances and the local models are all computed in Rust
with the GIL released; only the classifier (and a callable tokenizer) run in
Python.

Tokenisation follows Python's ``re`` exactly: a split expression is
translated into an equivalent Rust pattern when every construct has the same
meaning in both engines (``\\w``, ``\\s``, ``\\d`` are spelled out from Python's
own tables), and is otherwise left to Python's ``re`` (lookarounds,
backreferences, ``\\b`` on non-ASCII text, case-insensitive groups, ...).
Positions are Python string indices (code points).
"""

from __future__ import annotations

import functools
import itertools
import numbers
import re
from collections.abc import Callable, Iterable
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
    check_memory,
    check_model_output,
)

__all__ = [
    "IndexedCharacters",
    "IndexedString",
    "LimeTextExplainer",
    "TextDomainMapper",
]


# --------------------------------------------------------------------------
# Split expressions: Python pattern -> equivalent Rust pattern (or None)
# --------------------------------------------------------------------------

_CATEGORY_PATTERNS = {"CATEGORY_WORD": r"\w", "CATEGORY_DIGIT": r"\d", "CATEGORY_SPACE": r"\s"}
_ASCII_CATEGORIES = {
    "CATEGORY_WORD": "0-9A-Z_a-z",
    "CATEGORY_DIGIT": "0-9",
    "CATEGORY_SPACE": r"\x{9}-\x{D}\x{20}",
}
_NEGATED_CATEGORIES = {
    "CATEGORY_NOT_WORD": "CATEGORY_WORD",
    "CATEGORY_NOT_DIGIT": "CATEGORY_DIGIT",
    "CATEGORY_NOT_SPACE": "CATEGORY_SPACE",
}
_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


class _Untranslatable(Exception):
    """The pattern has a construct whose meaning differs in Rust's regex."""


def _esc(cp: int) -> str:
    if 0xD800 <= cp <= 0xDFFF:
        raise _Untranslatable("surrogate")
    ch = chr(cp)
    return ch if ch in _ALNUM else f"\\x{{{cp:X}}}"


@functools.cache
def _category_body(name: str, limit: int) -> str:
    """Body of a Rust character class holding the code points below ``limit``
    that Python's ``re`` (Unicode mode) puts in category ``name``."""
    cps = np.arange(min(limit, 0xD800), dtype=np.uint32)
    if limit > 0xE000:
        cps = np.concatenate([cps, np.arange(0xE000, limit, dtype=np.uint32)])
    text = cps.tobytes().decode("utf-32-le")

    def code_point(i: int) -> int:
        return i if i < 0xD800 else i + 0x800

    parts = []
    for m in re.finditer(_CATEGORY_PATTERNS[name] + "+", text):
        a, b = m.start(), m.end() - 1
        if a < 0xD800 <= b:
            parts.append(f"{_esc(a)}-{_esc(0xD7FF)}{_esc(0xE000)}-{_esc(code_point(b))}")
        else:
            parts.append(f"{_esc(code_point(a))}-{_esc(code_point(b))}")
    return "".join(parts)


def _category(name: str, flags: int, limit: int) -> str:
    """A Rust class for a category item of a Python pattern."""
    negate = name in _NEGATED_CATEGORIES
    base = _NEGATED_CATEGORIES.get(name, name)
    if base not in _CATEGORY_PATTERNS:
        raise _Untranslatable(name)
    body = _ASCII_CATEGORIES[base] if flags & re.ASCII else _category_body(base, limit)
    return ("[^" if negate else "[") + body + "]"


try:  # Python's own pattern parser: its tree is what gets translated
    from re import _parser as _sre_parser  # type: ignore[attr-defined]
except ImportError:  # Python 3.10
    import sre_parse as _sre_parser


class _Translator:
    def __init__(self, limit: int) -> None:
        self.limit = limit

    def seq(self, items: Any, flags: int) -> str:
        return "".join(self.node(op, av, flags) for op, av in items)

    def node(self, op: Any, av: Any, flags: int) -> str:
        name = op.name
        if name == "LITERAL":
            return _esc(av)
        if name == "NOT_LITERAL":
            return "[^" + _esc(av) + "]"
        if name == "ANY":
            return r"(?s:.)" if flags & re.DOTALL else r"[^\n]"
        if name == "IN":
            return self.charset(av, flags)
        if name == "CATEGORY":
            return _category(av.name, flags, self.limit)
        if name == "BRANCH":
            return "(?:" + "|".join(self.seq(alt, flags) for alt in av[1]) + ")"
        if name in ("MAX_REPEAT", "MIN_REPEAT"):
            lo, hi, item = av
            rep = f"{{{lo},}}" if hi == _sre_parser.MAXREPEAT else f"{{{lo},{hi}}}"
            return "(?:" + self.seq(item, flags) + ")" + rep + ("?" if name == "MIN_REPEAT" else "")
        if name == "SUBPATTERN":
            group, add, delete, item = av
            if group is not None:
                raise _Untranslatable("capturing group")  # would add items to re.split's output
            flags = (flags | add) & ~delete
            if flags & (re.IGNORECASE | re.LOCALE):
                raise _Untranslatable("case folding")
            return "(?:" + self.seq(item, flags) + ")"
        if name == "AT":
            return self.anchor(av.name, flags)
        raise _Untranslatable(name)

    def anchor(self, name: str, flags: int) -> str:
        if name == "AT_BEGINNING":
            return "(?m:^)" if flags & re.MULTILINE else r"\A"
        if name == "AT_BEGINNING_STRING":
            return r"\A"
        if name == "AT_END" and flags & re.MULTILINE:
            return "(?m:$)"
        if name == "AT_END_STRING":
            return r"\z"
        if name in ("AT_BOUNDARY", "AT_NON_BOUNDARY") and (flags & re.ASCII or self.limit <= 0x80):
            return r"(?-u:\b)" if name == "AT_BOUNDARY" else r"(?-u:\B)"
        # Python's `$` also matches before a final newline (a lookahead in Rust),
        # and Unicode `\b` uses Python's definition of a word character.
        raise _Untranslatable(name)

    def charset(self, items: Any, flags: int) -> str:
        negate = False
        parts = []
        for op, av in items:
            name = op.name
            if name == "NEGATE":
                negate = True
            elif name == "LITERAL":
                parts.append(_esc(av))
            elif name == "RANGE":
                parts.append(_esc(av[0]) + "-" + _esc(av[1]))
            elif name == "CATEGORY":
                parts.append(_category(av.name, flags, self.limit))
            else:
                raise _Untranslatable(name)
        if not parts:
            raise _Untranslatable("empty class")
        return ("[^" if negate else "[") + "".join(parts) + "]"


def _translate(expr: str, ascii_input: bool) -> str | None:
    """A Rust pattern matching exactly what ``expr`` matches in Python (on ASCII
    text only when ``ascii_input``), or None. The pattern must not match the
    empty string and must not capture (either would change ``re.split``)."""
    try:
        tree = _sre_parser.parse(expr)
        if tree.state.flags & ~re.UNICODE or tree.state.groups != 1 or tree.getwidth()[0] == 0:
            return None
        return _Translator(0x80 if ascii_input else 0x110000).seq(tree, re.UNICODE)
    except Exception:  # _Untranslatable, or a tree we do not know: Python's re decides
        return None


@functools.lru_cache(maxsize=128)
def _native_splitter(expr: str, ascii_input: bool) -> _native.TextSplitter | None:
    pattern = _translate(expr, ascii_input)
    if pattern is None:
        return None
    try:
        return _native.TextSplitter(pattern)
    except ValueError:  # e.g. over Rust's size limits
        return None


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


def _regex_index(raw: str, expr: str, bow: bool, mask: str) -> _native.TextIndex:
    splitter = re.compile("(" + expr + ")|$")  # lime's pattern, and lime's errors
    native = _native_splitter(expr, raw.isascii())
    if native is not None:
        try:
            index = _native.TextIndex.from_regex(raw, native, bow, mask)
        except UnicodeEncodeError:  # lone surrogates: not representable in Rust
            index = None
        if index is not None:
            return index
    tokens = [s for s in splitter.split(raw) if s]
    is_word = [not splitter.match(t) for t in tokens]
    return _native.TextIndex.from_tokens(tokens, is_word, bow, mask)


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
    """Feature ids as non-negative ints (negative ids count from the end, as
    lime's list indexing)."""
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
    """Shared state of IndexedString / IndexedCharacters: lime's attributes
    plus the native index (rebuilt after unpickling)."""

    positions: Any  # lime's: a list of lists (bow) or an array of token positions
    string_start: np.ndarray

    def __init__(self, raw_string: str, bow: bool, mask_string: str | None, default_mask: str):
        self.raw = _check_str(raw_string, "raw_string")
        self.mask_string = _check_str(default_mask if mask_string is None else mask_string,
                                      "mask_string")  # fmt: skip
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
        """Returns a string after removing the appropriate words.

        If self.bow is false, replaces word with UNKWORDZ instead of removing
        it.

        Args:
            words_to_remove: list of ids (ints) to remove

        Returns:
            original raw string with appropriate words removed.
        """
        ids = _feature_ids(words_to_remove, self.num_words())
        return self._native().inverse_removing(ids)


class StoredIndexedString(_IndexedBase):
    """A document restored from an explanation record (TextDomainMapper.from_record):
    its text, tokens and each feature's word and positions, not tokenized again."""

    def __init__(self, raw: str, tokens: list[str], bow: bool, words: list[str],
                 positions: list[list[int]]) -> None:  # fmt: skip
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
            split_expression: Regex string or callable. If regex string, will be used with re.split.
                If callable, the function should return a list of tokens.
            bow: if True, a word is the same everywhere in the text - i.e. we
                 will index multiple occurrences of the same word. If False,
                 order matters, so that the same word will have different ids
                 according to position.
            mask_string: If not None, replace words with this if bow=False
                if None, default value is UNKWORDZ
        """
        super().__init__(raw_string, bow, mask_string, "UNKWORDZ")
        _check_split_expression(split_expression)
        if callable(split_expression):
            tokens = _call_tokenizer(split_expression, raw_string)
            index = _native.TextIndex.from_tokenizer(raw_string, tokens, self.bow, self.mask_string)
        else:
            index = _regex_index(raw_string, split_expression, self.bow, self.mask_string)
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
            bow: if True, a char is the same everywhere in the text - i.e. we
                 will index multiple occurrences of the same character. If False,
                 order matters, so that the same word will have different ids
                 according to position.
            mask_string: If not None, replace characters with this if bow=False
                if None, default value is chr(0)
        """
        super().__init__(raw_string, bow, mask_string, chr(0))
        self._set_index(_native.TextIndex.from_chars(raw_string, self.bow, self.mask_string))
        self.string_start = np.arange(len(self.raw))


# --------------------------------------------------------------------------
# Domain mapper
# --------------------------------------------------------------------------


def _display_text(indexed):
    """The text to show and a map from token positions to positions in it.

    Positions count characters of the concatenated tokens; with a regular
    expression (or characters) that is the raw string. A callable tokenizer may
    drop separators: then each token is looked up in order in the raw string so
    the raw text is shown; if one cannot be found, the concatenated tokens are.
    """
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
            list of tuples (word, weight), or (word_positions, weight) if
            examples: ('bad', 1) or ('bad_3-6-12', 1)
        """
        if positions:
            exp = [
                (
                    f"{self.indexed_string.word(x[0])}_"
                    + "-".join(map(str, self.indexed_string.string_position(x[0]))),
                    x[1],
                )
                for x in exp
            ]
        else:
            exp = [(self.indexed_string.word(x[0]), x[1]) for x in exp]
        return exp

    def visualize_instance_html(
        self, exp, label, div_name, exp_object_name, text=True, opacity=True
    ):
        """Adds text with highlighted words to visualization.

        lime_rs returns a self-contained HTML fragment (no JavaScript): the
        document, with every occurrence of an explained word (or, when
        bow=False, the explained occurrence) highlighted in the colour of the
        side it pushes ``label`` to (lime's colours of ``label`` in a binary
        problem; Explanation.as_html uses the colours of its charts).

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
        """The document in the (negative, positive) ``colors`` and ``names`` of
        the label's chart (Explanation.as_html); a subclass's own
        visualize_instance_html wins."""
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
        """The mapper :meth:`to_record` wrote, every field checked (one
        ValueError naming the bad field's path); the document is not tokenized
        again (the tokenizer is not part of the record)."""
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

        positions = rec.read_list(
            rec.read_field(record, "positions", path), f"{path}.positions", offsets,
            length=len(words),
        )  # fmt: skip
        return cls(StoredIndexedString(raw, tokens, bow, words, positions))


# --------------------------------------------------------------------------
# Explainer: explain_instance is explain_instances on one text; both run
# _explain_chunk's stages (index and sample each text, one classifier call,
# check its output, choose labels, fit, record).
# --------------------------------------------------------------------------

_Indexed = IndexedString | IndexedCharacters


@dataclass
class _Call:
    """One explain call's checked options, shared by every text of the call."""

    classifier_fn: Callable[[list[str]], Any]
    labels: Any
    top_labels: int | None
    num_samples: Any  # int, or "auto" (then settings)
    distance_metric: str
    fit: _pipeline.FitOptions
    deduplicate: bool = True
    settings: _adaptive.Settings | None = None  # num_samples="auto"

    @property
    def auto(self) -> bool:
        return self.settings is not None


@dataclass
class _Sample:
    """One text's neighbourhood before the classifier: the masks (row 0 is the
    original), their distances (x100, as lime) and the perturbed documents."""

    indexed: _Indexed
    seed: int
    data: np.ndarray
    distances: np.ndarray
    texts: list[str] | None
    # the distinct rows the classifier sees (first occurrences, row 0 first)
    # and, per row of data, its position among them; None: every row
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
        if not isinstance(t, str):
            raise TypeError(f"texts[{i}]: expected a str, got {type(t).__name__} ({t!r:.80})")
    return items


def _distances(data: np.ndarray, cosine: np.ndarray, distance_metric: str) -> np.ndarray:
    """Distances (x100, as lime) of every perturbed sample to the original:
    the cosine ones come with the masks; other metrics as lime computes them."""
    if distance_metric == "cosine":
        return cosine
    if distance_metric in ("euclidean", "l2"):
        return _native.distances(data, data[0], "euclidean") * 100
    import scipy.sparse
    from sklearn.metrics.pairwise import pairwise_distances

    x = scipy.sparse.csr_matrix(data)
    return pairwise_distances(x, x[0], metric=distance_metric).ravel() * 100


# Default bounds of one classifier call in explain_instances.
_DEFAULT_BATCH_SAMPLES = 100_000
_DEFAULT_BATCH_CHARS = 256 * 2**20


def _chunks(items: list[str], batch_size: int | None, num_samples: int) -> list[range]:
    """Consecutive ranges of texts whose perturbed documents make one
    classifier call: at most ``batch_size`` documents (default 100,000 and
    about 256 MB of text), but never less than one whole text."""
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
            kernel: a similarity kernel ``kernel(d, kernel_width)`` turning
                distances into weights in (0, 1); None for the exponential one.
            verbose: if True, print the local models' intercepts and predictions.
            class_names: the classifier's class names, in its order (default
                '0', '1', ...).
            feature_selection: 'auto', 'none', 'forward_selection',
                'highest_weights' or 'lasso_path' (see lime_base.LimeBase).
            split_expression: Regex string or callable. If regex string, will be used with re.split.
                If callable, the function should return a list of tokens.
            bow: if True (bag of words), will perturb input data by removing
                all occurrences of individual words or characters.
                Explanations will be in terms of these words. Otherwise, will
                explain in terms of word-positions, so that a word may be
                important the first time it appears and unimportant the second.
                Only set to false if the classifier uses word order in some way
                (bigrams, etc), or if you set char_level=True.
            mask_string: String used to mask tokens or characters if bow=False
                if None, will be 'UNKWORDZ' if char_level=False, chr(0)
                otherwise.
            random_state: an integer, numpy.RandomState or numpy.Generator that
                will be used to generate random numbers. If None, the random
                state will be initialized using the internal numpy seed.
            char_level: an boolean identifying that we treat each character
                as an independent occurence in the string
        """
        check_feature_selection(feature_selection)
        _check_split_expression(split_expression)
        if mask_string is not None:
            _check_str(mask_string, "mask_string")
        if kernel is None:
            if isinstance(kernel_width, bool) or not isinstance(kernel_width, numbers.Real):
                raise TypeError(
                    f"kernel_width: expected a number, got {type(kernel_width).__name__} "
                    f"({kernel_width!r:.80})"
                )
            if not np.isfinite(kernel_width) or kernel_width == 0:
                raise ValueError(
                    f"kernel_width: must be a non-zero finite number, got {kernel_width}"
                )
            # the kernel reads only width**2; the Rust kernel wants it positive
            kernel, kernel_width = _pipeline.exponential_kernel, abs(kernel_width)
        kernel_fn = partial(kernel, kernel_width=kernel_width)

        self.random_state = check_random_state(random_state)
        self.base = lime_base.LimeBase(kernel_fn, verbose, random_state=self.random_state)
        self.class_names = class_names
        self.vocabulary = None
        self.feature_selection = feature_selection
        self.bow = bow
        self.mask_string = mask_string
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
            classifier_fn: takes a list of d strings and returns a (d, k) array
                of class probabilities (for scikit-learn, ``predict_proba``).
            labels: the labels (class indices) to explain.
            top_labels: if not None, explain the ``top_labels`` most probable
                classes instead of ``labels``.
            num_features: maximum number of features in the explanation.
            num_samples: size of the neighbourhood the linear model learns from.
            distance_metric: the metric behind the sample weights (default cosine).
            model_regressor: a scikit-learn regressor whose ``fit`` takes
                ``sample_weight`` and that has ``coef_``; default Ridge (LimeBase).
            deduplicate: send each distinct perturbed document to the
                classifier once and reuse its answer for the repeats (the
                same explanation for a deterministic classifier, fewer
                classifier rows); False for a stochastic classifier.
            max_samples: with ``num_samples="auto"``, the most perturbed
                documents drawn (default 5000, lime's default).
            confidence: with ``num_samples="auto"``, the confidence of the
                certificate (default 0.95).

        ``num_samples="auto"`` samples in rounds until the explanation is
        certified (``lime_rs._adaptive``); a document with at most
        ``log2(max_samples)`` features is explained exactly (each distinct
        perturbation once, weighted by its probability under lime's
        sampling). ``exp.sampling`` says what happened.

        Returns:
            An Explanation (see explanation.py).
        """
        _check_text(text_instance)
        call = self._check_call(classifier_fn, labels, top_labels, num_features, num_samples,
                                distance_metric, model_regressor, deduplicate, max_samples,
                                confidence)  # fmt: skip
        if call.auto:
            return self._explain_auto([text_instance], call, None)[0]
        return self._explain_chunk([text_instance], call, None)[0]

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

        The classifier is called once per chunk of texts (on the perturbed
        documents of every text of the chunk, concatenated in order) and the
        local models of the chunk are fitted in one native call, in parallel
        over texts with the GIL released.

        Determinism contract: ``explain_instances(texts, f, **kw)`` returns
        exactly what ``[explain_instance(t, f, **kw) for t in texts]`` returns
        on an explainer in the same state (one seed per text is drawn from
        ``random_state`` in order), whatever ``batch_size``,
        ``LIME_RS_NUM_THREADS`` or the chunking; ``random_state`` is advanced
        as by those calls.

        Thread safety: heavy work releases the GIL. Threads sharing one
        explainer share its ``random_state``: each text draws one seed from it
        atomically, so each explanation equals the serial one for the seed it
        got, but which text gets which seed depends on scheduling. For
        reproducible results give each thread its own explainer
        (``copy.deepcopy`` or a pickle round trip).

        Args:
            texts: a list (or other sequence) of str.
            classifier_fn: as in explain_instance; it is called on lists of up
                to ``batch_size`` perturbed documents.
            labels, top_labels, num_features, num_samples, distance_metric, model_regressor: as in explain_instance.
            batch_size: maximum number of perturbed documents per classifier
                call (at least ``num_samples``: a text's neighbourhood is never
                split). Default: 100,000 documents and at most about 256 MB
                of document text per call.
            progress_bar: if True, show a tqdm progress bar (texts done).
            deduplicate, max_samples, confidence: as in explain_instance.
                With ``num_samples="auto"`` each round is one classifier
                call (per ``batch_size`` documents) over the new documents of
                every text not yet certified.

        Returns:
            A list of Explanation objects, one per text (empty for no texts).
        """
        items = _check_texts(texts)
        call = self._check_call(classifier_fn, labels, top_labels, num_features, num_samples,
                                distance_metric, model_regressor, deduplicate, max_samples,
                                confidence)  # fmt: skip
        if call.auto:
            return self._explain_auto(items, call, batch_size)
        chunks = _chunks(items, batch_size, call.num_samples)
        bar = None
        if progress_bar:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(items), desc="explain_instances", unit="row")
        out: list[explanation.Explanation] = []
        try:
            with rewound_on_error(self.random_state):
                for rows in chunks:
                    out.extend(self._explain_chunk(items[rows.start : rows.stop], call, rows.start))
                    if bar is not None:
                        bar.update(len(rows))
        finally:
            if bar is not None:
                bar.close()
        return out

    # --- the stages ---

    def _check_call(self, classifier_fn: Any, labels: Any, top_labels: Any, num_features: Any,
                    num_samples: Any, distance_metric: Any, model_regressor: Any,
                    deduplicate: Any = True, max_samples: Any = _adaptive.DEFAULT_MAX_SAMPLES,
                    confidence: Any = _adaptive.DEFAULT_CONFIDENCE) -> _Call:  # fmt: skip
        if not callable(classifier_fn):
            raise TypeError(
                "classifier_fn: expected a callable taking a list of str and returning "
                f"class probabilities, got {type(classifier_fn).__name__}"
            )
        num_features = check_int(num_features, "num_features", minimum=1)
        num_samples = _adaptive.check_num_samples(num_samples, minimum=2)
        settings = _adaptive.auto_settings(num_samples, num_features, self.feature_selection,
                                           model_regressor, deduplicate, confidence,
                                           max_samples)  # fmt: skip
        if top_labels is not None:
            top_labels = check_int(top_labels, "top_labels", minimum=0)
        if not isinstance(distance_metric, str):
            raise TypeError(
                f"distance_metric: expected a metric name, got {type(distance_metric).__name__}"
            )
        options = _pipeline.FitOptions(num_features, self.feature_selection, model_regressor,
                             self.base.verbose)  # fmt: skip
        return _Call(classifier_fn, labels, top_labels, num_samples, distance_metric, options,
                     bool(deduplicate), settings)  # fmt: skip

    def _index(self, text_instance: str) -> _Indexed:
        _check_text(text_instance)
        indexed: _Indexed
        if self.char_level:
            indexed = IndexedCharacters(text_instance, bow=self.bow, mask_string=self.mask_string)
        else:
            indexed = IndexedString(text_instance, split_expression=self.split_expression,
                                    bow=self.bow, mask_string=self.mask_string)  # fmt: skip
        if indexed.num_words() == 0:
            raise ValueError(
                f"text_instance: has no words to explain: split_expression "
                f"{self.split_expression!r:.80} finds only separators in {text_instance!r:.80}"
            )
        return indexed

    def _sample(self, indexed: _Indexed, num_samples: int, distance_metric: str,
                deduplicate: bool = False) -> _Sample:  # fmt: skip
        """Draw this text's seed, its masks and the perturbed documents (each
        distinct one once when ``deduplicate``)."""
        index = indexed._native()
        # the masks and distances, and the perturbed documents
        check_memory(num_samples, 8 * (indexed.num_words() + 1) + len(indexed.raw_string()))
        seed = draw_seed(self.random_state)
        data, cosine = index.sample(num_samples, seed)
        distances = _distances(data, cosine, distance_metric)
        if not deduplicate:
            return _Sample(indexed, seed, data, distances, index.perturbed_strings(data))
        keep, inverse = _enumerate.unique_rows(data)
        texts = index.perturbed_strings(np.ascontiguousarray(data[keep]))
        return _Sample(indexed, seed, data, distances, texts, inverse)

    def _explain_chunk(self, chunk: list[str], call: _Call,
                       first: int | None) -> list[explanation.Explanation]:  # fmt: skip
        """Explanations of a few texts with one classifier call and one fit.
        ``first`` is the index of the chunk's first text in ``texts`` (named in
        errors), None for explain_instance."""
        samples = []
        for i, text in enumerate(chunk):
            try:
                indexed = self._index(text)
                samples.append(self._sample(indexed, call.num_samples, call.distance_metric,
                                            call.deduplicate))  # fmt: skip
            except (TypeError, ValueError) as exc:
                if first is None or type(exc) not in (TypeError, ValueError):
                    raise
                raise type(exc)(f"texts[{first + i}]: {exc}") from exc
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
        n = call.num_samples
        yss = check_model_output(raw, int(offsets[-1]), "classifier_fn", unit="texts")
        raw = np.asarray(raw)
        if raw.dtype.kind not in "biuf":
            raw = yss  # object arrays of numbers: their float64 values
        check_class_names(self.class_names, yss.shape[1], "classifier_fn")
        if self.class_names is None:
            self.class_names = [str(x) for x in range(yss.shape[1])]
        exps, hoods, labels = [], [], []
        for i, s in enumerate(samples):
            exp = explanation.Explanation(
                domain_mapper=TextDomainMapper(s.indexed),
                class_names=self.class_names,
                random_state=self.random_state,
            )
            at = int(offsets[i])
            exp.predict_proba = np.array(raw[at])  # a copy: frees the chunk's outputs
            labels.append(_pipeline.choose_labels(exp, raw[at], call.labels, call.top_labels,
                                        "classifier_fn"))  # fmt: skip
            own = yss[at : offsets[i + 1]]
            hoods.append(_pipeline.Neighbourhood(s.data, own if s.inverse is None else own[s.inverse],
                                       s.distances))  # fmt: skip
            exps.append(exp)
        self._fit(exps, hoods, labels, call.fit)
        from lime_rs.serialization import record

        for exp, s, count in zip(exps, samples, counts):
            exp.sampling = _enumerate.fixed_record(count, n)
            record(exp, self, s.seed, num_samples=n, num_features=call.fit.num_features,
                   distance_metric=call.distance_metric,
                   model_regressor=call.fit.model_regressor)  # fmt: skip
        return exps

    def _explain_auto(self, texts: list[str], call: _Call,
                      batch_size: int | None) -> list[explanation.Explanation]:  # fmt: skip
        """``num_samples="auto"``: small documents exactly, the others in
        certified rounds (``_adaptive.run_many``), one classifier call per
        round and per ``batch_size`` documents."""
        settings = call.settings
        assert settings is not None
        limit = (_DEFAULT_BATCH_SAMPLES if batch_size is None
                 else check_int(batch_size, "batch_size", minimum=1))  # fmt: skip
        indexed: list[_Indexed] = []
        seeds: list[int] = []
        for i, text in enumerate(texts):
            try:
                indexed.append(self._index(text))
            except (TypeError, ValueError) as exc:
                if len(texts) == 1 or type(exc) not in (TypeError, ValueError):
                    raise
                raise type(exc)(f"texts[{i}]: {exc}") from exc
            seeds.append(draw_seed(self.random_state))
        n_outputs: list[int] = []

        def run(todo: list[tuple[int, np.ndarray]]) -> np.ndarray:
            docs: list[str] = []
            for task, masks in todo:
                docs.extend(indexed[task]._native().perturbed_strings(np.ascontiguousarray(masks)))
            outs = []
            for a in range(0, len(docs), limit):
                part = docs[a : a + limit]
                out = check_model_output(call.classifier_fn(part), len(part), "classifier_fn",
                                         unit="texts")  # fmt: skip
                if n_outputs and out.shape[1] != n_outputs[0]:
                    raise ValueError(
                        f"classifier_fn: returned {out.shape[1]} columns, but {n_outputs[0]} "
                        "for an earlier call"
                    )
                n_outputs[:1] = [out.shape[1]]
                outs.append(out)
            return np.concatenate(outs, axis=0)

        cache = _enumerate.ModelCache(run, call.deduplicate)
        exps: dict[int, explanation.Explanation] = {}
        labels: dict[int, list[int]] = {}

        def columns(i: int, first: np.ndarray) -> list[int]:
            if self.class_names is None:
                self.class_names = [str(x) for x in range(first.shape[0])]
            exp = explanation.Explanation(
                domain_mapper=TextDomainMapper(indexed[i]),
                class_names=self.class_names,
                random_state=self.random_state,
            )
            exp.predict_proba = np.array(first)
            labels[i] = _pipeline.choose_labels(
                exp, first, call.labels, call.top_labels, "classifier_fn"
            )
            exps[i] = exp
            return [int(label) % first.shape[0] for label in labels[i]]

        models, yss_of, sampling = _enumerate.explain_auto(
            [ix.num_words() for ix in indexed],
            _enumerate.text_space,
            lambda masks: _distances(
                masks, _native.distances(masks, masks[0], "cosine") * 100, call.distance_metric
            ),
            lambda i: _adaptive.Task(
                partial(self._text_round, indexed[i], i, call.distance_metric),
                seeds[i],
                partial(columns, i),
            ),
            columns, cache, self.base.kernel_fn, settings,
        )  # fmt: skip
        from lime_rs.serialization import record

        out = []
        for i in range(len(indexed)):
            exp = exps[i]
            _pipeline.store_models(exp, labels[i], models[i], yss_of[i], None, call.fit.verbose)
            exp.sampling = sampling[i]
            record(exp, self, seeds[i], num_samples="auto", num_features=call.fit.num_features,
                   distance_metric=call.distance_metric, model_regressor=None,
                   max_samples=settings.max_samples, confidence=settings.confidence,
                   deduplicate=call.deduplicate)  # fmt: skip
            out.append(exp)
        return out

    @staticmethod
    def _text_round(indexed: _Indexed, task: int, distance_metric: str, n: int, seed: int,
                    first: bool) -> _adaptive.Round:  # fmt: skip
        """``n`` new rows of one text from the stream ``seed`` (row 0 the
        original in the first round; later rounds drop the stream's copy)."""
        data, cosine = indexed._native().sample(n if first else n + 1, seed)
        distances = _distances(data, cosine, distance_metric)
        if not first:
            data, distances = data[1:], distances[1:]
        data = np.ascontiguousarray(data)
        return _adaptive.Round(data, [(task, data)], np.ascontiguousarray(distances))

    def _fit(self, exps: list[Any], hoods: list[_pipeline.Neighbourhood], labels: list[list[int]],
             options: _pipeline.FitOptions) -> None:  # fmt: skip
        """The local models of a chunk: one native call for all of its texts
        (in parallel over texts); one text or a model_regressor through fit."""
        if len(hoods) == 1 or options.model_regressor is not None:
            for exp, hood, labs in zip(exps, hoods, labels):
                _pipeline.fit(exp, self.base, hood, labs, options)
            return
        weights = [_pipeline.kernel_weights(self.base.kernel_fn, hood.distances) for hood in hoods]
        results = _native.explain_with_data_many(
            [hood.data for hood in hoods],
            [hood.yss for hood in hoods],
            weights,
            [
                [int(label) % hood.yss.shape[1] for label in labs]
                for hood, labs in zip(hoods, labels)
            ],
            options.num_features,
            options.feature_selection,
            return_stderr=True,
        )
        for exp, hood, labs, models in zip(exps, hoods, labels, results):
            _pipeline.store_models(exp, labs, models, hood.yss, None, options.verbose)

    def _data_labels_distances(self, indexed_string: _Indexed, classifier_fn: Callable[..., Any],
                               num_samples: int, distance_metric: str = "cosine") -> tuple:  # fmt: skip
        """lime's neighbourhood: (masks, classifier_fn's outputs, distances x100),
        row 0 the original."""
        s = self._sample(indexed_string, num_samples, distance_metric)
        return s.data, classifier_fn(s.texts), s.distances
