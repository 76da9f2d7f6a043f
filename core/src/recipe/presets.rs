//! Named recipes shipped with medprep. Each is a commented TOML file in
//! `core/src/recipe/presets/`, so `medprep recipe show NAME` prints what a user can copy
//! and edit.

use super::RecipeError;

/// Preset names, in the order `medprep recipe list` shows them.
pub const NAMES: [&str; 9] = [
    "ct-standard",
    "ct-lung",
    "ct-brain",
    "mr-zscore",
    "xray-224",
    "radiomics-ibsi",
    "ibsi-ct-a",
    "ibsi-ct-b",
    "ibsi-ct-c",
];

/// The TOML text of preset `name`.
pub fn toml(name: &str) -> Result<&'static str, RecipeError> {
    Ok(match name {
        "ct-standard" => include_str!("presets/ct-standard.toml"),
        "ct-lung" => include_str!("presets/ct-lung.toml"),
        "ct-brain" => include_str!("presets/ct-brain.toml"),
        "mr-zscore" => include_str!("presets/mr-zscore.toml"),
        "xray-224" => include_str!("presets/xray-224.toml"),
        "radiomics-ibsi" => include_str!("presets/radiomics-ibsi.toml"),
        "ibsi-ct-a" => include_str!("presets/ibsi-ct-a.toml"),
        "ibsi-ct-b" => include_str!("presets/ibsi-ct-b.toml"),
        "ibsi-ct-c" => include_str!("presets/ibsi-ct-c.toml"),
        _ => {
            return Err(RecipeError::UnknownPreset {
                name: name.to_owned(),
            })
        }
    })
}
