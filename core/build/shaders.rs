//! WGSL shaders at build time: imports, naga validation with source spans, and reflection.
//!
//! Shared by the build script (which validates every shader and generates the sources and
//! their reflection for `gpu::shaders`) and the tests (which check that the same function
//! rejects a broken shader).
//!
//! Imports: a line `// #import NAME` in a stage (or in a helper) pulls in
//! `shaders/shared/NAME.wgsl`. The line itself stays a comment, and the imported helpers
//! are appended after the file's own text, so every line of a stage keeps its number in
//! the expanded source (WGSL declarations may appear in any order). Helpers are appended
//! once each, depth first, in the order of first import.

use std::fmt::Write as _;

/// The prefix of an import line.
pub const IMPORT: &str = "// #import ";

/// A shader with its imports appended.
#[derive(Debug)]
pub struct Expanded {
    /// The source handed to naga and to the device.
    pub source: String,
    /// For each appended part, its first line in `source` (1-based) and its file name; the
    /// first part is the file itself.
    pub parts: Vec<(usize, String)>,
}

impl Expanded {
    /// The file and line (1-based) that line `line` of the expanded source came from.
    pub fn locate(&self, line: usize) -> (&str, usize) {
        let part = self
            .parts
            .iter()
            .rev()
            .find(|(first, _)| *first <= line)
            .or(self.parts.first());
        match part {
            Some((first, file)) => (file.as_str(), line + 1 - first),
            None => ("", line),
        }
    }
}

/// Expands the imports of `text` (the file `path`); `shared(NAME)` returns the text of
/// helper NAME, or `None` when it does not exist.
pub fn expand(
    text: &str,
    path: &str,
    shared: &dyn Fn(&str) -> Option<String>,
) -> Result<Expanded, String> {
    let mut order: Vec<(String, String)> = Vec::new();
    let mut pending: Vec<String> = imports(text).into_iter().rev().collect();
    // Depth first: a helper's own imports follow it.
    while let Some(name) = pending.pop() {
        if order.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let helper = shared(&name)
            .ok_or_else(|| format!("{path}: `{IMPORT}{name}`: no shaders/shared/{name}.wgsl"))?;
        pending.extend(imports(&helper).into_iter().rev());
        order.push((name, helper));
    }
    let mut source = String::from(text);
    let mut parts = vec![(1, path.to_string())];
    for (name, helper) in order {
        if !source.ends_with('\n') {
            source.push('\n');
        }
        parts.push((
            source.matches('\n').count() + 1,
            format!("shared/{name}.wgsl"),
        ));
        source.push_str(&helper);
    }
    Ok(Expanded { source, parts })
}

/// The helper names a text imports, in order.
fn imports(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix(IMPORT))
        .map(|name| name.trim().to_string())
        .collect()
}

/// Parses and validates `expanded` as WGSL; on error, the message names the file and line
/// the error comes from and shows naga's rendering of the source span.
pub fn validate(expanded: &Expanded) -> Result<naga::Module, String> {
    let source = &expanded.source;
    let path = format!(
        "shaders/{}",
        expanded.parts.first().map_or("", |(_, p)| p.as_str())
    );
    let module = naga::front::wgsl::parse_str(source).map_err(|e| {
        report(
            expanded,
            e.location(source).map(|l| l.line_number),
            e.message(),
            &e.emit_to_string_with_path(source, &path),
        )
    })?;
    let mut validator = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::default(),
    );
    validator.validate(&module).map_err(|e| {
        // The last span is the innermost (the offending expression, not its function).
        let line = e
            .spans()
            .last()
            .filter(|(span, _)| span.is_defined() && !source.is_empty())
            .map(|(span, _)| span.location(source).line_number);
        report(
            expanded,
            line,
            &e.as_inner().to_string(),
            &e.emit_to_string_with_path(source, &path),
        )
    })?;
    Ok(module)
}

fn report(expanded: &Expanded, line: Option<u32>, message: &str, rendered: &str) -> String {
    let mut out = String::new();
    match line {
        Some(line) => {
            let (file, line) = expanded.locate(line as usize);
            let _ = writeln!(out, "shaders/{file}:{line}: {message}");
        }
        None => {
            let path = expanded.parts.first().map_or("", |(_, p)| p.as_str());
            let _ = writeln!(out, "shaders/{path}: {message}");
        }
    }
    out.push_str(rendered);
    out
}

/// How a binding of group 0 is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingKind {
    /// `var<uniform>`.
    Uniform,
    /// `var<storage, read>`.
    Read,
    /// `var<storage, read_write>`.
    ReadWrite,
}

/// What the runtime needs to know about a stage, read from the validated module.
#[derive(Debug)]
pub struct Reflection {
    /// `@workgroup_size` of the entry point `main`.
    pub workgroup_size: [u32; 3],
    /// Bindings 0, 1, … of group 0.
    pub bindings: Vec<BindingKind>,
    /// Size in bytes of the uniform struct (0 when there is none).
    pub params_size: u32,
    /// Its members' names and byte offsets.
    pub params: Vec<(String, u32)>,
}

/// The reflection of a stage: one compute entry point `main`, bindings in group 0 numbered
/// from 0 without gaps, at most one uniform.
pub fn reflect(module: &naga::Module, path: &str) -> Result<Reflection, String> {
    let entry = module
        .entry_points
        .iter()
        .find(|e| e.name == "main" && e.stage == naga::ShaderStage::Compute)
        .ok_or_else(|| format!("shaders/{path}: no `@compute fn main`"))?;
    let mut bound: Vec<(u32, BindingKind, naga::Handle<naga::Type>)> = Vec::new();
    for (_, var) in module.global_variables.iter() {
        let Some(binding) = &var.binding else {
            continue;
        };
        if binding.group != 0 {
            return Err(format!("shaders/{path}: bindings belong in group 0"));
        }
        let kind = match var.space {
            naga::AddressSpace::Uniform => BindingKind::Uniform,
            naga::AddressSpace::Storage { access } => {
                if access.contains(naga::StorageAccess::STORE) {
                    BindingKind::ReadWrite
                } else {
                    BindingKind::Read
                }
            }
            _ => return Err(format!("shaders/{path}: only buffers may be bound")),
        };
        bound.push((binding.binding, kind, var.ty));
    }
    bound.sort_by_key(|b| b.0);
    if bound.iter().enumerate().any(|(i, b)| b.0 as usize != i) {
        return Err(format!(
            "shaders/{path}: bindings must be numbered 0, 1, … without gaps"
        ));
    }
    let uniforms: Vec<_> = bound
        .iter()
        .filter(|b| b.1 == BindingKind::Uniform)
        .collect();
    let (params_size, params) = match uniforms.as_slice() {
        [] => (0, Vec::new()),
        [(_, _, ty)] => match &module.types[*ty].inner {
            naga::TypeInner::Struct { members, span } => (
                *span,
                members
                    .iter()
                    .map(|m| (m.name.clone().unwrap_or_default(), m.offset))
                    .collect(),
            ),
            _ => return Err(format!("shaders/{path}: the uniform must be a struct")),
        },
        _ => return Err(format!("shaders/{path}: at most one uniform")),
    };
    Ok(Reflection {
        workgroup_size: entry.workgroup_size,
        bindings: bound.into_iter().map(|b| b.1).collect(),
        params_size,
        params,
    })
}
