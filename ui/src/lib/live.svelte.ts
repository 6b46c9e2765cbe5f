// The dashboard's live state, fed by the `monitor` events Rust sends: rows keyed by session id
// (a change replaces its row, so nothing is doubled), the connection's state, and alerts. One
// batch from Rust is applied in one update: one frame per burst.
import type { Alert, DashboardRow, MonitorEvent, SessionStatus } from "./api";

export type Filter = { status: SessionStatus | null; employeeId: number | null };

export function matches(row: DashboardRow, f: Filter): boolean {
  return (f.status === null || row.session.status === f.status) && (f.employeeId === null || row.employee_id === f.employeeId);
}

/** Newest first by creation, ties by id: the server's order. */
function newestFirst(a: DashboardRow, b: DashboardRow): number {
  return b.session.created_at.localeCompare(a.session.created_at) || b.session.session_id.localeCompare(a.session.session_id);
}

export class Live {
  rows: DashboardRow[] = $state([]);
  connected: boolean | null = $state(null);
  retryInMs: number | null = $state(null);
  message: string | null = $state(null);
  alerts: Alert[] = $state([]);
  /** Bumped on each batch, so counts can be refreshed. */
  version = $state(0);
  /** Bumped when the team book changed on this desk (a colleague's edit arrived): lists reload. */
  book = $state(0);
  /** The root text size in px (Ctrl and + or -): what the dashboard's row height follows. */
  textSize = $state(20);
  filter: Filter = { status: null, employeeId: null };

  /** Replaces the rows with a freshly loaded first page. */
  reset(rows: DashboardRow[], filter: Filter) {
    this.filter = filter;
    this.rows = rows;
  }

  /** Someone saw this alert: it leaves the list and the count on the Sessions tab. */
  acknowledge(alert: Alert) {
    this.alerts = this.alerts.filter((a) => a !== alert);
  }

  /** Forgets the rows the last signed-in person saw (a sign-out or lock); they load again for
   *  the next one. Alerts stay until someone acknowledges them: a lock must not lose a fraud
   *  report nobody has read. */
  clear() {
    this.rows = [];
  }

  append(rows: DashboardRow[]) {
    const known = new Set(this.rows.map((r) => r.session.session_id));
    this.rows = [...this.rows, ...rows.filter((r) => !known.has(r.session.session_id))];
  }

  apply(e: MonitorEvent) {
    if (e.type === "rows") {
      const byId = new Map(this.rows.map((r) => [r.session.session_id, r]));
      for (const r of e.rows) {
        if (matches(r, this.filter)) byId.set(r.session.session_id, r);
        else byId.delete(r.session.session_id);
      }
      this.rows = [...byId.values()].sort(newestFirst);
      this.version += 1;
    } else if (e.type === "connection") {
      this.connected = e.connected;
      this.retryInMs = e.retry_in_ms;
      this.message = e.message;
    } else if (e.type === "book") {
      this.book += 1;
    } else {
      this.alerts = [e.alert, ...this.alerts].slice(0, 20);
    }
  }
}

export const live = new Live();
