//! Builds small DICOM files in memory, so each test states exactly what it encodes.

use dicom_core::value::PixelFragmentSequence;
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::InMemDicomObject;

pub const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
pub const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
pub const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";
pub const RLE: &str = "1.2.840.10008.1.2.5";
pub const JPEG_BASELINE: &str = "1.2.840.10008.1.2.4.50";

/// A data set under construction.
pub struct Builder {
    object: InMemDicomObject,
    transfer_syntax: &'static str,
}

impl Builder {
    /// A grey image of `rows` × `cols` with the given storage.
    pub fn grey(rows: u16, cols: u16, bits_allocated: u16, bits_stored: u16, signed: bool) -> Self {
        let mut b = Self {
            object: InMemDicomObject::new_empty(),
            transfer_syntax: EXPLICIT_LE,
        };
        b.str(tags::SOP_CLASS_UID, VR::UI, "1.2.840.10008.5.1.4.1.1.2")
            .str(tags::SOP_INSTANCE_UID, VR::UI, "2.25.1")
            .str(tags::MODALITY, VR::CS, "CT")
            .str(tags::PATIENT_ID, VR::LO, "SYNTH0001")
            .str(tags::STUDY_DATE, VR::DA, "20240102")
            .str(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2")
            .u16(tags::SAMPLES_PER_PIXEL, 1)
            .u16(tags::ROWS, rows)
            .u16(tags::COLUMNS, cols)
            .u16(tags::BITS_ALLOCATED, bits_allocated)
            .u16(tags::BITS_STORED, bits_stored)
            .u16(tags::HIGH_BIT, bits_stored.saturating_sub(1))
            .u16(tags::PIXEL_REPRESENTATION, u16::from(signed));
        b
    }

    pub fn syntax(mut self, uid: &'static str) -> Self {
        self.transfer_syntax = uid;
        self
    }

    pub fn str(&mut self, tag: Tag, vr: VR, value: &str) -> &mut Self {
        self.object
            .put(DataElement::new(tag, vr, PrimitiveValue::from(value)));
        self
    }

    pub fn u16(&mut self, tag: Tag, value: u16) -> &mut Self {
        self.object
            .put(DataElement::new(tag, VR::US, PrimitiveValue::from(value)));
        self
    }

    pub fn remove(&mut self, tag: Tag) -> &mut Self {
        self.object.remove_element(tag);
        self
    }

    /// Native pixel data from little-endian bytes (OB for 8-bit and less, OW otherwise).
    pub fn native(&mut self, bytes: Vec<u8>) -> &mut Self {
        let wide = self
            .object
            .get(tags::BITS_ALLOCATED)
            .and_then(|e| e.to_int::<u16>().ok())
            .unwrap_or(8)
            > 8;
        let element = if wide {
            let words = bytes
                .chunks(2)
                .map(|c| u16::from_le_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect::<Vec<_>>();
            DataElement::new(tags::PIXEL_DATA, VR::OW, PrimitiveValue::U16(words.into()))
        } else {
            DataElement::new(tags::PIXEL_DATA, VR::OB, PrimitiveValue::from(bytes))
        };
        self.object.put(element);
        self
    }

    pub fn native_i16(&mut self, values: &[i16]) -> &mut Self {
        self.native(values.iter().flat_map(|v| v.to_le_bytes()).collect())
    }

    /// Encapsulated pixel data: an empty Basic Offset Table and the given fragments.
    pub fn fragments(&mut self, fragments: Vec<Vec<u8>>) -> &mut Self {
        let sequence = PixelFragmentSequence::new(Vec::<u32>::new(), fragments);
        self.object
            .put(DataElement::new(tags::PIXEL_DATA, VR::OB, sequence));
        self
    }

    pub fn object(&mut self) -> &mut InMemDicomObject {
        &mut self.object
    }

    /// The Part 10 file: preamble, `DICM`, file meta group and data set (`write_all`
    /// writes the preamble itself).
    pub fn bytes(&self) -> Vec<u8> {
        let meta = FileMetaTableBuilder::new()
            .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.2")
            .media_storage_sop_instance_uid("2.25.1")
            .transfer_syntax(self.transfer_syntax)
            .build()
            .expect("complete file meta group");
        let file = self.object.clone().with_exact_meta(meta);
        let mut out = Vec::new();
        file.write_all(&mut out).expect("writable test file");
        out
    }
}
