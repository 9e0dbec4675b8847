"""IndexedString / IndexedCharacters against lime: tokens, vocabulary,
positions and perturbed strings are identical, including Unicode text, user
tokenizers and split expressions that Rust's regex cannot express."""

import pickle
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lime import lime_text as lt

from lime_rs import lime_text as rt


def assert_same_index(ours, theirs):
    assert ours.as_list == list(theirs.as_list)
    assert ours.as_np.dtype == theirs.as_np.dtype
    assert np.array_equal(ours.as_np, theirs.as_np)
    assert ours.string_start.dtype == theirs.string_start.dtype
    assert np.array_equal(ours.string_start, theirs.string_start)
    assert ours.inverse_vocab == list(theirs.inverse_vocab)
    assert ours.num_words() == theirs.num_words()
    if ours.bow:
        assert ours.positions == theirs.positions
    else:
        assert ours.positions.dtype == theirs.positions.dtype
        assert np.array_equal(ours.positions, theirs.positions)
    for i in range(ours.num_words()):
        assert ours.word(i) == theirs.word(i)
        assert np.array_equal(ours.string_position(i), theirs.string_position(i))
    assert ours.raw_string() == theirs.raw_string()


# ---- lime's own examples (lime/tests/test_lime_text.py) --------------------


def test_indexed_characters_bow():
    s = "Please, take your time"
    inverse_vocab = ["P", "l", "e", "a", "s", ",", " ", "t", "k", "y", "o", "u", "r", "i", "m"]
    positions = [
        [0],
        [1],
        [2, 5, 11, 21],
        [3, 9],
        [4],
        [6],
        [7, 12, 17],
        [8, 18],
        [10],
        [13],
        [14],
        [15],
        [16],
        [19],
        [20],
    ]
    ic = rt.IndexedCharacters(s)
    assert np.array_equal(ic.as_np, np.array(list(s)))
    assert np.array_equal(ic.string_start, np.arange(len(s)))
    assert ic.inverse_vocab == inverse_vocab
    assert ic.positions == positions
    assert_same_index(ic, lt.IndexedCharacters(s))


def test_indexed_characters_not_bow():
    s = "Please, take your time"
    ic = rt.IndexedCharacters(s, bow=False)
    assert np.array_equal(ic.as_np, np.array(list(s)))
    assert np.array_equal(ic.string_start, np.arange(len(s)))
    assert ic.inverse_vocab == list(s)
    assert np.array_equal(ic.positions, np.arange(len(s)))
    assert_same_index(ic, lt.IndexedCharacters(s, bow=False))


def test_indexed_string_regex():
    s = "Please, take your time. Please"
    tokenized_string = np.array(["Please", ", ", "take", " ", "your", " ", "time", ". ", "Please"])
    inverse_vocab = ["Please", "take", "your", "time"]
    start_positions = [0, 6, 8, 12, 13, 17, 18, 22, 24]
    positions = [[0, 8], [2], [4], [6]]
    indexed_string = rt.IndexedString(s)
    assert np.array_equal(indexed_string.as_np, tokenized_string)
    assert np.array_equal(indexed_string.string_start, start_positions)
    assert indexed_string.inverse_vocab == inverse_vocab
    assert indexed_string.positions == positions
    assert_same_index(indexed_string, lt.IndexedString(s))


def test_indexed_string_callable():
    s = "aabbccddaa"

    def tokenizer(string):
        return [string[i] + string[i + 1] for i in range(0, len(string) - 1, 2)]

    indexed_string = rt.IndexedString(s, tokenizer)
    assert np.array_equal(indexed_string.as_np, np.array(["aa", "bb", "cc", "dd", "aa"]))
    assert np.array_equal(indexed_string.string_start, [0, 2, 4, 6, 8])
    assert indexed_string.inverse_vocab == ["aa", "bb", "cc", "dd"]
    assert indexed_string.positions == [[0, 4], [1], [2], [3]]
    assert_same_index(indexed_string, lt.IndexedString(s, tokenizer))


