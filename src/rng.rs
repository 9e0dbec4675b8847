//! Reproducible random streams.
//!
//! Every stream is derived from a 64-bit seed and a path of stream ids
//! (for example call number, row, chunk) by SplitMix64 mixing, so a piece of
//! work draws the same numbers whichever thread runs it and however the work
//! is split.

use std::convert::Infallible;

use rand::{SeedableRng, TryRng};

pub use rand::rngs::Xoshiro256PlusPlus as StreamRng;

/// SplitMix64 finaliser: a bijective, well-mixed 64-bit hash.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of the stream at `path` below `seed`.
pub fn derive_seed(seed: u64, path: &[u64]) -> u64 {
    path.iter().fold(mix64(seed), |acc, &id| {
        mix64(acc ^ mix64(id.wrapping_add(0x632B_E59B_D9B4_E019)))
    })
}

/// A generator for the stream at `path` below `seed`.
pub fn stream(seed: u64, path: &[u64]) -> StreamRng {
    StreamRng::seed_from_u64(derive_seed(seed, path))
}

/// Generators stepped side by side in a [`FastStream`].
const LANES: usize = 8;
/// Words buffered per refill (16 steps of every lane).
const BUFFERED: usize = 16 * LANES;

/// A stream for hot loops: eight Xoshiro256++ generators stepped together
/// (one vector instruction per step on AVX-512) into a buffer that is handed
/// out word by word. A different sequence from [`stream`] for the same path,
/// equally reproducible: the words depend only on the seed and the path.
#[derive(Clone)]
pub struct FastStream {
    state: [[u64; LANES]; 4],
    buf: [u64; BUFFERED],
    pos: usize,
}

impl FastStream {
    /// The stream at `path` below `seed`; lane `k` is seeded from the path
    /// extended by `k`.
    pub fn new(seed: u64, path: &[u64]) -> FastStream {
        let base = derive_seed(seed, path);
        let mut state = [[0u64; LANES]; 4];
        for lane in 0..LANES {
            // SplitMix64 expansion, as Xoshiro's own seed_from_u64 does
            let mut z = mix64(base ^ mix64(lane as u64));
            for word in state.iter_mut() {
                z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
                word[lane] = mix64(z);
            }
            if (0..4).all(|w| state[w][lane] == 0) {
                state[0][lane] = 1; // the one state Xoshiro never leaves
            }
        }
        FastStream {
            state,
            buf: [0; BUFFERED],
            pos: BUFFERED,
        }
    }

    /// Steps every lane `out.len() / LANES` times into `out` (a whole number
    /// of steps).
    #[inline(always)]
    fn generate_generic(state: &mut [[u64; LANES]; 4], out: &mut [u64]) {
        // local copies: the state stays in vector registers across steps
        let [mut s0, mut s1, mut s2, mut s3] = *state;
        for out in out.chunks_exact_mut(LANES) {
            let mut words = [0u64; LANES];
            for k in 0..LANES {
                words[k] = s0[k]
                    .wrapping_add(s3[k])
                    .rotate_left(23)
                    .wrapping_add(s0[k]);
                let t = s1[k] << 17;
                s2[k] ^= s0[k];
                s3[k] ^= s1[k];
                s1[k] ^= s2[k];
                s0[k] ^= s3[k];
                s2[k] ^= t;
                s3[k] = s3[k].rotate_left(45);
            }
            out.copy_from_slice(&words);
        }
        *state = [s0, s1, s2, s3];
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn generate_avx512(state: &mut [[u64; LANES]; 4], out: &mut [u64]) {
        Self::generate_generic(state, out)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn generate_avx2(state: &mut [[u64; LANES]; 4], out: &mut [u64]) {
        Self::generate_generic(state, out)
    }

    /// [`generate_generic`](Self::generate_generic) with the widest vectors
    /// the CPU has.
    fn generate(state: &mut [[u64; LANES]; 4], out: &mut [u64]) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU supports the feature the function is compiled for.
                return unsafe { Self::generate_avx512(state, out) };
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: as above.
                return unsafe { Self::generate_avx2(state, out) };
            }
        }
        Self::generate_generic(state, out)
    }

    #[cold]
    fn refill(&mut self) {
        Self::generate(&mut self.state, &mut self.buf);
        self.pos = 0;
    }

    /// Fills `out` with the next words (whole blocks straight from the
    /// generators, without the buffer).
    pub fn fill(&mut self, out: &mut [u64]) {
        let mut at = 0;
        while at < out.len() {
            if self.pos == BUFFERED {
                let whole = (out.len() - at) / BUFFERED * BUFFERED;
                if whole > 0 {
                    Self::generate(&mut self.state, &mut out[at..at + whole]);
                    at += whole;
                    continue;
                }
                self.refill();
            }
            let take = (BUFFERED - self.pos).min(out.len() - at);
            out[at..at + take].copy_from_slice(&self.buf[self.pos..self.pos + take]);
            self.pos += take;
            at += take;
        }
    }

    /// The next word.
    #[inline(always)]
    pub fn word(&mut self) -> u64 {
        if self.pos == BUFFERED {
            self.refill();
        }
        let w = self.buf[self.pos];
        self.pos += 1;
        w
    }
}

