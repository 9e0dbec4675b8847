//! Fast exact draws for a categorical column, optionally undiscretized: pick
//! value `k` with probability `p_k`; when value `k` is a bin, also draw from
//! the bin's truncated normal (lime's `undiscretize`).
//!
//! Every bin's standard-normal density `g(x) = exp(shift - x²/2)` on its
//! interval is cut into equal-width strips. On each strip a line lies below
//! `g` by at least the chord's error bound (`width²/8 · max|g''|`); the
//! trapezoid under it is a rectangle and a triangle, whose points are always
//! accepted, and a thin band above the line (twice the bound high) holds the
//! rest of the curve and is accepted only under it. Exponential envelopes
//! cover the parts beyond ±`CORE`. One alias table over all pieces of all
//! bins, each weighted by `p_k · area / (total area of its bin)`, picks a
//! piece with one random word; a second places the point. After a rejection
//! the draw is repeated within the same bin (its own alias table), so bin `k`
//! is chosen with probability exactly `p_k` and the value follows the bin's
//! truncated normal exactly. All but a fraction of a percent of draws take
//! two words, a table read and a multiply-add, with no branch.

use rand::{Rng, RngExt};

use crate::error::{LimeError, Result};

/// Standard units beyond which a bin's density is covered by an exponential
/// envelope instead of strips.
const CORE: f64 = 8.0;
/// Target strip width in standard units, and the strip count bounds per bin.
const STRIP_WIDTH: f64 = 0.125;
const MIN_STRIPS: usize = 4;
const MAX_STRIPS: usize = 128;
/// Rejections allowed before the last proposal is clamped into the bin
/// (only bands and tails reject, and most of their points are accepted).
const MAX_TRIES: usize = 1000;

/// Walker/Vose alias table: one random word gives an index and a coin.
#[derive(Debug, Clone, PartialEq)]
pub struct Alias {
    /// Probability (× 2⁶⁴) of keeping the drawn index.
    keep: Vec<u64>,
    alias: Vec<u32>,
}

impl Alias {
    /// A table drawing index `i` with probability `weights[i] / Σ weights`.
    /// Weights must be finite, non-negative, with a positive sum.
    pub fn new(weights: &[f64]) -> Result<Alias> {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        if n == 0 || n > u32::MAX as usize || !(total.is_finite() && total > 0.0) {
            return Err(LimeError::invalid(
                "weights",
                "need a positive, finite total",
            ));
        }
        if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
            return Err(LimeError::invalid(
                "weights",
                "must be finite and non-negative",
            ));
        }
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut keep = vec![u64::MAX; n];
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) =
            (0..n).partition(|&i| scaled[i] < 1.0);
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            keep[s] = to_fraction(scaled[s]);
            alias[s] = l as u32;
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Leftovers hold probability 1 up to rounding; a zero weight must
        // never be kept, so such an entry defers to a positive one.
        let positive = weights.iter().position(|&w| w > 0.0).unwrap_or(0) as u32;
        for i in small.into_iter().chain(large) {
            if weights[i] > 0.0 {
                keep[i] = u64::MAX;
            } else {
                keep[i] = 0;
                alias[i] = positive;
            }
        }
        for i in 0..n {
            if keep[i] < u64::MAX && weights[alias[i] as usize] <= 0.0 {
                alias[i] = positive;
            }
        }
        Ok(Alias { keep, alias })
    }

    pub fn len(&self) -> usize {
        self.keep.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keep.is_empty()
    }

    /// An index from one random word: the high part of `word · n` picks the
    /// slot, the low part is the coin.
    #[inline(always)]
    pub fn pick(&self, word: u64) -> usize {
        let wide = word as u128 * self.keep.len() as u128;
        let slot = (wide >> 64) as usize;
        let other = self.alias[slot] as usize;
        // branch-free: the coin is unpredictable
        let keep = ((wide as u64) < self.keep[slot]) as usize;
        keep * slot + (1 - keep) * other
    }
}

fn to_fraction(p: f64) -> u64 {
    if p >= 1.0 {
        u64::MAX
    } else if p <= 0.0 {
        0
    } else {
        (p * 18_446_744_073_709_551_616.0) as u64
    }
}

/// Two uniform numbers in [0, 1) with 32 random bits each (a point's place
/// within a strip needs no more).
#[inline(always)]
fn halves(word: u64) -> (f64, f64) {
    const SCALE: f64 = 1.0 / (1u64 << 32) as f64;
    ((word >> 32) as f64 * SCALE, (word as u32) as f64 * SCALE)
}