def test_indexed_string_inverse_removing_tokenizer():
    s = "This is a good movie. This, it is a great movie."

    def tokenizer(string):
        return re.split(r"(?:\W+)|$", string)

    indexed_string = rt.IndexedString(s, tokenizer)
    assert indexed_string.inverse_removing([]) == s
    assert_same_index(indexed_string, lt.IndexedString(s, tokenizer))


def test_indexed_string_inverse_removing_regex():
    s = "This is a good movie. This is a great movie"
    indexed_string = rt.IndexedString(s)
    assert indexed_string.inverse_removing([]) == s


# ---- tokenisation parity ------------------------------------------------------

UNICODE_TEXTS = [
    "Café crème, s'il vous plaît! Ça coûte 3,50 €.",
    "e\u0301te\u0301 \u00bd \u00b2 \u2167 x\u00b9",  # combining accents, numbers Python calls \w
    "हिन्दी भाषा में लिखा गया वाक्य।",  # vowel signs: Python's \w differs from Rust's
    "日本語のテキストと中文文本，还有한국어 텍스트。",
    "emoji 😀👍🏽 and flags 🇫🇷🇩🇪 and ZWJ 👩‍👩‍👧 sequences 😀x😀",
    "mixed: Ελληνικά, русский, עברית, العربية 123 ٣٤٥",
    "tabs\tand\x1c\x1dcontrol\x1fseparators\u2028line\u00a0nbsp\u3000ideographic",
    "trailing newline\n",
    "\n",
    "ends with separator!",
    "!leading separator",
    "",
    "   ",
    "a",
    "under_score snake_case __dunder__",
]

PATTERNS = [
    r"\W+",  # lime's default
    r"\s+",
    r" ",
    r"[ ,.!?]+",
    r"\W",
    r"[^\w']+",
    r"\d+|\W+",
    r"[\s\d]+",
    r"(?:,\s*|\s+)",
    r"[^a-zA-Z]+",
    r"(?m:^)\w",
    r"\S+?",
    r"(?a:\W+)",
    r"(?s:.)x",
    r"\W+?",
    # patterns whose meaning differs between regex engines (lime_rs uses Python's re)
    r"(?<=\.)\s+",  # lookbehind
    r"(\s)+",  # a capturing group duplicates separators in re.split's output
    r"\s*",  # matches the empty string
    r"\b",  # word boundary, empty
    r"\W+\b",  # Unicode word boundary
    r"(?i:E)",  # case folding
    r"\s+$",  # Python's $ matches before a final newline
    r"(\w)\2",  # backreference
]


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("text", UNICODE_TEXTS)
def test_tokenisation_matches_lime(text, pattern):
    for bow in (True, False):
        ours = rt.IndexedString(text, split_expression=pattern, bow=bow)
        theirs = lt.IndexedString(text, split_expression=pattern, bow=bow)
        assert_same_index(ours, theirs)
        # (lime's own inverse_removing([]) fails when bow=False and there are no words)
        assert ours.inverse_removing([]) == "".join(theirs.as_list)


def test_python_unicode_classes_differ_from_rust_and_we_follow_python():
    # U+0301 (combining acute) is not \w in Python; U+00BD (one half) is.
    text = "e\u0301t\u00e9 \u00bd"
    assert rt.IndexedString(text).as_list == ["e", "\u0301", "t\u00e9", " ", "\u00bd"]


def test_positions_are_code_points():
    text = "😀 naïve café 日本 naïve"
    ours = rt.IndexedString(text)
    starts = {ours.word(i): list(ours.string_position(i)) for i in range(ours.num_words())}
    assert starts == {"naïve": [2, 16], "café": [8], "日本": [13]}
    for word, pos in starts.items():
        for p in pos:
            assert text[p : p + len(word)] == word
    exp = rt.TextDomainMapper(ours).map_exp_ids([(0, 1.0)], positions=True)
    assert exp == [("naïve_2-16", 1.0)]


