//! Fast exact draws for a categorical column, optionally undiscretized: pick
//! value `k` with probability `p_k`; when value `k` is a bin, also draw from
//! the bin's truncated normal (lime's `undiscretize`).
//!
//! Every bin's standard-normal density `g(x) = exp(shift - x²/2)` on its
//! interval is covered by rectangles over equal-width strips: an inner
//! rectangle under the curve (its points are always accepted) and a cap above
//! it (accepted when under the curve), plus exponential envelopes for the
//! parts beyond ±`CORE`. One alias table over all pieces of all bins, each
//! weighted by `p_k · area / (total area of its bin)`, picks a piece with one
//! random word; a second word places the point. After a rejection the draw is
//! repeated within the same bin (its own alias table), so bin `k` is chosen
//! with probability exactly `p_k` and the value follows the bin's truncated
//! normal exactly. Most draws take two words and one multiply-add.

use rand::{Rng, RngExt};

use crate::error::{LimeError, Result};

/// Standard units beyond which a bin's density is covered by an exponential
/// envelope instead of strips.
const CORE: f64 = 8.0;
/// Target strip width in standard units, and the strip count bounds per bin.
const STRIP_WIDTH: f64 = 0.08;
const MIN_STRIPS: usize = 4;
const MAX_STRIPS: usize = 128;
/// Rejections allowed before the last proposal is clamped into the bin
/// (acceptance is above 1/2, so this never happens in practice).
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

/// A uniform number in [0, 1) with 53 random bits.
#[inline(always)]
fn unit(word: u64) -> f64 {
    (word >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
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

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Output `base` (a plain value, or a degenerate bin).
    Fixed,
    /// Output `base + span · t`, t uniform: a point under the curve.
    Inner,
    /// A cap rectangle: strip `aux` of the bin, accepted under the curve.
    Cap,
    /// The right (`aux` = 0) or left (1) exponential envelope of the bin.
    Tail,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Piece {
    base: f64,
    span: f64,
    kind: Kind,
    /// Which value (bin) the piece belongs to.
    value: u32,
    aux: u32,
}

/// One strip of a bin: its left end, the heights of its inner rectangle
/// (`lo`) and cap (`hi`), and a line `c0 + c1·x` below the density on the
/// strip (a chord where the density is concave, a tangent where it is
/// convex), so most cap points are accepted without an `exp`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Strip {
    x0: f64,
    lo: f64,
    hi: f64,
    c0: f64,
    c1: f64,
}

impl Strip {
    fn new(x0: f64, x1: f64, lo: f64, hi: f64, g: impl Fn(f64) -> f64) -> Strip {
        // shrunk a little so rounding never lifts the line above the curve
        const BELOW: f64 = 1.0 - 1e-9;
        let (c0, c1) = if x0 >= -1.0 && x1 <= 1.0 {
            let c1 = (g(x1) - g(x0)) / (x1 - x0);
            (g(x0) - c1 * x0, c1)
        } else if x0 >= 1.0 || x1 <= -1.0 {
            let m = 0.5 * (x0 + x1);
            let c1 = -m * g(m);
            (g(m) - c1 * m, c1)
        } else {
            (f64::NEG_INFINITY, 0.0)
        };
        Strip {
            x0,
            lo,
            hi,
            c0: c0 * BELOW - 1e-300,
            c1: c1 * BELOW,
        }
    }

    /// Whether `y` lies under the density at `x` (`g` evaluated only when
    /// the line can't tell).
    #[inline]
    fn under(&self, x: f64, y: f64, shift: f64) -> bool {
        y <= self.c0 + self.c1 * x || y <= (shift - 0.5 * x * x).exp()
    }
}

/// Everything about one bin a rejection needs.
#[derive(Debug, Clone, PartialEq)]
struct BinTable {
    bin: Bin,
    shift: f64,
    width: f64,
    strips: Vec<Strip>,
    /// Exponential envelopes: (start, rate, 1 - exp(-rate · length)), right then left.
    tails: [Option<(f64, f64, f64)>; 2],
    /// The bin's own pieces (global indices) and their alias table.
    pieces: Vec<u32>,
    alias: Alias,
}

/// A piece's fields a proposal reads.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Inline {
    base: f64,
    span: f64,
    value: u32,
    kind: Kind,
}

/// One alias slot with its own piece and its alias's piece inline, so a
/// proposal reads a single cache line.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C, align(64))]
struct Slot {
    keep: u64,
    pieces: [Inline; 2],
}

