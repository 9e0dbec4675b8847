//! Neighbourhood sampling: tabular, text masks, image masks.

pub mod normal;
pub mod tabular;
pub mod tabular_stats;
