//! `medprep recipe list` and `medprep recipe show`.

use medprep::recipe::presets;
use medprep::Recipe;

use super::{medprep, scratch};

#[test]
fn show_prints_a_preset_exactly_with_its_comments() {
    for name in presets::NAMES {
        let output = medprep(&["recipe".as_ref(), "show".as_ref(), name.as_ref()]);
        assert!(output.status.success(), "{name}");
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            presets::toml(name).expect("preset text")
        );
    }
}

#[test]
fn show_prints_a_recipe_file_as_parsed_toml() {
    let dir = scratch("recipe-show");
    let file = dir.join("plain.toml");
    std::fs::write(
        &file,
        "name = \"plain\"\nmaps = [{ kind = \"original\" }]\nfeatures = { families = [] }\n",
    )
    .expect("write recipe");
    let output = medprep(&["recipe".as_ref(), "show".as_ref(), file.as_os_str()]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    // What is printed reads back as the same recipe, defaults spelled out.
    assert_eq!(
        Recipe::from_toml_str(&text).expect("parse recipe"),
        Recipe::from_path(&file).expect("read recipe")
    );
    assert!(text.contains("name = \"plain\""), "{text}");
    assert!(text.contains("[output]"), "{text}");
}

#[test]
fn list_names_every_preset_with_its_description() {
    let output = medprep(&["recipe".as_ref(), "list".as_ref()]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), presets::NAMES.len());
    for (line, name) in lines.iter().zip(presets::NAMES) {
        let description = Recipe::preset(name).expect("preset").description;
        assert!(
            line.starts_with(name) && line.ends_with(&description),
            "{line}"
        );
    }
}

#[test]
fn an_unknown_recipe_exits_2_listing_the_presets() {
    let output = medprep(&["recipe".as_ref(), "show".as_ref(), "ct-nonsense".as_ref()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("\"ct-nonsense\""), "{stderr}");
    for name in presets::NAMES {
        assert!(stderr.contains(name), "{stderr}");
    }
}

#[test]
fn features_lists_every_column_with_its_ibsi_provenance() {
    for (name, texture_aggregations) in [("ibsi-ct-a", 4), ("ibsi-ct-c", 2)] {
        let output = medprep(&[
            "recipe".as_ref(),
            "features".as_ref(),
            name.as_ref(),
            "--json".as_ref(),
        ]);
        assert!(output.status.success(), "{name}");
        let list: Vec<serde_json::Value> =
            serde_json::from_slice(&output.stdout).expect("a JSON list");
        // IBSI-1: 18 intensity-based statistics, 23 histogram features, 25 GLCM features
        // per aggregation.
        assert_eq!(list.len(), 18 + 23 + 25 * texture_aggregations, "{name}");
        let mut seen = std::collections::HashSet::new();
        for entry in &list {
            let keys: Vec<&str> = entry
                .as_object()
                .expect("an object")
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(
                keys,
                [
                    "aggregation",
                    "column",
                    "family",
                    "feature",
                    "ibsi_code",
                    "ibsi_symbol",
                    "map"
                ]
            );
            let symbol = entry["ibsi_symbol"].as_str().expect("a symbol");
            let texture = symbol.starts_with("cm.");
            assert_eq!(entry["aggregation"].is_string(), texture, "{entry}");
            assert_eq!(
                entry["ibsi_code"].as_str().map(str::len),
                Some(4),
                "{entry}"
            );
            assert!(
                seen.insert((symbol.to_owned(), entry["aggregation"].to_string())),
                "{name}: {entry} twice"
            );
        }
    }
    let slice = medprep(&[
        "recipe".as_ref(),
        "features".as_ref(),
        "radiomics-ibsi".as_ref(),
        "--json".as_ref(),
    ]);
    let list: Vec<serde_json::Value> = serde_json::from_slice(&slice.stdout).expect("a JSON list");
    let joint_max = list
        .iter()
        .find(|e| e["column"] == "original_glcm_joint_max")
        .expect("a GLCM column");
    assert_eq!(joint_max["ibsi_symbol"], "cm.joint.max");
    assert_eq!(joint_max["aggregation"], "2D, averaged");
}
