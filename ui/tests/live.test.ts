import { describe, expect, it } from "vitest";
import type { DashboardRow, SessionStatus } from "../src/lib/api";
import { Live } from "../src/lib/live.svelte";

function row(id: string, status: SessionStatus, created: string, employee_id = 1): DashboardRow {
  return {
    employee_id,
    employee_name: "Ann",
    phone_kind: "app",
    phone_synced: null,
    session: {
      session_id: id, user_id: "t", status, reason: null, methods: ["acceptance"], satisfied_methods: [], device_id: null,
      device_name: null, created_at: created, authenticated_at: null, expires_at: null, updated_at: created, purpose: "login", requested_from: null,
    },
  };
}

describe("Live", () => {
  it("a lock forgets the rows but keeps alerts nobody has acknowledged, and a book change is counted", () => {
    const live = new Live();
    live.reset([row("a", "active", "2026-01-01T00:00:01Z")], { status: null, employeeId: null });
    live.apply({ type: "alert", alert: { kind: "fraud", message: "Ann reported a login push as fraud.", session_id: "a", at: "2026-01-01T00:00:02Z" } });
    live.clear();
    expect(live.rows).toEqual([]);
    expect(live.alerts.map((a) => a.kind)).toEqual(["fraud"]);
    live.apply({ type: "book", changed: 3 });
    expect(live.book).toBe(1);
  });

  it("replaces a row by its session id, never doubling it, and keeps newest first", () => {
    const live = new Live();
    live.reset([row("a", "active", "2026-01-01T00:00:01Z")], { status: null, employeeId: null });
    live.apply({ type: "rows", rows: [row("b", "pending", "2026-01-01T00:00:02Z"), row("a", "closed", "2026-01-01T00:00:01Z")] });
    expect(live.rows.map((r) => [r.session.session_id, r.session.status])).toEqual([["b", "pending"], ["a", "closed"]]);
    live.apply({ type: "rows", rows: [row("b", "identifying", "2026-01-01T00:00:02Z"), row("b", "active", "2026-01-01T00:00:02Z")] });
    expect(live.rows.map((r) => r.session.status)).toEqual(["active", "closed"]);
    expect(live.version).toBe(2);
  });

  it("keeps only rows that match the filter, dropping those that stop matching", () => {
    const live = new Live();
    live.reset([row("a", "active", "2026-01-01T00:00:01Z")], { status: "active", employeeId: null });
    live.apply({ type: "rows", rows: [row("a", "closed", "2026-01-01T00:00:01Z"), row("c", "active", "2026-01-01T00:00:03Z", 2)] });
    expect(live.rows.map((r) => r.session.session_id)).toEqual(["c"]);
  });

  it("tracks the connection and the latest alerts", () => {
    const live = new Live();
    live.apply({ type: "connection", connected: false, retry_in_ms: 2000, message: "down" });
    expect([live.connected, live.retryInMs]).toEqual([false, 2000]);
    for (let i = 0; i < 25; i++) live.apply({ type: "alert", alert: { kind: "denied", message: `m${i}`, session_id: null, at: "t" } });
    expect(live.alerts).toHaveLength(20);
    expect(live.alerts[0].message).toBe("m24");
  });

  it("appends a further page without repeating rows it already has", () => {
    const live = new Live();
    live.reset([row("a", "active", "2026-01-01T00:00:02Z")], { status: null, employeeId: null });
    live.append([row("a", "active", "2026-01-01T00:00:02Z"), row("z", "closed", "2026-01-01T00:00:01Z")]);
    expect(live.rows.map((r) => r.session.session_id)).toEqual(["a", "z"]);
  });
});
