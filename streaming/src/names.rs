//! File names of preprocessed images: from the SOP Instance UID (else the input's file
//! stem), sanitised, `_f<frame>` for multi-frame images, and made unique in input
//! order, so the same inputs always get the same names.

use std::collections::HashSet;

use crate::sinks::safe_file_name;

/// Hands out unique file names. Names are compared ignoring ASCII case, so they stay
/// distinct on case-insensitive file systems too.
#[derive(Debug, Default)]
pub struct Namer {
    used: HashSet<String>,
}

impl Namer {
    /// Marks names as taken (the files of inputs finished in an earlier run).
    pub fn reserve<'a>(&mut self, names: impl IntoIterator<Item = &'a String>) {
        self.used
            .extend(names.into_iter().map(|n| n.to_ascii_lowercase()));
    }

    /// One name per frame for an image whose stem would be `base`: `<stem>.<ext>` for a
    /// single frame, `<stem>_f<frame>.<ext>` for several. A taken stem gets `_2`, `_3`...
    pub fn allocate(
        &mut self,
        base: &str,
        frames: &[u32],
        multi_frame: bool,
        extension: &str,
    ) -> Vec<String> {
        let base = safe_file_name(base);
        let names_for = |stem: &str| -> Vec<String> {
            frames
                .iter()
                .map(|f| {
                    if multi_frame {
                        format!("{stem}_f{f}.{extension}")
                    } else {
                        format!("{stem}.{extension}")
                    }
                })
                .collect()
        };
        let mut names = names_for(&base);
        let mut n = 1;
        while names
            .iter()
            .any(|name| self.used.contains(&name.to_ascii_lowercase()))
        {
            n += 1;
            names = names_for(&format!("{base}_{n}"));
        }
        self.reserve(&names);
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collisions_get_numbered_in_order() {
        let mut namer = Namer::default();
        assert_eq!(namer.allocate("1.2.3", &[0], false, "png"), ["1.2.3.png"]);
        assert_eq!(namer.allocate("1.2.3", &[0], false, "png"), ["1.2.3_2.png"]);
        assert_eq!(namer.allocate("1.2.3", &[0], false, "png"), ["1.2.3_3.png"]);
        assert_eq!(
            namer.allocate("1.2.3_2", &[0], false, "png"),
            ["1.2.3_2_2.png"]
        );
        assert_eq!(namer.allocate("1.2.3", &[0], false, "npy"), ["1.2.3.npy"]);
    }

    #[test]
    fn multi_frame_images_get_frame_suffixes_that_do_not_clash() {
        let mut namer = Namer::default();
        assert_eq!(
            namer.allocate("A", &[0, 1], true, "npy"),
            ["A_f0.npy", "A_f1.npy"]
        );
        // A single-frame image whose UID happens to look like a frame file name.
        assert_eq!(namer.allocate("a_f1", &[0], false, "npy"), ["a_f1_2.npy"]);
    }

    #[test]
    fn reserved_and_unsafe_names() {
        let mut namer = Namer::default();
        namer.reserve(&["x.png".to_owned()]);
        assert_eq!(namer.allocate("x", &[0], false, "png"), ["x_2.png"]);
        assert_eq!(namer.allocate("../evil", &[0], false, "png"), ["_evil.png"]);
    }
}
