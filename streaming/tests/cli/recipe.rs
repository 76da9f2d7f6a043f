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
