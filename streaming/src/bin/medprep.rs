//! `medprep`: the batch command-line tool. Thin glue over the `medprep` library.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc keeps freed image buffers for reuse. glibc's allocator hands buffers of a
/// few MiB back to the kernel and faults them in again for the next image, which
/// costs more than decoding an uncompressed slice (see benches/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = medprep_cli::cli::Cli::parse();
    medprep_cli::cli::run(cli)
}
