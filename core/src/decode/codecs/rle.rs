//! RLE Lossless (PS3.5 Annex G): one PackBits segment per byte plane, most
//! significant byte first, for every sample.

/// Decodes one RLE frame into little-endian, colour-by-pixel sample bytes.
pub(crate) fn decode_frame(
    encoded: &[u8],
    pixels: usize,
    samples_per_pixel: usize,
    bytes_per_sample: usize,
) -> Result<Vec<u8>, String> {
    let header = encoded.get(..64).ok_or("the RLE header is truncated")?;
    let word = |i: usize| {
        u32::from_le_bytes([
            header[4 * i],
            header[4 * i + 1],
            header[4 * i + 2],
            header[4 * i + 3],
        ])
    };
    let segments = word(0) as usize;
    let expected = samples_per_pixel * bytes_per_sample;
    if segments != expected {
        return Err(format!(
            "the RLE header lists {segments} segments where the image needs {expected}"
        ));
    }
    let offsets: Vec<usize> = (1..=segments).map(|i| word(i) as usize).collect();
    let mut out = vec![0u8; pixels * expected];
    let mut plane = vec![0u8; pixels];
    for (segment, &start) in offsets.iter().enumerate() {
        let end = offsets.get(segment + 1).copied().unwrap_or(encoded.len());
        let data = encoded
            .get(start..end.min(encoded.len()))
            .filter(|_| start >= 64 && start <= end)
            .ok_or_else(|| format!("RLE segment {segment} has an invalid offset {start}"))?;
        unpack_bits(data, &mut plane).map_err(|e| format!("RLE segment {segment}: {e}"))?;
        let sample = segment / bytes_per_sample;
        let byte = bytes_per_sample - 1 - segment % bytes_per_sample;
        let stride = expected;
        for (pixel, &value) in plane.iter().enumerate() {
            out[pixel * stride + sample * bytes_per_sample + byte] = value;
        }
    }
    Ok(out)
}

/// PackBits: a header byte n in 0..=127 copies n + 1 literal bytes; -127..=-1 repeats the
/// next byte 1 - n times; -128 is skipped. Decoding stops once `out` is full.
fn unpack_bits(mut data: &[u8], out: &mut [u8]) -> Result<(), &'static str> {
    let mut filled = 0;
    while filled < out.len() {
        let (&header, rest) = data
            .split_first()
            .ok_or("the segment ends before the frame is complete")?;
        data = rest;
        let n = header as i8;
        if n >= 0 {
            let count = n as usize + 1;
            let literal = data.get(..count).ok_or("a literal run is truncated")?;
            let take = count.min(out.len() - filled);
            out[filled..filled + take].copy_from_slice(&literal[..take]);
            filled += take;
            data = &data[count..];
        } else if n != -128 {
            let (&value, rest) = data.split_first().ok_or("a replicate run is truncated")?;
            data = rest;
            let take = (1 - isize::from(n)) as usize;
            let take = take.min(out.len() - filled);
            out[filled..filled + take].fill(value);
            filled += take;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{decode_frame, unpack_bits};

    #[test]
    fn unpacks_literal_and_replicate_runs() {
        let mut out = [0u8; 7];
        unpack_bits(&[0x02, 1, 2, 3, 0xFD, 9, 0x80], &mut out).expect("valid PackBits");
        assert_eq!(out, [1, 2, 3, 9, 9, 9, 9]);
        assert!(unpack_bits(&[0x05, 1], &mut out).is_err());
    }

    #[test]
    fn reassembles_16_bit_samples_from_byte_planes() {
        // Two pixels 0x0102, 0x0304: high bytes [01, 03] then low bytes [02, 04].
        let mut encoded = vec![0u8; 64];
        encoded[0] = 2;
        encoded[4] = 64;
        encoded[8] = 67;
        encoded.extend_from_slice(&[0x01, 0x01, 0x03, 0x01, 0x02, 0x04]);
        assert_eq!(
            decode_frame(&encoded, 2, 1, 2),
            Ok(vec![0x02, 0x01, 0x04, 0x03])
        );
    }
}