/// The truncated normal of one bin: `loc + scale · Z`, Z in [a, b]; `a == b`
/// is lime's degenerate bin, which yields `a` itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    pub a: f64,
    pub b: f64,
    pub loc: f64,
    pub scale: f64,
}

impl Bin {
    /// The bin of lime's `undiscretize`: values in `[min, max]` of a normal
    /// with the bin's `mean` and `std`, standardised exactly as lime does.
    pub fn from_stats(min: f64, max: f64, mean: f64, std: f64) -> Result<Bin> {
        if !(min.is_finite() && max.is_finite() && mean.is_finite()) {
            return Err(LimeError::invalid(
                "discretizer",
                format!("bin statistics must be finite, got min={min}, max={max}, mean={mean}"),
            ));
        }
        if !(std.is_finite() && std > 0.0) {
            return Err(LimeError::invalid(
                "discretizer",
                format!("bin standard deviations must be positive and finite, got {std}"),
            ));
        }
        let (a, b) = ((min - mean) / std, (max - mean) / std);
        if a > b {
            return Err(LimeError::invalid(
                "discretizer",
                format!("a bin's lower bound must not exceed its upper bound ({min} > {max})"),
            ));
        }
        Ok(Bin {
            a,
            b,
            loc: mean,
            scale: std,
        })
    }
}

/// What a piece is, and how a point is placed in it from two uniforms `u`, `v`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
enum Kind {
    /// Output the value's base (a plain value, or a degenerate bin).
    Fixed,
    /// A rectangle under the curve: `t = u`.
    Rect,
    /// A triangle under the curve rising to the right: `t = max(u, v)`.
    Rise,
    /// A triangle falling to the right: `t = 1 - max(u, v)`.
    Fall,
    /// The band between the strip's lower line and the line `height` above
    /// it, which holds the curve: accepted when under the curve.
    Band,
    /// The right (`aux` = 0) or left (1) exponential envelope of the bin.
    Tail,
}

/// A piece: the value (bin) it belongs to, its strip in that bin, its kind.
/// Its point is `base + step · (strip + t)` with the value's base and step.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C, align(8))]
struct Piece {
    value: u32,
    strip: u16,
    kind: Kind,
    aux: u8,
}

/// `strip + t = strip + a + b · max(u, v) + c · u` per kind, as `(a, b, c)`:
/// arithmetic instead of branches, since kinds come in random order (the
/// vectorised placement in `sampling::columns` reads the same table).
const SHAPE: [(f64, f64, f64); 8] = [
    (0.0, 0.0, 1.0),  // Fixed
    (0.0, 0.0, 1.0),  // Rect
    (0.0, 1.0, 0.0),  // Rise
    (1.0, -1.0, 0.0), // Fall
    (0.0, 0.0, 1.0),  // Band
    (0.0, 0.0, 1.0),  // Tail
    (0.0, 0.0, 1.0),  // (unused: eight entries, so `kind & 7` indexes it)
    (0.0, 0.0, 1.0),
];

impl Piece {
    fn bits(self) -> u64 {
        u64::from(self.value)
            | u64::from(self.strip) << piece_bits::STRIP_SHIFT
            | (self.kind as u64) << piece_bits::KIND_SHIFT
            | u64::from(self.aux) << 56
    }

    /// `strip + t` for this piece's kind (Band and Tail: a proposal only).
    #[inline(always)]
    fn offset(self, uv: (f64, f64)) -> f64 {
        strip_offset(f64::from(self.strip), self.kind as usize, uv)
    }
}

/// `strip + a + b · max(u, v) + c · u` with the kind's [`SHAPE`], in the
/// order the vectorised placement (`sampling::columns`) computes it too.
#[inline(always)]
fn strip_offset(strip: f64, kind: usize, (u, v): (f64, f64)) -> f64 {
    let top = if u > v { u } else { v };
    let (a, b, c) = SHAPE[kind & 7];
    (strip + a) + (b * top + c * u)
}

/// One strip of a bin in standard units: a line `lower(t) = l0 + (l1 - l0)·t`
/// (t in [0, 1] across the strip) below the density, with the band from it
/// to `lower + height` above the density.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Strip {
    l0: f64,
    l1: f64,
    height: f64,
}

