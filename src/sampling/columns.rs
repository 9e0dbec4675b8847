//! One categorical column's draws for a block of rows, written into its
//! `scaled` and `inverse` columns and added to the distances.
//!
//! Two passes: the alias lookups (one random table read per row, scalar),
//! then the placement of every point, which needs only small per-column
//! tables and so runs eight rows at a time on AVX-512 (table lookups become
//! register permutes). Both placements compute the same operations in the
//! same order, so the bits do not depend on the CPU.

#[cfg(target_arch = "x86_64")]
use crate::sampling::mixture::piece_bits;
use crate::sampling::mixture::{decode, Proposals};

/// One categorical value's outputs in a call: `scaled` gets `hit` (1 when
/// it is the instance's value or bin), `inverse` gets `base + step · at` for
/// a proposal's `at` (rare proposals of undiscretized bins get the rejection
/// step's draw instead).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Out {
    pub hit: f64,
    pub base: f64,
    pub step: f64,
}

/// Where one column goes: its `scaled` and `inverse` values and the rows'
/// squared distances, one per row.
pub struct Target<'a> {
    pub scaled: &'a mut [f64],
    pub inverse: &'a mut [f64],
    pub distances: &'a mut [f64],
}

/// Draws one value per row of `target` from two words each (`words`: pick,
/// place, pick, place, ...), using `pieces` as scratch (one word per row).
/// Rows whose proposal is rare are listed in `rare`; returns how many.
pub fn draw_column(
    table: Proposals,
    outs: &[Out],
    words: &[u64],
    pieces: &mut [u64],
    target: Target,
    rare: &mut [u16],
) -> usize {
    let rows = target.distances.len();
    assert!(
        words.len() >= 2 * rows && pieces.len() >= rows && rare.len() >= rows,
        "scratch too small"
    );
    assert!(target.scaled.len() == rows && target.inverse.len() == rows);
    for (p, w) in pieces[..rows].iter_mut().zip(words.chunks_exact(2)) {
        *p = table.piece(w[0]);
    }
    #[cfg(target_arch = "x86_64")]
    if outs.len() <= 16
        && std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512dq")
    {
        // SAFETY: the CPU has the features; the lengths are checked above.
        return unsafe { place_avx512(outs, words, &pieces[..rows], target, rare) };
    }
    place(outs, words, &pieces[..rows], target, rare, 0, 0)
}

/// Places rows `from..` (scalar); `pending` rare rows are listed already.
#[inline(always)]
fn place(
    outs: &[Out],
    words: &[u64],
    pieces: &[u64],
    target: Target,
    rare: &mut [u16],
    from: usize,
    mut pending: usize,
) -> usize {
    for i in from..pieces.len() {
        let (k, at, is_rare) = decode(pieces[i], words[2 * i + 1]);
        let out = &outs[k];
        target.scaled[i] = out.hit;
        target.inverse[i] = out.base + out.step * at;
        target.distances[i] += 1.0 - out.hit;
        rare[pending] = i as u16;
        pending += usize::from(is_rare);
    }
    pending
}

