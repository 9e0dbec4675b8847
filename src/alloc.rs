//! Fallible allocation for buffers whose size comes from the user (a number
//! of samples, a number of features): an impossible size is a `LimeError`
//! (MemoryError in Python), never an abort of the interpreter.

use crate::error::{LimeError, Result};

/// Sizes below which [`ensure_room`] does not probe.
const SMALL: usize = 64 << 20;

/// `rows × cols` values as bytes, or an error naming `name` when the product
/// overflows the address space.
pub fn bytes(rows: usize, cols: usize, name: &'static str) -> Result<usize> {
    rows.checked_mul(cols)
        .and_then(|v| v.checked_mul(std::mem::size_of::<f64>()))
        .filter(|&b| b <= isize::MAX as usize)
        .ok_or_else(|| {
            LimeError::memory(
                name,
                format!("{rows} x {cols} values do not fit in the address space"),
            )
        })
}

/// Fails with a `Memory` error unless `rows × cols` f64 values can be
/// reserved now (the reservation is released at once).
pub fn ensure_room(rows: usize, cols: usize, name: &'static str) -> Result<()> {
    let size = bytes(rows, cols, name)?;
    if size <= SMALL {
        return Ok(()); // not worth a reservation on the hot path
    }
    let mut probe: Vec<f64> = Vec::new();
    probe
        .try_reserve_exact(size / std::mem::size_of::<f64>())
        .map_err(|_| {
            LimeError::memory(
                name,
                format!("cannot allocate {rows} x {cols} values ({size} bytes)"),
            )
        })
}

/// A zeroed row-major `rows × cols` buffer, or a `Memory` error.
pub fn try_zeroed(rows: usize, cols: usize, name: &'static str) -> Result<Vec<f64>> {
    let size = bytes(rows, cols, name)?;
    let len = size / std::mem::size_of::<f64>();
    let mut v: Vec<f64> = Vec::new();
    v.try_reserve_exact(len).map_err(|_| {
        LimeError::memory(
            name,
            format!("cannot allocate {rows} x {cols} values ({size} bytes)"),
        )
    })?;
    v.resize(len, 0.0);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_sizes_are_errors() {
        let err = try_zeroed(usize::MAX / 2, 3, "num_samples").unwrap_err();
        assert!(matches!(err, LimeError::Memory { .. }));
        assert!(err.to_string().starts_with("num_samples: "));
        assert!(ensure_room(1 << 40, 1 << 20, "features").is_err());
        assert_eq!(try_zeroed(3, 4, "x").unwrap(), vec![0.0; 12]);
    }
}
