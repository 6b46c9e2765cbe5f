//! tauri-build for the baseline window.
fn main() {
    tauri_build::build();
}