/// Borrowed tables of a [`ColumnDraw`] for proposals.
#[derive(Clone, Copy)]
pub struct Proposals<'a> {
    slots: &'a [Slot],
}

impl Proposals<'_> {
    /// See [`ColumnDraw::propose`].
    #[inline(always)]
    pub fn propose(self, pick: u64, point: u64) -> (usize, f64, bool) {
        let wide = pick as u128 * self.slots.len() as u128;
        let slot = &self.slots[(wide >> 64) as usize];
        let piece = &slot.pieces[usize::from((wide as u64) >= slot.keep)];
        let inner = piece.base + piece.span * unit(point);
        let out = if piece.kind == Kind::Fixed {
            piece.base
        } else {
            inner
        };
        (
            piece.value as usize,
            out,
            matches!(piece.kind, Kind::Cap | Kind::Tail),
        )
    }
}

/// Draws for one column: a value index, its value, and what `inverse` gets.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDraw {
    values: Vec<f64>,
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
        if values.is_empty() || values.len() != freqs.len() || !(total > 0.0 && total.is_finite()) {
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
        for (k, (&value, &freq)) in values.iter().zip(freqs).enumerate() {
            let p = freq / total;
            match bins.map(|b| b[k]) {
                _ if p <= 0.0 => tables.push(None),
                None => {
                    pieces.push(Piece {
                        base: value,
                        span: 0.0,
                        kind: Kind::Fixed,
                        value: k as u32,
                        aux: 0,
                    });
                    weights.push(p);
                    tables.push(None);
                }
                Some(bin) => {
                    let (table, own, own_w) = bin_pieces(k, bin, pieces.len())?;
                    let sum: f64 = own_w.iter().sum();
                    pieces.extend(own);
                    weights.extend(own_w.iter().map(|w| p * w / sum));
                    tables.push(Some(table));
                }
            }
        }
        let alias = Alias::new(&weights)?;
        let inline = |i: usize| {
            let p = &pieces[i];
            Inline {
                base: p.base,
                span: p.span,
                value: p.value,
                kind: p.kind,
            }
        };
        let slots = (0..alias.len())
            .map(|i| Slot {
                keep: alias.keep[i],
                pieces: [inline(i), inline(alias.alias[i] as usize)],
            })
            .collect();
        Ok(ColumnDraw {
            values: values.to_vec(),
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
        let (pick, point) = (rng.random::<u64>(), rng.random::<u64>());
        match self.propose(pick, point) {
            (k, _, true) => (k, self.finish(pick, rng)),
            (k, v, false) => (k, v),
        }
    }

    /// The value index the word `pick` selects, the output `point` places in
    /// its piece, and whether the piece is a cap or a tail, whose output
    /// [`finish`](Self::finish) must draw instead. Branch-free.
    #[inline(always)]
    pub fn propose(&self, pick: u64, point: u64) -> (usize, f64, bool) {
        self.proposals().propose(pick, point)
    }

    /// The tables [`propose`](Self::propose) reads, as local slices (a hot
    /// loop keeps them in registers).
    #[inline(always)]
    pub fn proposals(&self) -> Proposals<'_> {
        Proposals { slots: &self.slots }
    }

    /// The output of a proposal that needed a rejection step.
    #[cold]
    pub fn finish<R: Rng + ?Sized>(&self, pick: u64, rng: &mut R) -> f64 {
        self.reject(&self.pieces[self.alias.pick(pick)], rng)
    }

    /// The value of index `k`.
    #[inline]
    pub fn value(&self, k: usize) -> f64 {
        self.values[k]
    }

    /// The slow path: a cap or a tail, repeated within the bin until accepted.
    fn reject<R: Rng + ?Sized>(&self, first: &Piece, rng: &mut R) -> f64 {
        let Some(table) = &self.bins[first.value as usize] else {
            return first.base;
        };
        let bin = &table.bin;
        let mut piece = *first;
        let mut last = 0.5 * (bin.a + bin.b);
        for _ in 0..MAX_TRIES {
            match piece.kind {
                Kind::Fixed => return piece.base,
                Kind::Inner => return piece.base + piece.span * unit(rng.random::<u64>()),
                Kind::Cap => {
                    let strip = &table.strips[piece.aux as usize];
                    let x = strip.x0 + table.width * unit(rng.random::<u64>());
                    let y = strip.lo + (strip.hi - strip.lo) * unit(rng.random::<u64>());
                    last = x;
                    if strip.under(x, y, table.shift) {
                        return bin.loc + bin.scale * x.clamp(bin.a, bin.b);
                    }
                }
                Kind::Tail => {
                    if let Some((start, rate, mass)) = table.tails[piece.aux as usize] {
                        // exponential from `start` outwards, truncated to the bin
                        let u = unit(rng.random::<u64>());
                        let e = -(-u * mass).ln_1p() / rate;
                        let t = e;
                        let v = unit(rng.random::<u64>());
                        let x = if piece.aux == 0 { start + e } else { start - e };
                        last = x;
                        if v <= (-0.5 * t * t).exp() {
                            return bin.loc + bin.scale * x.clamp(bin.a, bin.b);
                        }
                    }
                }
            }
            let next = table.alias.pick(rng.random::<u64>());
            piece = self.pieces[table.pieces[next] as usize];
        }
        bin.loc + bin.scale * last.clamp(bin.a, bin.b)
    }
}

