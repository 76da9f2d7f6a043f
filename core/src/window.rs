//! Intensity windows, `clamp((x - (c - w/2)) / w, 0, 1)` (docs/architecture.md, window).

use serde::{Deserialize, Serialize};

/// A window centre and width in output units (HU for CT).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// Window centre `c`.
    pub center: f64,
    /// Window width `w`, positive.
    pub width: f64,
}

impl Window {
    /// Brain: 40 / 80.
    pub const CT_BRAIN: Self = Self {
        center: 40.0,
        width: 80.0,
    };
    /// Soft tissue: 40 / 400.
    pub const CT_SOFT_TISSUE: Self = Self {
        center: 40.0,
        width: 400.0,
    };
    /// Lung: -600 / 1500.
    pub const CT_LUNG: Self = Self {
        center: -600.0,
        width: 1500.0,
    };
    /// Bone: 300 / 1500.
    pub const CT_BONE: Self = Self {
        center: 300.0,
        width: 1500.0,
    };

    /// A named preset: `ct-brain`, `ct-soft-tissue`, `ct-lung` or `ct-bone`.
    pub fn preset(name: &str) -> Option<Self> {
        match name {
            "ct-brain" => Some(Self::CT_BRAIN),
            "ct-soft-tissue" => Some(Self::CT_SOFT_TISSUE),
            "ct-lung" => Some(Self::CT_LUNG),
            "ct-bone" => Some(Self::CT_BONE),
            _ => None,
        }
    }

    /// The first window the header gives (Window Center / Width), if any has a positive width.
    pub fn from_header(meta: &crate::Metadata) -> Option<Self> {
        let (&center, &width) = meta.window_center.first().zip(meta.window_width.first())?;
        (width > 0.0).then_some(Self { center, width })
    }

    /// Maps values to 0..=1 in place; `invert` flips the result for MONOCHROME1 images so
    /// that bright means high in every output.
    pub fn apply(&self, values: &mut [f32], invert: bool) {
        let low = (self.center - self.width / 2.0) as f32;
        let width = self.width as f32;
        for v in values {
            let x = ((*v - low) / width).clamp(0.0, 1.0);
            *v = if invert { 1.0 - x } else { x };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Window;

    #[test]
    fn soft_tissue_window_maps_edges_and_centre() {
        let mut v = [-1000.0, -160.0, 40.0, 240.0, 3000.0];
        Window::CT_SOFT_TISSUE.apply(&mut v, false);
        assert_eq!(v, [0.0, 0.0, 0.5, 1.0, 1.0]);
        let mut m1 = [-160.0, 240.0];
        Window::CT_SOFT_TISSUE.apply(&mut m1, true);
        assert_eq!(m1, [1.0, 0.0]);
    }

    #[test]
    fn presets_match_the_design_table() {
        assert_eq!(
            Window::preset("ct-lung"),
            Some(Window {
                center: -600.0,
                width: 1500.0
            })
        );
        assert_eq!(
            Window::preset("ct-brain"),
            Some(Window {
                center: 40.0,
                width: 80.0
            })
        );
        assert_eq!(Window::preset("nope"), None);
    }
}
