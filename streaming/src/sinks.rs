//! Output writers shared by the subcommands.

pub mod npy;