/// [`place`] eight rows at a time; at most 16 values.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
unsafe fn place_avx512(
    outs: &[Out],
    words: &[u64],
    pieces: &[u64],
    target: Target,
    rare: &mut [u16],
) -> usize {
    use std::arch::x86_64::*;
    // SAFETY: the caller checked AVX-512F/DQ and the slice lengths; the
    // per-access notes below give each bound.
    unsafe {
        let mut table = [[0.0f64; 16]; 3];
        for (k, o) in outs.iter().enumerate() {
            (table[0][k], table[1][k], table[2][k]) = (o.hit, o.base, o.step);
        }
        let load = |v: &[f64]| _mm512_loadu_pd(v.as_ptr());
        let (hit_lo, hit_hi) = (load(&table[0][..8]), load(&table[0][8..]));
        let (base_lo, base_hi) = (load(&table[1][..8]), load(&table[1][8..]));
        let (step_lo, step_hi) = (load(&table[2][..8]), load(&table[2][8..]));
        let [sa, sb, sc] = piece_bits::shape_columns();
        let (sa, sb, sc) = (load(&sa), load(&sb), load(&sc));
        let scale = _mm512_set1_pd(1.0 / (1u64 << 32) as f64);
        let one = _mm512_set1_pd(1.0);
        let low32 = _mm512_set1_epi64(0xFFFF_FFFF);
        let odd = _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1);
        let first_rare = _mm512_set1_epi64(piece_bits::FIRST_RARE_KIND as i64);
        let whole = pieces.len() / 8 * 8;
        let mut pending = 0;
        for i in (0..whole).step_by(8) {
            // SAFETY: (loads and stores) `i + 8 <= pieces.len()`, and the
            // caller checked words (2 per row) and the rest (1 per row).
            let p = _mm512_loadu_si512(pieces.as_ptr().add(i).cast());
            let w0 = _mm512_loadu_si512(words.as_ptr().add(2 * i).cast());
            let w1 = _mm512_loadu_si512(words.as_ptr().add(2 * i + 8).cast());
            let place = _mm512_permutex2var_epi64(w0, odd, w1);
            let u = _mm512_mul_pd(_mm512_cvtepu64_pd(_mm512_srli_epi64(place, 32)), scale);
            let v = _mm512_mul_pd(_mm512_cvtepu64_pd(_mm512_and_si512(place, low32)), scale);
            let top = _mm512_max_pd(u, v);
            let kind = _mm512_and_si512(
                _mm512_srli_epi64(p, piece_bits::KIND_SHIFT),
                _mm512_set1_epi64(0xFF),
            );
            let strip = _mm512_and_si512(
                _mm512_srli_epi64(p, piece_bits::STRIP_SHIFT),
                _mm512_set1_epi64(0xFFFF),
            );
            // (strip + a) + (b · top + c · u), as `decode`
            let at = _mm512_add_pd(
                _mm512_add_pd(_mm512_cvtepu64_pd(strip), _mm512_permutexvar_pd(kind, sa)),
                _mm512_add_pd(
                    _mm512_mul_pd(_mm512_permutexvar_pd(kind, sb), top),
                    _mm512_mul_pd(_mm512_permutexvar_pd(kind, sc), u),
                ),
            );
            let value = _mm512_and_si512(p, low32);
            let hit = _mm512_permutex2var_pd(hit_lo, value, hit_hi);
            let base = _mm512_permutex2var_pd(base_lo, value, base_hi);
            let step = _mm512_permutex2var_pd(step_lo, value, step_hi);
            let out = _mm512_add_pd(base, _mm512_mul_pd(step, at));
            let dist = target.distances.as_mut_ptr().add(i);
            _mm512_storeu_pd(
                dist,
                _mm512_add_pd(_mm512_loadu_pd(dist), _mm512_sub_pd(one, hit)),
            );
            _mm512_storeu_pd(target.scaled.as_mut_ptr().add(i), hit);
            _mm512_storeu_pd(target.inverse.as_mut_ptr().add(i), out);
            let mut mask = _mm512_cmpge_epu64_mask(kind, first_rare);
            while mask != 0 {
                rare[pending] = (i + mask.trailing_zeros() as usize) as u16;
                pending += 1;
                mask &= mask - 1;
            }
        }
        place(outs, words, pieces, target, rare, whole, pending)
    }
}

/// Writes column-major `cols` (`d` columns of `rows` values) into
/// row-major `out` (`rows × d`).
pub fn to_rows(cols: &[f64], rows: usize, d: usize, out: &mut [f64]) {
    assert!(cols.len() >= rows * d && out.len() >= rows * d);
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has the feature; the lengths are checked above.
        return unsafe { to_rows_avx512(cols, rows, d, out) };
    }
    to_rows_block(cols, rows, d, out, (0, 0));
}

/// [`to_rows`] from row `r0` and column `c0` on (everything before is done).
#[inline(always)]
fn to_rows_block(cols: &[f64], rows: usize, d: usize, out: &mut [f64], (r0, c0): (usize, usize)) {
    // eight rows at a time: a block's rows stay in cache while each column
    // adds its eight values
    for block in (r0..rows).step_by(8) {
        let end = (block + 8).min(rows);
        for j in c0..d {
            let col = &cols[j * rows..(j + 1) * rows];
            for r in block..end {
                out[r * d + j] = col[r];
            }
        }
    }
}