alphabet = st.sampled_from(list("ab cA.,!?\n\t_1é\u0301😀日-'") + ["  ", "ab", "xyz"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.lists(alphabet, max_size=25).map("".join),
    pattern=st.sampled_from(PATTERNS[:15]),
    bow=st.booleans(),
)
def test_random_texts_match_lime(text, pattern, bow):
    ours = rt.IndexedString(text, split_expression=pattern, bow=bow, mask_string="#")
    theirs = lt.IndexedString(text, split_expression=pattern, bow=bow, mask_string="#")
    assert_same_index(ours, theirs)
    d = ours.num_words()
    rng = np.random.RandomState(len(text))
    for _ in range(3):
        if d == 0:
            break
        remove = list(rng.choice(d, rng.randint(0, d + 1), replace=False))
        assert ours.inverse_removing(remove) == theirs.inverse_removing(remove)


@settings(max_examples=60, deadline=None)
@given(text=st.lists(alphabet, max_size=20).map("".join), bow=st.booleans())
def test_random_characters_match_lime(text, bow):
    ours = rt.IndexedCharacters(text, bow=bow)
    theirs = lt.IndexedCharacters(text, bow=bow)
    assert_same_index(ours, theirs)
    d = ours.num_words()
    if d:
        remove = list(np.random.RandomState(d).choice(d, (d + 1) // 2, replace=False))
        assert ours.inverse_removing(remove) == theirs.inverse_removing(remove)


# ---- perturbed strings ------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda s, cls: cls.IndexedString(s),
        lambda s, cls: cls.IndexedString(s, bow=False),
        lambda s, cls: cls.IndexedString(s, bow=False, mask_string="[MASK]"),
        lambda s, cls: cls.IndexedString(s, split_expression=r"(?<=,)\s"),
        lambda s, cls: cls.IndexedString(s, split_expression=lambda x: x.split()),
        lambda s, cls: cls.IndexedCharacters(s),
        lambda s, cls: cls.IndexedCharacters(s, bow=False),
        lambda s, cls: cls.IndexedCharacters(s, bow=False, mask_string="_"),
    ],
)
def test_neighbourhood_strings_equal_lime_inverse_removing(make):
    text = "The café was great, the staff friendly; naïve 日本語 😀 THE end.\nthe"
    ours, theirs = make(text, rt), make(text, lt)
    index = ours._native()
    data, distances = index.sample(300, 7)
    texts = index.perturbed_strings(data)
    assert len(texts) == 300 and texts[0] == text
    assert np.all(data[0] == 1)
    assert ((data[1:] == 0).sum(axis=1) >= 1).all()
    for row, doc in zip(data, texts):
        removed = np.flatnonzero(row == 0).tolist()
        assert doc == theirs.inverse_removing(removed)
    # lime: cosine distance on the binary rows, times 100
    from sklearn.metrics.pairwise import pairwise_distances

    expected = pairwise_distances(data, data[:1], metric="cosine").ravel() * 100
    np.testing.assert_allclose(distances, expected, atol=1e-10)


def test_removal_counts_are_uniform_over_one_to_d():
    ix = rt.IndexedString("a b c d e f g h")
    data, _ = ix._native().sample(16001, 3)
    removed = (data[1:] == 0).sum(axis=1)
    counts = np.bincount(removed, minlength=9)
    assert counts[0] == 0 and counts[1:].min() > 1700  # expected 2000 each for k in 1..8
    # every feature equally likely to be removed
    per_feature = (data[1:] == 0).mean(axis=0)
    np.testing.assert_allclose(per_feature, 0.5625, atol=0.02)  # E[k]/d = 4.5/8


def test_surrogates_round_trip():
    text = "bad \ud800 surrogate and \udfff here"
    ours = rt.IndexedString(text)
    assert_same_index(ours, lt.IndexedString(text))
    assert ours.inverse_removing([]) == text
    assert ours.inverse_removing([0]) == lt.IndexedString(text).inverse_removing([0])
    assert_same_index(rt.IndexedCharacters(text), lt.IndexedCharacters(text))


def test_inverse_removing_accepts_arrays_and_negative_ids():
    s = "one two three two"
    ours, theirs = rt.IndexedString(s), lt.IndexedString(s)
    assert ours.inverse_removing(np.array([1])) == theirs.inverse_removing(np.array([1]))
    assert ours.inverse_removing([-1]) == theirs.inverse_removing([-1])
    ours, theirs = rt.IndexedString(s, bow=False), lt.IndexedString(s, bow=False)
    assert ours.inverse_removing([1, 3]) == theirs.inverse_removing([1, 3])
    with pytest.raises(IndexError, match="words_to_remove"):
        ours.inverse_removing([4])
    with pytest.raises(TypeError, match="words_to_remove"):
        ours.inverse_removing([0.5])


def test_indexed_string_pickles():
    for ix in [
        rt.IndexedString("a b, a c", bow=False, mask_string="?"),
        rt.IndexedCharacters("abca"),
    ]:
        copy = pickle.loads(pickle.dumps(ix))
        assert_same_index(copy, ix)
        assert copy.inverse_removing([0, 1]) == ix.inverse_removing([0, 1])


def test_single_token_string_start_is_lime_float():
    assert_same_index(rt.IndexedString("hello"), lt.IndexedString("hello"))
    assert rt.IndexedString("hello").string_start.dtype == np.float64


# ---- bad input ----------------------------------------------------------------------


def test_tokenizer_returning_non_strings():
    with pytest.raises(TypeError, match="split_expression.*token 1 is int"):
        rt.IndexedString("a b", split_expression=lambda s: ["a", 1])
    with pytest.raises(TypeError, match="split_expression.*list of str"):
        rt.IndexedString("a b", split_expression=lambda s: None)
    with pytest.raises(TypeError, match="split_expression.*list of str"):
        rt.IndexedString("a b", split_expression=lambda s: "a b")


def test_tokenizer_tokens_not_in_text():
    with pytest.raises(ValueError, match="Tokenization produced tokens that do not belong"):
        rt.IndexedString("a b", split_expression=lambda s: ["a", "z"])


def test_bad_types():
    with pytest.raises(TypeError, match="raw_string"):
        rt.IndexedString(b"bytes")
    with pytest.raises(TypeError, match="mask_string"):
        rt.IndexedString("a", mask_string=3)
    with pytest.raises(TypeError, match="split_expression"):
        rt.IndexedString("a", split_expression=3)
    with pytest.raises(re.error):
        rt.IndexedString("a", split_expression="(")


atoms = st.sampled_from(
    [
        r"\W",
        r"\w",
        r"\s",
        r"\S",
        r"\d",
        r"\D",
        r"[a-c]",
        r"[^\d\s]",
        "x",
        "é",
        ".",
        r"\.",
        r"[\W\d]",
        r"(?m:^)",
        r"(?m:$)",
        r"\A",
        r"\Z",
        "日",
        "😀",
        r"\n",
        "[_]",
        "-",
    ]
)
quantifiers = st.sampled_from(["", "", "+", "*", "?", "{1,2}", "+?", "*?", "{2,}"])
pieces = st.tuples(atoms, quantifiers).map("".join)
branches = st.lists(pieces, min_size=1, max_size=3).map("".join)
random_patterns = st.lists(branches, min_size=1, max_size=3).map(
    lambda alts: "|".join(alts) if len(alts) < 3 else "(?:" + "|".join(alts[:2]) + ")" + alts[2]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.lists(alphabet, max_size=25).map("".join), pattern=random_patterns)
def test_random_patterns_match_lime(text, pattern):
    """Whatever the pattern, the tokens are lime's (Python's `re`)."""
    try:
        theirs = lt.IndexedString(text, split_expression=pattern)
    except (re.error, IndexError):
        # IndexError: lime's own failure on a string with no words and bow=False
        return
    assert_same_index(rt.IndexedString(text, split_expression=pattern), theirs)
