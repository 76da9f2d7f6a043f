//! Colour conversions pydicom applies to `pixel_array`.

/// Converts 8-bit YCbCr (YBR_FULL) samples to RGB in place, with pydicom's arithmetic
/// (`pydicom.pixels.processing._convert_YBR_FULL_to_RGB`): f32 matrix product with the
/// ITU-R BT.601 full-range coefficients, `floor(x + 0.5)`, clipped to 0..=255.
pub(crate) fn ybr_full_to_rgb(samples: &mut [u8]) {
    const CB_TO_G: f32 = -0.114 * 1.772 / 0.587;
    const CR_TO_G: f32 = -0.299 * 1.402 / 0.587;
    for px in samples.chunks_exact_mut(3) {
        let y = f32::from(px[0]);
        let cb = f32::from(px[1]) - 128.0;
        let cr = f32::from(px[2]) - 128.0;
        let r = y + cb * 0.0 + cr * 1.402;
        let g = y + cb * CB_TO_G + cr * CR_TO_G;
        let b = y + cb * 1.772 + cr * 0.0;
        for (out, v) in px.iter_mut().zip([r, g, b]) {
            *out = (v + 0.5).floor().clamp(0.0, 255.0) as u8;
        }
    }
}

/// Expands native YBR_FULL_422 (`Y0 Y1 Cb Cr` per pair of pixels) to one `Y Cb Cr`
/// triple per pixel, as pydicom does for uncompressed data.
pub(crate) fn expand_422(pairs: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(pairs.len() / 4 * 6);
    for quad in pairs.chunks_exact(4) {
        out.extend_from_slice(&[quad[0], quad[2], quad[3], quad[1], quad[2], quad[3]]);
    }
    out
}
