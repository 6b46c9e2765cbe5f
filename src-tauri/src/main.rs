//! The `iampass-console` binary.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    iampass_console::run();
}
