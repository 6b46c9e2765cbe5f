// UI states through Chromium with the IPC mocked (see harness.mjs). Numbers are printed for
// docs/BENCHMARKS.md, never asserted: the assertions are about what is on screen.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { launch, mockTauri, serveDist } from "./harness.mjs";

// Screenshots of states the real window does not reach in the end-to-end run (number matching is
// off for the console's own local server); scripts/screenshots.sh copies them into docs/.
const SHOTS = process.env.IAMPASS_SCREENSHOTS ?? new URL("./.screenshots", import.meta.url).pathname;

const connected = { connected: true, profile: { id: 1, name: "Local server", server_url: "http://127.0.0.1:1", application_id: "a".repeat(32), embedded: true }, secret_store: "keyring", warning: null,
  staff: null, needs_sign_in: false, advice: null, idle_lock_seconds: null,
  access: { enroll: true, manage_employees: true, sessions: true, logout: true, verify: true, lost_phone: true, audit: true, staff: true,
    remove_employees: true, desks: true, kiosk_only: false } };

// The mock's answers, as source run in the page. `window.__rows` holds the dashboard's rows.
const respond = `(cmd, args) => {
  const statuses = ["active", "walkaway", "pending", "identifying", "failed", "cancelled", "timeout", "closed"];
  switch (cmd) {
    case "status": return window.__status ?? ${JSON.stringify(connected)};
    case "staff_list": return window.__staff ?? [];
    case "set_staff_role": return { ...window.__staff[0], role: args.role };
    case "monitor_state": return { type: "connection", connected: true, retry_in_ms: null, message: null };
    case "list_employees": return window.__employees ?? [];
    case "start_verification": return window.__verifyStart;
    case "finish_verification": return new Promise((ok) => { window.__finishVerification = ok; });
    case "server_audit": return window.__serverAudit ?? { rows: [], next_cursor: null };
    case "audit_entries": return [];
    case "dashboard_page": return { rows: window.__rows ?? [], next_cursor: null };
    case "session_counts": { const c = {}; for (const s of statuses) c[s] = (window.__rows ?? []).filter(r => r.session.status === s).length; return c; }
    case "team_status": return window.__team ?? { state: "ready", desk_name: "ada on desk-1", desk_fingerprint: "3F9A-21C0-77B2-0D14-9E6A", book_fingerprint: "B00C-4E11-90AA-7D3E-12F0", generation: 1, key_store: "keyring" };
    case "team_desks": return window.__desks ?? [];
    case "approve_desk": return window.__desks?.[1];
    case "update_employee": return window.__updateEmployee ? window.__updateEmployee(args) : args.employee;
    case "employee_page": return { employee: window.__theirs, device: null, sessions: [], audit: [] };
    case "connect": return { __error: { code: "wrong_credentials", message: "The server refused this application's credentials.", action: "Check the application id and secret in Settings, or add the application again." } };
    default: return null;
  }
}`;

function rows(n, status = "active") {
  return Array.from({ length: n }, (_, i) => ({
    employee_id: i, employee_name: `Employee ${i}`, phone_kind: i % 2 ? "passkey" : "app", phone_synced: i % 2 ? true : null,
    session: { session_id: `s${String(i).padStart(6, "0")}`, user_id: `t${i}`, status, reason: null, methods: ["acceptance"], satisfied_methods: ["acceptance"],
      device_id: "d", device_name: "Phone", created_at: new Date(1_800_000_000_000 - i * 1000).toISOString(), authenticated_at: null, expires_at: null,
      updated_at: new Date(1_800_000_000_000 - i * 1000).toISOString(), purpose: "login", requested_from: null },
  }));
}

let browser, site;
before(async () => { site = await serveDist(); browser = await launch(); });
after(async () => { await browser?.close(); await site?.close(); });

async function open({ sessions = 0 } = {}) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.addInitScript(`window.__rows = (${rows.toString()})(${sessions});`);
  await page.addInitScript(mockTauri(respond));
  await page.goto(site.url);
  return page;
}

