//! The file bytes of a preprocessed image, encoded on the worker that computed it so
//! that the one writer of a run only places files: `.npy` for any output dtype, grey PNG
//! (8-bit for `u8`, 16-bit for `u16`) for integer images.

use anyhow::{bail, Context, Result};
use image::codecs::png::PngEncoder;
use image::{ImageBuffer, Luma};
use medprep::recipe::ImageFormat;
use medprep::OutputImage;
use ndarray::Array2;
use ndarray_npy::{WritableElement, WriteNpyExt};

/// The bytes of `image` in `format`; `None` for [`ImageFormat::None`].
pub fn to_bytes(image: &OutputImage, format: ImageFormat) -> Result<Option<Vec<u8>>> {
    match format {
        ImageFormat::None => Ok(None),
        ImageFormat::Npy => npy(image).map(Some),
        ImageFormat::Png => png(image).map(Some),
    }
}

/// The `.npy` file bytes of a preprocessed image.
pub fn npy(image: &OutputImage) -> Result<Vec<u8>> {
    match image {
        OutputImage::F32(a) => npy_array(a),
        OutputImage::U8(a) => npy_array(a),
        OutputImage::U16(a) => npy_array(a),
    }
}

fn npy_array<T: WritableElement>(array: &Array2<T>) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    array
        .write_npy(&mut bytes)
        .context("cannot encode the image as .npy")?;
    Ok(bytes)
}

/// The PNG file bytes of a preprocessed image. Float images have no PNG form (recipes
/// that ask for PNG must choose `u8` or `u16`).
pub fn png(image: &OutputImage) -> Result<Vec<u8>> {
    match image {
        OutputImage::U8(pixels) => png_grey::<u8>(pixels),
        OutputImage::U16(pixels) => png_grey::<u16>(pixels),
        OutputImage::F32(_) => bail!("PNG images need the u8 or u16 output dtype"),
    }
}

fn png_grey<T>(pixels: &Array2<T>) -> Result<Vec<u8>>
where
    T: image::Primitive,
    Luma<T>: image::Pixel<Subpixel = T> + image::PixelWithColorType,
    [T]: image::EncodableLayout,
{
    let (rows, cols) = pixels.dim();
    let width = u32::try_from(cols).context("image too wide for PNG")?;
    let height = u32::try_from(rows).context("image too tall for PNG")?;
    // Row-major order whatever the array's memory layout.
    let samples: Vec<T> = pixels.iter().copied().collect();
    let buffer: ImageBuffer<Luma<T>, Vec<T>> = ImageBuffer::from_raw(width, height, samples)
        .context("sample count does not match the image shape")?;
    let mut bytes = Vec::new();
    buffer
        .write_with_encoder(PngEncoder::new(&mut bytes))
        .context("cannot encode the image as PNG")?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_bit_images_round_trip_through_the_image_crate() {
        let pixels = Array2::from_shape_fn((3, 5), |(r, c)| (r * 20000 + c * 7) as u16);
        let bytes = png(&OutputImage::U16(pixels.clone())).expect("encode");
        let decoded = image::load_from_memory(&bytes).expect("decode image");
        let grey = decoded.as_luma16().expect("16-bit grey");
        assert_eq!(grey.dimensions(), (5, 3));
        for ((r, c), v) in pixels.indexed_iter() {
            assert_eq!(grey.get_pixel(c as u32, r as u32).0[0], *v);
        }
    }

    #[test]
    fn eight_bit_images_stay_eight_bit_and_float_is_refused() {
        let pixels = Array2::from_shape_fn((2, 2), |(r, c)| (r * 2 + c) as u8 * 60);
        let bytes = png(&OutputImage::U8(pixels)).expect("encode");
        let decoded = image::load_from_memory(&bytes).expect("decode image");
        assert_eq!(
            decoded.as_luma8().expect("8-bit grey").as_raw(),
            &vec![0, 60, 120, 180]
        );
        assert!(png(&OutputImage::F32(Array2::zeros((2, 2)))).is_err());
    }

    #[test]
    fn no_format_is_no_bytes() {
        let image = OutputImage::U8(Array2::zeros((2, 2)));
        assert!(to_bytes(&image, ImageFormat::None).expect("none").is_none());
        let npy = to_bytes(&image, ImageFormat::Npy)
            .expect("npy")
            .expect("bytes");
        assert!(npy.starts_with(b"\x93NUMPY"));
    }
}
