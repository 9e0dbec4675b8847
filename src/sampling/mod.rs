//! Neighbourhood sampling: tabular, text masks, image masks.
