//! Finds native Pixel Data inside little-endian file bytes without parsing it.
//!
//! dicom-rs copies a native Pixel Data value into a word vector while parsing; for a
//! 512×512 CT slice that copy, and the page faults of its fresh allocation, cost more
//! than everything else medprep does to the slice. So for little-endian native syntaxes
//! medprep parses only the header with dicom-rs and walks the top-level elements itself
//! to find where Pixel Data's value lies in the bytes it already holds. Any surprise
//! makes the walk give up, and decoding falls back to the full parse.

use std::ops::Range;

const PIXEL_DATA: (u16, u16) = (0x7FE0, 0x0010);
const ITEM: (u16, u16) = (0xFFFE, 0xE000);
const ITEM_END: (u16, u16) = (0xFFFE, 0xE00D);
const SEQUENCE_END: (u16, u16) = (0xFFFE, 0xE0DD);
const UNDEFINED: u32 = u32::MAX;
/// Nesting beyond this is treated as hostile, and the walk gives up.
const MAX_DEPTH: usize = 32;

/// Where the data set starts in Part 10 bytes that begin at `DICM`: after the file meta
/// group, found by walking its elements rather than trusting its group length.
pub(crate) fn dataset_start(part10: &[u8]) -> Option<usize> {
    let mut walker = Walker {
        bytes: part10,
        at: 4,
        explicit_vr: true,
    };
    loop {
        let group = u16::from_le_bytes(part10.get(walker.at..walker.at + 2)?.try_into().ok()?);
        if group != 0x0002 {
            return Some(walker.at);
        }
        let header = walker.header()?;
        walker.skip_value(&header, 0)?;
    }
}

/// The byte range of the top-level Pixel Data value in `dataset` (the bytes after the
/// file meta group), for a little-endian native syntax with explicit or implicit VR.
pub(crate) fn pixel_data_value(dataset: &[u8], explicit_vr: bool) -> Option<Range<usize>> {
    let mut walker = Walker {
        bytes: dataset,
        at: 0,
        explicit_vr,
    };
    while walker.at < dataset.len() {
        let header = walker.header()?;
        if header.tag == PIXEL_DATA {
            if header.length == UNDEFINED {
                return None;
            }
            let start = walker.at;
            return Some(
                start
                    ..start
                        .checked_add(header.length as usize)
                        .filter(|&e| e <= dataset.len())?,
            );
        }
        walker.skip_value(&header, 0)?;
    }
    None
}

struct Header {
    tag: (u16, u16),
    length: u32,
}

struct Walker<'a> {
    bytes: &'a [u8],
    at: usize,
    explicit_vr: bool,
}

impl Walker<'_> {
    fn u16(&mut self) -> Option<u16> {
        let v = self.bytes.get(self.at..self.at + 2)?;
        self.at += 2;
        Some(u16::from_le_bytes([v[0], v[1]]))
    }

    fn u32(&mut self) -> Option<u32> {
        let v = self.bytes.get(self.at..self.at + 4)?;
        self.at += 4;
        Some(u32::from_le_bytes([v[0], v[1], v[2], v[3]]))
    }

    fn header(&mut self) -> Option<Header> {
        let tag = (self.u16()?, self.u16()?);
        // Item and delimiter tags never carry a VR.
        if tag.0 == 0xFFFE || !self.explicit_vr {
            return Some(Header {
                tag,
                length: self.u32()?,
            });
        }
        let vr = self.bytes.get(self.at..self.at + 2)?;
        self.at += 2;
        let long_form = matches!(
            vr,
            b"OB"
                | b"OD"
                | b"OF"
                | b"OL"
                | b"OV"
                | b"OW"
                | b"SQ"
                | b"SV"
                | b"UC"
                | b"UN"
                | b"UR"
                | b"UT"
                | b"UV"
        );
        let length = if long_form {
            self.at += 2;
            self.u32()?
        } else {
            u32::from(self.u16()?)
        };
        Some(Header { tag, length })
    }

    /// Skips an element's value; an undefined length means a sequence (or encapsulated
    /// data) whose items are walked until their delimiter.
    fn skip_value(&mut self, header: &Header, depth: usize) -> Option<()> {
        if header.length != UNDEFINED {
            self.at = self
                .at
                .checked_add(header.length as usize)
                .filter(|&e| e <= self.bytes.len())?;
            return Some(());
        }
        if depth >= MAX_DEPTH {
            return None;
        }
        loop {
            let item = self.header()?;
            match item.tag {
                SEQUENCE_END => return Some(()),
                ITEM if item.length == UNDEFINED => self.skip_item_elements(depth + 1)?,
                ITEM => self.skip_value(&item, depth + 1)?,
                _ => return None,
            }
        }
    }

    fn skip_item_elements(&mut self, depth: usize) -> Option<()> {
        loop {
            let element = self.header()?;
            if element.tag == ITEM_END {
                return Some(());
            }
            self.skip_value(&element, depth)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::pixel_data_value;

    fn explicit(tag: (u16, u16), vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        let mut out = [tag.0.to_le_bytes(), tag.1.to_le_bytes()].concat();
        out.extend_from_slice(vr);
        if matches!(vr, b"OW" | b"OB" | b"SQ") {
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        } else {
            out.extend_from_slice(&(value.len() as u16).to_le_bytes());
        }
        out.extend_from_slice(value);
        out
    }

    #[test]
    fn finds_pixel_data_after_an_undefined_length_sequence() {
        let mut data = explicit((0x0008, 0x0060), b"CS", b"CT");
        // (0008,1140) SQ, undefined length, one undefined-length item holding one element.
        data.extend_from_slice(&[
            0x08, 0x00, 0x40, 0x11, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        data.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        data.extend(explicit((0x0008, 0x1150), b"UI", b"1.2"));
        data.extend_from_slice(&[0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]);
        data.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
        let before = data.len();
        data.extend(explicit((0x7FE0, 0x0010), b"OW", &[1, 2, 3, 4]));
        assert_eq!(
            pixel_data_value(&data, true),
            Some(before + 12..before + 16)
        );
    }

    #[test]
    fn gives_up_on_truncated_or_missing_pixel_data() {
        let mut data = explicit((0x0008, 0x0060), b"CS", b"CT");
        assert_eq!(pixel_data_value(&data, true), None);
        data.extend(explicit((0x7FE0, 0x0010), b"OW", &[1, 2, 3, 4]));
        data.truncate(data.len() - 1);
        assert_eq!(pixel_data_value(&data, true), None);
    }
}
