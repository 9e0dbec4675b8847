//! lime's `IndexedString` / `IndexedCharacters`: a document cut into tokens
//! (words and the separators between them), each word token mapped to a
//! feature: one per distinct word (bag of words) or one per occurrence.

use std::collections::HashMap;

use crate::error::{LimeError, Result};

/// Feature id of a token that is not a word (a separator).
pub const NON_WORD: u32 = u32::MAX;

/// Slack of rendering buffers: runs are copied in blocks of this many bytes.
pub const PAD: usize = 16;

/// Copies `src[start..end]` to `out[pos..]` in fixed blocks of `PAD` bytes
/// (a few register moves instead of a `memcpy` call for the short runs
/// between removed words). `src` must extend `PAD` bytes past `end` and `out`
/// `PAD` bytes past the end of the copy; the extra bytes written are
/// overwritten by later runs or ignored. Returns the new position.
#[inline(always)]
fn copy_run(out: &mut [u8], mut pos: usize, src: &[u8], mut start: usize, end: usize) -> usize {
    while start < end {
        out[pos..pos + PAD].copy_from_slice(&src[start..start + PAD]);
        let step = (end - start).min(PAD);
        pos += step;
        start += step;
    }
    pos
}

/// Reusable buffers of [`TextIndex::render_row`].
#[derive(Debug, Default)]
pub struct RenderScratch {
    features: Vec<u64>,
    spans: Vec<u64>,
}

#[derive(Debug, Clone, Copy)]
struct WordSpan {
    start: usize,
    end: usize,
    feature: usize,
}

#[derive(Debug, Clone)]
pub struct TextIndex {
    /// All tokens, concatenated.
    arena: Vec<u8>,
    /// `arena` and `mask` followed by `PAD` zero bytes (see [`copy_run`]).
    padded: Vec<u8>,
    padded_mask: Vec<u8>,
    /// Token `t` is `arena[bounds[t]..bounds[t + 1]]`.
    bounds: Vec<usize>,
    /// Feature of each token, or `NON_WORD`.
    token_feature: Vec<u32>,
    /// Token indices of each feature, in order.
    positions: Vec<Vec<u32>>,
    /// Byte range and feature of every word token, in document order.
    word_spans: Vec<WordSpan>,
    /// Indices into `word_spans` of each feature's occurrences:
    /// `feature_spans[span_offsets[f]..span_offsets[f + 1]]`.
    feature_spans: Vec<u32>,
    span_offsets: Vec<usize>,
    bow: bool,
    mask: Vec<u8>,
}

/// Number of code points in UTF-8 / WTF-8 bytes.
pub fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

