//! Walks the elements of a data set held in memory, without dicom-rs.
//!
//! Two jobs need it. dicom-rs allocates (and zeroes) an element's declared length
//! before reading it, so a corrupt length of 500 MB costs 500 MB and seconds of page
//! faults before the read fails: [`check_lengths`] refuses such a file first. And
//! dicom-rs copies native Pixel Data into a word vector; [`pixel_data_value`] finds
//! where the value lies so it can be decoded in place. A walk that meets anything it
//! does not understand gives up, and dicom-rs's full parse decides. The walk also
//! bounds sequence nesting: dicom-rs builds nested sequences by recursion, so thousands
//! of levels would overflow the stack.

use std::ops::Range;

use dicom_core::dictionary::DataDictionary;
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;

const PIXEL_DATA: (u16, u16) = (0x7FE0, 0x0010);
const ITEM: (u16, u16) = (0xFFFE, 0xE000);
const ITEM_END: (u16, u16) = (0xFFFE, 0xE00D);
const SEQUENCE_END: (u16, u16) = (0xFFFE, 0xE0DD);
const UNDEFINED: u32 = u32::MAX;
/// Nesting beyond this is treated as hostile.
const MAX_DEPTH: usize = 32;

/// Why a walk stopped.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum WalkError {
    /// The bytes end before an element's declared content does.
    Short(String),
    /// The structure itself is unacceptable (nesting, misplaced tags).
    Bad(String),
}

impl WalkError {
    pub(crate) fn message(self) -> String {
        match self {
            Self::Short(m) | Self::Bad(m) => m,
        }
    }
}

/// Where the header part of a data set ends, as far as a prefix of it shows.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum HeaderEnd {
    /// The top-level Pixel Data element starts at this offset.
    PixelData(usize),
    /// The data set ends without Pixel Data (or with a torn last header that dicom-rs
    /// will report).
    End,
    /// The prefix ends inside an element: more bytes are needed to decide.
    NeedMore,
}

/// How the data set is encoded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Encoding {
    pub explicit_vr: bool,
    pub big_endian: bool,
}

/// Where dicom-rs starts reading the data set of Part 10 bytes that begin at `DICM`,
/// checking the file meta group on the way. dicom-rs reads elements of any group until
/// (0002,0000)'s group length is used up, each element whole, and allocates and zeroes
/// each value's declared length before reading it, so a length past the end of the bytes
/// costs up to 4 GiB and seconds before the read fails. Refused here first: such a
/// length, a binary value that is not a whole number of values, and a group length that
/// ends inside an element, after which dicom-rs would start the data set somewhere other
/// than where the data set checks start (all found by fuzzing). `Ok(None)` when dicom-rs
/// will reject the meta group itself (no group length first, an undefined length) or the
/// bytes end inside an element header; dicom-rs then reports the error.
pub(crate) fn meta_end(part10: &[u8]) -> Result<Option<usize>, String> {
    let mut walker = Walker {
        bytes: part10,
        at: 4,
        encoding: META,
    };
    let Some(header) = walker.header() else {
        return Ok(None);
    };
    if header.tag != (0x0002, 0x0000) || header.length != 4 {
        return Ok(None);
    }
    let Some(group_length) = walker.u32() else {
        return Ok(None);
    };
    let group_start = walker.at;
    let group_end = group_start as u64 + u64::from(group_length);
    while (walker.at as u64) < group_end {
        let Some(header) = walker.header() else {
            return Ok(None);
        };
        if header.length == UNDEFINED {
            return Ok(None);
        }
        whole_values(&header).map_err(WalkError::message)?;
        walker.at = walker.end_of(&header).map_err(WalkError::message)?;
        if walker.at as u64 > group_end {
            let (group, element) = header.tag;
            return Err(format!(
                "the file meta group length (0002,0000) of {group_length} bytes ends inside \
                 element ({group:04X},{element:04X})"
            ));
        }
    }
    Ok(Some(walker.at))
}

/// The file meta group's encoding, whatever the transfer syntax.
const META: Encoding = Encoding {
    explicit_vr: true,
    big_endian: false,
};

