//! JPEG processes 1, 2/4 (8- and 12-bit) and 14 (lossless) through libjpeg-turbo 3.
//!
//! libjpeg-turbo descends from the IJG library that GDCM and Pillow build on, so its
//! integer IDCT and upsampling give the same samples those pydicom plugins do.
#![allow(
    unsafe_code,
    reason = "FFI to libjpeg-turbo's TurboJPEG 3 API; every call is wrapped here"
)]

use std::ffi::{c_int, CStr};

use turbojpeg_sys as tj;

/// How to treat a three-component codestream's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Colour {
    /// Convert YCbCr to RGB as the codestream's markers say (the usual case).
    ToRgb,
    /// Return the components as stored, without a colour transform: DICOM says RGB but
    /// the codestream carries no JFIF/Adobe marker to say it was transformed.
    AsStored,
}

/// A decoded frame: little-endian, colour-by-pixel samples `bytes_per_sample` wide.
/// A codestream declaring more than `max_samples` (the frame the DICOM header
/// describes) is refused before anything is allocated for it.
pub(crate) fn decode_frame(
    encoded: &[u8],
    colour: Colour,
    bytes_per_sample: usize,
    max_samples: usize,
) -> Result<Vec<u8>, String> {
    let decoder = Decompressor::new()?;
    decoder.read_header(encoded)?;
    let width = decoder.get(tj::TJPARAM_TJPARAM_JPEGWIDTH) as usize;
    let height = decoder.get(tj::TJPARAM_TJPARAM_JPEGHEIGHT) as usize;
    let precision = decoder.get(tj::TJPARAM_TJPARAM_PRECISION);
    let colourspace = decoder.get(tj::TJPARAM_TJPARAM_COLORSPACE);
    let (components, format) = match colourspace as tj::TJCS {
        tj::TJCS_TJCS_GRAY => (1, tj::TJPF_TJPF_GRAY),
        tj::TJCS_TJCS_RGB | tj::TJCS_TJCS_YCbCr => (3, tj::TJPF_TJPF_RGB),
        _ => return Err("CMYK and YCCK JPEG images are not supported".into()),
    };
    let samples = width.saturating_mul(height).saturating_mul(components);
    if samples > max_samples {
        return Err(format!(
            "the JPEG stream declares {width} × {height} × {components} samples, more than the {max_samples} of the frame"
        ));
    }
    let keep_stored = colour == Colour::AsStored && colourspace as tj::TJCS == tj::TJCS_TJCS_YCbCr;
    let wide: Vec<u16> = match precision {
        2..=8 if keep_stored => widen(&decoder.planes_444(encoded, width, height)?),
        2..=8 => {
            let mut out = vec![0u8; samples];
            // SAFETY: `decoder.0` is a live decompression handle (see `Decompressor`);
            // `encoded` is readable for `encoded.len()` bytes and only read. With pitch 0
            // libjpeg-turbo writes `height` rows of `width * tjPixelSize[format]` bytes,
            // and `out` holds exactly `width * height * components` of them (pixel size 1
            // for GRAY, 3 for RGB): `width` and `height` are what `read_header` read from
            // this same `encoded` with this handle, whose scaling factor (1/1) and cropping
            // region (none) are the defaults and never changed, so the destination is the
            // whole image. The product did not saturate, as `samples <= max_samples`.
            decoder.check(unsafe {
                tj::tj3Decompress8(
                    decoder.0,
                    encoded.as_ptr(),
                    encoded.len() as _,
                    out.as_mut_ptr(),
                    0,
                    format as c_int,
                )
            })?;
            return Ok(widen_bytes(out, bytes_per_sample));
        }
        9..=12 => {
            let mut out = vec![0i16; samples];
            // SAFETY: `decoder.0` is a live decompression handle (see `Decompressor`);
            // `encoded` is readable for `encoded.len()` bytes and only read. With pitch 0
            // libjpeg-turbo writes `height` rows of `width * tjPixelSize[format]`
            // 12-bit samples (`short`), and `out` holds exactly
            // `width * height * components` of them (pixel size 1 for GRAY, 3 for RGB):
            // `width` and `height` are what `read_header` read from this same `encoded`
            // with this handle, whose scaling factor (1/1) and cropping region (none) are
            // the defaults and never changed, so the destination is the whole image. The
            // product did not saturate, as `samples <= max_samples`.
            decoder.check(unsafe {
                tj::tj3Decompress12(
                    decoder.0,
                    encoded.as_ptr(),
                    encoded.len() as _,
                    out.as_mut_ptr(),
                    0,
                    format as c_int,
                )
            })?;
            out.into_iter().map(|v| v as u16).collect()
        }
        13..=16 => {
            let mut out = vec![0u16; samples];
            // SAFETY: `decoder.0` is a live decompression handle (see `Decompressor`);
            // `encoded` is readable for `encoded.len()` bytes and only read. With pitch 0
            // libjpeg-turbo writes `height` rows of `width * tjPixelSize[format]`
            // 16-bit samples (`unsigned short`), and `out` holds exactly
            // `width * height * components` of them (pixel size 1 for GRAY, 3 for RGB):
            // `width` and `height` are what `read_header` read from this same `encoded`
            // with this handle, whose scaling factor (1/1) and cropping region (none) are
            // the defaults and never changed, so the destination is the whole image. The
            // product did not saturate, as `samples <= max_samples`.
            decoder.check(unsafe {
                tj::tj3Decompress16(
                    decoder.0,
                    encoded.as_ptr(),
                    encoded.len() as _,
                    out.as_mut_ptr(),
                    0,
                    format as c_int,
                )
            })?;
            out
        }
        other => return Err(format!("unsupported JPEG sample precision {other}")),
    };
    Ok(match bytes_per_sample {
        1 => wide.into_iter().map(|v| v as u8).collect(),
        n => wide
            .into_iter()
            .flat_map(|v| u32::from(v).to_le_bytes().into_iter().take(n))
            .collect(),
    })
}