/// Byte length of the (WTF-8) character starting with `lead`.
fn char_width(lead: u8) -> usize {
    match lead {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

impl TextIndex {
    /// From tokens (given as one byte string cut at `bounds`) and word flags.
    pub fn from_tokens(
        arena: Vec<u8>,
        bounds: Vec<usize>,
        is_word: &[bool],
        bow: bool,
        mask: Vec<u8>,
    ) -> Result<Self> {
        let n = bounds.len().saturating_sub(1);
        if is_word.len() != n {
            return Err(LimeError::shape(
                "is_word",
                format!("has {} flags for {n} tokens", is_word.len()),
            ));
        }
        if bounds.first().is_some_and(|&b| b != 0)
            || bounds.windows(2).any(|w| w[0] > w[1])
            || bounds.last().is_some_and(|&b| b != arena.len())
        {
            return Err(LimeError::invalid(
                "bounds",
                "must rise from 0 to the length of the text",
            ));
        }
        if n >= NON_WORD as usize {
            return Err(LimeError::invalid(
                "raw_string",
                format!("has too many tokens ({n})"),
            ));
        }
        let mut token_feature = vec![NON_WORD; n];
        let mut positions: Vec<Vec<u32>> = Vec::new();
        let mut vocab: HashMap<&[u8], u32> = HashMap::new();
        for t in 0..n {
            if !is_word[t] {
                continue;
            }
            let feature = if bow {
                let word = &arena[bounds[t]..bounds[t + 1]];
                *vocab.entry(word).or_insert_with(|| {
                    positions.push(Vec::new());
                    (positions.len() - 1) as u32
                })
            } else {
                positions.push(Vec::new());
                (positions.len() - 1) as u32
            };
            positions[feature as usize].push(t as u32);
            token_feature[t] = feature;
        }
        drop(vocab);
        let word_spans: Vec<WordSpan> = (0..n)
            .filter(|&t| token_feature[t] != NON_WORD)
            .map(|t| WordSpan {
                start: bounds[t],
                end: bounds[t + 1],
                feature: token_feature[t] as usize,
            })
            .collect();
        let mut span_offsets = vec![0usize; positions.len() + 1];
        for s in &word_spans {
            span_offsets[s.feature + 1] += 1;
        }
        for f in 0..positions.len() {
            span_offsets[f + 1] += span_offsets[f];
        }
        let mut fill = span_offsets.clone();
        let mut feature_spans = vec![0u32; word_spans.len()];
        for (i, s) in word_spans.iter().enumerate() {
            feature_spans[fill[s.feature]] = i as u32;
            fill[s.feature] += 1;
        }
        let pad = |v: &[u8]| {
            let mut p = Vec::with_capacity(v.len() + PAD);
            p.extend_from_slice(v);
            p.resize(v.len() + PAD, 0);
            p
        };
        Ok(TextIndex {
            padded: pad(&arena),
            padded_mask: pad(&mask),
            arena,
            bounds,
            token_feature,
            positions,
            word_spans,
            feature_spans,
            span_offsets,
            bow,
            mask,
        })
    }

    /// Segmented around the tokens of a user tokenizer, as lime's
    /// `IndexedString._segment_with_tokens`: text between tokens becomes its
    /// own piece, and a piece is a word when it equals one of the tokens.
    pub fn from_tokenizer(text: &[u8], tokens: &[&[u8]], bow: bool, mask: Vec<u8>) -> Result<Self> {
        let mut bounds = vec![0usize];
        let mut ptr = 0usize;
        for (k, token) in tokens.iter().enumerate() {
            let at = if token.is_empty() {
                Some(ptr)
            } else {
                text.get(ptr..)
                    .and_then(|rest| rest.windows(token.len()).position(|w| w == *token))
                    .map(|i| ptr + i)
            };
            let Some(at) = at else {
                return Err(LimeError::invalid(
                    "split_expression",
                    format!(
                        "Tokenization produced tokens that do not belong in string! (token {k}, {:?}, \
                         is not found after position {} of the text)",
                        String::from_utf8_lossy(token),
                        count_chars(&text[..ptr])
                    ),
                ));
            };
            if at > ptr {
                bounds.push(at);
            }
            ptr = at + token.len();
            bounds.push(ptr);
        }
        if ptr < text.len() {
            bounds.push(text.len());
        }
        let set: std::collections::HashSet<&[u8]> = tokens.iter().copied().collect();
        let flags: Vec<bool> = bounds
            .windows(2)
            .map(|w| set.contains(&text[w[0]..w[1]]))
            .collect();
        Self::from_tokens(text.to_vec(), bounds, &flags, bow, mask)
    }

    /// Every character a word (lime's `IndexedCharacters`).
    pub fn from_chars(text: &[u8], bow: bool, mask: Vec<u8>) -> Result<Self> {
        let mut bounds = Vec::with_capacity(text.len() + 1);
        let mut i = 0;
        bounds.push(0);
        while i < text.len() {
            i = (i + char_width(text[i])).min(text.len());
            bounds.push(i);
        }
        let flags = vec![true; bounds.len() - 1];
        Self::from_tokens(text.to_vec(), bounds, &flags, bow, mask)
    }

    pub fn num_tokens(&self) -> usize {
        self.bounds.len() - 1
    }

    /// Number of features (lime's `num_words()`).
    pub fn num_features(&self) -> usize {
        self.positions.len()
    }

    pub fn bow(&self) -> bool {
        self.bow
    }

    pub fn mask(&self) -> &[u8] {
        &self.mask
    }

    pub fn token(&self, t: usize) -> &[u8] {
        &self.arena[self.bounds[t]..self.bounds[t + 1]]
    }

    /// The whole document (the concatenated tokens).
    pub fn text(&self) -> &[u8] {
        &self.arena
    }

    pub fn token_features(&self) -> &[u32] {
        &self.token_feature
    }

    /// Token indices where each feature occurs.
    pub fn positions(&self) -> &[Vec<u32>] {
        &self.positions
    }

    /// The text of feature `f` (its first occurrence).
    pub fn word(&self, f: usize) -> &[u8] {
        self.token(self.positions[f][0] as usize)
    }

    /// Length of every token in code points.
    pub fn token_char_lengths(&self) -> Vec<usize> {
        (0..self.num_tokens())
            .map(|t| count_chars(self.token(t)))
            .collect()
    }

    /// Upper bound of a perturbed document's byte length.
    pub fn max_render_len(&self) -> usize {
        if self.bow {
            self.arena.len()
        } else {
            let words: usize = self.positions.iter().map(|p| p.len()).sum();
            self.arena.len() + words * self.mask.len()
        }
    }

    /// Bytes a buffer of [`TextIndex::render_row`] needs.
    pub fn render_capacity(&self) -> usize {
        self.max_render_len() + PAD
    }

    /// Writes the document with the features whose value in `values` is 0
    /// removed (bag of words) or replaced by the mask string into `out`
    /// (at least [`TextIndex::render_capacity`] bytes) and returns its length.
    ///
    /// Removed occurrences are found through bit sets (no branch per word, whose
    /// outcome is random), and everything between them is copied in one run.
    pub fn render_row(&self, values: &[f64], out: &mut [u8], scratch: &mut RenderScratch) -> usize {
        scratch.features.clear();
        scratch.features.extend(values.chunks(64).map(|chunk| {
            chunk
                .iter()
                .enumerate()
                .fold(0u64, |bits, (i, &v)| bits | (u64::from(v == 0.0) << i))
        }));
        scratch.spans.clear();
        scratch.spans.resize(self.word_spans.len().div_ceil(64), 0);
        for (w, &bits) in scratch.features.iter().enumerate() {
            let mut b = bits;
            while b != 0 {
                let f = w * 64 + b.trailing_zeros() as usize;
                b &= b - 1;
                let Some(range) = self.span_offsets.get(f..f + 2) else {
                    debug_assert!(false, "feature {f} past the document's features");
                    break;
                };
                for &s in &self.feature_spans[range[0]..range[1]] {
                    scratch.spans[s as usize / 64] |= 1u64 << (s % 64);
                }
            }
        }
        let (mut pos, mut cursor) = (0, 0);
        let mask_len = if self.bow { 0 } else { self.mask.len() };
        for (w, &bits) in scratch.spans.iter().enumerate() {
            let mut b = bits;
            while b != 0 {
                let span = self.word_spans[w * 64 + b.trailing_zeros() as usize];
                b &= b - 1;
                pos = copy_run(out, pos, &self.padded, cursor, span.start);
                pos = copy_run(out, pos, &self.padded_mask, 0, mask_len);
                cursor = span.end;
            }
        }
        copy_run(out, pos, &self.padded, cursor, self.arena.len())
    }

    /// lime's `inverse_removing(words_to_remove)`.
    pub fn inverse_removing(&self, remove: &[usize]) -> Result<Vec<u8>> {
        let d = self.num_features();
        let mut values = vec![1.0; d];
        for &f in remove {
            if f >= d {
                return Err(LimeError::invalid(
                    "words_to_remove",
                    format!("feature id {f} is out of range: the document has {d} features"),
                ));
            }
            values[f] = 0.0;
        }
        let mut out = vec![0; self.render_capacity()];
        let len = self.render_row(&values, &mut out, &mut RenderScratch::default());
        out.truncate(len);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(ix: &TextIndex) -> Vec<String> {
        (0..ix.num_tokens())
            .map(|t| String::from_utf8(ix.token(t).to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn bag_of_words_positions() {
        let text = b"Please, take your time. Please";
        let words: [&[u8]; 5] = [b"Please", b"take", b"your", b"time", b"Please"];
        let ix = TextIndex::from_tokenizer(text, &words, true, b"UNKWORDZ".to_vec()).unwrap();
        assert_eq!(ix.num_features(), 4);
        assert_eq!(ix.positions(), &[vec![0, 8], vec![2], vec![4], vec![6]]);
        assert_eq!(ix.word(1), b"take");
        assert_eq!(ix.inverse_removing(&[0]).unwrap(), b", take your time. ");
        assert_eq!(
            ix.inverse_removing(&[]).unwrap(),
            b"Please, take your time. Please"
        );
        assert!(ix.inverse_removing(&[4]).is_err());
    }

    #[test]
    fn positional_features_and_mask() {
        let ix =
            TextIndex::from_tokenizer(b"a b a", &[b"a", b"b", b"a"], false, b"X".to_vec()).unwrap();
        assert_eq!(ix.num_features(), 3);
        assert_eq!(ix.inverse_removing(&[2]).unwrap(), b"a b X");
    }

    #[test]
    fn tokenizer_segments() {
        let ix = TextIndex::from_tokenizer(
            b"aabbccddaa",
            &[b"aa", b"bb", b"cc", b"dd", b"aa"],
            true,
            vec![],
        )
        .unwrap();
        assert_eq!(strings(&ix), ["aa", "bb", "cc", "dd", "aa"]);
        assert_eq!(ix.positions(), &[vec![0, 4], vec![1], vec![2], vec![3]]);
        let ix = TextIndex::from_tokenizer(b"x, y!", &[b"x", b"y"], true, vec![]).unwrap();
        assert_eq!(strings(&ix), ["x", ", ", "y", "!"]);
        assert_eq!(ix.token_features(), &[0, NON_WORD, 1, NON_WORD]);
        assert!(TextIndex::from_tokenizer(b"abc", &[b"z"], true, vec![]).is_err());
    }

    #[test]
    fn characters_are_code_points() {
        let text = "né😀n".as_bytes();
        let ix = TextIndex::from_chars(text, true, vec![0]).unwrap();
        assert_eq!(strings(&ix), ["n", "é", "😀", "n"]);
        assert_eq!(ix.num_features(), 3);
        assert_eq!(ix.token_char_lengths(), [1, 1, 1, 1]);
    }
}
