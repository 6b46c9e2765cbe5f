//! An empty Tauri window that reports when its page has loaded, exactly as the console does, so
//! their start-up time and memory can be compared on the same machine.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    let started = std::time::Instant::now();
    let app = tauri::Builder::default()
        .on_page_load(move |_, payload| {
            if matches!(payload.event(), tauri::webview::PageLoadEvent::Finished) {
                eprintln!("page loaded after {} ms", started.elapsed().as_millis());
            }
        })
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|_, _| {}),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
