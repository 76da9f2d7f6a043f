//! `preprocess_image`: the Hadoop Streaming mapper and Hive TRANSFORM script of medprep.

use std::process::ExitCode;

use clap::Parser;
use medprep_cli::mapper::{self, Args};

fn main() -> ExitCode {
    medprep_cli::device::quiet_vulkan_layers();
    mapper::run(Args::parse())
}
