//! `medprep recipe`: list the preset recipes and show one as TOML.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, Result};
use medprep::recipe::presets;
use medprep::Recipe;

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
    }
    Ok(ExitCode::SUCCESS)
}
