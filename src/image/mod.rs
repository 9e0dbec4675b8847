//! Images: quickshift segmentation in Lab space and superpixel perturbation.
//!
//! * [`colour`]: sRGB -> CIE Lab (D65, 2° observer), as `skimage.color.rgb2lab`.
//! * [`quickshift`]: Vedaldi & Soatto's quick shift mode seeking over
//!   colour and position, as `skimage.segmentation.quickshift`; [`quickshift_f32`]
//!   the same in single precision, as scikit-image runs it on float32 images.
//! * [`perturb`]: the 0/1 superpixel masks of an explanation and the perturbed
//!   images they stand for, written batch by batch into one buffer.

pub mod colour;
pub mod perturb;
pub mod quickshift;
pub mod quickshift_f32;

pub use perturb::{masks, PixelRuns};
pub use quickshift::{quickshift, QuickshiftParams};
pub use quickshift_f32::quickshift_f32;
