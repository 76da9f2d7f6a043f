//! The image size a JPEG-LS or JPEG 2000 codestream declares, read from its header
//! before the registry's decoder allocates for it: a codestream can claim far more
//! than the DICOM header, and the decoders size their buffers from the codestream.

/// Samples (width × height × components) the codestream's header declares, or `None`
/// when the header is not found (the decoder then reports the broken stream). Counted
/// in `u128`, as JPEG 2000's are.
pub(crate) fn jpeg_ls_samples(encoded: &[u8]) -> Option<u128> {
    // SOI, then marker segments up to SOF55 (FFF7): Lf, P, Y, X, Nf.
    if encoded.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut at = 2;
    loop {
        let marker = encoded.get(at..at + 4)?;
        if marker[0] != 0xFF {
            return None;
        }
        let length = usize::from(u16::from_be_bytes([marker[2], marker[3]]));
        if marker[1] == 0xF7 {
            let sof = encoded.get(at + 4..at + 10)?;
            let rows = u128::from(u16::from_be_bytes([sof[1], sof[2]]));
            let cols = u128::from(u16::from_be_bytes([sof[3], sof[4]]));
            return Some(rows * cols * u128::from(sof[5]));
        }
        at += 2 + length;
    }
}

/// Samples the SIZ segment of a JPEG 2000 codestream declares (the codestream may sit
/// inside a JP2 box, so its start is searched for). Two 32-bit sizes and a 16-bit
/// component count need up to 80 bits: in `u64` the product overflowed, which panics in
/// a debug build and in a release build wraps, possibly below the frame's size, letting
/// the decoder size its buffers from the codestream (found by fuzzing).
pub(crate) fn jpeg_2000_samples(encoded: &[u8]) -> Option<u128> {
    let head = encoded.get(..encoded.len().min(4096))?;
    let soc = head
        .windows(4)
        .position(|w| w == [0xFF, 0x4F, 0xFF, 0x51])?;
    // SIZ: Lsiz, Rsiz, Xsiz, Ysiz, XOsiz, YOsiz, four tile sizes, Csiz.
    let siz = encoded.get(soc + 4..soc + 4 + 38)?;
    let word = |i: usize| {
        u128::from(u32::from_be_bytes([
            siz[i],
            siz[i + 1],
            siz[i + 2],
            siz[i + 3],
        ]))
    };
    let width = word(4).saturating_sub(word(12));
    let height = word(8).saturating_sub(word(16));
    let components = u128::from(u16::from_be_bytes([siz[36], siz[37]]));
    Some(width * height * components)
}

#[cfg(test)]
mod tests {
    use super::{jpeg_2000_samples, jpeg_ls_samples};

    #[test]
    fn reads_the_jpeg_ls_frame_header_after_other_segments() {
        // SOI, an APP0 of 4 bytes, SOF55: P=16, Y=300, X=200, Nf=1.
        let stream = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0xAA, 0xBB, 0xFF, 0xF7, 0x00, 0x0B, 16, 0x01, 0x2C,
            0x00, 0xC8, 0x01,
        ];
        assert_eq!(jpeg_ls_samples(&stream), Some(300 * 200));
        assert_eq!(jpeg_ls_samples(&stream[..12]), None);
    }

    #[test]
    fn reads_the_jpeg_2000_image_size_minus_its_offset() {
        let mut stream = vec![0xFF, 0x4F, 0xFF, 0x51, 0x00, 0x29, 0x00, 0x00];
        for value in [1000u32, 500, 10, 20, 1000, 500, 0, 0] {
            stream.extend_from_slice(&value.to_be_bytes());
        }
        stream.extend_from_slice(&3u16.to_be_bytes());
        assert_eq!(jpeg_2000_samples(&stream), Some(990 * 480 * 3));
    }

    #[test]
    fn counts_a_jpeg_2000_size_beyond_64_bits_exactly() {
        let mut stream = vec![0xFF, 0x4F, 0xFF, 0x51, 0x00, 0x29, 0x00, 0x00];
        for value in [u32::MAX, u32::MAX, 0, 0, 1, 1, 0, 0] {
            stream.extend_from_slice(&value.to_be_bytes());
        }
        stream.extend_from_slice(&u16::MAX.to_be_bytes());
        let side = u128::from(u32::MAX);
        assert_eq!(
            jpeg_2000_samples(&stream),
            Some(side * side * u128::from(u16::MAX))
        );
    }
}