fn widen(bytes: &[u8]) -> Vec<u16> {
    bytes.iter().map(|&b| u16::from(b)).collect()
}

fn widen_bytes(bytes: Vec<u8>, bytes_per_sample: usize) -> Vec<u8> {
    if bytes_per_sample == 1 {
        return bytes;
    }
    bytes
        .into_iter()
        .flat_map(|b| (0..bytes_per_sample).map(move |i| if i == 0 { b } else { 0 }))
        .collect()
}

/// Whether the codestream declares its colour space: a JFIF (APP0) or Adobe (APP14)
/// marker before the first scan, complete as libjpeg requires to act on it (14 bytes of
/// JFIF data, 12 of Adobe data, after the 2-byte length). A truncated marker is ignored
/// by libjpeg, Pillow and so by pydicom alike: pydicom's `SC_rgb_jpeg.dcm` carries a
/// 10-byte Adobe marker without its transform flag, and its samples are the stored ones.
pub(crate) fn declares_colour_space(encoded: &[u8]) -> bool {
    let header_end = encoded
        .windows(2)
        .position(|w| w == [0xFF, 0xDA])
        .unwrap_or(encoded.len() as _);
    let header = &encoded[..header_end];
    let marker = |code: u8, tag: &[u8], data_len: usize| {
        header.windows(4 + tag.len()).any(|w| {
            let length = usize::from(u16::from_be_bytes([w[2], w[3]]));
            w[0] == 0xFF && w[1] == code && &w[4..] == tag && length >= 2 + data_len
        })
    };
    marker(0xE0, b"JFIF", 14) || marker(0xEE, b"Adobe", 12)
}

/// An owned TurboJPEG decompression handle.
///
/// Invariant, which every `unsafe` call below relies on: the handle is the non-null
/// result of `tj3Init(TJINIT_DECOMPRESS)`, never copied out of this value (the field is
/// private and there is no `Clone`), and destroyed exactly once, in `Drop`. The raw
/// pointer makes the type neither `Send` nor `Sync`, so no two threads use a handle at
/// once.
struct Decompressor(tj::tjhandle);

impl Decompressor {
    fn new() -> Result<Self, String> {
        // SAFETY: `tj3Init` has no preconditions; it returns a new handle or null, and
        // null is refused below before a `Decompressor` is made.
        let handle = unsafe { tj::tj3Init(tj::TJINIT_TJINIT_DECOMPRESS as c_int) };
        if handle.is_null() {
            return Err("cannot initialise libjpeg-turbo".into());
        }
        // Warnings (e.g. extraneous bytes before a marker) do not stop decoding,
        // as they do not in GDCM or pylibjpeg; errors do.
        Ok(Self(handle))
    }