/// Checks that every element's declared length fits in the bytes that follow it, at the
/// top level and inside sequences the walk can see into. The error names the element.
pub(crate) fn check_lengths(dataset: &[u8], encoding: Encoding) -> Result<(), String> {
    let mut walker = Walker {
        bytes: dataset,
        at: 0,
        encoding,
    };
    while walker.at < dataset.len() {
        let Some(header) = walker.element_header() else {
            return Ok(()); // a torn header at the end: dicom-rs reports it
        };
        walker.skip_value(&header, 0).map_err(WalkError::message)?;
    }
    Ok(())
}

/// Checks the elements before Pixel Data in `prefix`, the first bytes of a data set
/// that is `total` bytes long, and says where Pixel Data starts. A declared length
/// beyond `total` is refused at once; anything cut off by the end of the prefix asks
/// for more bytes, so a header is checked without reading the pixel data behind it.
pub(crate) fn header_end(
    prefix: &[u8],
    encoding: Encoding,
    total: u64,
) -> Result<HeaderEnd, String> {
    let complete = prefix.len() as u64 >= total;
    let mut walker = Walker {
        bytes: prefix,
        at: 0,
        encoding,
    };
    loop {
        let start = walker.at;
        if start >= prefix.len() {
            return Ok(if complete {
                HeaderEnd::End
            } else {
                HeaderEnd::NeedMore
            });
        }
        let Some(header) = walker.element_header() else {
            return Ok(if complete {
                HeaderEnd::End
            } else {
                HeaderEnd::NeedMore
            });
        };
        if header.tag == PIXEL_DATA {
            return Ok(HeaderEnd::PixelData(start));
        }
        let remaining = total.saturating_sub(walker.at as u64);
        if header.length != UNDEFINED && u64::from(header.length) > remaining {
            return Err(too_long(&header, remaining));
        }
        match walker.skip_value(&header, 0) {
            Ok(()) => {}
            Err(WalkError::Short(_)) if !complete => return Ok(HeaderEnd::NeedMore),
            Err(e) => return Err(e.message()),
        }
    }
}

/// The byte range of the top-level Pixel Data value in `dataset` (the bytes after the
/// file meta group), for a little-endian native syntax.
pub(crate) fn pixel_data_value(dataset: &[u8], explicit_vr: bool) -> Option<Range<usize>> {
    let encoding = Encoding {
        explicit_vr,
        big_endian: false,
    };
    let mut walker = Walker {
        bytes: dataset,
        at: 0,
        encoding,
    };
    while walker.at < dataset.len() {
        let header = walker.element_header()?;
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
        walker.skip_value(&header, 0).ok()?;
    }
    None
}

struct Header {
    tag: (u16, u16),
    length: u32,
    sequence: bool,
    /// Bytes per value of a binary VR (1 otherwise): a defined length must be a whole
    /// number of them.
    unit: u32,
}

struct Walker<'a> {
    bytes: &'a [u8],
    at: usize,
    encoding: Encoding,
}

