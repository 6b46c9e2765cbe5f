//! The `iampass-server` binary: the command line in `cli`, the service in the library.

mod cli;
mod config_file;

/// Every request allocates (headers, JSON, SQL parameters) on both cores at once; glibc's
/// allocator showed up at 17 % of the server's time in a profile under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
