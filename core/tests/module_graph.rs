//! The modules of `core/src` form no import cycle.
//!
//! The test reads the sources at test time and builds the graph of `crate::…` and
//! `super::…` paths between modules: the top-level modules, and the submodules of
//! [`EXPANDED`] (`decode`) as nodes of their own. Paths through the re-exports of
//! `lib.rs` (`crate::Image`) count as a dependency on the module that defines the item.
//! Comments (doc comments and their doc-tests included) and string literals are blanked
//! before the scan, so a path mentioned there is not a dependency. Macros used by name
//! (`with_samples!`) are not seen.
//!
//! Three kinds of graph must be acyclic: the one above; the same with `decode`'s
//! submodules merged into `decode`, so that decoding stays a layer below the pipeline
//! rather than only free of cycles inside; and, for every module with submodules
//! (`gpu`, `cpu::stats`, `pipeline`, …), the graph between its direct submodules
//! (paths to the parent's own items and re-exports are not followed there, so a
//! submodule using its parent's `pub use` is no cycle).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules whose direct submodules are nodes of the graph.
const EXPANDED: &[&str] = &["decode"];

/// One source file: its module path (`["decode", "pixels"]`) and its text.
struct Source {
    file: String,
    module: Vec<String>,
    text: String,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, with the module path it defines.
fn collect(dir: &Path, module: &[String], out: &mut Vec<Source>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("UTF-8 file name")
            .to_owned();
        let mut sub = module.to_vec();
        if path.is_dir() {
            sub.push(name);
            collect(&path, &sub, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            if name != "mod" && name != "lib" {
                sub.push(name);
            }
            let file = path
                .strip_prefix(src_dir())
                .unwrap_or(&path)
                .display()
                .to_string();
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            out.push(Source {
                file,
                module: sub,
                text,
            });
        }
    }
}

/// `text` with comments and the contents of string and character literals replaced by
/// spaces, newlines kept so line numbers stay right.
fn blank_comments_and_strings(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < c.len() {
        let next = c.get(i + 1).copied();
        if c[i] == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                blank(&mut out, c[i]);
                i += 1;
            }
        } else if c[i] == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
        } else if c[i] == 'r' && (next == Some('"') || next == Some('#')) && !ident_char(i, &c) {
            // A raw string r"…" or r#"…"#.
            let mut j = i + 1;
            while c.get(j) == Some(&'#') {
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            let hashes = j - i - 1;
            out.push('"');
            i = j + 1;
            while i < c.len() {
                if c[i] == '"' && (1..=hashes).all(|k| c.get(i + k) == Some(&'#')) {
                    out.push('"');
                    i += 1 + hashes;
                    break;
                }
                blank(&mut out, c[i]);
                i += 1;
            }
        } else if c[i] == '"' {
            out.push('"');
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    blank(&mut out, c[i]);
                    i += 1;
                }
                if i < c.len() {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
            out.push('"');
            i += 1;
        } else if c[i] == '\'' && (next == Some('\\') || c.get(i + 2) == Some(&'\'')) {
            // A character literal ('{', '\n', '\''); a lifetime has no closing quote.
            out.push('\'');
            i += 1;
            if c.get(i) == Some(&'\\') {
                blank(&mut out, c[i]);
                i += 1;
            }
            while i < c.len() && c[i] != '\'' {
                blank(&mut out, c[i]);
                i += 1;
            }
            out.push('\'');
            i += 1;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// Whether the character before `i` continues an identifier (so `c[i]` is inside one).
fn ident_char(i: usize, c: &[char]) -> bool {
    i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_')
}

/// A token of blanked source: an identifier, `::`, or one punctuation character.
#[derive(Debug, Clone, PartialEq)]
struct Token {
    text: String,
    line: usize,
}

fn tokens(code: &str) -> Vec<Token> {
    let mut out = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let c: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < c.len() {
            if c[i].is_alphanumeric() || c[i] == '_' {
                let start = i;
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
                out.push(Token {
                    text: c[start..i].iter().collect(),
                    line: n + 1,
                });
            } else if c[i] == ':' && c.get(i + 1) == Some(&':') {
                out.push(Token {
                    text: "::".into(),
                    line: n + 1,
                });
                i += 2;
            } else {
                if !c[i].is_whitespace() {
                    out.push(Token {
                        text: c[i].to_string(),
                        line: n + 1,
                    });
                }
                i += 1;
            }
        }
    }
    out
}

fn is_ident(t: &str) -> bool {
    t.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// The paths of the use tree or path expression starting at `tokens[i]`, each as its
/// segments after `prefix`; returns them with the index after the tree.
fn path_tree(tokens: &[Token], mut i: usize, prefix: Vec<String>) -> (Vec<Vec<String>>, usize) {
    let mut path = prefix;
    loop {
        match tokens.get(i).map(|t| t.text.as_str()) {
            Some("{") => {
                let mut all = Vec::new();
                i += 1;
                while let Some(t) = tokens.get(i) {
                    match t.text.as_str() {
                        "}" => {
                            i += 1;
                            break;
                        }
                        "," => i += 1,
                        _ => {
                            let (paths, next) = path_tree(tokens, i, path.clone());
                            all.extend(paths);
                            // Skip what the tree did not consume (`as name`).
                            i = next.max(i + 1);
                            while tokens
                                .get(i)
                                .is_some_and(|t| t.text != "," && t.text != "}")
                            {
                                i += 1;
                            }
                        }
                    }
                }
                return (all, i);
            }
            Some(t) if is_ident(t) => {
                if t != "self" || path.is_empty() {
                    path.push(t.to_owned());
                }
                i += 1;
                if tokens.get(i).is_some_and(|t| t.text == "::") {
                    i += 1;
                } else {
                    return (vec![path], i);
                }
            }
            _ => return (vec![path], i),
        }
    }
}

/// Makes `segments` (which may start with `crate`, `super` or `self`, read in `module`)
/// absolute: the module path from the crate root.
fn absolute(module: &[String], segments: &[String]) -> Vec<String> {
    let mut out = module.to_vec();
    for (k, s) in segments.iter().enumerate() {
        match s.as_str() {
            "crate" if k == 0 => out.clear(),
            "super" => {
                out.pop();
            }
            "self" => {}
            _ => out.push(s.clone()),
        }
    }
    out
}

/// Every `crate::…` / `super::…` path in a file, absolute, with its line, read in the
/// module of the file or of the inline module (`mod tests { … }`) it appears in.
fn references(source: &Source) -> Vec<(Vec<String>, usize)> {
    let tokens = tokens(&blank_comments_and_strings(&source.text));
    let mut out = Vec::new();
    let mut module = source.module.clone();
    // Brace depths at which inline modules opened.
    let mut inline: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i].text.as_str();
        match t {
            "mod" if tokens.get(i + 2).is_some_and(|t| t.text == "{") => {
                module.push(tokens[i + 1].text.clone());
                inline.push(depth);
                depth += 1;
                i += 3;
                continue;
            }
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                if inline.last() == Some(&depth) {
                    inline.pop();
                    module.pop();
                }
            }
            "crate" | "super"
                if tokens.get(i + 1).is_some_and(|t| t.text == "::")
                    && (i == 0 || tokens[i - 1].text != "::") =>
            {
                let line = tokens[i].line;
                let (paths, next) = path_tree(&tokens, i, Vec::new());
                for path in paths {
                    out.push((absolute(&module, &path), line));
                }
                i = next.max(i + 1);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The crate's modules and the root's `pub use` re-exports (name → absolute path).
struct Crate {
    sources: Vec<Source>,
    /// Modules that are files or directories: `["decode"]`, `["decode", "pixels"]`, …
    modules: BTreeSet<Vec<String>>,
    reexports: BTreeMap<String, Vec<String>>,
}

impl Crate {
    fn read() -> Self {
        let mut sources = Vec::new();
        collect(&src_dir(), &[], &mut sources);
        let modules = sources.iter().map(|s| s.module.clone()).collect();
        let lib = sources
            .iter()
            .find(|s| s.module.is_empty())
            .expect("src/lib.rs");
        let tokens = tokens(&blank_comments_and_strings(&lib.text));
        let mut reexports = BTreeMap::new();
        for (i, pair) in tokens.windows(2).enumerate() {
            if pair[0].text == "pub" && pair[1].text == "use" {
                for path in path_tree(&tokens, i + 2, Vec::new()).0 {
                    if let Some(name) = path.last() {
                        reexports.insert(name.clone(), path.clone());
                    }
                }
            }
        }
        assert!(
            reexports.contains_key("DicomFile"),
            "lib.rs re-exports not found: {reexports:?}"
        );
        Crate {
            sources,
            modules,
            reexports,
        }
    }

    /// The node of an absolute path: its top-level module, or `decode::pixels` for a
    /// submodule of an [`EXPANDED`] module; `None` for the crate root itself.
    fn node(&self, path: &[String], merged: bool) -> Option<String> {
        let first = path.first()?;
        if !self.modules.contains(&path[..1]) {
            // An item of the root: follow its re-export (once; `lib.rs` re-exports
            // items of modules, not of itself).
            let target = self.reexports.get(first)?;
            return (target.first() != Some(first))
                .then(|| self.node(target, merged))
                .flatten();
        }
        if !merged
            && EXPANDED.contains(&first.as_str())
            && path.len() >= 2
            && self.modules.contains(&path[..2])
        {
            return Some(format!("{first}::{}", path[1]));
        }
        Some(first.clone())
    }

    /// Edges between nodes, each with the first place (file:line) that makes it.
    fn graph(&self, merged: bool) -> BTreeMap<String, BTreeMap<String, String>> {
        let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for source in &self.sources {
            let Some(from) = self.node(&source.module, merged) else {
                continue; // lib.rs: its `mod` and `pub use` lines are not dependencies.
            };
            graph.entry(from.clone()).or_default();
            for (path, line) in references(source) {
                let Some(to) = self.node(&path, merged) else {
                    continue;
                };
                if to != from {
                    graph
                        .entry(from.clone())
                        .or_default()
                        .entry(to)
                        .or_insert_with(|| format!("{}:{line}", source.file));
                }
            }
        }
        graph
    }
}

/// For every module with submodules (`gpu`, `cpu::stats`, …), the graph between its
/// direct submodules: an edge when a file of one names a path into another. Paths to
/// the parent's own items (its re-exports included) are not followed.
fn sibling_graphs(krate: &Crate) -> BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>> {
    let mut graphs: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>> = BTreeMap::new();
    let parents: BTreeSet<&[String]> = krate
        .modules
        .iter()
        .filter(|m| !m.is_empty())
        .map(|m| &m[..m.len() - 1])
        .collect();
    for parent in parents {
        let depth = parent.len();
        let child = |path: &[String]| -> Option<String> {
            (path.len() > depth
                && path.starts_with(parent)
                && krate.modules.contains(&path[..=depth]))
            .then(|| path[depth].clone())
        };
        let graph = graphs.entry(parent.join("::")).or_default();
        for source in &krate.sources {
            let Some(from) = child(&source.module) else {
                continue;
            };
            for (path, line) in references(source) {
                match child(&path) {
                    Some(to) if to != from => {
                        graph
                            .entry(from.clone())
                            .or_default()
                            .entry(to)
                            .or_insert_with(|| format!("{}:{line}", source.file));
                    }
                    _ => {}
                }
            }
        }
    }
    graphs
}

/// A cycle of `graph`, as its nodes in order with the first repeated at the end.
fn find_cycle(graph: &BTreeMap<String, BTreeMap<String, String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeMap<String, String>>,
        done: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flat_map(BTreeMap::keys) {
            if let Some(cycle) = visit(next, graph, done, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut done, &mut Vec::new()))
}

fn assert_acyclic(graph: &BTreeMap<String, BTreeMap<String, String>>, what: &str) {
    if let Some(cycle) = find_cycle(graph) {
        let steps: Vec<String> = cycle
            .windows(2)
            .map(|w| format!("  {} -> {}   ({})", w[0], w[1], graph[&w[0]][&w[1]]))
            .collect();
        panic!(
            "import cycle between {what}: {}\n{}",
            cycle.join(" -> "),
            steps.join("\n")
        );
    }
}

#[test]
fn no_import_cycle_between_modules_nor_between_decoding_submodules() {
    let krate = Crate::read();
    let graph = krate.graph(false);
    // `cargo test -p medprep --test module_graph -- --nocapture` shows it.
    println!("{graph:#?}");
    // The scan must see the dependencies we know of, or an empty graph would pass.
    for (from, to) in [
        ("decode::dicom_file", "decode::pixels"),
        ("decode::image", "decode::metadata"),
        ("pipeline", "decode::image"),
        ("pipeline", "recipe"),
        ("window", "decode::metadata"),
    ] {
        assert!(
            graph.get(from).is_some_and(|to_| to_.contains_key(to)),
            "the scan missed {from} -> {to}: {graph:#?}"
        );
    }
    assert_acyclic(&graph, "modules");
}

#[test]
fn decoding_as_a_whole_is_in_no_cycle_with_the_other_modules() {
    let graph = Crate::read().graph(true);
    assert!(
        graph
            .get("pipeline")
            .is_some_and(|to| to.contains_key("decode")),
        "the scan missed pipeline -> decode: {graph:#?}"
    );
    assert_acyclic(&graph, "top-level modules");
}

#[test]
fn comments_and_strings_are_not_scanned() {
    let code = concat!(
        "use crate::a; // crate::b\n",
        "/// crate::c\n",
        "let s = \"crate::d\"; let c = '{';\n",
        "/* crate::e */ crate::f::g();",
    );
    let source = Source {
        file: "x.rs".into(),
        module: vec!["x".into()],
        text: code.into(),
    };
    let found: Vec<Vec<String>> = references(&source).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        found,
        vec![vec!["a".to_owned()], vec!["f".to_owned(), "g".to_owned()]]
    );
    let grouped = Source {
        file: "y.rs".into(),
        module: vec!["p".into(), "y".into()],
        text: "use super::{q::{self, R}, s as t};\nmod tests { use super::*; }".into(),
    };
    let found: Vec<Vec<String>> = references(&grouped).into_iter().map(|(p, _)| p).collect();
    let path = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        found,
        vec![
            path(&["p", "q"]),
            path(&["p", "q", "R"]),
            path(&["p", "s"]),
            path(&["p", "y"])
        ]
    );
}

#[test]
fn no_import_cycle_between_the_submodules_of_any_module() {
    let krate = Crate::read();
    let graphs = sibling_graphs(&krate);
    assert!(
        graphs
            .get("gpu")
            .and_then(|g| g.get("filters"))
            .is_some_and(|to| to.contains_key("separable")),
        "the scan missed gpu::filters -> gpu::separable: {graphs:#?}"
    );
    for (parent, graph) in &graphs {
        let parent = if parent.is_empty() { "crate" } else { parent };
        assert_acyclic(graph, &format!("the submodules of {parent}"));
    }
}