/// Everything about one bin a rejection needs.
#[derive(Debug, Clone, PartialEq)]
struct BinTable {
    bin: Bin,
    shift: f64,
    /// Left end and width of the strips (standard units).
    start: f64,
    width: f64,
    strips: Vec<Strip>,
    /// Exponential envelopes: (start, rate, 1 - exp(-rate · length)), right then left.
    tails: [Option<(f64, f64, f64)>; 2],
    /// The bin's own pieces (global indices) and their alias table.
    pieces: Vec<u32>,
    alias: Alias,
}

/// One alias slot with its own piece and its alias's piece inline, so a
/// proposal reads a single small record.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C, align(8))]
struct Slot {
    keep: u64,
    /// The two pieces as [`Piece::bits`].
    pieces: [u64; 2],
}

/// A value's output: `base + step · (strip + t)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place {
    pub base: f64,
    pub step: f64,
}

/// Borrowed tables of a [`ColumnDraw`] for proposals.
#[derive(Clone, Copy)]
pub struct Proposals<'a> {
    slots: &'a [Slot],
}

impl Proposals<'_> {
    /// The piece the word `pick` selects, packed as [`piece_bits`] says.
    #[inline(always)]
    pub fn piece(self, pick: u64) -> u64 {
        let wide = pick as u128 * self.slots.len() as u128;
        let slot = &self.slots[(wide >> 64) as usize];
        slot.pieces[usize::from((wide as u64) >= slot.keep)]
    }
}

/// A piece packed in a word, for proposals decoded in bulk: the value index
/// in the low 32 bits, then the strip (16 bits) and the kind (8 bits).
pub mod piece_bits {
    pub const STRIP_SHIFT: u32 = 32;
    pub const KIND_SHIFT: u32 = 48;
    /// Kinds from this one on are rare: the rejection step draws their output.
    pub const FIRST_RARE_KIND: u64 = super::Kind::Band as u64;
    /// `(a, b, c)` of [`super::SHAPE`] by kind, as three columns.
    pub fn shape_columns() -> [[f64; 8]; 3] {
        let mut cols = [[0.0; 8]; 3];
        for (k, &(a, b, c)) in super::SHAPE.iter().enumerate() {
            (cols[0][k], cols[1][k], cols[2][k]) = (a, b, c);
        }
        cols
    }
}

/// (value index, `strip + t`, rare) of a piece (packed as [`piece_bits`]
/// says) placed by the word `place`: [`Piece::offset`] on the packed word.
#[inline(always)]
pub fn decode(bits: u64, place: u64) -> (usize, f64, bool) {
    let kind = (bits >> piece_bits::KIND_SHIFT) & 0xFF;
    let strip = f64::from((bits >> piece_bits::STRIP_SHIFT) as u16);
    (
        bits as u32 as usize,
        strip_offset(strip, kind as usize, halves(place)),
        kind >= piece_bits::FIRST_RARE_KIND,
    )
}

/// Draws for one column: a value index, its value, and what `inverse` gets.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDraw {
    values: Vec<f64>,
    /// Where each value's draws land (bins: their standardised strips).
    places: Vec<Place>,
    pieces: Vec<Piece>,
    alias: Alias,
    /// The alias table with the pieces inline (what proposals read).
    slots: Vec<Slot>,
    bins: Vec<Option<BinTable>>,
}

