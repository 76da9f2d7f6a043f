//! Recipe parsing (TOML and JSON) and the checks of `Pipeline::new`, which builds the
//! stages without touching pixels. Errors are expected; a panic is a finding.

#![no_main]

use libfuzzer_sys::fuzz_target;
use medprep::{Pipeline, Recipe};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for recipe in [Recipe::from_toml_str(text), Recipe::from_json_str(text)]
        .into_iter()
        .flatten()
    {
        // What `medprep recipe show` prints must read back as a recipe.
        let toml = recipe.to_toml();
        if let Err(e) = Recipe::from_toml_str(&toml) {
            panic!("to_toml output does not parse: {e}\n{toml}");
        }
        if let Ok(pipeline) = Pipeline::new(recipe) {
            let _ = pipeline.feature_names();
        }
    }
});
