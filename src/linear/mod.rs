//! Weighted least squares: the centred weighted Gram matrix every model of an
//! explanation is solved from, ridge regression with scikit-learn's `Ridge`
//! semantics, and the LARS-lasso path.

pub mod binary;
pub mod cholesky;
pub mod dual;
pub mod gram;
pub mod lars;
pub mod meat;
pub mod ridge;
pub mod small_gram;
#[cfg(test)]
pub(crate) mod test_data;

pub use gram::{Design, LabelMoments};
pub use ridge::RidgeFit;