impl TryRng for FastStream {
    type Error = Infallible;

    #[inline(always)]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.word() >> 32) as u32)
    }

    #[inline(always)]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.word())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let w = self.word().to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn same_path_same_numbers() {
        let a: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(stream(7, &[1, 2]), |r, _| Some(r.random()))
            .collect();
        let b: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(stream(7, &[1, 2]), |r, _| Some(r.random()))
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn fast_stream_lanes_are_xoshiro_and_reproducible() {
        use rand::Rng;
        let mut a = FastStream::new(5, &[3]);
        let mut b = FastStream::new(5, &[3]);
        let wa: Vec<u64> = (0..1000).map(|_| a.next_u64()).collect();
        let wb: Vec<u64> = (0..1000).map(|_| b.next_u64()).collect();
        assert_eq!(wa, wb);
        assert_ne!(
            wa,
            (0..1000)
                .map(|_| FastStream::new(5, &[4]).next_u64())
                .collect::<Vec<_>>()
        );
        // lane 0 is a plain Xoshiro256++ from its state
        let mut lane0 = StreamRng::from_seed({
            let f = FastStream::new(5, &[3]);
            let mut seed = [0u8; 32];
            for (w, chunk) in seed.chunks_mut(8).enumerate() {
                chunk.copy_from_slice(&f.state[w][0].to_le_bytes());
            }
            seed
        });
        let plain: Vec<u64> = (0..20).map(|_| lane0.next_u64()).collect();
        let strided: Vec<u64> = wa.iter().step_by(LANES).take(20).copied().collect();
        assert_eq!(plain, strided);
        // the bits are balanced
        let ones: u32 = wa.iter().map(|w| w.count_ones()).sum();
        assert!((ones as f64 / 64_000.0 - 0.5).abs() < 0.01);
    }

    #[test]
    fn fill_continues_the_word_sequence() {
        let mut a = FastStream::new(2, &[9]);
        let mut b = FastStream::new(2, &[9]);
        let one_by_one: Vec<u64> = (0..3000).map(|_| a.word()).collect();
        let mut filled = vec![0u64; 3000];
        b.word();
        filled[0] = one_by_one[0];
        // an odd start, a run of whole blocks, a short tail
        for range in [1..40, 40..2600, 2600..3000] {
            b.fill(&mut filled[range]);
        }
        assert_eq!(one_by_one, filled);
    }

    #[test]
    fn different_paths_differ() {
        assert_ne!(derive_seed(7, &[1, 2]), derive_seed(7, &[2, 1]));
        assert_ne!(derive_seed(7, &[1]), derive_seed(8, &[1]));
        assert_ne!(derive_seed(7, &[]), derive_seed(7, &[0]));
    }
}
