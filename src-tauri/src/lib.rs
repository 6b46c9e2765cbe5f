//! The Tauri shell of IAMPASS Desk: opens the [`Desk`] (the console's core, in `iampass-desk`),
//! registers the commands (each a line or two in `commands/`), and nothing else. `run_app` takes
//! any runtime so the shell is smoke-tested with Tauri's mock runtime.

mod commands;

use std::path::PathBuf;
use std::sync::Arc;

use iampass_desk::{Desk, DeskOptions};
use tauri::{Emitter, Manager, Runtime};

/// The desk, shared by every command.
pub type SharedDesk = Arc<Desk>;

/// Where the console keeps its data: `IAMPASS_DESK_DATA`, else the platform's data folder under
/// the app's identifier (what Tauri calls the app data dir).
fn options(identifier: &str) -> DeskOptions {
    let data_dir = std::env::var_os("IAMPASS_DESK_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| dirs::data_dir().unwrap_or_else(std::env::temp_dir).join(identifier));
    let save_dir = std::env::var_os("IAMPASS_DESK_SAVE_DIR")
        .map(PathBuf::from)
        .or_else(dirs::download_dir)
        .unwrap_or_else(|| data_dir.join("exports"));
    DeskOptions {
        operator: std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "operator".into()),
        secrets_in_file: std::env::var("IAMPASS_DESK_SECRET_STORE").is_ok_and(|v| v == "file"),
        idle_lock_secs: std::env::var("IAMPASS_DESK_IDLE_LOCK_SECS").ok().and_then(|v| v.parse().ok()),
        clock: std::sync::Arc::new(iampass_proto::clock::SystemClock),
        data_dir,
        save_dir,
    }
}

/// Opens the desk; with `IAMPASS_DESK_START_LOCAL=1` and no server configured, starts the
/// embedded server so the console works with nothing else set up.
async fn open_desk(options: DeskOptions) -> Result<Desk, iampass_desk::DeskError> {
    let desk = Desk::open(options).await?;
    if !desk.status().connected && std::env::var("IAMPASS_DESK_START_LOCAL").is_ok_and(|v| v == "1") {
        desk.start_local_server().await?;
    }
    Ok(desk)
}

/// Registers the desk and the commands on `builder`; used by `run` and by the mock-runtime test.
pub fn run_app<R: Runtime>(builder: tauri::Builder<R>, desk: SharedDesk) -> tauri::Builder<R> {
    builder.plugin(tauri_plugin_notification::init()).manage(desk).invoke_handler(commands::handler())
}

/// An alert while nobody looks at the window (another program in front, or minimised) also goes
/// to the desktop's notifications, so a fraud report is not missed.
fn notify_if_unseen<R: Runtime>(handle: &tauri::AppHandle<R>, event: &iampass_desk::monitor::MonitorEvent) {
    use tauri_plugin_notification::NotificationExt as _;
    let iampass_desk::monitor::MonitorEvent::Alert { alert } = event else { return };
    let seen = handle.get_webview_window("main").and_then(|w| w.is_focused().ok()).unwrap_or(false);
    if seen {
        return;
    }
    let title = format!("IAMPASS Desk: {}", iampass_desk::monitor::alert_title(alert.kind));
    if let Err(e) = handle.notification().builder().title(title).body(&alert.message).show() {
        tracing::warn!(error = %e, "desktop notification not shown");
    }
}

/// The event bridge: the desk's monitor follows the server's event stream in Rust, and each batch
/// of changes, connection change or alert reaches the UI as one `monitor` event.
fn bridge_monitor<R: Runtime>(handle: tauri::AppHandle<R>, desk: SharedDesk) -> tokio::sync::watch::Sender<bool> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tauri::async_runtime::spawn(async move {
        desk.run_monitor(
            move |event| {
                notify_if_unseen(&handle, &event);
                if let Err(e) = handle.emit("monitor", event) {
                    tracing::warn!(error = %e, "monitor event not delivered to the window");
                }
            },
            stopped,
        )
        .await;
    });
    stop
}