impl ColumnDraw {
    /// Value `k` drawn with probability `freqs[k] / Σ freqs`; `bins[k]`, when
    /// given, is the truncated normal the output is drawn from.
    pub fn new(values: &[f64], freqs: &[f64], bins: Option<&[Bin]>) -> Result<ColumnDraw> {
        let total: f64 = freqs.iter().sum();
        if values.is_empty()
            || values.len() != freqs.len()
            || values.len() > u32::MAX as usize
            || !(total > 0.0 && total.is_finite())
        {
            return Err(LimeError::invalid(
                "feature_frequencies",
                "need one positive frequency per value",
            ));
        }
        if let Some(b) = bins {
            if b.len() != values.len() {
                return Err(LimeError::shape("bins", "one bin per value expected"));
            }
        }
        let mut pieces = Vec::new();
        let mut weights = Vec::new();
        let mut tables = Vec::with_capacity(values.len());
        let mut places = Vec::with_capacity(values.len());
        for (k, (&value, &freq)) in values.iter().zip(freqs).enumerate() {
            let p = freq / total;
            let fixed = Place {
                base: value,
                step: 0.0,
            };
            match bins.map(|b| b[k]) {
                _ if p <= 0.0 => {
                    tables.push(None);
                    places.push(fixed);
                }
                None => {
                    pieces.push(Piece {
                        value: k as u32,
                        strip: 0,
                        kind: Kind::Fixed,
                        aux: 0,
                    });
                    weights.push(p);
                    tables.push(None);
                    places.push(fixed);
                }
                Some(bin) => {
                    let (table, place, own, own_w) = bin_pieces(k, bin, pieces.len())?;
                    let sum: f64 = own_w.iter().sum();
                    pieces.extend(own);
                    weights.extend(own_w.iter().map(|w| p * w / sum));
                    tables.push(Some(table));
                    places.push(place);
                }
            }
        }
        let alias = Alias::new(&weights)?;
        let slots = (0..alias.len())
            .map(|i| Slot {
                keep: alias.keep[i],
                pieces: [pieces[i].bits(), pieces[alias.alias[i] as usize].bits()],
            })
            .collect();
        Ok(ColumnDraw {
            values: values.to_vec(),
            places,
            pieces,
            alias,
            slots,
            bins: tables,
        })
    }

    /// (value index, output) of one draw: [`propose`](Self::propose) from
    /// two words, then [`finish`](Self::finish) when it asks for it.
    #[inline(always)]
    pub fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> (usize, f64) {
        let words = [rng.random::<u64>(), rng.random::<u64>()];
        match self.propose(words[0], words[1]) {
            (k, _, true) => (k, self.finish(words, rng)),
            (k, at, false) => (k, self.place(k, at)),
        }
    }

    /// The value index the word `pick` selects, where the word `place` puts
    /// the point (`strip + t`, see [`place`](Self::place)), and whether the piece
    /// is a band or a tail, whose output [`finish`](Self::finish) must draw
    /// instead. Branch-free.
    #[inline(always)]
    pub fn propose(&self, pick: u64, place: u64) -> (usize, f64, bool) {
        decode(self.proposals().piece(pick), place)
    }

    /// The tables [`propose`](Self::propose) reads, as local slices (a hot
    /// loop keeps them in registers).
    #[inline(always)]
    pub fn proposals(&self) -> Proposals<'_> {
        Proposals { slots: &self.slots }
    }

    /// Where value `k`'s draws land: output `base + step · at` for a
    /// proposal's `at` (a plain value: `base` itself).
    #[inline]
    pub fn places(&self) -> &[Place] {
        &self.places
    }

    /// The output of value `k` at a proposal's `at`.
    #[inline]
    pub fn place(&self, k: usize, at: f64) -> f64 {
        let p = self.places[k];
        p.base + p.step * at
    }

    /// The output of a proposal (its two `words`) that needed a rejection
    /// step; further words come from `rng`.
    #[cold]
    pub fn finish<R: Rng + ?Sized>(&self, words: [u64; 2], rng: &mut R) -> f64 {
        let first = self.pieces[self.alias.pick(words[0])];
        self.reject(first, halves(words[1]), rng)
    }

    /// The value of index `k`.
    #[inline]
    pub fn value(&self, k: usize) -> f64 {
        self.values[k]
    }

    /// The slow path: a band or a tail, repeated within the bin until accepted.
    fn reject<R: Rng + ?Sized>(&self, first: Piece, (u0, v0): (f64, f64), rng: &mut R) -> f64 {
        let k = first.value as usize;
        let Some(table) = &self.bins[k] else {
            // only bins have bands and tails
            debug_assert!(false, "a rejection step for plain value {k}");
            return self.place(k, 0.0);
        };
        let bin = &table.bin;
        let (mut piece, mut u, mut v) = (first, u0, v0);
        let mut last = 0.5 * (bin.a + bin.b);
        for _ in 0..MAX_TRIES {
            match piece.kind {
                Kind::Fixed | Kind::Rect | Kind::Rise | Kind::Fall => {
                    return self.place(k, piece.offset((u, v)))
                }
                Kind::Band => {
                    let s = &table.strips[usize::from(piece.strip)];
                    let x = table.start + table.width * (f64::from(piece.strip) + u);
                    let y = s.l0 + (s.l1 - s.l0) * u + s.height * v;
                    last = x;
                    if y <= (table.shift - 0.5 * x * x).exp() {
                        return self.place(k, piece.offset((u, v)));
                    }
                }
                Kind::Tail => {
                    if let Some((start, rate, mass)) = table.tails[usize::from(piece.aux)] {
                        // exponential from `start` outwards, truncated to the bin
                        let e = -(-u * mass).ln_1p() / rate;
                        let x = if piece.aux == 0 { start + e } else { start - e };
                        last = x;
                        if v <= (-0.5 * e * e).exp() {
                            return bin.loc + bin.scale * x.clamp(bin.a, bin.b);
                        }
                    }
                }
            }
            let next = table.alias.pick(rng.random::<u64>());
            piece = self.pieces[table.pieces[next] as usize];
            (u, v) = halves(rng.random::<u64>());
        }
        bin.loc + bin.scale * last.clamp(bin.a, bin.b)
    }
}

