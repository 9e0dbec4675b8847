//! Neighbourhood sampling: tabular, text masks, image masks.

pub mod columns;
pub mod data;
pub mod mixture;
pub mod normal;
pub mod tabular;
pub mod tabular_stats;
