//! `medprep`: the batch command-line tool. Thin glue over the `medprep` library.
//!
//! It keeps the system allocator. mimalloc decodes a little faster (it keeps freed image
//! buffers instead of returning them to the kernel), but over a long `medprep run` its
//! retained memory kept growing (77 MiB against glibc's 36 MiB peak over 1,000 slices,
//! at the same speed; benches/RESULTS.md, "Memory of medprep run"), and bounded memory
//! matters more to a batch job than the last few percent of decode time.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    medprep_cli::device::quiet_vulkan_layers();
    let cli = medprep_cli::cli::Cli::parse();
    medprep_cli::cli::run(cli)
}