/// [`to_rows`] in 8 × 8 tiles transposed in registers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn to_rows_avx512(cols: &[f64], rows: usize, d: usize, out: &mut [f64]) {
    use std::arch::x86_64::*;
    // SAFETY: the caller checked AVX-512F; `cols` and `out` hold rows x d values
    // (the per-access notes below give each bound).
    unsafe {
        let (whole_rows, whole_cols) = (rows / 8 * 8, d / 8 * 8);
        for r in (0..whole_rows).step_by(8) {
            for c in (0..whole_cols).step_by(8) {
                // SAFETY: rows r..r + 8 of columns c..c + 8 exist in both.
                let x: [__m512d; 8] =
                    std::array::from_fn(|k| _mm512_loadu_pd(cols.as_ptr().add((c + k) * rows + r)));
                // register k of each stage pairs k with k ^ 1, k ^ 2, k ^ 4: after
                // the third, register k holds row r + k
                let a: [__m512d; 8] = std::array::from_fn(|k| {
                    let (p, q) = (x[k & !1], x[k | 1]);
                    if k & 1 == 0 {
                        _mm512_unpacklo_pd(p, q)
                    } else {
                        _mm512_unpackhi_pd(p, q)
                    }
                });
                let b: [__m512d; 8] = std::array::from_fn(|k| {
                    let (p, q) = (a[k & !2], a[k | 2]);
                    if k & 2 == 0 {
                        _mm512_shuffle_f64x2::<0b10_00_10_00>(p, q)
                    } else {
                        _mm512_shuffle_f64x2::<0b11_01_11_01>(p, q)
                    }
                });
                for k in 0..8 {
                    let (p, q) = (b[k & !4], b[k | 4]);
                    let row = if k & 4 == 0 {
                        _mm512_shuffle_f64x2::<0b10_00_10_00>(p, q)
                    } else {
                        _mm512_shuffle_f64x2::<0b11_01_11_01>(p, q)
                    };
                    _mm512_storeu_pd(out.as_mut_ptr().add((r + k) * d + c), row);
                }
            }
            // the last columns of these rows
            for j in whole_cols..d {
                for i in r..r + 8 {
                    out[i * d + j] = cols[j * rows + i];
                }
            }
        }
        to_rows_block(cols, rows, d, out, (whole_rows, 0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::FastStream;
    use crate::sampling::mixture::{Bin, ColumnDraw};

    #[test]
    fn to_rows_transposes() {
        for (rows, d) in [(256, 30), (203, 5), (17, 9), (8, 8), (3, 1)] {
            let cols: Vec<f64> = (0..rows * d).map(|v| v as f64).collect();
            let mut out = vec![-1.0; rows * d];
            to_rows(&cols, rows, d, &mut out);
            for r in 0..rows {
                for j in 0..d {
                    assert_eq!(out[r * d + j], cols[j * rows + r], "{rows}x{d} at {r},{j}");
                }
            }
        }
    }

    /// The vectorised placement (when the CPU has it) equals the scalar one
    /// bit for bit, rare rows included.
    #[test]
    fn placements_agree() {
        let bins: Vec<Bin> = (0..11)
            .map(|b| Bin::from_stats(b as f64, b as f64 + 1.5, b as f64 + 0.6, 0.3).unwrap())
            .collect();
        let values: Vec<f64> = (0..11).map(f64::from).collect();
        let col = ColumnDraw::new(&values, &[1.0; 11], Some(&bins)).unwrap();
        let outs: Vec<Out> = col
            .places()
            .iter()
            .enumerate()
            .map(|(k, p)| Out {
                hit: f64::from(u8::from(k == 3)),
                base: p.base,
                step: p.step,
            })
            .collect();
        let rows = 203;
        let mut words = vec![0u64; 2 * rows];
        FastStream::new(3, &[]).fill(&mut words);
        let run = |vector: bool| {
            let mut sc = vec![0.0; rows];
            let mut inv = vec![0.0; rows];
            let mut dist = vec![0.5; rows];
            let mut pieces = vec![0u64; rows];
            let mut rare = vec![0u16; rows];
            let target = Target {
                scaled: &mut sc,
                inverse: &mut inv,
                distances: &mut dist,
            };
            let n = if vector {
                draw_column(
                    col.proposals(),
                    &outs,
                    &words,
                    &mut pieces,
                    target,
                    &mut rare,
                )
            } else {
                for (p, w) in pieces.iter_mut().zip(words.chunks_exact(2)) {
                    *p = col.proposals().piece(w[0]);
                }
                place(&outs, &words, &pieces, target, &mut rare, 0, 0)
            };
            rare.truncate(n);
            (sc, inv, dist, rare)
        };
        let (scalar, vector) = (run(false), run(true));
        assert_eq!(scalar, vector);
        assert!(scalar.1.iter().any(|&v| v != 0.0));
        assert!(scalar.0.contains(&1.0));
    }
}
