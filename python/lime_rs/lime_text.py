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

import functools
import numbers
import re
from functools import partial

import numpy as np

from lime_rs import _native, explanation, lime_base
from lime_rs._random import check_random_state, draw_seed
from lime_rs._validation import as_float_array, check_feature_selection, check_int

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


def _esc(cp):
    if 0xD800 <= cp <= 0xDFFF:
        raise _Untranslatable("surrogate")
    ch = chr(cp)
    return ch if ch in _ALNUM else f"\\x{{{cp:X}}}"


@functools.cache
def _category_body(name, limit):
    """Body of a Rust character class holding the code points below ``limit``
    that Python's ``re`` (Unicode mode) puts in category ``name``."""
    cps = np.arange(min(limit, 0xD800), dtype=np.uint32)
    if limit > 0xE000:
        cps = np.concatenate([cps, np.arange(0xE000, limit, dtype=np.uint32)])
    text = cps.tobytes().decode("utf-32-le")

    def code_point(i):
        return i if i < 0xD800 else i + 0x800

    parts = []
    for m in re.finditer(_CATEGORY_PATTERNS[name] + "+", text):
        a, b = m.start(), m.end() - 1
        if a < 0xD800 <= b:
            parts.append(f"{_esc(a)}-{_esc(0xD7FF)}{_esc(0xE000)}-{_esc(code_point(b))}")
        else:
            parts.append(f"{_esc(code_point(a))}-{_esc(code_point(b))}")
    return "".join(parts)


def _category(name, flags, limit):
    """A Rust class for a category item of a Python pattern."""
    negate = name in _NEGATED_CATEGORIES
    base = _NEGATED_CATEGORIES.get(name, name)
    if base not in _CATEGORY_PATTERNS:
        raise _Untranslatable(name)
    body = _ASCII_CATEGORIES[base] if flags & re.ASCII else _category_body(base, limit)
    return ("[^" if negate else "[") + body + "]"


class _Translator:
    def __init__(self, parser, limit):
        self.maxrepeat = parser.MAXREPEAT
        self.limit = limit

    def seq(self, items, flags):
        return "".join(self.node(op, av, flags) for op, av in items)

    def node(self, op, av, flags):
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
            rep = f"{{{lo},}}" if hi == self.maxrepeat else f"{{{lo},{hi}}}"
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

    def anchor(self, name, flags):
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

    def charset(self, items, flags):
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


def _parser_module():
    parser = getattr(re, "_parser", None)
    if parser is None:  # Python 3.10
        import sre_parse as parser
    return parser


def _translate(expr, ascii_input):
    """A Rust pattern matching exactly what ``expr`` matches in Python (on ASCII
    text only when ``ascii_input``), or None. The pattern must not match the
    empty string and must not capture (either would change ``re.split``)."""
    try:
        parser = _parser_module()
        tree = parser.parse(expr)
        if tree.state.flags & ~re.UNICODE or tree.state.groups != 1:
            return None
        if tree.getwidth()[0] == 0:
            return None
        limit = 0x80 if ascii_input else 0x110000
        return _Translator(parser, limit).seq(tree, re.UNICODE)
    except _Untranslatable:
        return None
    except Exception:  # an unexpected parse tree: Python's re stays the reference
        return None


@functools.lru_cache(maxsize=128)
def _native_splitter(expr, ascii_input):
    pattern = _translate(expr, ascii_input)
    if pattern is None:
        return None
    try:
        return _native.TextSplitter(pattern)
    except ValueError:  # e.g. over Rust's size limits
        return None


def _check_str(value, name):
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected a str, got {type(value).__name__} ({value!r:.80})")
    return value


def _regex_index(raw, expr, bow, mask):
    if not isinstance(expr, str):
        raise TypeError(
            "split_expression: expected a regular expression string or a callable returning "
            f"a list of str tokens, got {type(expr).__name__} ({expr!r:.80})"
        )
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


def _call_tokenizer(tokenizer, raw):
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


