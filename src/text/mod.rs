//! Text explanations: tokenisation into lime's indexed strings, perturbation
//! masks, the perturbed documents handed to the model, and their distances.
//!
//! Documents are handled as bytes in UTF-8 (WTF-8 when a Python string holds
//! lone surrogates); every position reported to Python is in code points.

pub mod index;
pub mod sample;

pub use index::{TextIndex, NON_WORD};
pub use sample::Neighbourhood;