    fn read_header(&self, encoded: &[u8]) -> Result<(), String> {
        // SAFETY: `self.0` is a live decompression handle (see `Decompressor`), and
        // `encoded` is readable for `encoded.len()` bytes, which libjpeg-turbo only reads.
        self.check(unsafe { tj::tj3DecompressHeader(self.0, encoded.as_ptr(), encoded.len() as _) })
    }

    fn get(&self, parameter: tj::TJPARAM) -> c_int {
        // SAFETY: `self.0` is a live handle (see `Decompressor`); `tj3Get` only reads a
        // parameter of it (-1 for an unknown one).
        unsafe { tj::tj3Get(self.0, parameter as c_int) }
    }

    /// The three components as stored, colour-by-pixel; only for unsubsampled images.
    /// `width` and `height` must be the ones [`Decompressor::read_header`] read from
    /// `encoded` (the destination is sized from them), and `width * height * 3` must not
    /// overflow; `decode_frame`, the one caller, passes the header's and has bounded the
    /// product by its `max_samples`.
    fn planes_444(&self, encoded: &[u8], width: usize, height: usize) -> Result<Vec<u8>, String> {
        if self.get(tj::TJPARAM_TJPARAM_SUBSAMP) != tj::TJSAMP_TJSAMP_444 as c_int {
            return Err(
                "an untransformed colour JPEG with chroma subsampling is not supported".into(),
            );
        }
        let plane = width * height;
        let mut planes = vec![0u8; plane * 3];
        // SAFETY: `self.0` is a live handle (see `Decompressor`), and `encoded` is
        // readable for `encoded.len()` bytes and only read. The unified YUV image
        // libjpeg-turbo writes is `tj3YUVBufSize(width, 1, height, subsampling)` bytes:
        // for 4:4:4 (checked just above, on the header this handle read from the same
        // `encoded`) and row alignment 1, three unpadded planes of `width * height`, which
        // is the length of `planes` given this function's precondition on `width` and
        // `height` (the scaling factor stays the default 1/1).
        self.check(unsafe {
            tj::tj3DecompressToYUV8(
                self.0,
                encoded.as_ptr(),
                encoded.len() as _,
                planes.as_mut_ptr(),
                1,
            )
        })?;
        let mut out = Vec::with_capacity(plane * 3);
        for p in 0..plane {
            out.extend_from_slice(&[planes[p], planes[plane + p], planes[2 * plane + p]]);
        }
        Ok(out)
    }

    fn check(&self, status: c_int) -> Result<(), String> {
        if status == 0 {
            return Ok(());
        }
        // SAFETY: `self.0` is a live handle (see `Decompressor`). `tj3GetErrorStr` returns
        // a non-null pointer to a NUL-terminated message held by the handle (or by
        // libjpeg-turbo's thread-local global error buffer), which stays valid and
        // unchanged until the next TurboJPEG call; it is copied into an owned `String`
        // on the next line, before any such call.
        let message = unsafe { CStr::from_ptr(tj::tj3GetErrorStr(self.0)) };
        Err(message.to_string_lossy().into_owned())
    }
}

impl Drop for Decompressor {
    fn drop(&mut self) {
        // SAFETY: the handle came from `tj3Init`, is not null, and is destroyed only here,
        // once, as `Drop` runs once and the handle never leaves this value; nothing uses
        // it afterwards.
        unsafe { tj::tj3Destroy(self.0) }
    }
}

#[cfg(test)]
mod tests {
    use super::declares_colour_space;

    /// SOI, then an APP segment of `code` with `data` after its length, then SOS.
    fn stream(code: u8, data: &[u8]) -> Vec<u8> {
        let length = u16::try_from(data.len() + 2).unwrap().to_be_bytes();
        let mut bytes = vec![0xFF, 0xD8, 0xFF, code, length[0], length[1]];
        bytes.extend_from_slice(data);
        bytes.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02]);
        bytes
    }

    #[test]
    fn only_complete_markers_declare_a_colour_space() {
        let adobe = b"Adobe\x00\x64\x00\x00\x00\x00\x00";
        assert!(declares_colour_space(&stream(0xEE, adobe)));
        // pydicom's SC_rgb_jpeg.dcm: "Adobe" and five zero bytes, no transform flag.
        assert!(!declares_colour_space(&stream(0xEE, &adobe[..10])));
        let jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00";
        assert!(declares_colour_space(&stream(0xE0, jfif)));
        assert!(!declares_colour_space(&stream(0xE0, &jfif[..5])));
        assert!(!declares_colour_space(&stream(0xE1, jfif)));
    }
}
