//! `medprep recipe`: list the preset recipes, show one as TOML, and list the feature
//! columns a recipe produces with their IBSI provenance.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, Result};
use medprep::cpu::stats::provenance::FeatureColumn;
use medprep::recipe::presets;
use medprep::volume::radiomics::feature_columns;
use medprep::{Pipeline, Recipe};

use super::usage;

/// Show the preset recipes, or a recipe as TOML.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the preset recipes with their descriptions.
    List,
    /// Print a preset's TOML (with its comments), or a recipe file as parsed.
    Show {
        /// Preset name, or path of a recipe file (TOML, or JSON by extension).
        recipe: String,
    },
    /// List the feature columns of `features.parquet` with what IBSI calls each: map,
    /// family, feature, IBSI code and symbol (e.g. `cm.joint.max`) and, for texture,
    /// the aggregation in IBSI's wording. The tables carry the same as field metadata.
    Features {
        /// Preset name, or path of a recipe file (TOML, or JSON by extension).
        recipe: String,
        /// A JSON list of objects with keys column, map, family, feature, ibsi_code,
        /// ibsi_symbol and aggregation (null outside texture families).
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::List => {
            for name in presets::NAMES {
                let recipe = Recipe::preset(name)?;
                super::out(format!("{name:<16} {}\n", recipe.description))?;
            }
        }
        Command::Show { recipe } => {
            if presets::NAMES.contains(&recipe.as_str()) {
                super::out(presets::toml(&recipe)?)?;
            } else if Path::new(&recipe).exists() {
                let parsed = Recipe::from_path(Path::new(&recipe)).map_err(usage)?;
                super::out(parsed.to_toml())?;
            } else {
                return Err(usage(anyhow!(
                    "no preset recipe or recipe file named {recipe:?}; presets: {}",
                    presets::NAMES.join(", ")
                )));
            }
        }
        Command::Features { recipe, json } => {
            let recipe = Recipe::preset_or_path(&recipe).map_err(usage)?;
            let columns = match &recipe.series {
                Some(settings) => feature_columns(settings),
                None => Pipeline::new(recipe).map_err(usage)?.feature_columns(),
            };
            super::out(if json {
                features_json(&columns)
            } else {
                features_table(&columns)
            })?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn features_json(columns: &[FeatureColumn]) -> String {
    let list: Vec<serde_json::Value> = columns
        .iter()
        .map(|c| {
            serde_json::json!({
                "column": c.name,
                "map": c.map,
                "family": c.family.family,
                "feature": c.feature.feature,
                "ibsi_code": c.feature.code,
                "ibsi_symbol": c.feature.symbol,
                "aggregation": c.aggregation.map(|a| a.ibsi_name()),
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&list).unwrap_or_default();
    text.push('\n');
    text
}

fn features_table(columns: &[FeatureColumn]) -> String {
    let width = columns.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut text = String::new();
    for c in columns {
        let aggregation = c
            .aggregation
            .map_or(String::new(), |a| format!("  ({})", a.ibsi_name()));
        text.push_str(&format!(
            "{:<width$}  {:<22} {}  {}{aggregation}\n",
            c.name, c.feature.symbol, c.feature.code, c.feature.feature
        ));
    }
    text
}
