//! Records the git commit the binaries are built from, for their `--version` (every binary of the
//! project depends on this crate). Release builds (the packages, `scripts/run`, the benchmarks)
//! read it from git, or from `IAMPASS_GIT_COMMIT` when given (a source package has no git); a
//! development build says `development build` instead. Every crate of the workspace depends on
//! this one, so a build script that reran on every commit rebuilt the whole workspace after each
//! one, in the edit-and-test loop where the commit matters least.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=IAMPASS_GIT_COMMIT");
    let given = std::env::var("IAMPASS_GIT_COMMIT").ok().filter(|c| !c.trim().is_empty());
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let commit = match given {
        Some(commit) => commit.trim().to_owned(),
        None if release => {
            // A new commit changes HEAD (detached) or the branch it points at. Only paths that
            // exist: cargo reruns a build script on every build for a missing one.
            for path in ["../../.git/HEAD", "../../.git/refs/heads", "../../.git/packed-refs"] {
                if std::path::Path::new(path).exists() {
                    println!("cargo:rerun-if-changed={path}");
                }
            }
            git_commit().unwrap_or_else(|| "no git commit".to_owned())
        }
        None => "development build".to_owned(),
    };
    println!("cargo:rustc-env=IAMPASS_GIT_COMMIT={commit}");
}

fn git_commit() -> Option<String> {
    Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}
