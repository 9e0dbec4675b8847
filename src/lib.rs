//! lime_rs: the Rust core of a fast, drop-in replacement for `lime`.
//!
//! Everything outside `bindings` is pure Rust (no pyo3, no numpy) and is
//! tested by `cargo test --no-default-features`.

pub mod alloc;
pub mod batch;
pub mod cpu;
pub mod distance;
pub mod error;
pub mod fastexp;
pub mod image;
pub mod interrupt;
pub mod linear;
pub mod local_model;
pub mod pool;
pub mod rng;
pub mod sampling;
pub mod selection;
pub mod submodular;
pub mod text;

#[cfg(feature = "python")]
mod bindings;

pub use error::{LimeError, Result};