describe("dashboard", () => {
  test("10,000 sessions: first paint, a bounded DOM, memory", async () => {
    const page = await open({ sessions: 10_000 });
    await page.getByTestId("nav-dashboard").click();
    const t0 = Date.now();
    await page.getByTestId("session-row").first().waitFor();
    const paintMs = Date.now() - t0;
    const domRows = await page.getByTestId("session-row").count();
    assert.ok(domRows < 100, `only the visible rows are in the DOM (${domRows})`);
    assert.match(await page.getByTestId("count-active").innerText(), /^10000\b/);
    await page.locator(".body").evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await page.getByText("Employee 9999", { exact: true }).waitFor();
    const heapMb = await page.evaluate(() => performance.memory.usedJSHeapSize / 1048576);
    console.log(`BENCH dashboard 10000 sessions: rows painted ${paintMs} ms after opening; ${domRows} DOM rows; JS heap ${heapMb.toFixed(1)} MB`);
    await page.close();
  });

  test("a burst of 100 changes is applied in one frame, and a change reaches its row quickly", async () => {
    const page = await open({ sessions: 200 });
    await page.getByTestId("nav-dashboard").click();
    await page.getByTestId("session-row").first().waitFor();
    const result = await page.evaluate(async (changed) => {
      let frames = 0;
      let counting = true;
      const tick = () => { frames++; if (counting) requestAnimationFrame(tick); };
      await new Promise((r) => requestAnimationFrame(r));
      const t0 = performance.now();
      requestAnimationFrame(tick);
      window.__mock.emit("monitor", { type: "rows", rows: changed });
      const first = document.querySelector('[data-session="s000000"]');
      while (document.querySelector('[data-session="s000000"]')?.getAttribute("data-status") !== "closed") {
        await new Promise((r) => requestAnimationFrame(r));
      }
      const ms = performance.now() - t0;
      counting = false;
      return { ms, frames, replaced: first !== null };
    }, rows(100, "closed"));
    assert.ok(result.frames <= 2, `the burst landed within one frame (frames counted: ${result.frames})`);
    assert.equal(await page.locator('[data-status="closed"]').count() > 0, true);
    console.log(`BENCH burst of 100 changes: on screen ${result.ms.toFixed(1)} ms after the event, ${result.frames} frame(s)`);
    await page.close();
  });

  test("losing the server shows a banner with the retry, and it goes when the server is back", async () => {
    const page = await open({ sessions: 3 });
    await page.getByTestId("nav-dashboard").click();
    await page.evaluate(() => window.__mock.emit("monitor", { type: "connection", connected: false, retry_in_ms: 4000, message: "Cannot reach" }));
    const banner = page.getByTestId("connection-banner");
    assert.match(await banner.innerText(), /unreachable[\s\S]*Reconnecting in 4 s/);
    assert.match(await page.getByTestId("live-indicator").innerText(), /Offline/);
    // The header's chip follows the stream, not the state at start-up.
    assert.match(await page.getByTestId("connection").innerText(), /Reconnecting/);
    await page.evaluate(() => window.__mock.emit("monitor", { type: "connection", connected: true, retry_in_ms: null, message: null }));
    await banner.waitFor({ state: "detached" });
    assert.match(await page.getByTestId("connection").innerText(), /Local server/);
    await page.close();
  });

  test("fraud, walkaways and bursts of failures stand out", async () => {
    const page = await open();
    await page.getByTestId("nav-dashboard").click();
    await page.evaluate(() => {
      window.__mock.emit("monitor", { type: "alert", alert: { kind: "fraud", message: "Ann reported a login push as fraud.", session_id: "s", at: new Date().toISOString() } });
      window.__mock.emit("monitor", { type: "alert", alert: { kind: "failure_burst", message: "5 logins failed within a minute.", session_id: null, at: new Date().toISOString() } });
      window.__mock.emit("monitor", { type: "alert", alert: { kind: "push_cap", message: "New pushes to Bo are paused.", session_id: null, at: new Date().toISOString() } });
    });
    const alerts = await page.getByTestId("alerts").innerText();
    assert.match(alerts, /Fraud reported: Ann reported/);
    assert.match(alerts, /Many failures: 5 logins failed/);
    assert.match(alerts, /Pushes paused: New pushes to Bo are paused/);
    await page.close();
  });
});