def _feature_ids(words, d):
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

    def _set_index(self, index):
        self._index = index
        self.as_list = index.tokens()
        self.as_np = np.array(self.as_list)
        self.inverse_vocab = index.words()
        flat, offsets = index.positions()
        if self.bow:
            flat, offsets = flat.tolist(), offsets.tolist()
            self.positions = [flat[a:b] for a, b in zip(offsets[:-1], offsets[1:])]
        else:
            self.positions = np.array(flat.tolist())

    def _native(self):
        index = self.__dict__.get("_index")
        if index is None:
            index = _native.TextIndex.from_tokens(
                list(self.as_list), list(self._is_word), self.bow, self.mask_string
            )
            self._index = index
        return index

    def __getstate__(self):
        state = self.__dict__.copy()
        index = state.pop("_index", None)
        if index is not None:
            state["_is_word"] = (index.token_features() >= 0).tolist()
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    def raw_string(self):
        """Returns the original raw string"""
        return self.raw

    def num_words(self):
        """Returns the number of tokens in the vocabulary for this document."""
        return len(self.inverse_vocab)

    def word(self, id_):
        """Returns the word that corresponds to id_ (int)"""
        return self.inverse_vocab[id_]

    def string_position(self, id_):
        """Returns a np array with indices to id_ (int) occurrences"""
        if self.bow:
            return self.string_start[self.positions[id_]]
        else:
            return self.string_start[[self.positions[id_]]]

    def inverse_removing(self, words_to_remove):
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


class IndexedString(_IndexedBase):
    """String with various indexes."""

    def __init__(self, raw_string, split_expression=r"\W+", bow=True, mask_string=None):
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
        _check_str(raw_string, "raw_string")
        self.raw = raw_string
        self.mask_string = "UNKWORDZ" if mask_string is None else mask_string
        _check_str(self.mask_string, "mask_string")
        self.bow = bool(bow)
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
    def _segment_with_tokens(text, tokens):
        """Segment a string around the tokens created by a passed-in tokenizer"""
        return _native.TextIndex.from_tokenizer(
            _check_str(text, "text"), _call_tokenizer(lambda _: tokens, text), True, ""
        ).tokens()


class IndexedCharacters(_IndexedBase):
    """String with various indexes."""

    def __init__(self, raw_string, bow=True, mask_string=None):
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
        _check_str(raw_string, "raw_string")
        self.raw = raw_string
        self.mask_string = chr(0) if mask_string is None else mask_string
        _check_str(self.mask_string, "mask_string")
        self.bow = bool(bow)
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
        return cls(rec.StoredIndexedString(raw, tokens, bow, words, positions))


# --------------------------------------------------------------------------
# Explainer
# --------------------------------------------------------------------------


def _exponential_kernel(d, kernel_width):
    return np.sqrt(np.exp(-(d**2) / kernel_width**2))


def _check_predictions(yss, num_samples):
    try:
        arr = np.asarray(yss, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            "classifier_fn: must return an array of numbers of shape (num_samples, n_classes) "
            f"(for scikit-learn, pass predict_proba); got {type(yss).__name__}: {exc}"
        ) from None
    if arr.ndim != 2:
        hint = (
            " (a 1-D output looks like predict(); pass predict_proba, or reshape to (-1, 1) "
            "for a single score)"
            if arr.ndim == 1
            else ""
        )
        raise ValueError(
            "classifier_fn: must return a 2-D array of shape (num_samples, n_classes), got an "
            f"array of shape {arr.shape}{hint}"
        )
    if arr.shape[0] != num_samples:
        raise ValueError(
            f"classifier_fn: returned {arr.shape[0]} rows for {num_samples} texts; it must "
            "return one row of class probabilities per text, in order"
        )
    if arr.shape[1] == 0:
        raise ValueError("classifier_fn: returned an array with no columns (no classes)")
    if not np.isfinite(arr).all():
        r, c = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            f"classifier_fn: returned NaN or infinity (first at row {int(r)}, column {int(c)}; "
            "row 0 is the original text)"
        )
    return np.ascontiguousarray(arr)


