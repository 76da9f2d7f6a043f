//! The build script's shader validation, run on purpose-made shaders: the function that
//! guards `cargo build` must reject a broken stage or helper and say where.

#[allow(dead_code)] // The build script uses the rest (reflection).
#[path = "../../build/shaders.rs"]
mod build;

use build::{expand, validate};

fn no_helpers(_: &str) -> Option<String> {
    None
}

#[test]
fn every_shader_in_the_repository_validates() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shaders");
    let shared = |name: &str| std::fs::read_to_string(format!("{dir}/shared/{name}.wgsl")).ok();
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "wgsl") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let expanded = expand(&text, &name, &shared).unwrap();
            let module = validate(&expanded).unwrap_or_else(|e| panic!("{e}"));
            build::reflect(&module, &name).unwrap();
            count += 1;
        }
    }
    assert!(count >= 4, "only {count} shaders found");
}

#[test]
fn a_type_error_is_rejected_with_its_line() {
    let text = "@compute @workgroup_size(64)\nfn main() {\n    let x: f32 = 1u;\n}\n";
    let expanded = expand(text, "broken.wgsl", &no_helpers).unwrap();
    let error = validate(&expanded).unwrap_err();
    assert!(
        error.starts_with("shaders/broken.wgsl:3: "),
        "unexpected message: {error}"
    );
    assert!(
        error.contains("let x: f32 = 1u;"),
        "no source span: {error}"
    );
}

#[test]
fn a_validation_error_is_rejected_with_its_line() {
    // Parses, but writes through a read-only binding: only the validator catches it.
    let text = "@group(0) @binding(0) var<storage, read> data: array<f32>;\n\n@compute @workgroup_size(64)\nfn main() {\n    data[0] = 1.0;\n}\n";
    let expanded = expand(text, "readonly.wgsl", &no_helpers).unwrap();
    let error = validate(&expanded).unwrap_err();
    assert!(error.starts_with("shaders/readonly.wgsl:"), "{error}");
}

#[test]
fn an_error_in_a_helper_points_into_the_helper() {
    let helper = "// a helper\nfn twice(x: f32) -> f32 {\n    return x * 2u;\n}\n";
    let shared = |name: &str| (name == "twice").then(|| helper.to_string());
    let text =
        "// #import twice\n@compute @workgroup_size(64)\nfn main() {\n    let y = twice(1.0);\n}\n";
    let expanded = expand(text, "stage.wgsl", &shared).unwrap();
    // The stage's lines keep their numbers; the helper follows.
    assert_eq!(expanded.locate(4), ("stage.wgsl", 4));
    assert_eq!(expanded.locate(8), ("shared/twice.wgsl", 3));
    let error = validate(&expanded).unwrap_err();
    assert!(
        error.starts_with("shaders/shared/twice.wgsl:3: "),
        "{error}"
    );
}

#[test]
fn imports_are_appended_once_and_missing_ones_fail() {
    let shared = |name: &str| match name {
        "a" => Some("// #import b\nfn a() -> f32 { return b(); }\n".to_string()),
        "b" => Some("fn b() -> f32 { return 1.0; }\n".to_string()),
        _ => None,
    };
    let text = "// #import a\n// #import b\n@compute @workgroup_size(1)\nfn main() {\n    let x = a();\n}\n";
    let expanded = expand(text, "s.wgsl", &shared).unwrap();
    assert_eq!(expanded.source.matches("fn b()").count(), 1);
    validate(&expanded).unwrap();
    let error = expand("// #import nowhere\n", "s.wgsl", &shared).unwrap_err();
    assert!(error.contains("shared/nowhere.wgsl"), "{error}");
}
