//! The preprocessed image a recipe asks to write, in its output dtype.

use ndarray::{Array2, ArrayView2};

use crate::recipe::{ImageFormat, Output, OutputDtype};

/// A preprocessed frame in the recipe's output dtype.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputImage {
    /// Values as computed.
    F32(Array2<f32>),
    /// 0..1 scaled to 0..255.
    U8(Array2<u8>),
    /// 0..1 scaled to 0..65535.
    U16(Array2<u16>),
}

/// The image to write, or `None` when the recipe writes none.
pub(super) fn image(output: &Output, image: ArrayView2<'_, f32>) -> Option<OutputImage> {
    if output.images == ImageFormat::None {
        return None;
    }
    // `as` saturates (NaN becomes 0), which is the documented clamp to the dtype range.
    Some(match output.dtype {
        OutputDtype::F32 => OutputImage::F32(image.to_owned()),
        OutputDtype::U8 => OutputImage::U8(image.mapv(|v| (v * 255.0).round() as u8)),
        OutputDtype::U16 => OutputImage::U16(image.mapv(|v| (v * 65535.0).round() as u16)),
    })
}
