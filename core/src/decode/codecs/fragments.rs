//! Grouping encapsulated fragments into frames (PS3.5 A.4).

use std::borrow::Cow;

/// The bytes of one encoded frame. Fragments are joined when a frame spans several.
///
/// The rules, in order: a single-frame image owns every fragment; a Basic Offset
/// Table gives frame boundaries; one fragment per frame when the counts match;
/// otherwise (JPEG family only) a frame ends at the fragment that ends with EOI.
pub(crate) fn frame<'a>(
    fragments: &'a [Vec<u8>],
    offset_table: &[u32],
    frames: u32,
    frame: u32,
) -> Option<Cow<'a, [u8]>> {
    if frames == 1 {
        return join(fragments);
    }
    if offset_table.len() == frames as usize {
        let range = by_offsets(fragments, offset_table, frame)?;
        return join(&fragments[range]);
    }
    if fragments.len() == frames as usize {
        return fragments
            .get(frame as usize)
            .map(|f| Cow::Borrowed(f.as_slice()));
    }
    let mut start = 0;
    let mut index = 0;
    for (i, fragment) in fragments.iter().enumerate() {
        if ends_with_eoi(fragment) {
            if index == frame {
                return join(&fragments[start..=i]);
            }
            index += 1;
            start = i + 1;
        }
    }
    None
}

fn join(fragments: &[Vec<u8>]) -> Option<Cow<'_, [u8]>> {
    match fragments {
        [] => None,
        [one] => Some(Cow::Borrowed(one.as_slice())),
        many => Some(Cow::Owned(many.concat())),
    }
}

/// Fragment indices of `frame` from Basic Offset Table byte offsets, which count each
/// fragment's 8-byte item header.
fn by_offsets(
    fragments: &[Vec<u8>],
    offsets: &[u32],
    frame: u32,
) -> Option<std::ops::Range<usize>> {
    let begin = u64::from(*offsets.get(frame as usize)?);
    let end = offsets
        .get(frame as usize + 1)
        .map_or(u64::MAX, |&o| u64::from(o));
    let mut position = 0u64;
    let mut first = None;
    let mut last = None;
    for (i, fragment) in fragments.iter().enumerate() {
        if position >= begin && position < end {
            first.get_or_insert(i);
            last = Some(i);
        }
        position += 8 + fragment.len() as u64;
    }
    Some(first?..last? + 1)
}

fn ends_with_eoi(fragment: &[u8]) -> bool {
    let trimmed = fragment.strip_suffix(&[0]).unwrap_or(fragment);
    trimmed.ends_with(&[0xFF, 0xD9])
}

#[cfg(test)]
mod tests {
    use super::frame;

    #[test]
    fn groups_fragments_by_offset_table_and_by_eoi() {
        let fragments = vec![vec![1, 2], vec![3, 0xFF, 0xD9], vec![4, 0xFF, 0xD9, 0]];
        assert_eq!(
            frame(&fragments, &[0, 21], 2, 0).as_deref(),
            Some(&[1, 2, 3, 0xFF, 0xD9][..])
        );
        assert_eq!(
            frame(&fragments, &[0, 21], 2, 1).as_deref(),
            Some(&[4, 0xFF, 0xD9, 0][..])
        );
        assert_eq!(
            frame(&fragments, &[], 2, 0).as_deref(),
            Some(&[1, 2, 3, 0xFF, 0xD9][..])
        );
        assert_eq!(
            frame(&fragments, &[], 2, 1).as_deref(),
            Some(&[4, 0xFF, 0xD9, 0][..])
        );
        assert_eq!(
            frame(&fragments, &[], 3, 2).as_deref(),
            Some(&[4, 0xFF, 0xD9, 0][..])
        );
        assert_eq!(frame(&fragments, &[], 1, 0).map(|f| f.len()), Some(9));
        assert_eq!(frame(&fragments, &[], 4, 3), None);
    }
}