impl Walker<'_> {
    fn u16(&mut self) -> Option<u16> {
        let v: [u8; 2] = self.bytes.get(self.at..self.at + 2)?.try_into().ok()?;
        self.at += 2;
        Some(if self.encoding.big_endian {
            u16::from_be_bytes(v)
        } else {
            u16::from_le_bytes(v)
        })
    }

    fn u32(&mut self) -> Option<u32> {
        let v: [u8; 4] = self.bytes.get(self.at..self.at + 4)?.try_into().ok()?;
        self.at += 4;
        Some(if self.encoding.big_endian {
            u32::from_be_bytes(v)
        } else {
            u32::from_le_bytes(v)
        })
    }

    /// The header of a data element, where dicom-rs expects one (not an item). An Item
    /// Delimitation Item there has no value, whatever length it declares: dicom-rs ignores
    /// one outside any sequence, ends the item with one inside a sequence, and in either
    /// case reads the next header right after it (a walk that skipped the declared length
    /// let a 1.4 GB length read from the skipped bytes through to dicom-rs).
    fn element_header(&mut self) -> Option<Header> {
        let header = self.header()?;
        Some(if header.tag == ITEM_END {
            Header {
                length: 0,
                ..header
            }
        } else {
            header
        })
    }

    fn header(&mut self) -> Option<Header> {
        let tag = (self.u16()?, self.u16()?);
        // Item and delimiter tags never carry a VR.
        if tag.0 == 0xFFFE {
            return Some(Header {
                tag,
                length: self.u32()?,
                sequence: false,
                unit: 1,
            });
        }
        if !self.encoding.explicit_vr {
            // dicom-rs reads an implicit-VR element as a sequence when the dictionary
            // says SQ, so the walk must look inside it too.
            let vr = implicit_vr(tag);
            return Some(Header {
                tag,
                length: self.u32()?,
                sequence: vr == Some(VR::SQ),
                unit: vr.map_or(1, |vr| value_unit(vr.to_bytes())),
            });
        }
        let vr: [u8; 2] = self.bytes.get(self.at..self.at + 2)?.try_into().ok()?;
        self.at += 2;
        // PS3.5 7.1.2 lists the VRs with a 16-bit length; every other one, including a
        // VR that is not defined at all (read as UN, as dicom-rs does), has a 32-bit
        // length after two reserved bytes. Fuzzing found the walk and dicom-rs disagreeing
        // on undefined VRs, which let a 1 GiB length through to dicom-rs.
        let long_form = !matches!(
            &vr,
            b"AE"
                | b"AS"
                | b"AT"
                | b"CS"
                | b"DA"
                | b"DS"
                | b"DT"
                | b"FL"
                | b"FD"
                | b"IS"
                | b"LO"
                | b"LT"
                | b"PN"
                | b"SH"
                | b"SL"
                | b"SS"
                | b"ST"
                | b"TM"
                | b"UI"
                | b"UL"
                | b"US"
        );
        let length = if long_form {
            self.at += 2;
            self.u32()?
        } else {
            u32::from(self.u16()?)
        };
        Some(Header {
            tag,
            length,
            sequence: &vr == b"SQ",
            unit: value_unit(vr),
        })
    }

    /// Skips an element's value. Undefined lengths (sequences, encapsulated pixel data)
    /// are walked item by item to their delimiter; explicit-VR sequences of defined
    /// length are walked too, so their elements' lengths are checked.
    fn skip_value(&mut self, header: &Header, depth: usize) -> Result<(), WalkError> {
        if depth >= MAX_DEPTH {
            return Err(WalkError::Bad(format!(
                "sequences nested deeper than {MAX_DEPTH} levels"
            )));
        }
        if header.length != UNDEFINED {
            whole_values(header)?;
            let end = self.end_of(header)?;
            if header.sequence {
                let mut inner = Walker {
                    bytes: &self.bytes[..end],
                    at: self.at,
                    encoding: self.encoding,
                };
                while inner.at < end {
                    let item = inner.header().ok_or_else(|| self.torn(header))?;
                    inner.skip_item(&item, depth + 1, true)?;
                }
            }
            self.at = end;
            return Ok(());
        }
        loop {
            let item = self.header().ok_or_else(|| self.torn(header))?;
            if item.tag == SEQUENCE_END {
                return Ok(());
            }
            // Undefined length means a sequence, except for encapsulated Pixel Data,
            // whose items are opaque fragments.
            self.skip_item(&item, depth + 1, header.tag != PIXEL_DATA)?;
        }
    }

    fn skip_item(&mut self, item: &Header, depth: usize, sequence: bool) -> Result<(), WalkError> {
        match item.tag {
            ITEM if item.length == UNDEFINED => loop {
                let element = self.element_header().ok_or_else(|| self.torn(item))?;
                if element.tag == ITEM_END {
                    return Ok(());
                }
                self.skip_value(&element, depth)?;
            },
            ITEM => {
                let end = self.end_of(item)?;
                if sequence {
                    let mut inner = Walker {
                        bytes: &self.bytes[..end],
                        at: self.at,
                        encoding: self.encoding,
                    };
                    while inner.at < end {
                        let element = inner.element_header().ok_or_else(|| self.torn(item))?;
                        if element.tag == ITEM_END {
                            // dicom-rs ends the item here, before its declared end, and
                            // reads the sequence's next item header from this point.
                            self.at = inner.at;
                            return Ok(());
                        }
                        inner.skip_value(&element, depth)?;
                    }
                }
                self.at = end;
                Ok(())
            }
            (group, element) => Err(WalkError::Bad(format!(
                "unexpected ({group:04X},{element:04X}) where a sequence item belongs"
            ))),
        }
    }

    fn end_of(&self, header: &Header) -> Result<usize, WalkError> {
        let remaining = self.bytes.len().saturating_sub(self.at);
        if header.length as usize > remaining {
            return Err(WalkError::Short(too_long(header, remaining as u64)));
        }
        Ok(self.at + header.length as usize)
    }

    fn torn(&self, header: &Header) -> WalkError {
        let (group, element) = header.tag;
        WalkError::Short(format!(
            "element ({group:04X},{element:04X}) ends before its delimiter"
        ))
    }
}

