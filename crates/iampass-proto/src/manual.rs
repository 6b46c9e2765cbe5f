//! A binary's man pages (one per command and subcommand) and shell completions, generated from its
//! clap command line so they say what the binary does; the packages install them.

use std::path::Path;

use clap::Command;
use clap_complete::Shell;

/// Writes `man/<name>[-<sub>...].1` and `completions/<name>.{bash,zsh,fish}` under `dir`.
pub fn write(cmd: Command, dir: &Path) -> std::io::Result<()> {
    let cmd = cmd.version(crate::VERSION);
    let man = dir.join("man");
    std::fs::create_dir_all(&man)?;
    clap_mangen::generate_to(cmd.clone(), &man)?;
    let completions = dir.join("completions");
    std::fs::create_dir_all(&completions)?;
    let name = cmd.get_name().to_owned();
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        clap_complete::generate_to(shell, &mut cmd.clone(), &name, &completions)?;
    }
    Ok(())
}