describe("dashboard words and filters", () => {
  test("tiles and rows say the same words, long statuses and Log out are not cut, and the employee box never shows someone else's rows", async () => {
    const page = await open({ sessions: 3 });
    await page.evaluate(() => { window.__employees = [{ id: 0, name: "Employee 0" }, { id: 1, name: "Employee 1" }, { id: 2, name: "Employee 2" }]; });
    await page.getByTestId("nav-dashboard").click();
    await page.getByTestId("session-row").first().waitFor();
    assert.match(await page.getByTestId("count-active").innerText(), /Signed in/);
    assert.equal(await page.getByTestId("session-status").first().innerText(), "Signed in");
    const cut = await page.evaluate(() => [...document.querySelectorAll('[data-testid="logout"], [data-testid="session-status"]')]
      .filter((el) => { const r = el.getBoundingClientRect(), c = el.closest('[role="cell"]').getBoundingClientRect(); return r.right > c.right + 0.5 || el.scrollWidth > el.clientWidth + 1; }).length);
    assert.equal(cut, 0, "nothing cut off");
    const box = page.getByTestId("filter-employee");
    await box.fill("Employee 2");
    await page.waitForFunction(() => window.__mock.calls.some(([c, a]) => c === "dashboard_page" && a.employeeId === 2));
    await box.fill("Employee");
    await page.getByTestId("filter-employee-note").waitFor();
    assert.match(await page.getByTestId("filter-employee-note").innerText(), /3 employees match “Employee”: showing everyone/);
    const last = await page.evaluate(() => window.__mock.calls.filter(([c]) => c === "dashboard_page").at(-1)[1].employeeId);
    assert.equal(last, null, "the box no longer names one employee: everyone, said so");
    await page.close();
  });
});

describe("text size", () => {
  test("Ctrl and + makes every text and the dashboard's rows larger, Ctrl and 0 brings them back", async () => {
    const page = await open({ sessions: 5 });
    await page.getByTestId("nav-dashboard").click();
    await page.getByTestId("session-row").first().waitFor();
    const sizes = () => page.evaluate(() => ({ root: parseFloat(getComputedStyle(document.documentElement).fontSize),
      row: document.querySelector('[data-testid="session-row"]').getBoundingClientRect().height,
      chip: parseFloat(getComputedStyle(document.querySelector('[data-testid="session-status"]')).fontSize) }));
    const before = await sizes();
    for (let i = 0; i < 4; i++) await page.keyboard.press("Control+=");
    const after = await sizes();
    assert.equal(after.root, 48);
    assert.ok(after.row > before.row * 2 && after.chip >= 43, JSON.stringify({ before, after }));
    await page.screenshot({ path: `${SHOTS}/44-dashboard-large-text.png` });
    await page.keyboard.press("Control+0");
    assert.equal((await sizes()).root, 20);
    assert.equal(await page.evaluate(() => localStorage.getItem("textSize")), "20");
    await page.close();
  });
});

describe("setup", () => {
  test("wrong credentials say what happened and what to do", async () => {
    const page = await browser.newPage();
    await page.addInitScript(`window.__status = { connected: false, profile: null, secret_store: null, warning: null, staff: null, needs_sign_in: false, advice: null, idle_lock_seconds: null, access: { enroll: false, manage_employees: false, sessions: false, logout: false, verify: false, lost_phone: false, audit: false, staff: false, remove_employees: false, desks: false, kiosk_only: false } };`);
    await page.addInitScript(mockTauri(respond));
    await page.goto(site.url);
    await page.getByTestId("connect-app").fill("a".repeat(32));
    await page.getByTestId("connect-secret").fill("WRONG");
    await page.getByRole("button", { name: "Connect", exact: true }).click();
    const err = await page.getByTestId("setup-error").innerText();
    assert.match(err, /refused this application's credentials[\s\S]*Check the application id/);
    await page.close();
  });
});

const ann = { id: 1, name: "Ann Example", email: "", employee_number: "E-1", department: "Ops", notes: "", token: "t1", state: "enrolled",
  link_expires_at: null, enrolled_at: "2026-11-29T08:00:00Z", phone_kind: "passkey", phone_synced: true,
  created_at: "2026-11-29T08:00:00Z", updated_at: "2026-11-29T08:00:00Z", version: 1, edited_by: "Ada" };

async function openWithAnn(extra) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.addInitScript(`window.__employees = ${JSON.stringify([ann])}; ${extra}`);
  await page.addInitScript(mockTauri(respond));
  await page.goto(site.url);
  await page.getByTestId("nav-employees").click();
  return page;
}