fn too_long(header: &Header, remaining: u64) -> String {
    let (group, element) = header.tag;
    format!(
        "element ({group:04X},{element:04X}) declares {} bytes but only {remaining} remain",
        header.length
    )
}

/// Refuses a defined length that is not a whole number of the VR's values: dicom-rs
/// reads length / unit values and goes on from there, inside the value, so the rest of
/// the walk would no longer be the parse it guards (found by fuzzing: a 1.4 GB length
/// read from the middle of a UL in a functional group, and from the middle of an FD in
/// the meta group).
fn whole_values(header: &Header) -> Result<(), WalkError> {
    if header.length.is_multiple_of(header.unit) {
        return Ok(());
    }
    let (group, element) = header.tag;
    Err(WalkError::Bad(format!(
        "({group:04X},{element:04X}) has {} bytes, not a whole number of its {}-byte values",
        header.length, header.unit
    )))
}

/// The VR dicom-rs reads an implicit-VR element with: OW for Pixel Data and Overlay
/// Data, else the dictionary's, with "US or SS" read as US and "OB or OW" as OW
/// (`VirtualVr::relaxed`); `None` (read as UN) for a tag it does not know. A walk that
/// took "OB or OW" as bytes let an odd-length LUT Data or Pixel Data through, which
/// dicom-rs reads as 16-bit words, ending a byte early.
fn implicit_vr((group, element): (u16, u16)) -> Option<VR> {
    if (group, element) == PIXEL_DATA || (group >> 8 == 0x60 && element == 0x3000) {
        return Some(VR::OW);
    }
    Some(
        StandardDataDictionary
            .by_tag(Tag(group, element))?
            .vr
            .relaxed(),
    )
}

