//! The normalisation part of a recipe.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Window;

/// Intensity normalisation after the modality LUT (docs/architecture.md, numeric
/// conventions). MONOCHROME1 frames come out with MONOCHROME2 meaning (bright means dense)
/// in every mode but `None`, which keeps physical units.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Normalize {
    /// Values stay in physical units.
    #[default]
    None,
    /// `clamp((x - (c - w/2)) / w, 0, 1)`.
    Window {
        /// Which window.
        window: WindowSpec,
    },
    /// `(x - mean) / sd` over the frame (sd 0 gives 0).
    Zscore,
    /// `(x - min) / (max - min)` over the frame (a constant frame gives 0).
    MinMax,
    /// Clip to the percentiles `p_lo`, `p_hi` (0..100, numpy's linear method) of the
    /// frame, then map that range to 0..1.
    PercentileClip {
        /// Lower percentile.
        p_lo: f64,
        /// Upper percentile.
        p_hi: f64,
    },
}

impl Normalize {
    pub(super) fn validate(&self) -> Result<(), String> {
        match self {
            Self::Window {
                window: WindowSpec::Explicit(w),
            } if !(w.width.is_finite() && w.width > 0.0 && w.center.is_finite()) => {
                Err(format!("window width must be positive, got {}", w.width))
            }
            Self::PercentileClip { p_lo, p_hi }
                if !(0.0 <= *p_lo && p_lo < p_hi && *p_hi <= 100.0) =>
            {
                Err(format!(
                    "percentile-clip needs 0 <= p_lo < p_hi <= 100, got {p_lo}, {p_hi}"
                ))
            }
            _ => Ok(()),
        }
    }
}

/// A window: a preset name (`ct-brain`, `ct-soft-tissue`, `ct-lung`, `ct-bone`),
/// `"header"` for the image's own first Window Center / Width, or `{ center, width }`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WindowSpec {
    /// Centre and width given in the recipe (presets resolve to this).
    Explicit(Window),
    /// The image header's window.
    Header,
}

impl Serialize for WindowSpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Header => serializer.serialize_str("header"),
            Self::Explicit(w) => w.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for WindowSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpecVisitor;
        impl<'de> Visitor<'de> for SpecVisitor {
            type Value = WindowSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a window preset name, \"header\", or { center, width }")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<WindowSpec, E> {
                if name == "header" {
                    return Ok(WindowSpec::Header);
                }
                Window::preset(name).map(WindowSpec::Explicit).ok_or_else(|| {
                    E::custom(format!(
                        "unknown window {name:?}: use header, ct-brain, ct-soft-tissue, ct-lung, ct-bone or {{ center, width }}"
                    ))
                })
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<WindowSpec, M::Error> {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Explicit {
                    center: f64,
                    width: f64,
                }
                let e = Explicit::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(WindowSpec::Explicit(Window {
                    center: e.center,
                    width: e.width,
                }))
            }
        }
        deserializer.deserialize_any(SpecVisitor)
    }
}