describe("verify a caller", () => {
  test("with number matching, the code to read out shows before the phone answers", async () => {
    const page = await openWithAnn(`window.__verifyStart = { verification_id: "v1", verification_code: "47", result: null };`);
    await page.getByTestId("verify").click();
    const code = page.getByTestId("verify-code");
    await code.waitFor();
    assert.match(await code.innerText(), /Read this number to the caller:\s*47\s*They type it on their phone/);
    assert.match(await page.getByTestId("verify-result").innerText(), /Push sent/);
    await mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}/17-verify-code.png` });
    await page.evaluate(() => window.__finishVerification({ status: "active", reason: null, verified: true }));
    await page.getByText("✓ Verified: Ann Example approved on their phone.").waitFor();
    assert.equal(await page.getByTestId("verify-code").count(), 0, "the code goes once answered");
    await page.close();
  });

  test("the push cap says pushes are paused and why, in words", async () => {
    const page = await openWithAnn(`window.__verifyStart = { verification_id: null, verification_code: null, result: { status: "failed", reason: "too_many_pushes", verified: false } };`);
    await page.getByTestId("verify").click();
    const result = page.getByTestId("verify-result");
    await page.getByText(/✗ Not verified/).waitFor();
    assert.match(await result.innerText(), /pushes to this employee are paused.*push-fatigue.*Do not help this caller/s);
    await page.close();
  });

  test("the verifications' own cap says so, and offers to clear it", async () => {
    const page = await openWithAnn(`window.__verifyStart = { verification_id: null, verification_code: null, result: { status: "failed", reason: "too_many_verifications", verified: false } };`);
    await page.getByTestId("verify").click();
    const result = page.getByTestId("verify-result");
    await page.getByText(/✗ Not verified/).waitFor();
    assert.match(await result.innerText(), /verification pushes to this employee are paused.*push-fatigue/s);
    await page.getByTestId("cap-clear").waitFor();
    await page.screenshot({ path: `${SHOTS}/18-verify-verifications-capped.png` });
    await page.close();
  });
});

describe("team book", () => {
  const desk = (id, name, fingerprint, state, thisDesk) => ({ fingerprint, this_desk: thisDesk,
    desk: { desk_id: id, name, public_key: "k", state, requested_by: "Ada", requested_at: "2026-12-03T09:00:00Z", approved_by: state === "approved" ? "Ada" : null, approved_at: null } });

  test("an admin approves a new desk only after saying its fingerprint matches", async () => {
    const page = await openWithAnn(`window.__desks = ${JSON.stringify([
      desk("d1", "ada on desk-1", "3F9A-21C0-77B2-0D14-9E6A", "approved", true),
      desk("d2", "hal on desk-2", "C41D-0B9E-5520-AF13-6E07", "pending", false)])};`);
    await page.getByTestId("nav-settings").click();
    const approve = page.getByTestId("approve-desk");
    await approve.waitFor();
    assert.match(await page.getByTestId("desk-table").innerText(), /hal on desk-2[\s\S]*C41D-0B9E-5520-AF13-6E07[\s\S]*Waiting for approval/);
    assert.equal(await approve.isDisabled(), true, "not before the fingerprints were compared");
    await page.getByTestId("fingerprint-compared").check();
    await mkdir(SHOTS, { recursive: true });
    await page.getByTestId("team-book").screenshot({ path: `${SHOTS}/41-team-approve-desk.png` });
    await approve.click();
    await page.getByTestId("team-notice").waitFor();
    const calls = await page.evaluate(() => window.__mock.calls.filter(([c]) => c === "approve_desk").map(([, a]) => a));
    assert.deepEqual(calls, [{ deskId: "d2", fingerprint: "C41D-0B9E-5520-AF13-6E07" }]);
    await page.close();
  });

  test("a desk without the book says so, with the fingerprint to compare", async () => {
    const page = await openWithAnn(`window.__team = { state: "waiting", desk_name: "hal on desk-2", desk_fingerprint: "C41D-0B9E-5520-AF13-6E07", book_fingerprint: null, generation: 0, key_store: "file" };`);
    await page.getByText(/does not have the team book yet.*C41D-0B9E-5520-AF13-6E07/).waitFor();
    await page.screenshot({ path: `${SHOTS}/42-team-waiting.png` });
    await page.close();
  });

  test("an edit that a colleague beat shows both versions and overwrites nothing unless asked", async () => {
    const theirs = { ...ann, notes: "Works from the Leeds office", version: 2, edited_by: "Hal" };
    const page = await openWithAnn(`window.__theirs = ${JSON.stringify(theirs)};
      window.__updateEmployee = (a) => a.version === 1
        ? { __error: { code: "edit_conflict", message: "Hal changed this employee while you were editing.", action: "Compare both versions and choose which to keep." } }
        : { ...window.__theirs, ...a.employee, version: a.version + 1 };`);
    await page.getByTestId("edit").first().click();
    await page.locator("textarea").fill("Call before 10:00");
    await page.getByTestId("employee-save").click();
    const conflict = page.getByTestId("edit-conflict");
    await conflict.waitFor();
    assert.match(await conflict.innerText(), /Hal changed this employee[\s\S]*Works from the Leeds office/);
    assert.equal(await page.locator("textarea").inputValue(), "Call before 10:00", "the form keeps this person's text");
    await page.getByTestId("employee-form").screenshot({ path: `${SHOTS}/43-edit-conflict.png` });
    await page.getByText("Save mine over theirs").click();
    await page.getByTestId("edit-conflict").waitFor({ state: "detached" });
    const versions = await page.evaluate(() => window.__mock.calls.filter(([c]) => c === "update_employee").map(([, a]) => a.version));
    assert.deepEqual(versions, [1, 2], "saved again only when asked, over their version");
    await page.close();
  });
});

describe("audit", () => {
  test("the server's log shows every management action, named, with where it came from", async () => {
    const page = await openWithAnn(`window.__serverAudit = { rows: [
      { at: "2026-11-29T08:01:00Z", actor: "Hal", action: "logout_user", subject: "t1", employee_name: "Ann Example", source: "10.0.0.7", status: 200 },
      { at: "2026-11-29T08:00:00Z", actor: "application", action: "add_users", subject: null, employee_name: null, source: "10.0.0.9", status: 401 }],
      next_cursor: null };`);
    await page.getByTestId("nav-audit").click();
    await page.getByTestId("audit-tab-server").click();
    const table = page.getByTestId("server-audit-table");
    await table.getByText("Ann Example").waitFor();
    const text = await table.innerText();
    assert.match(text, /Hal\s+Logged out everywhere\s+Ann Example\s+10\.0\.0\.7\s+Done/);
    assert.match(text, /The application\s+Employee added\s+—\s+10\.0\.0\.9\s+Refused \(401\)/);
    // The tabs work from the keyboard too.
    await page.getByTestId("audit-tab-server").press("ArrowLeft");
    await page.getByTestId("audit-table").waitFor();
    assert.equal(await page.getByTestId("audit-tab-console").getAttribute("aria-selected"), "true");
    await page.close();
  });
});

describe("roles", () => {
  const signedIn = (role, access) => ({ ...connected, secret_store: null, profile: { ...connected.profile, embedded: false, staff_sign_in: true },
    staff: { staff_id: "me", name: "Aud Itor", role, application_id: "a".repeat(32), application_name: "Desk", expires_at: "2030-01-01T00:00:00Z", idle_seconds: 900 },
    access: { ...connected.access, ...access }, idle_lock_seconds: 900 });

  test("a role picked in the list changes nothing until confirmed; cancelling puts the old one back", async () => {
    const page = await openWithAnn(`window.__staff = [{ staff_id: "s1", name: "Ana", role: "helpdesk", created_at: "2026-12-01T00:00:00Z", phone: "app", signed_in: 1 }];`);
    await page.getByTestId("nav-staff").click();
    const list = page.getByTestId("staff-row-role");
    await list.selectOption("admin");
    await page.getByTestId("confirm-role").waitFor();
    const calls = () => page.evaluate(() => window.__mock.calls.filter(([c]) => c === "set_staff_role").map(([, a]) => a));
    assert.deepEqual(await calls(), [], "nothing changed yet");
    await page.getByTestId("confirm-role-no").click();
    assert.equal(await list.inputValue(), "helpdesk", "the old role is back in the list");
    await list.selectOption("admin");
    await page.getByTestId("confirm-role-yes").click();
    await page.getByTestId("staff-notice").waitFor();
    assert.deepEqual(await calls(), [{ staffId: "s1", role: "admin" }]);
    await page.close();
  });

  test("an auditor sees no Edit, and a help-desk member's Settings shows no relay, PIN or connection", async () => {
    const auditor = signedIn("auditor", { enroll: false, manage_employees: false, logout: false, verify: false, lost_phone: false, staff: false, remove_employees: false, desks: false });
    let page = await openWithAnn(`window.__status = ${JSON.stringify(auditor)};`);
    await page.getByTestId("employee-row").waitFor();
    assert.equal(await page.getByTestId("edit").count(), 0);
    await page.close();
    const helpdesk = signedIn("helpdesk", { staff: false, audit: false, remove_employees: false, desks: false });
    page = await openWithAnn(`window.__status = ${JSON.stringify(helpdesk)};`);
    await page.getByTestId("edit").first().waitFor();
    await page.getByTestId("nav-settings").click();
    await page.getByTestId("team-book").waitFor();
    for (const hidden of ["smtp-form", "settings-pin", "setup"]) assert.equal(await page.getByTestId(hidden).count(), 0, hidden);
    await page.close();
  });

  test("one person's \"don't ask again\" is not another's", async () => {
    const page = await openWithAnn(`window.__status = ${JSON.stringify(signedIn("helpdesk", {}))};`);
    await page.evaluate(() => localStorage.setItem("confirmLogoutEverywhere:Someone Else", "no"));
    await page.getByTestId("logout-everywhere").click();
    await page.getByTestId("confirm-logout-everywhere").waitFor();
    await page.getByTestId("confirm-logout-everywhere-dont-ask").check();
    await page.getByTestId("confirm-logout-everywhere-yes").click();
    const keys = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("confirmLogoutEverywhere")).sort());
    assert.deepEqual(keys, ["confirmLogoutEverywhere:Aud Itor", "confirmLogoutEverywhere:Someone Else"]);
    await page.close();
  });
});

describe("contrast", () => {
  test("field edges, the focus ring and placeholders stand out from what they sit on", async () => {
    const page = await openWithAnn("");
    const search = page.getByTestId("search");
    await search.focus();
    await page.keyboard.press("Tab");
    await page.keyboard.press("Shift+Tab");
    const measured = await page.evaluate(() => {
      const rgb = (c) => c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
      const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
        .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
      const ratio = (a, b) => { const [x, y] = [lum(rgb(a)), lum(rgb(b))].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
      const el = document.querySelector('[data-testid="search"]');
      const css = getComputedStyle(el);
      const placeholder = getComputedStyle(el, "::placeholder").color;
      return { edge: ratio(css.borderTopColor, css.backgroundColor), focus: ratio(css.outlineColor, "rgb(246, 247, 249)"),
        placeholder: ratio(placeholder, css.backgroundColor), focused: document.activeElement === el };
    });
    assert.ok(measured.focused, "the search field has the focus");
    assert.ok(measured.edge >= 3, `field edge ${measured.edge.toFixed(2)}:1`);
    assert.ok(measured.focus >= 3, `focus ring ${measured.focus.toFixed(2)}:1`);
    assert.ok(measured.placeholder >= 4.5, `placeholder ${measured.placeholder.toFixed(2)}:1`);
    console.log(`BENCH contrast: field edge ${measured.edge.toFixed(2)}:1, focus ring ${measured.focus.toFixed(2)}:1, placeholder ${measured.placeholder.toFixed(2)}:1`);
    await page.close();
  });
});

describe("keyboard", () => {
  test("Alt and a letter opens each screen; the shortcut is in the button's title", async () => {
    const page = await open();
    await page.getByTestId("employee-table").waitFor();
    for (const [key, id] of [["a", "audit-table"], ["s", "session-table"], ["e", "employee-table"], ["g", "settings-pin"]]) {
      await page.keyboard.press(`Alt+${key}`);
      await page.getByTestId(id).waitFor();
    }
    assert.match(await page.getByTestId("nav-audit").getAttribute("title"), /Alt\+A/);
    await page.close();
  });
});
