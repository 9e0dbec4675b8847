//! Tokenisation with Python's `re.split` semantics.
//!
//! lime tokenises with `re.compile('(%s)|$' % expr).split(text)`, keeps the
//! non-empty pieces (text between matches and the separators themselves) and
//! calls a piece a non-word when the same pattern matches at its start. The
//! Python layer translates `expr` into an equivalent Rust pattern (classes such
//! as `\w` spelled out from Python's own tables) only when the translation is
//! exact and `expr` cannot match the empty string; here the `$` alternative,
//! which Python lets match at the very end and just before a final newline, is
//! handled by hand, together with Python's rule for empty matches.

use regex::{Regex, RegexBuilder};

use crate::error::{LimeError, Result};

/// Compiled size limit of a translated pattern (Python's Unicode classes
/// written out can be large).
const SIZE_LIMIT: usize = 256 << 20;

/// A split expression compiled twice: unanchored to find separators, anchored
/// to classify pieces.
#[derive(Debug, Clone)]
pub struct Splitter {
    find: Regex,
    anchored: Regex,
}

/// One piece of a split text: a byte range and whether it is a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub start: usize,
    pub end: usize,
    pub is_word: bool,
}

fn compile(pattern: &str) -> Result<Regex> {
    RegexBuilder::new(pattern)
        .size_limit(SIZE_LIMIT)
        .dfa_size_limit(SIZE_LIMIT)
        .build()
        .map_err(|e| {
            LimeError::invalid(
                "split_expression",
                format!("cannot be compiled natively: {e}"),
            )
        })
}

impl Splitter {
    /// `pattern` is a Rust-syntax pattern equivalent to the user's expression.
    pub fn new(pattern: &str) -> Result<Self> {
        Ok(Splitter {
            find: compile(pattern)?,
            anchored: compile(&format!(r"\A(?:{pattern})"))?,
        })
    }

    /// Whether `piece`, on its own, starts with a separator (Python:
    /// `splitter.match(piece)` for `(expr)|$`, where `$` also matches before a
    /// final newline).
    pub fn is_separator(&self, piece: &str) -> bool {
        piece.is_empty() || piece == "\n" || self.anchored.is_match(piece)
    }

    /// The non-empty pieces of `re.split('(expr)|$', text)`, with lime's word
    /// flags. `None` when the pattern matched the empty string (which the
    /// translation rules out; the caller then falls back to Python's `re`).
    pub fn split(&self, text: &str) -> Option<Vec<Piece>> {
        let len = text.len();
        let final_newline = text.ends_with('\n');
        let mut pieces = Vec::new();
        let push = |start: usize, end: usize, pieces: &mut Vec<Piece>| {
            if end > start {
                let is_word = !self.is_separator(&text[start..end]);
                pieces.push(Piece {
                    start,
                    end,
                    is_word,
                });
            }
        };
        let (mut pos, mut last, mut must_advance) = (0usize, 0usize, false);
        // Python's scan: at each position try `expr`, then `$`; after an empty
        // match the next match may not be empty at the same position.
        while pos <= len {
            let dollar = [if final_newline { len - 1 } else { usize::MAX }, len]
                .into_iter()
                .find(|&p| p != usize::MAX && p >= pos && !(must_advance && p == pos));
            let found = self.find.find_at(text, pos);
            let (start, end, is_expr) = match (found, dollar) {
                (Some(m), Some(d)) if m.start() <= d => (m.start(), m.end(), true),
                (Some(m), None) => (m.start(), m.end(), true),
                (_, Some(d)) => (d, d, false),
                (None, None) => break,
            };
            if is_expr && start == end {
                return None;
            }
            push(last, start, &mut pieces);
            if is_expr {
                push(start, end, &mut pieces);
            }
            must_advance = start == end;
            last = end;
            pos = end;
        }
        push(last, len, &mut pieces);
        Some(pieces)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(pattern: &str, text: &str) -> Vec<(String, bool)> {
        Splitter::new(pattern)
            .unwrap()
            .split(text)
            .unwrap()
            .into_iter()
            .map(|p| (text[p.start..p.end].to_string(), p.is_word))
            .collect()
    }

    #[test]
    fn lime_example() {
        let got = split(r"[^0-9A-Za-z_]+", "Please, take your time. Please");
        let words: Vec<&str> = got.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(
            words,
            ["Please", ", ", "take", " ", "your", " ", "time", ". ", "Please"]
        );
        let flags: Vec<bool> = got.iter().map(|(_, w)| *w).collect();
        assert_eq!(
            flags,
            [true, false, true, false, true, false, true, false, true]
        );
    }

    #[test]
    fn dollar_before_final_newline_splits() {
        // Python: re.split('( )|$', 'a b\n') -> ['a', ' ', 'b', None, '\n', None, '']
        let got = split(" ", "a b\n");
        assert_eq!(
            got,
            vec![
                ("a".into(), true),
                (" ".into(), false),
                ("b".into(), true),
                ("\n".into(), false)
            ]
        );
    }

    #[test]
    fn empty_and_separator_only() {
        assert!(split(" ", "").is_empty());
        assert_eq!(split(" ", "   "), vec![(" ".into(), false); 3]);
    }

    #[test]
    fn empty_match_is_refused() {
        assert!(Splitter::new("x*").unwrap().split("abc").is_none());
    }
}
