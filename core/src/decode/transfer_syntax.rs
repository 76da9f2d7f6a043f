//! Transfer syntax lookup and the decoding family each syntax belongs to.

use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

/// How the pixel data of a transfer syntax is stored, which decides the
/// post-decoding corrections pydicom (and so medprep) applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// Uncompressed pixel data in the data set (also after deflate).
    Native,
    /// RLE Lossless.
    Rle,
    /// JPEG processes 1, 2/4 and 14 (ITU T.81).
    Jpeg,
    /// JPEG-LS lossless and near-lossless (ITU T.87).
    JpegLs,
    /// JPEG 2000 and High-Throughput JPEG 2000.
    Jpeg2000,
    /// Anything else that is encapsulated (e.g. JPEG XL, video): decoded by the
    /// registry when it can, with no extra corrections.
    OtherEncapsulated,
}

impl Family {
    pub(crate) fn of(uid: &str) -> Self {
        match uid {
            "1.2.840.10008.1.2.5" => Self::Rle,
            "1.2.840.10008.1.2.4.50"
            | "1.2.840.10008.1.2.4.51"
            | "1.2.840.10008.1.2.4.57"
            | "1.2.840.10008.1.2.4.70" => Self::Jpeg,
            "1.2.840.10008.1.2.4.80" | "1.2.840.10008.1.2.4.81" => Self::JpegLs,
            "1.2.840.10008.1.2.4.90"
            | "1.2.840.10008.1.2.4.91"
            | "1.2.840.10008.1.2.4.92"
            | "1.2.840.10008.1.2.4.93"
            | "1.2.840.10008.1.2.4.201"
            | "1.2.840.10008.1.2.4.202"
            | "1.2.840.10008.1.2.4.203" => Self::Jpeg2000,
            _ => match TransferSyntaxRegistry.get(uid) {
                Some(ts) if ts.is_encapsulated_pixel_data() => Self::OtherEncapsulated,
                _ => Self::Native,
            },
        }
    }
}

/// The registry's name of a transfer syntax, or the UID itself when unknown.
pub(crate) fn name(uid: &str) -> String {
    TransferSyntaxRegistry
        .get(uid)
        .map_or_else(|| uid.to_owned(), |ts| ts.name().to_owned())
}