/// The `shift` that makes `g(x) = exp(shift - x²/2)` peak at 1 over
/// `[a, b]` (at the point of the interval nearest 0).
fn peak_shift(a: f64, b: f64) -> f64 {
    let nearest = 0f64.max(a).min(b);
    0.5 * nearest * nearest
}

/// `max |g''|` on `[x0, x1]` for `g(x) = exp(shift - x²/2)`, where
/// `g'' = (x² - 1) g`: at the ends or where `(x² - 1) e^{-x²/2}` peaks (0, ±√3).
fn max_curvature(x0: f64, x1: f64, shift: f64) -> f64 {
    let h = |x: f64| ((x * x - 1.0) * (shift - 0.5 * x * x).exp()).abs();
    let root3 = 3f64.sqrt();
    [x0, x1, 0.0, root3, -root3]
        .into_iter()
        .filter(|&x| x >= x0 && x <= x1)
        .map(h)
        .fold(0.0, f64::max)
}

/// The pieces of one bin (global indices from `offset`), its place and the
/// pieces' areas.
fn bin_pieces(
    k: usize,
    bin: Bin,
    offset: usize,
) -> Result<(BinTable, Place, Vec<Piece>, Vec<f64>)> {
    let Bin { a, b, loc, scale } = bin;
    if !(a.is_finite()
        && b.is_finite()
        && loc.is_finite()
        && scale.is_finite()
        && scale > 0.0
        && a <= b)
    {
        return Err(LimeError::invalid(
            "discretizer",
            format!("bin {k}: expected finite bounds a <= b and a positive scale, got a={a:e}, b={b:e}, scale={scale:e}"),
        ));
    }
    let piece = |kind: Kind, strip: usize, aux: u8| Piece {
        value: k as u32,
        strip: strip as u16,
        kind,
        aux,
    };
    let fixed = |base: f64| -> Result<(BinTable, Place, Vec<Piece>, Vec<f64>)> {
        let alias = Alias::new(&[1.0])?;
        let table = BinTable {
            bin,
            shift: 0.0,
            start: 0.0,
            width: 0.0,
            strips: vec![],
            tails: [None, None],
            pieces: vec![offset as u32],
            alias,
        };
        let place = Place { base, step: 0.0 };
        Ok((table, place, vec![piece(Kind::Fixed, 0, 0)], vec![1.0]))
    };
    if a == b {
        return fixed(a); // lime's quirk: the standardised bound itself
    }
    let shift = peak_shift(a, b);
    let g = |x: f64| (shift - 0.5 * x * x).exp();
    let mut pieces = Vec::new();
    let mut weights = Vec::new();
    let (lo, hi) = (a.max(-CORE), b.min(CORE));
    let mut strips = Vec::new();
    let mut width = 0.0;
    if lo < hi {
        let count = (((hi - lo) / STRIP_WIDTH).ceil() as usize).clamp(MIN_STRIPS, MAX_STRIPS);
        width = (hi - lo) / count as f64;
        for i in 0..count {
            let x0 = lo + width * i as f64;
            let x1 = lo + width * (i + 1) as f64;
            let (g0, g1) = (g(x0), g(x1));
            // |g - chord| <= width²/8 · max|g''| on the strip; the slack
            // covers rounding in g0, g1 and in the lines' evaluation
            let gap = width * width / 8.0 * max_curvature(x0, x1, shift) * (1.0 + 1e-6)
                + 1e-12 * g0.max(g1);
            let (l0, l1) = (g0 - gap, g1 - gap);
            let strip = if l0 > 0.0 && l1 > 0.0 {
                let rect = l0.min(l1) * width;
                if rect > 0.0 {
                    pieces.push(piece(Kind::Rect, i, 0));
                    weights.push(rect);
                }
                let tri = 0.5 * (l1 - l0).abs() * width;
                if tri > 0.0 {
                    let kind = if l1 > l0 { Kind::Rise } else { Kind::Fall };
                    pieces.push(piece(kind, i, 0));
                    weights.push(tri);
                }
                Strip {
                    l0,
                    l1,
                    height: 2.0 * gap,
                }
            } else {
                // the line would dip below zero: the whole strip is a band
                // from 0 to the density's maximum on it
                let top = if x0 <= 0.0 && x1 >= 0.0 {
                    g(0.0)
                } else {
                    g0.max(g1)
                };
                Strip {
                    l0: 0.0,
                    l1: 0.0,
                    height: top * (1.0 + 1e-12),
                }
            };
            if strip.height > 0.0 {
                pieces.push(piece(Kind::Band, i, 0));
                weights.push(strip.height * width);
            }
            strips.push(strip);
        }
    }
    // Exponential envelopes g(t)·exp(-t·|x - t|) beyond ±CORE (or over a bin
    // lying wholly in a tail): dominate g since (x - t)² >= 0.
    let mut tails = [None, None];
    for (side, (start, end)) in [(0usize, (a.max(CORE), b)), (1, (b.min(-CORE), a))] {
        let length = (end - start).abs();
        let outward = if side == 0 { end > start } else { end < start };
        if !outward || length <= 0.0 {
            continue;
        }
        let rate = start.abs();
        let mass = -(-rate * length).exp_m1(); // 1 - exp(-rate · length)
        let area = g(start) * mass / rate;
        if area > 0.0 && area.is_finite() {
            tails[side] = Some((start, rate, mass));
            pieces.push(piece(Kind::Tail, 0, side as u8));
            weights.push(area);
        }
    }
    if pieces.is_empty() {
        // the bin lies beyond where exp underflows: its nearer end stands in
        return fixed(loc + scale * if a >= 0.0 { a } else { b });
    }
    let alias = Alias::new(&weights)?;
    let table = BinTable {
        bin,
        shift,
        start: lo,
        width,
        strips,
        tails,
        pieces: (offset..offset + pieces.len()).map(|i| i as u32).collect(),
        alias,
    };
    let place = Place {
        base: loc + scale * lo,
        step: scale * width,
    };
    Ok((table, place, pieces, weights))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;

    #[test]
    fn alias_matches_weights_and_skips_zeros() {
        let w = [0.0, 3.0, 1.0, 0.0, 6.0];
        let a = Alias::new(&w).unwrap();
        let mut rng = stream(9, &[]);
        let mut counts = [0usize; 5];
        let n = 200_000;
        for _ in 0..n {
            counts[a.pick(rng.random())] += 1;
        }
        assert_eq!(counts[0] + counts[3], 0);
        for (c, w) in counts.iter().zip(w) {
            let p = w / 10.0;
            assert!(
                (*c as f64 / n as f64 - p).abs() < 4.0 * (p * (1.0 - p) / n as f64).sqrt() + 1e-12
            );
        }
        assert!(Alias::new(&[0.0, 0.0]).is_err());
        assert!(Alias::new(&[1.0, f64::NAN]).is_err());
    }

    /// Mean and variance of N(0,1) truncated to [a, b], by quadrature.
    fn exact(a: f64, b: f64) -> (f64, f64) {
        let steps = 200_000;
        let h = (b - a) / steps as f64;
        let (mut z, mut m1, mut m2) = (0.0, 0.0, 0.0);
        let shift = peak_shift(a, b);
        for i in 0..=steps {
            let x = a + h * i as f64;
            let w = if i == 0 || i == steps { 0.5 } else { 1.0 };
            let f = w * (shift - 0.5 * x * x).exp();
            z += f;
            m1 += f * x;
            m2 += f * x * x;
        }
        let mean = m1 / z;
        (mean, m2 / z - mean * mean)
    }

    #[test]
    fn bins_follow_truncated_normals_and_frequencies() {
        let bins = [
            Bin {
                a: -1.0,
                b: 1.0,
                loc: 0.0,
                scale: 1.0,
            },
            Bin {
                a: -3.0,
                b: 9.5,
                loc: 10.0,
                scale: 2.0,
            },
            Bin {
                a: 0.3,
                b: 0.35,
                loc: 0.0,
                scale: 1.0,
            },
            Bin {
                a: 7.5,
                b: 12.0,
                loc: 0.0,
                scale: 1.0,
            },
            Bin {
                a: -40.0,
                b: -30.0,
                loc: 0.0,
                scale: 1.0,
            },
            Bin {
                a: 2.0,
                b: 2.0,
                loc: 5.0,
                scale: 3.0,
            },
        ];
        let freqs = [1.0, 2.0, 1.0, 1.0, 1.0, 0.5];
        let values = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let col = ColumnDraw::new(&values, &freqs, Some(&bins)).unwrap();
        let mut rng = stream(4, &[2]);
        let n = 650_000;
        let mut per: Vec<Vec<f64>> = vec![vec![]; 6];
        for _ in 0..n {
            let (k, v) = col.draw(&mut rng);
            per[k].push(v);
        }
        let total: f64 = freqs.iter().sum();
        for (k, bin) in bins.iter().enumerate() {
            let p = freqs[k] / total;
            let frac = per[k].len() as f64 / n as f64;
            assert!(
                (frac - p).abs() < 4.0 * (p * (1.0 - p) / n as f64).sqrt(),
                "bin {k}: {frac} vs {p}"
            );
            if bin.a == bin.b {
                assert!(per[k].iter().all(|&v| v == 2.0)); // lime's quirk
                continue;
            }
            let z: Vec<f64> = per[k].iter().map(|v| (v - bin.loc) / bin.scale).collect();
            let m = z.iter().sum::<f64>() / z.len() as f64;
            let var = z.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / z.len() as f64;
            let (em, ev) = exact(bin.a, bin.b);
            assert!(
                z.iter().all(|&x| x >= bin.a - 1e-12 && x <= bin.b + 1e-12),
                "bin {k} out of range"
            );
            let se = (ev / z.len() as f64).sqrt();
            assert!(
                (m - em).abs() < 5.0 * se + 1e-12,
                "bin {k}: mean {m} vs {em}"
            );
            assert!(
                (var - ev).abs() < 0.03 * ev + 1e-12,
                "bin {k}: var {var} vs {ev}"
            );
        }
    }

    /// The CDF of N(0, 1) truncated to [a, b] at `steps + 1` even points
    /// (Simpson's rule), normalised.
    fn quadrature_cdf(a: f64, b: f64, steps: usize) -> Vec<f64> {
        let h = (b - a) / steps as f64;
        let shift = peak_shift(a, b);
        let g = |x: f64| (shift - 0.5 * x * x).exp();
        let mut cdf = vec![0.0];
        for i in 0..steps {
            let (x0, x1) = (a + h * i as f64, a + h * (i + 1) as f64);
            let last = cdf[i];
            cdf.push(last + h * (g(x0) + 4.0 * g(0.5 * (x0 + x1)) + g(x1)) / 6.0);
        }
        let total = cdf[steps];
        cdf.iter_mut().for_each(|c| *c /= total);
        cdf
    }

    /// The CDF at `x` from [`quadrature_cdf`], linearly interpolated.
    fn cdf_at(cdf: &[f64], a: f64, b: f64, x: f64) -> f64 {
        let steps = cdf.len() - 1;
        let pos = ((x - a) / (b - a) * steps as f64).clamp(0.0, steps as f64);
        let lo = (pos.floor() as usize).min(steps - 1);
        cdf[lo] + (pos - lo as f64) * (cdf[lo + 1] - cdf[lo])
    }

    /// Kolmogorov-Smirnov distance between draws of N(0, 1) truncated to
    /// [a, b] and its CDF.
    fn ks_distance(a: f64, b: f64, draws: &mut [f64]) -> f64 {
        let cdf = quadrature_cdf(a, b, 400_000);
        draws.sort_by(|p, q| p.total_cmp(q));
        let n = draws.len() as f64;
        let mut worst: f64 = 0.0;
        for (i, &x) in draws.iter().enumerate() {
            let f = cdf_at(&cdf, a, b, x);
            worst = worst
                .max((f - i as f64 / n).abs())
                .max((f - (i + 1) as f64 / n).abs());
        }
        worst
    }

    /// Chi-square statistic of draws over `cells` equal-width cells of
    /// [a, b], each much narrower than a strip (so the shape of the density
    /// inside strips is tested, not only the strips' masses).
    fn chi_square(a: f64, b: f64, draws: &[f64], cells: usize) -> f64 {
        let cdf = quadrature_cdf(a, b, 400_000);
        let mut counts = vec![0usize; cells];
        for &x in draws {
            let c = (((x - a) / (b - a)) * cells as f64) as usize;
            counts[c.min(cells - 1)] += 1;
        }
        let n = draws.len() as f64;
        let width = (b - a) / cells as f64;
        counts
            .iter()
            .enumerate()
            .map(|(c, &k)| {
                let p = cdf_at(&cdf, a, b, a + width * (c + 1) as f64)
                    - cdf_at(&cdf, a, b, a + width * c as f64);
                let expected = n * p;
                (k as f64 - expected).powi(2) / expected
            })
            .sum()
    }

    #[test]
    fn the_density_inside_strips_is_right() {
        // cells 1/10 of a strip wide, on a falling, a rising and a
        // two-sided bin: a triangle drawn the wrong way round fails this
        let n = 1_000_000;
        for (c, &(a, b)) in [(0.5, 2.0), (-2.6, -1.1), (-1.3, 1.4)].iter().enumerate() {
            let bin = Bin {
                a,
                b,
                loc: 0.0,
                scale: 1.0,
            };
            let col = ColumnDraw::new(&[0.0], &[1.0], Some(&[bin])).unwrap();
            let mut rng = stream(12, &[c as u64]);
            let z: Vec<f64> = (0..n).map(|_| col.draw(&mut rng).1).collect();
            let cells = ((b - a) / STRIP_WIDTH * 10.0).round() as usize;
            let stat = chi_square(a, b, &z, cells);
            // mean cells - 1, sd sqrt(2 (cells - 1)): 4.5 sd is far out
            let df = (cells - 1) as f64;
            assert!(
                stat < df + 4.5 * (2.0 * df).sqrt(),
                "[{a}, {b}]: chi² {stat} on {df} df"
            );
        }
    }

    #[test]
    fn each_bin_matches_its_truncated_normal_cdf() {
        // across the inflection points, one side of the mode, both sides, the
        // edge of the strips at CORE, narrow, and far out in a tail
        let cases = [
            (-1.3, 1.4),
            (0.5, 3.0),
            (-7.0, -2.0),
            (-2.5, 4.5),
            (7.9, 8.6),
            (0.01, 0.04),
            (-40.0, -30.0),
        ];
        let n = 200_000;
        for (c, &(a, b)) in cases.iter().enumerate() {
            let bin = Bin {
                a,
                b,
                loc: 3.0,
                scale: 0.5,
            };
            let col = ColumnDraw::new(&[0.0], &[1.0], Some(&[bin])).unwrap();
            let mut rng = stream(11, &[c as u64]);
            let mut z: Vec<f64> = (0..n).map(|_| (col.draw(&mut rng).1 - 3.0) / 0.5).collect();
            assert!(
                z.iter().all(|&x| x >= a - 1e-9 && x <= b + 1e-9),
                "[{a}, {b}]"
            );
            let ks = ks_distance(a, b, &mut z);
            // the 0.1% critical value of the KS statistic is 1.95 / sqrt(n)
            assert!(
                ks < 1.95 / (n as f64).sqrt(),
                "[{a}, {b}]: KS distance {ks}"
            );
        }
    }

    #[test]
    fn plain_values_and_zero_frequencies() {
        let col = ColumnDraw::new(&[2.0, 5.0, 9.0], &[0.0, 3.0, 1.0], None).unwrap();
        let mut rng = stream(1, &[]);
        let mut c = [0usize; 3];
        for _ in 0..40_000 {
            let (k, v) = col.draw(&mut rng);
            assert_eq!(v, col.value(k));
            c[k] += 1;
        }
        assert_eq!(c[0], 0);
        assert!((c[1] as f64 / 40_000.0 - 0.75).abs() < 0.01);
        assert!(ColumnDraw::new(&[1.0], &[0.0], None).is_err());
        let bad = [Bin {
            a: 1.0,
            b: 0.0,
            loc: 0.0,
            scale: 1.0,
        }];
        assert!(ColumnDraw::new(&[0.0], &[1.0], Some(&bad)).is_err());
    }
}
