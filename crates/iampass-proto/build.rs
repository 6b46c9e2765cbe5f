//! Records the git commit the binaries are built from, for their `--version` (every binary of the
//! project depends on this crate). Outside a git checkout (a source package) it says so.

use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "no git commit".to_owned());
    println!("cargo:rustc-env=IAMPASS_GIT_COMMIT={commit}");
    // A new commit changes HEAD (detached) or the branch it points at. Only paths that exist: cargo
    // reruns a build script on every build for a missing one, which would rebuild everything.
    for path in ["../../.git/HEAD", "../../.git/refs/heads", "../../.git/packed-refs"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
