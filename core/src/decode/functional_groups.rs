//! Enhanced multi-frame functional groups: per-frame values with shared fallbacks.

use dicom_object::InMemDicomObject;

use super::attributes::{self as attr, DataSetExt};
use crate::error::Attribute;

/// The first item of the functional group macro `group` that applies to `frame`:
/// the frame's own item in Per-frame Functional Groups, else the Shared Functional Groups'.
pub(crate) fn frame_item(
    obj: &InMemDicomObject,
    frame: u32,
    group: Attribute,
) -> Option<&InMemDicomObject> {
    let per_frame = obj
        .items(attr::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
        .get(frame as usize)
        .and_then(|item| item.items(group).first());
    per_frame.or_else(|| {
        obj.items(attr::SHARED_FUNCTIONAL_GROUPS_SEQUENCE)
            .first()
            .and_then(|item| item.items(group).first())
    })
}