def _check_labels(labels, n_classes):
    try:
        items = list(labels)
    except TypeError:
        raise TypeError(
            f"labels: expected an iterable of class indices, got {type(labels).__name__} "
            f"({labels!r:.80})"
        ) from None
    columns = []
    for label in items:
        if isinstance(label, bool) or not isinstance(label, numbers.Integral):
            raise TypeError(
                f"labels: expected integer class indices, got {type(label).__name__} ({label!r:.80})"
            )
        if not -n_classes <= int(label) < n_classes:
            raise ValueError(
                f"labels: {int(label)} is not a class of the classifier; classifier_fn returns "
                f"{n_classes} classes (labels 0..{n_classes - 1})"
            )
        columns.append(int(label) % n_classes)
    return items, columns


def _distances(data, cosine, distance_metric):
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


class LimeTextExplainer:
    """Explains text classifiers.
    Currently, we are using an exponential kernel on cosine distance, and
    restricting explanations to words that are present in documents."""

    def __init__(
        self,
        kernel_width=25,
        kernel=None,
        verbose=False,
        class_names=None,
        feature_selection="auto",
        split_expression=r"\W+",
        bow=True,
        mask_string=None,
        random_state=None,
        char_level=False,
    ):
        """Init function.

        Args:
            kernel_width: kernel width for the exponential kernel.
            kernel: similarity kernel that takes euclidean distances and kernel
                width as input and outputs weights in (0,1). If None, defaults to
                an exponential kernel.
            verbose: if true, print local prediction values from linear model
            class_names: list of class names, ordered according to whatever the
                classifier is using. If not present, class names will be '0',
                '1', ...
            feature_selection: feature selection method. can be
                'forward_selection', 'lasso_path', 'none' or 'auto'.
                See function 'explain_instance_with_data' in lime_base.py for
                details on what each of the options does.
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
        if not (isinstance(split_expression, str) or callable(split_expression)):
            raise TypeError(
                "split_expression: expected a regular expression string or a callable "
                f"returning a list of str tokens, got {type(split_expression).__name__}"
            )
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
            kernel = _exponential_kernel
            self._native_kernel_width = abs(float(kernel_width))
        else:
            self._native_kernel_width = None
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
        text_instance,
        classifier_fn,
        labels=(1,),
        top_labels=None,
        num_features=10,
        num_samples=5000,
        distance_metric="cosine",
        model_regressor=None,
    ):
        """Generates explanations for a prediction.

        First, we generate neighborhood data by randomly hiding features from
        the instance (see __data_labels_distance_mapping). We then learn
        locally weighted linear models on this neighborhood data to explain
        each of the classes in an interpretable way (see lime_base.py).

        Args:
            text_instance: raw text string to be explained.
            classifier_fn: classifier prediction probability function, which
                takes a list of d strings and outputs a (d, k) numpy array with
                prediction probabilities, where k is the number of classes.
                For ScikitClassifiers , this is classifier.predict_proba.
            labels: iterable with labels to be explained.
            top_labels: if not None, ignore labels and produce explanations for
                the K labels with highest prediction probabilities, where K is
                this parameter.
            num_features: maximum number of features present in explanation
            num_samples: size of the neighborhood to learn the linear model
            distance_metric: the distance metric to use for sample weighting,
                defaults to cosine similarity
            model_regressor: sklearn regressor to use in explanation. Defaults
            to Ridge regression in LimeBase. Must have model_regressor.coef_
            and 'sample_weight' as a parameter to model_regressor.fit()
        Returns:
            An Explanation object (see explanation.py) with the corresponding
            explanations.
        """
        _check_str(text_instance, "text_instance")
        if not text_instance:
            raise ValueError("text_instance: is an empty string; there is nothing to explain")
        num_features, num_samples, top_labels = self._check_call(
            classifier_fn, num_features, num_samples, top_labels, distance_metric
        )
        job = self._neighbourhood(text_instance, num_samples, distance_metric)
        yss_raw = classifier_fn(job.texts)
        job.texts = None
        yss = _check_predictions(yss_raw, num_samples)
        ret_exp, fit = self._start_explanation(
            job, yss, np.asarray(yss_raw), labels, top_labels, model_regressor
        )
        if fit is not None:
            data, yss, weights, columns = fit
            results = _native.explain_with_data(
                data, yss, weights, columns, num_features, self.feature_selection,
                return_stderr=True,
            )  # fmt: skip
            self._store_models(ret_exp, job.labels, columns, results, yss)
        else:
            self._fit_in_python(ret_exp, job, num_features, model_regressor)
        return self._record(ret_exp, job, num_samples, num_features, distance_metric,
                            model_regressor)  # fmt: skip

    def _record(self, exp, job, num_samples, num_features, distance_metric, regressor):
        """Settings and seed on the explanation (lime_rs.serialization.record)."""
        from lime_rs.serialization import record

        return record(exp, self, job.seed, num_samples=num_samples, num_features=num_features,
                      distance_metric=distance_metric, model_regressor=regressor)  # fmt: skip

    def explain_instances(
        self,
        texts,
        classifier_fn,
        *,
        labels=(1,),
        top_labels=None,
        num_features=10,
        num_samples=5000,
        distance_metric="cosine",
        model_regressor=None,
        batch_size=None,
        progress_bar=False,
    ):
        """Explains many texts: one Explanation per text, in order (lime_rs addition).

        The neighbourhoods of several texts are generated in Rust, the
        classifier is called once per chunk of texts (on the perturbed
        documents of every text of the chunk, concatenated in order), and the
        local models of the chunk are fitted in one native call, in parallel
        over texts with the GIL released.

        Determinism contract: ``explain_instances(texts, f, **kw)`` returns
        exactly what ``[explain_instance(t, f, **kw) for t in texts]`` returns
        on an explainer in the same state (one seed per text is drawn from
        ``random_state`` in order, as successive ``explain_instance`` calls
        do), whatever ``batch_size``, ``LIME_RS_NUM_THREADS`` or the chunking.
        The explainer's ``random_state`` is advanced as by those calls.

        Thread safety: explainers may be used from several threads at once
        (heavy work releases the GIL). With one explainer per thread, results
        results equal serial ones. Threads sharing one explainer share its
        ``random_state``: every row (every ``explain_instance`` call) draws
        one seed from it atomically, so the rows of concurrent calls get the
        seeds of *some* serial order of those rows; each explanation is valid
        and equals the serial one for the seed it got, but which row gets
        which seed depends on scheduling. For reproducible results, give each
        thread its own explainer (``copy.deepcopy`` or a pickle round trip).

        Args:
            texts: a list (or other sequence) of str.
            classifier_fn: as in explain_instance; it is called on lists of up
                to ``batch_size`` perturbed documents.
            labels, top_labels, num_features, num_samples, distance_metric,
                model_regressor: as in explain_instance.
            batch_size: maximum number of perturbed documents per classifier
                call (at least ``num_samples``: a text's neighbourhood is never
                split). Default: 100,000 documents and at most about 256 MB
                of document text per call.
            progress_bar: if True, show a tqdm progress bar (texts done).

        Returns:
            A list of Explanation objects, one per text (empty for no texts).
        """
        items = _check_texts(texts)
        num_features, num_samples, top_labels = self._check_call(
            classifier_fn, num_features, num_samples, top_labels, distance_metric
        )
        limit, chars = _chunk_limits(batch_size, num_samples)
        bar = _progress(progress_bar, len(items), "explain_instances")
        out = []
        try:
            start = 0
            while start < len(items):
                stop = start + 1
                size = len(items[start])
                while stop < len(items) and (stop - start + 1) * num_samples <= limit:
                    size += len(items[stop])
                    if chars is not None and size * num_samples > chars:
                        break
                    stop += 1
                out.extend(
                    self._explain_chunk(
                        items[start:stop],
                        start,
                        classifier_fn,
                        labels,
                        top_labels,
                        num_features,
                        num_samples,
                        distance_metric,
                        model_regressor,
                    )
                )
                if bar is not None:
                    bar.update(stop - start)
                start = stop
        finally:
            if bar is not None:
                bar.close()
        return out

    # --- the stages of one explanation, shared by explain_instance(s) ---

    def _check_call(self, classifier_fn, num_features, num_samples, top_labels, distance_metric):
        if not callable(classifier_fn):
            raise TypeError(
                "classifier_fn: expected a callable taking a list of str and returning "
                f"class probabilities, got {type(classifier_fn).__name__}"
            )
        num_features = check_int(num_features, "num_features", minimum=1)
        num_samples = check_int(num_samples, "num_samples", minimum=2)
        if top_labels is not None:
            top_labels = check_int(top_labels, "top_labels", minimum=0)
        if not isinstance(distance_metric, str):
            raise TypeError(
                f"distance_metric: expected a metric name, got {type(distance_metric).__name__}"
            )
        return num_features, num_samples, top_labels

    def _neighbourhood(self, text_instance, num_samples, distance_metric):
        """Tokenise, draw this explanation's seed, sample and render the
        perturbed documents (everything before the classifier)."""
        _check_str(text_instance, "text_instance")
        if not text_instance:
            raise ValueError("text_instance: is an empty string; there is nothing to explain")
        indexed_string = (
            IndexedCharacters(text_instance, bow=self.bow, mask_string=self.mask_string)
            if self.char_level
            else IndexedString(
                text_instance,
                bow=self.bow,
                split_expression=self.split_expression,
                mask_string=self.mask_string,
            )
        )
        if indexed_string.num_words() == 0:
            raise ValueError(
                f"text_instance: has no words to explain: split_expression "
                f"{self.split_expression!r:.80} finds only separators in {text_instance!r:.80}"
            )
        index = indexed_string._native()
        seed = draw_seed(self.random_state)
        data, cosine = index.sample(num_samples, seed)
        texts = index.perturbed_strings(data)
        distances = _distances(data, cosine, distance_metric)
        job = _TextJob(indexed_string, data, distances, texts)
        job.seed = seed  # recorded on the explanation
        return job

    def _start_explanation(self, job, yss, yss_raw, labels, top_labels, model_regressor):
        """The Explanation with its labels, and (data, yss, weights, columns)
        for the native fit (None when a model_regressor is fitted in Python)."""
        if self.class_names is None:
            self.class_names = [str(x) for x in range(yss.shape[1])]
        ret_exp = explanation.Explanation(
            domain_mapper=TextDomainMapper(job.indexed_string),
            class_names=self.class_names,
            random_state=self.random_state,
        )
        # lime's latest source keeps score and local_pred per label
        ret_exp.score = {}
        ret_exp.local_pred = {}
        ret_exp.predict_proba = yss_raw[0]
        if top_labels:
            labels = np.argsort(yss_raw[0])[-top_labels:]
            ret_exp.top_labels = list(labels)
            ret_exp.top_labels.reverse()
        job.labels, columns = _check_labels(labels, yss.shape[1])
        job.yss = yss
        num_samples = yss.shape[0]
        distances = job.distances
        if self._native_kernel_width is not None:
            job.weights = _native.kernel(distances, self._native_kernel_width)
        else:
            weights = as_float_array(self.base.kernel_fn(distances), "kernel(distances)", 1)
            if weights.shape[0] != num_samples:
                raise ValueError(
                    f"kernel: returned {weights.shape[0]} weights for {num_samples} distances"
                )
            job.weights = weights
        if model_regressor is None and columns:
            return ret_exp, (job.data, yss, job.weights, columns)
        return ret_exp, None

    def _store_models(self, ret_exp, labels, columns, results, yss):
        for label, column, res in zip(labels, columns, results):
            intercept, features, coefs, score, local_pred, *se = res
            ret_exp.intercept[label] = np.float64(intercept)
            ret_exp.local_exp[label] = list(zip(features, coefs))
            if se:
                ret_exp.local_exp_stderr[label] = list(zip(features, se[0]))
            ret_exp.score[label] = float(score)
            ret_exp.local_pred[label] = np.array([local_pred])
            if self.base.verbose:
                print("Intercept", ret_exp.intercept[label])
                print("Prediction_local", ret_exp.local_pred[label])
                print("Right:", yss[0, column])

    def _fit_in_python(self, ret_exp, job, num_features, model_regressor):
        for label in job.labels:
            (
                ret_exp.intercept[label],
                ret_exp.local_exp[label],
                ret_exp.score[label],
                ret_exp.local_pred[label],
            ) = self.base.explain_instance_with_data(
                job.data,
                job.yss,
                job.distances,
                label,
                num_features,
                model_regressor=model_regressor,
                feature_selection=self.feature_selection,
            )

    def _explain_chunk(
        self,
        chunk,
        first,
        classifier_fn,
        labels,
        top_labels,
        num_features,
        num_samples,
        distance_metric,
        model_regressor,
    ):
        """Explanations of a few texts with one classifier call and one native
        fit. Nothing is returned unless every text of the chunk succeeded."""
        jobs = []
        for i, text in enumerate(chunk):
            try:
                jobs.append(self._neighbourhood(text, num_samples, distance_metric))
            except (TypeError, ValueError) as exc:
                if type(exc) in (TypeError, ValueError):
                    raise type(exc)(f"texts[{first + i}]: {exc}") from exc
                raise
        docs = [doc for job in jobs for doc in job.texts]
        for job in jobs:
            job.texts = None
        total = len(docs)
        yss_raw = classifier_fn(docs)
        del docs
        yss_all = _check_predictions(yss_raw, total)
        raw_all = np.asarray(yss_raw)
        exps, fits = [], []
        for i, job in enumerate(jobs):
            rows = slice(i * num_samples, (i + 1) * num_samples)
            yss = yss_all[rows]
            try:
                yss = _check_predictions(yss, num_samples)
            except ValueError as exc:
                raise ValueError(f"texts[{first + i}]: {exc}") from exc
            ret_exp, fit = self._start_explanation(
                job, yss, raw_all[rows], labels, top_labels, model_regressor
            )
            exps.append(ret_exp)
            fits.append(fit)
        for ret_exp in exps:
            # a copy, not a view of the chunk's predictions (bounded memory)
            ret_exp.predict_proba = np.array(ret_exp.predict_proba)
        native = [i for i, fit in enumerate(fits) if fit is not None]
        if native:
            results = _native.explain_with_data_many(
                [fits[i][0] for i in native],
                [fits[i][1] for i in native],
                [fits[i][2] for i in native],
                [fits[i][3] for i in native],
                num_features,
                self.feature_selection,
                return_stderr=True,
            )
            for i, res in zip(native, results):
                self._store_models(exps[i], jobs[i].labels, fits[i][3], res, fits[i][1])
        for i, fit in enumerate(fits):
            if fit is None:
                self._fit_in_python(exps[i], jobs[i], num_features, model_regressor)
        for exp, job in zip(exps, jobs):
            self._record(exp, job, num_samples, num_features, distance_metric, model_regressor)
        return exps

    def _data_labels_distances(
        self, indexed_string, classifier_fn, num_samples, distance_metric="cosine"
    ):
        """Generates a neighborhood around a prediction.

        Generates neighborhood data by randomly removing words from
        the instance, and predicting with the classifier. Uses cosine distance
        to compute distances between original and perturbed instances.

        Returns:
            A tuple (data, labels, distances), where:
                data: dense num_samples * K binary matrix, where K is the
                    number of tokens in indexed_string. The first row is the
                    original instance, and thus a row of ones.
                labels: what classifier_fn returned for the num_samples texts
                distances: cosine distance between the original instance and
                    each perturbed instance (computed in the binary 'data'
                    matrix), times 100.
        """
        index = indexed_string._native()
        data, cosine = index.sample(num_samples, draw_seed(self.random_state))
        texts = index.perturbed_strings(data)
        labels = classifier_fn(texts)
        del texts
        distances = _distances(data, cosine, distance_metric)
        return data, labels, distances


class _TextJob:
    """One text's state between its stages."""

    __slots__ = (
        "indexed_string", "data", "distances", "texts", "labels", "weights", "yss", "seed",
    )  # fmt: skip

    def __init__(self, indexed_string, data, distances, texts):
        self.indexed_string = indexed_string
        self.data = data
        self.distances = distances
        self.texts = texts
        self.labels = None
        self.weights = None
        self.yss = None
        self.seed = None


def _check_texts(texts):
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


# Default bounds of one classifier call in explain_instances.
_DEFAULT_BATCH_SAMPLES = 100_000
_DEFAULT_BATCH_CHARS = 256 * 2**20


def _chunk_limits(batch_size, num_samples):
    """(max perturbed documents per call, max characters per call or None)."""
    if batch_size is None:
        return max(_DEFAULT_BATCH_SAMPLES, num_samples), _DEFAULT_BATCH_CHARS
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    return max(batch_size, num_samples), None


def _progress(progress_bar, total, desc):
    if not progress_bar:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="row")
