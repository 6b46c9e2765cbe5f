// Serves the built UI (ui/dist) on loopback and opens it in Debian's Chromium with Tauri's IPC
// replaced by a scriptable mock, so the many UI states that are slow to reach through the real
// app can be tested and timed. Nothing here runs in the real console.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";

const DIST = new URL("../dist/", import.meta.url).pathname;
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml" };

export async function serveDist() {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(DIST, path === "/" ? "index.html" : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((ok) => server.close(ok)) };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--enable-precise-memory-info"],
  });
}

/**
 * Installed before the page's scripts: a stand-in for window.__TAURI_INTERNALS__. `respond` (a
 * function source, given the command and its arguments) answers invokes; `window.__mock.emit`
 * delivers an event to the UI's listeners, as Rust's `emit` would.
 */
export function mockTauri(respond) {
  return `
    window.__mock = { calls: [], listeners: {}, respond: ${respond} };
    let next = 0;
    window.__TAURI_INTERNALS__ = {
      metadata: { currentWindow: { label: "main" }, currentWebview: { windowLabel: "main", label: "main" } },
      transformCallback(cb) { const id = ++next; window["_" + id] = cb; return id; },
      unregisterCallback(id) { delete window["_" + id]; },
      async invoke(cmd, args) {
        window.__mock.calls.push([cmd, args]);
        if (cmd === "plugin:event|listen") { (window.__mock.listeners[args.event] ??= []).push(args.handler); return args.handler; }
        if (cmd === "plugin:event|unlisten") return null;
        const answer = await window.__mock.respond(cmd, args);
        if (answer && answer.__error) throw answer.__error;
        return answer;
      },
    };
    window.__mock.emit = (event, payload) => {
      for (const id of window.__mock.listeners[event] ?? []) window["_" + id]({ event, id: 0, payload });
    };
  `;
}