/// The pieces of one bin (global indices from `offset`) and their areas.
fn bin_pieces(k: usize, bin: Bin, offset: usize) -> Result<(BinTable, Vec<Piece>, Vec<f64>)> {
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
            format!("bin {k}: expected finite bounds a <= b and a positive scale, got a={a}, b={b}, scale={scale}"),
        ));
    }
    let mut pieces = Vec::new();
    let mut weights = Vec::new();
    let fixed = |base: f64| Piece {
        base,
        span: 0.0,
        kind: Kind::Fixed,
        value: k as u32,
        aux: 0,
    };
    if a == b {
        pieces.push(fixed(a)); // lime's quirk: the standardised bound itself
        weights.push(1.0);
        let alias = Alias::new(&weights)?;
        let table = BinTable {
            bin,
            shift: 0.0,
            width: 0.0,
            strips: vec![],
            tails: [None, None],
            pieces: vec![offset as u32],
            alias,
        };
        return Ok((table, pieces, weights));
    }
    // g(x) = exp(shift - x²/2) peaks at 1 over [a, b]
    let nearest = if a > 0.0 {
        a
    } else if b < 0.0 {
        b
    } else {
        0.0
    };
    let shift = 0.5 * nearest * nearest;
    let g = |x: f64| (shift - 0.5 * x * x).exp();
    let (lo, hi) = (a.max(-CORE), b.min(CORE));
    let mut strips = Vec::new();
    let mut width = 0.0;
    if lo < hi {
        let count = (((hi - lo) / STRIP_WIDTH).ceil() as usize).clamp(MIN_STRIPS, MAX_STRIPS);
        width = (hi - lo) / count as f64;
        for i in 0..count {
            let x0 = lo + width * i as f64;
            let x1 = if i + 1 == count { hi } else { x0 + width };
            let (near, far) = if x0 >= 0.0 {
                (x0, x1)
            } else if x1 <= 0.0 {
                (x1, x0)
            } else {
                (0.0, if -x0 > x1 { x0 } else { x1 })
            };
            let (top, bottom) = (g(near), g(far));
            let s = strips.len() as u32;
            strips.push(Strip::new(x0, x1, bottom, top, g));
            if bottom > 0.0 {
                pieces.push(Piece {
                    base: loc + scale * x0,
                    span: scale * (x1 - x0),
                    kind: Kind::Inner,
                    value: k as u32,
                    aux: s,
                });
                weights.push(bottom * (x1 - x0));
            }
            if top > bottom {
                pieces.push(Piece {
                    base: 0.0,
                    span: 0.0,
                    kind: Kind::Cap,
                    value: k as u32,
                    aux: s,
                });
                weights.push((top - bottom) * (x1 - x0));
            }
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
            pieces.push(Piece {
                base: 0.0,
                span: 0.0,
                kind: Kind::Tail,
                value: k as u32,
                aux: side as u32,
            });
            weights.push(area);
        }
    }
    if pieces.is_empty() {
        // the bin lies beyond where exp underflows: its lower end stands in
        pieces.push(fixed(loc + scale * if a >= 0.0 { a } else { b }));
        weights.push(1.0);
    }
    let alias = Alias::new(&weights)?;
    let table = BinTable {
        bin,
        shift,
        width,
        strips,
        tails,
        pieces: (offset..offset + pieces.len()).map(|i| i as u32).collect(),
        alias,
    };
    Ok((table, pieces, weights))
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
        let shift = if a > 0.0 {
            a * a / 2.0
        } else if b < 0.0 {
            b * b / 2.0
        } else {
            0.0
        };
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