/// Logs when the window's page has loaded: operators see slow starts, and the start-up benchmark
/// (docs/BENCHMARKS.md) reads this line.
fn log_page_load<R: Runtime>(builder: tauri::Builder<R>, started: std::time::Instant) -> tauri::Builder<R> {
    builder.on_page_load(move |_, payload| {
        if matches!(payload.event(), tauri::webview::PageLoadEvent::Finished) {
            tracing::info!(target: "iampass::console", "page loaded after {} ms", started.elapsed().as_millis());
        }
    })
}

pub fn run() {
    let started = std::time::Instant::now();
    // Held until the app exits (Tauri's run never returns), then dropped to write what is queued.
    let mut log = iampass_server::logging::init(iampass_server::logging::LogFormat::Text);
    let context = tauri::generate_context!();
    let desk = match tauri::async_runtime::block_on(open_desk(options(&context.config().identifier))) {
        Ok(d) => Arc::new(d),
        Err(e) => {
            let ui = e.to_ui();
            eprintln!("error: the console could not open its data: {} {}", ui.message, ui.action);
            drop(log);
            std::process::exit(1);
        }
    };
    match log_page_load(run_app(tauri::Builder::default(), desk.clone()), started).build(context) {
        Ok(app) => {
            let stop = bridge_monitor(app.handle().clone(), desk);
            app.run(move |handle, event| {
                if let tauri::RunEvent::Exit = event
                    && let Some(desk) = handle.try_state::<SharedDesk>()
                {
                    let _ = stop.send(true);
                    tauri::async_runtime::block_on(desk.shutdown());
                    drop(log.take());
                }
            })
        }
        Err(e) => {
            eprintln!("error: the console could not start: {e}");
            drop(log);
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder, mock_context, noop_assets};
    use tauri::webview::InvokeRequest;

    /// A command the UI can call must be in three places: the handler, the app manifest (build.rs)
    /// and the window's capability; one missing there is refused at run time, so check here.
    #[test]
    fn every_command_is_in_the_manifest_and_the_capability() {
        let handler = include_str!("commands/mod.rs");
        let manifest = include_str!("../build.rs");
        let capability = include_str!("../tauri.conf.json");
        let commands: Vec<&str> = handler
            .lines()
            .filter_map(|l| l.trim().strip_suffix(','))
            .filter_map(|l| l.split_once("::").map(|(_, command)| command))
            .collect();
        assert!(commands.len() > 30, "the handler's list was not found");
        for c in commands {
            assert!(manifest.contains(&format!("\"{c}\"")), "{c} is missing from build.rs COMMANDS");
            assert!(
                capability.contains(&format!("\"allow-{}\"", c.replace('_', "-"))),
                "{c} is not allowed in tauri.conf.json"
            );
        }
    }

    #[test]
    fn the_shell_starts_and_answers_a_command() {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = iampass_desk::DeskOptions {
            data_dir: dir.path().join("data"),
            operator: "test".into(),
            secrets_in_file: true,
            save_dir: dir.path().join("saved"),
            idle_lock_secs: None,
            clock: std::sync::Arc::new(iampass_proto::clock::SystemClock),
        };
        let desk = tauri::async_runtime::block_on(iampass_desk::Desk::open(options)).expect("desk");
        let app = super::run_app(mock_builder(), std::sync::Arc::new(desk))
            .build(mock_context(noop_assets()))
            .expect("build");
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().expect("webview");
        let request = |cmd: &str, body: serde_json::Value| InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: tauri::ipc::InvokeBody::Json(body),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_owned(),
        };
        let status = get_ipc_response(&webview, request("status", serde_json::json!({}))).expect("status answers");
        let status: serde_json::Value = status.deserialize().expect("json");
        assert_eq!(status["connected"], false);
        let listed = get_ipc_response(&webview, request("list_employees", serde_json::json!({"query": {}})))
            .expect("list answers");
        assert_eq!(listed.deserialize::<serde_json::Value>().expect("json"), serde_json::json!([]));
        let refused =
            get_ipc_response(&webview, request("add_employee", serde_json::json!({"employee": {"name": "Ann"}})));
        let err = refused.expect_err("not connected");
        assert_eq!(err["code"], "not_connected");
    }
}
