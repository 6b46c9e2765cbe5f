//! The `iampass-server` binary: the command line in `cli`, the service in the library.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
