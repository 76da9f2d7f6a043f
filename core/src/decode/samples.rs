//! Typed sample buffers: the stored values of an image in the integer type
//! `pydicom.Dataset.pixel_array` uses for them.

/// Stored sample values, one variant per numpy dtype pydicom can return for integer pixels.
#[derive(Debug, Clone, PartialEq)]
pub enum Samples {
    /// `uint8`: Bits Allocated 1 (unpacked to 0/1) or 8, unsigned.
    U8(Vec<u8>),
    /// `int8`: Bits Allocated 8, signed.
    I8(Vec<i8>),
    /// `uint16`.
    U16(Vec<u16>),
    /// `int16`.
    I16(Vec<i16>),
    /// `uint32`.
    U32(Vec<u32>),
    /// `int32`.
    I32(Vec<i32>),
}

/// Runs `$body` with `$v` bound to the inner `Vec` of any [`Samples`] variant.
macro_rules! with_samples {
    ($samples:expr, $v:ident => $body:expr) => {
        match $samples {
            Samples::U8($v) => $body,
            Samples::I8($v) => $body,
            Samples::U16($v) => $body,
            Samples::I16($v) => $body,
            Samples::U32($v) => $body,
            Samples::I32($v) => $body,
        }
    };
}

impl Samples {
    /// Number of samples.
    pub fn len(&self) -> usize {
        with_samples!(self, v => v.len())
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The numpy dtype string (`"<u2"`, `"|i1"`, …) matching this buffer.
    pub fn numpy_dtype(&self) -> &'static str {
        match self {
            Self::U8(_) => "|u1",
            Self::I8(_) => "|i1",
            Self::U16(_) => "<u2",
            Self::I16(_) => "<i2",
            Self::U32(_) => "<u4",
            Self::I32(_) => "<i4",
        }
    }

    /// Width of one sample in bits.
    pub fn bits(&self) -> u32 {
        match self {
            Self::U8(_) | Self::I8(_) => 8,
            Self::U16(_) | Self::I16(_) => 16,
            Self::U32(_) | Self::I32(_) => 32,
        }
    }

    /// Writes `f(sample as f64)` for samples `start..start + out.len()` into `out`.
    pub(crate) fn map_into(&self, start: usize, out: &mut [f32], f: impl Fn(f64) -> f32) {
        with_samples!(self, v => {
            let end = start + out.len();
            for (o, &s) in out.iter_mut().zip(&v[start..end]) {
                *o = f(f64::from(s));
            }
        });
    }

    /// Keeps only the low `bits` bits of every sample, sign-extending signed types.
    /// This is numpy's `(arr << shift) >> shift` with `shift = width - bits`.
    pub(crate) fn keep_low_bits(&mut self, bits: u32) {
        let shift = self.bits().saturating_sub(bits);
        if shift == 0 || bits == 0 {
            return;
        }
        with_samples!(self, v => v.iter_mut().for_each(|s| *s = (*s << shift) >> shift));
    }

    /// Decodes little-endian sample bytes into the dtype given by `bits_allocated` and `signed`.
    /// `bytes.len()` must be a multiple of the sample width.
    pub(crate) fn from_le_bytes(bytes: &[u8], bits_allocated: u16, signed: bool) -> Self {
        macro_rules! collect {
            ($variant:ident, $ty:ty, $n:literal) => {
                Self::$variant(
                    bytes
                        .chunks_exact($n)
                        .map(|c| <$ty>::from_le_bytes(c.try_into().unwrap_or([0; $n])))
                        .collect(),
                )
            };
        }
        match (bits_allocated, signed) {
            (16, false) => collect!(U16, u16, 2),
            (16, true) => collect!(I16, i16, 2),
            (32, false) => collect!(U32, u32, 4),
            (32, true) => collect!(I32, i32, 4),
            (_, true) => Self::I8(bytes.iter().map(|&b| b as i8).collect()),
            (_, false) => Self::U8(bytes.to_vec()),
        }
    }

    /// Reorders colour-by-plane frames (R…R G…G B…B) into colour-by-pixel (RGB RGB …).
    pub(crate) fn interleave_planes(&mut self, frame_pixels: usize, samples_per_pixel: usize) {
        with_samples!(self, v => {
            let frame_len = frame_pixels * samples_per_pixel;
            let mut out = Vec::with_capacity(v.len());
            for frame in v.chunks_exact(frame_len) {
                for p in 0..frame_pixels {
                    for s in 0..samples_per_pixel {
                        out.push(frame[s * frame_pixels + p]);
                    }
                }
            }
            *v = out;
        });
    }
}

/// pydicom's `pixel_array` shape: `(frames, rows, cols, samples)`, without the frame axis
/// unless asked for and without the sample axis for one sample per pixel.
pub(crate) fn numpy_shape(
    frame_axis: bool,
    frames: u32,
    rows: u32,
    cols: u32,
    samples: u16,
) -> Vec<usize> {
    let mut shape = Vec::with_capacity(4);
    if frame_axis {
        shape.push(frames as usize);
    }
    shape.extend([rows as usize, cols as usize]);
    if samples > 1 {
        shape.push(usize::from(samples));
    }
    shape
}

#[cfg(test)]
mod tests {
    use super::Samples;

    #[test]
    fn keep_low_bits_masks_unsigned_and_sign_extends_signed() {
        let mut u = Samples::U16(vec![0xF123, 0x0FFF]);
        u.keep_low_bits(12);
        assert_eq!(u, Samples::U16(vec![0x0123, 0x0FFF]));
        let mut i = Samples::I16(vec![0x0800, 0x07FF, -1]);
        i.keep_low_bits(12);
        assert_eq!(i, Samples::I16(vec![-2048, 2047, -1]));
    }

    #[test]
    fn interleaves_colour_planes_per_frame() {
        let mut s = Samples::U8(vec![1, 2, 10, 20, 100, 200, 3, 4, 30, 40, 130, 140]);
        s.interleave_planes(2, 3);
        assert_eq!(
            s,
            Samples::U8(vec![1, 10, 100, 2, 20, 200, 3, 30, 130, 4, 40, 140])
        );
    }
}