/// Bytes per value of the binary VRs, 1 for the others. Pixel Data too: dicom-rs reads
/// it by its VR like any other element (an explicit-VR Pixel Data written as FL with a
/// length of 4n + 2 was read two bytes short, and the next "length" was 4 GB).
fn value_unit(vr: [u8; 2]) -> u32 {
    match &vr {
        b"SS" | b"US" | b"OW" => 2,
        b"AT" | b"FL" | b"SL" | b"UL" | b"OF" | b"OL" => 4,
        b"FD" | b"SV" | b"UV" | b"OD" | b"OV" => 8,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::{check_lengths, pixel_data_value, Encoding};

    const EXPLICIT_LE: Encoding = Encoding {
        explicit_vr: true,
        big_endian: false,
    };

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

    fn item(content: &[u8]) -> Vec<u8> {
        let mut out = vec![0xFE, 0xFF, 0x00, 0xE0];
        out.extend_from_slice(&(content.len() as u32).to_le_bytes());
        out.extend_from_slice(content);
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
        assert_eq!(check_lengths(&data, EXPLICIT_LE), Ok(()));
    }

    #[test]
    fn gives_up_on_truncated_or_missing_pixel_data() {
        let mut data = explicit((0x0008, 0x0060), b"CS", b"CT");
        assert_eq!(pixel_data_value(&data, true), None);
        data.extend(explicit((0x7FE0, 0x0010), b"OW", &[1, 2, 3, 4]));
        data.truncate(data.len() - 1);
        assert_eq!(pixel_data_value(&data, true), None);
    }

    fn implicit(tag: (u16, u16), value: &[u8]) -> Vec<u8> {
        let mut out = [tag.0.to_le_bytes(), tag.1.to_le_bytes()].concat();
        out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        out.extend_from_slice(value);
        out
    }

    #[test]
    fn pixel_data_must_be_a_whole_number_of_the_values_of_its_vr() {
        // dicom-rs reads an FL Pixel Data of 4n + 2 bytes as n floats and goes on two
        // bytes early, inside the value (found by fuzzing).
        let mut data = explicit((0x7FE0, 0x0010), b"OW", &[0; 6]);
        data.extend(explicit((0x0008, 0x0060), b"CS", b"CT"));
        assert_eq!(check_lengths(&data, EXPLICIT_LE), Ok(()));
        let mut data = explicit((0x7FE0, 0x0010), b"FL", &[0; 6]);
        data.extend(explicit((0x0008, 0x0060), b"CS", b"CT"));
        let error = check_lengths(&data, EXPLICIT_LE).expect_err("6 bytes of FL");
        assert!(error.contains("(7FE0,0010) has 6 bytes"), "{error}");
    }

    #[test]
    fn implicit_vr_reads_us_or_ss_and_ob_or_ow_as_dicom_rs_does() {
        const IMPLICIT: Encoding = Encoding {
            explicit_vr: false,
            big_endian: false,
        };
        // LUT Data (0028,3006) is "US or OW" in the dictionary, Smallest Image Pixel Value
        // (0028,0106) "US or SS", Pixel Data "OB or OW": dicom-rs reads all three as
        // 16-bit words, so an odd length would leave it a byte short.
        for tag in [(0x0028, 0x3006), (0x0028, 0x0106), (0x7FE0, 0x0010)] {
            assert_eq!(check_lengths(&implicit(tag, &[0; 4]), IMPLICIT), Ok(()));
            let error = check_lengths(&implicit(tag, &[0; 3]), IMPLICIT).expect_err("odd");
            assert!(error.contains("3 bytes, not a whole number"), "{error}");
        }
        // A tag the dictionary does not know is read as UN, bytes of any length.
        assert_eq!(
            check_lengths(&implicit((0x0009, 0x0010), &[0; 3]), IMPLICIT),
            Ok(())
        );
    }

    /// A sequence of defined length holding one item of defined length: (0008,1150) UI,
    /// an Item Delimitation Item, then an item (FFFE,E000) holding `element`, all inside
    /// the first item's declared length.
    fn delimiter_inside_a_defined_length_item(element: &[u8]) -> Vec<u8> {
        let mut content = explicit((0x0008, 0x1150), b"UI", b"1.2\0");
        content.extend_from_slice(&[0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]);
        content.extend(item(element));
        explicit((0x0008, 0x1140), b"SQ", &item(&content))
    }

    #[test]
    fn an_item_delimiter_ends_an_item_of_defined_length_as_it_does_in_dicom_rs() {
        // dicom-rs reads what follows the delimiter as the sequence's next item, so the
        // element in it is one dicom-rs reads: the walk must check its length.
        let element = explicit((0x0008, 0x1155), b"UI", b"1.23");
        let data = delimiter_inside_a_defined_length_item(&element);
        let ts = dicom_transfer_syntax_registry::entries::EXPLICIT_VR_LITTLE_ENDIAN.erased();
        let parsed = dicom_object::InMemDicomObject::read_dataset_with_ts(&data[..], &ts)
            .expect("dicom-rs parses it");
        let items = parsed
            .element(dicom_core::Tag(0x0008, 0x1140))
            .expect("the sequence")
            .items()
            .expect("items");
        assert_eq!(items.len(), 2, "dicom-rs reads a second item");
        assert!(items[1].element(dicom_core::Tag(0x0008, 0x1155)).is_ok());

        let mut huge = [0x08u8, 0x00, 0x55, 0x11, b'O', b'B', 0, 0].to_vec();
        huge.extend_from_slice(&500_000_000u32.to_le_bytes());
        let data = delimiter_inside_a_defined_length_item(&huge);
        let error = check_lengths(&data, EXPLICIT_LE).expect_err("absurd length");
        assert!(
            error.contains("(0008,1155) declares 500000000 bytes"),
            "{error}"
        );
    }

    #[test]
    fn refuses_a_length_beyond_the_end_even_inside_a_sequence_item() {
        // (0008,1140) SQ of defined length holding one item whose element claims 500 MB.
        let mut inner = [0x08u8, 0x00, 0x50, 0x11, b'O', b'B', 0, 0].to_vec();
        inner.extend_from_slice(&500_000_000u32.to_le_bytes());
        let data = explicit((0x0008, 0x1140), b"SQ", &item(&inner));
        let error = check_lengths(&data, EXPLICIT_LE).expect_err("absurd length");
        assert!(
            error.contains("(0008,1150) declares 500000000 bytes"),
            "{error}"
        );
    }
}
