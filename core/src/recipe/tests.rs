use super::*;
use crate::cpu::resample::Interpolator;

#[test]
fn every_preset_parses_and_round_trips_through_toml_and_json() {
    for name in presets::NAMES {
        let recipe = Recipe::preset(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(recipe.name, name);
        let again = Recipe::from_toml_str(&recipe.to_toml()).unwrap();
        assert_eq!(again, recipe, "{name} via TOML");
        let json = serde_json::to_string(&recipe).unwrap();
        assert_eq!(
            Recipe::from_json_str(&json).unwrap(),
            recipe,
            "{name} via JSON"
        );
    }
}

#[test]
fn ct_standard_is_the_design_workload() {
    let r = Recipe::preset("ct-standard").unwrap();
    assert_eq!(
        r.normalize,
        Normalize::Window {
            window: WindowSpec::Explicit(crate::Window::CT_SOFT_TISSUE)
        }
    );
    let resample = r.resample.unwrap();
    assert_eq!(resample.spacing, Some([1.0, 1.0]));
    assert_eq!(resample.interpolator, Interpolator::Linear);
    assert_eq!(r.maps.len(), 8);
    assert_eq!(r.features.discretisation, Discretisation::Bins(64));
}

fn key_error(text: &str) -> (String, String) {
    match Recipe::from_toml_str(text) {
        Err(RecipeError::Key { path, message }) => (path, message),
        other => panic!("expected a key error, got {other:?}"),
    }
}

#[test]
fn unknown_keys_are_errors_naming_their_path() {
    let (path, message) =
        key_error("name = \"x\"\n[resample]\nspacing = [1.0, 1.0]\ninterpolatr = \"linear\"\n");
    assert_eq!(path, "resample.interpolatr");
    assert!(message.contains("unknown field `interpolatr`"), "{message}");

    let (path, message) =
        key_error("name = \"x\"\n[[maps]]\nkind = \"gaussian\"\nsigma = 1.0\nsigmas = 2\n");
    assert_eq!(path, "maps[0]");
    assert!(message.contains("sigmas"), "{message}");

    let (path, _) = key_error("name = \"x\"\ncolour = true\n");
    assert_eq!(path, "colour");
}

#[test]
fn wrong_values_are_errors_naming_their_path() {
    let (path, message) =
        key_error("name = \"x\"\n[[maps]]\nkind = \"gaussian\"\nsigma = \"wide\"\n");
    // Tagged map entries are buffered before their kind is known, so the path ends at the entry.
    assert_eq!(path, "maps[0]");
    assert!(message.contains("invalid type"), "{message}");

    let (path, message) =
        key_error("name = \"x\"\nnormalize = { mode = \"window\", window = \"ct-liver\" }\n");
    assert_eq!(path, "normalize");
    assert!(message.contains("unknown window \"ct-liver\""), "{message}");

    let (path, _) = key_error(
        "name = \"x\"\nresample = { spacing = [1.0, 1.0], interpolator = \"bicubic\" }\n",
    );
    assert_eq!(path, "resample.interpolator");
}

#[test]
fn window_specs_accept_presets_header_and_explicit_values() {
    let parse = |w: &str| {
        let r = Recipe::from_toml_str(&format!(
            "name = \"x\"\nnormalize = {{ mode = \"window\", window = {w} }}\n"
        ))
        .unwrap();
        match r.normalize {
            Normalize::Window { window } => window,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(parse("\"header\""), WindowSpec::Header);
    assert_eq!(
        parse("\"ct-bone\""),
        WindowSpec::Explicit(crate::Window::CT_BONE)
    );
    assert_eq!(
        parse("{ center = -50.0, width = 350.0 }"),
        WindowSpec::Explicit(crate::Window {
            center: -50.0,
            width: 350.0
        })
    );
}

#[test]
fn inconsistent_recipes_are_refused_with_the_reason() {
    let invalid = |text: &str| match Recipe::from_toml_str(text) {
        Err(RecipeError::Invalid(m)) => m,
        other => panic!("expected invalid, got {other:?}"),
    };
    assert!(
        invalid("name = \"x\"\nresample = { spacing = [1.0, 1.0], size = [224, 224] }\n")
            .contains("exactly one")
    );
    assert!(invalid("name = \"x\"\nresample = { spacing = [0.0, 1.0] }\n").contains("positive"));
    assert!(invalid("name = \"x\"\noutput = { images = \"png\" }\n").contains("u8 or u16"));
    assert!(invalid("name = \"x\"\nmaps = []\n").contains("empty"));
    assert!(invalid(
        "name = \"x\"\nnormalize = { mode = \"percentile-clip\", p_lo = 90.0, p_hi = 10.0 }\n"
    )
    .contains("p_lo < p_hi"));
    assert!(
        invalid("name = \"x\"\nfeatures = { discretisation = { bins = 0 } }\n")
            .contains("at least 1")
    );
}

#[test]
fn syntax_errors_and_unknown_presets_say_what_is_wrong() {
    assert!(matches!(
        Recipe::from_toml_str("name = "),
        Err(RecipeError::Syntax(_))
    ));
    assert!(matches!(
        Recipe::from_json_str("{\"name\": \"x\"} trailing"),
        Err(RecipeError::Syntax(_))
    ));
    let e = Recipe::preset("ct-everything").unwrap_err().to_string();
    assert!(
        e.contains("ct-standard") && e.contains("ct-everything"),
        "{e}"
    );
}

#[test]
fn minimal_recipe_takes_documented_defaults() {
    let r = Recipe::from_toml_str("name = \"plain\"").unwrap();
    assert_eq!(r.normalize, Normalize::None);
    assert_eq!(r.resample, None);
    assert_eq!(r.maps, vec![MapSpec::Original]);
    assert_eq!(r.features, Features::default());
    assert_eq!(r.output, Output::default());
}
