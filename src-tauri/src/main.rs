//! The `iampass-console` binary.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // The one flag a desktop app answers without opening its window (packagers and bug reports).
    if std::env::args().nth(1).is_some_and(|a| a == "--version" || a == "-V") {
        println!("iampass-console {}", iampass_proto::VERSION);
        return;
    }
    iampass_console::run();
}
