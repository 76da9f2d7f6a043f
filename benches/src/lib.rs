//! Shared helpers of the medprep benchmarks: finding and loading the benchmark corpus,
//! and building a synthetic CT slice in memory when no corpus is at hand.
//!
//! The corpus is made by `scripts/gen_corpus.py` (see `benches/compare/README.md`);
//! it holds one subdirectory of `.dcm` files per transfer syntax.

use std::path::{Path, PathBuf};

use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};

/// Environment variable naming the benchmark corpus directory.
pub const CORPUS_ENV: &str = "MEDPREP_BENCH_CORPUS";

/// Corpus subdirectories, one per transfer syntax, in the order benchmarks report them.
pub const SYNTAXES: [&str; 4] = ["explicit", "rle", "jpegls-lossless", "jpeg2000-lossless"];

/// Rows and columns of the synthetic slice.
pub const SLICE_SIZE: u16 = 512;

/// The command that creates the default corpus, for messages.
pub const CORPUS_COMMAND: &str =
    "python scripts/gen_corpus.py target/bench-corpus --n 200 --size 512 \
     --syntax explicit,rle,jpegls-lossless,jpeg2000-lossless";

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The corpus directory: `$MEDPREP_BENCH_CORPUS`, or `target/bench-corpus` in the workspace.
pub fn corpus_dir() -> PathBuf {
    match std::env::var_os(CORPUS_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join("target").join("bench-corpus"),
    }
}

/// A file's name and its whole content.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    /// File name (no directory), used in error messages.
    pub name: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// Reads every `.dcm` file of `dir` (not recursive) into memory, sorted by name.
pub fn load_dir(dir: &Path) -> std::io::Result<Vec<LoadedFile>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("dcm")))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path)?;
            let name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            Ok(LoadedFile { name, bytes })
        })
        .collect()
}

/// A 512×512 single-frame CT slice, 16 bits signed, Explicit VR Little Endian, as the
/// bytes of a Part 10 file.
///
/// The content is a deterministic phantom: air around a water-like body with noise,
/// a few bone and soft-tissue inserts, so that values span the usual CT range.
pub fn synthetic_ct_slice() -> Vec<u8> {
    let n = usize::from(SLICE_SIZE);
    let intercept = -1024.0_f64;
    let mut pixels = Vec::with_capacity(n * n);
    let mut state: u32 = 0x1234_5678;
    let centre = (n as f64 - 1.0) / 2.0;
    for row in 0..n {
        for col in 0..n {
            // xorshift32: deterministic noise of about ±20 HU.
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let noise = f64::from(state % 41) - 20.0;
            let (y, x) = (row as f64 - centre, col as f64 - centre);
            let r = (x * x + y * y).sqrt() / centre;
            let hu = if r > 0.9 {
                -1000.0
            } else if ((x - 120.0).powi(2) + (y + 40.0).powi(2)).sqrt() < 30.0 {
                1200.0 + noise
            } else if ((x + 110.0).powi(2) + (y - 60.0).powi(2)).sqrt() < 45.0 {
                60.0 + noise
            } else if ((x + 10.0).powi(2) + (y + 130.0).powi(2)).sqrt() < 35.0 {
                -700.0 + noise
            } else {
                noise
            };
            pixels.push((hu - intercept) as i16);
        }
    }

    let sop_instance = "2.25.112233445566778899001122334455667788";
    let us = |tag, v: u16| DataElement::new(tag, VR::US, PrimitiveValue::from(v));
    let text = |tag, vr, v: &str| DataElement::new(tag, vr, PrimitiveValue::from(v));
    let ds = |tag, values: &[&str]| {
        DataElement::new(
            tag,
            VR::DS,
            PrimitiveValue::Strs(values.iter().map(|v| (*v).to_owned()).collect()),
        )
    };
    let obj = InMemDicomObject::from_element_iter([
        text(tags::SOP_CLASS_UID, VR::UI, uids::CT_IMAGE_STORAGE),
        text(tags::SOP_INSTANCE_UID, VR::UI, sop_instance),
        text(tags::MODALITY, VR::CS, "CT"),
        text(tags::PATIENT_ID, VR::LO, "BENCH"),
        text(tags::STUDY_INSTANCE_UID, VR::UI, "2.25.1"),
        text(tags::SERIES_INSTANCE_UID, VR::UI, "2.25.2"),
        ds(tags::PIXEL_SPACING, &["0.7", "0.7"]),
        ds(tags::IMAGE_POSITION_PATIENT, &["-179.3", "-179.3", "0"]),
        ds(
            tags::IMAGE_ORIENTATION_PATIENT,
            &["1", "0", "0", "0", "1", "0"],
        ),
        text(tags::SLICE_THICKNESS, VR::DS, "1"),
        us(tags::SAMPLES_PER_PIXEL, 1),
        text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"),
        us(tags::ROWS, SLICE_SIZE),
        us(tags::COLUMNS, SLICE_SIZE),
        us(tags::BITS_ALLOCATED, 16),
        us(tags::BITS_STORED, 16),
        us(tags::HIGH_BIT, 15),
        us(tags::PIXEL_REPRESENTATION, 1),
        text(tags::WINDOW_CENTER, VR::DS, "40"),
        text(tags::WINDOW_WIDTH, VR::DS, "400"),
        text(tags::RESCALE_INTERCEPT, VR::DS, "-1024"),
        text(tags::RESCALE_SLOPE, VR::DS, "1"),
        text(tags::RESCALE_TYPE, VR::LO, "HU"),
        DataElement::new(tags::PIXEL_DATA, VR::OW, PrimitiveValue::I16(pixels.into())),
    ]);
    let meta = FileMetaTableBuilder::new()
        .media_storage_sop_class_uid(uids::CT_IMAGE_STORAGE)
        .media_storage_sop_instance_uid(sop_instance)
        .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
        .implementation_class_uid("2.25.3");
    let file = obj
        .with_meta(meta)
        .expect("the synthetic slice's file meta group is complete");
    let mut bytes = Vec::new();
    file.write_all(&mut bytes)
        .expect("writing to memory does not fail");
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use medprep::{DicomFile, Frames, Limits};

    #[test]
    fn synthetic_slice_decodes_to_hu() {
        let bytes = synthetic_ct_slice();
        let file = DicomFile::from_bytes("synthetic", &bytes).expect("parses");
        let image = file
            .image(Frames::All, &Limits::default())
            .expect("decodes");
        assert_eq!((image.rows, image.cols), (512, 512));
        assert_eq!(image.pixels.len(), 512 * 512);
        assert_eq!(image.pixels[0], -1000.0);
        assert_eq!(image.meta.bits_allocated, 16);
    }
}
