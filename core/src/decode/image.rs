//! The image model every later stage works on.

use super::metadata::Metadata;
use super::samples::numpy_shape;

/// A decoded image in physical units: f32 samples after the modality LUT, with its
/// geometry and header metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// Samples in frame, row, column, sample order.
    pub pixels: Vec<f32>,
    /// Number of frames held.
    pub frames: u32,
    /// Rows per frame.
    pub rows: u32,
    /// Columns per frame.
    pub cols: u32,
    /// Samples per pixel: 1 for grey, 3 for RGB.
    pub samples_per_pixel: u16,
    /// Photometric interpretation of `pixels` (`MONOCHROME1` is kept as such: the
    /// window stage inverts it, so values stay in physical units here).
    pub photometric: String,
    /// Header metadata, including [`Geometry`](crate::Geometry).
    pub meta: Metadata,
}

impl Image {
    /// Samples in one frame.
    pub fn frame_len(&self) -> usize {
        self.rows as usize * self.cols as usize * usize::from(self.samples_per_pixel)
    }

    /// The numpy shape of `pixels`: `(frames, rows, cols, samples)`, with the frame axis
    /// only when this holds every frame of a multi-frame file and the sample axis only
    /// for colour, as pydicom shapes `pixel_array`.
    pub fn shape(&self) -> Vec<usize> {
        let frame_axis = self.meta.frames > 1 && self.frames == self.meta.frames;
        numpy_shape(
            frame_axis,
            self.frames,
            self.rows,
            self.cols,
            self.samples_per_pixel,
        )
    }

    /// The samples of one frame, if it exists.
    pub fn frame(&self, index: u32) -> Option<&[f32]> {
        let len = self.frame_len();
        let start = index as usize * len;
        self.pixels.get(start..start + len)
    }
}
