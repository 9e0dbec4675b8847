//! (placeholder module: filled in by its own issue)
