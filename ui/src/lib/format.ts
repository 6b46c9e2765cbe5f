// Small pure helpers the screens share (tested in tests/format.test.ts).
import type { AlertKind } from "./types/AlertKind";
import type { AuthenticatorKind } from "./types/AuthenticatorKind";
import type { EnrollmentState } from "./types/EnrollmentState";
import type { SessionStatus } from "./types/SessionStatus";
import type { StaffRole } from "./types/StaffRole";
import type { SessionSummary } from "./types/SessionSummary";

/** "9:05" for 545 seconds; "0:00" once past. */
export function countdown(secondsLeft: number): string {
  const s = Math.max(0, Math.floor(secondsLeft));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** Seconds from `now` (ms) until an RFC 3339 instant. */
export function secondsUntil(iso: string, now: number = Date.now()): number {
  return Math.max(0, (Date.parse(iso) - now) / 1000);
}

/** Status in words and a colour class: never colour alone. */
export function enrollmentLabel(state: EnrollmentState): { text: string; tone: "ok" | "wait" | "warn" | "idle" } {
  switch (state) {
    case "enrolled":
      return { text: "Enrolled", tone: "ok" };
    case "link_issued":
      return { text: "Link issued", tone: "wait" };
    case "lost":
      return { text: "Phone lost", tone: "warn" };
    default:
      return { text: "Not enrolled", tone: "idle" };
  }
}

/** The enrolled phone's kind in words: a web phone's passkey (synced or on this phone only) or the app. */
export function phoneLabel(kind: AuthenticatorKind | null, synced: boolean | null): string {
  if (kind === "passkey") {
    if (synced === null) return "Web phone (passkey)";
    return synced ? "Web phone (passkey, synced)" : "Web phone (passkey, this phone only)";
  }
  return kind === "app" ? "Authenticator app" : "";
}

/** A local, readable date-time for an RFC 3339 string. */
export function when(iso: string | null): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export type Tone = "ok" | "wait" | "warn" | "idle";

/** A session status in words and a colour class. */
export function sessionLabel(status: SessionStatus): { text: string; tone: Tone } {
  // The count tiles' words; each row's words start with the same (sessionWords), so a tile and
  // the rows it counts say the same thing.
  switch (status) {
    case "active":
      return { text: "Signed in", tone: "ok" };
    case "pending":
      return { text: "Waiting for the phone", tone: "wait" };
    case "identifying":
      return { text: "Confirming on the phone", tone: "wait" };
    case "walkaway":
      return { text: "Phone walked away", tone: "warn" };
    case "failed":
      return { text: "Failed", tone: "warn" };
    case "cancelled":
      return { text: "Refused or cancelled", tone: "warn" };
    case "timeout":
      return { text: "No answer from the phone", tone: "warn" };
    default:
      return { text: "Logged out", tone: "idle" };
  }
}

export const SESSION_STATUSES: SessionStatus[] = ["active", "walkaway", "pending", "identifying", "failed", "cancelled", "timeout", "closed"];

/** An alert's kind as a short heading. */
export function alertLabel(kind: AlertKind): string {
  switch (kind) {
    case "fraud":
      return "Fraud reported";
    case "failure_burst":
      return "Many failures";
    case "walkaway":
      return "Walkaway";
    case "push_cap":
      return "Pushes paused";
    case "recovery":
      return "New phone on hold";
    default:
      return "Denied";
  }
}

/** Why a caller verification did not verify, in words a help-desk can repeat. */
export function verifyReason(reason: string | null, status: SessionStatus): string {
  switch (reason) {
    case "denied":
      return "denied on the phone";
    case "fraud":
      return "reported on the phone as \"this was not me\"";
    case "no_answer":
      return "no answer in time";
    case "wrong_code":
      return "the code typed on the phone was wrong";
    case "no_device":
      return "no phone is enrolled for this employee";
    case "too_many_pushes":
      return "pushes to this employee are paused: too many went unanswered or were refused recently (a possible push-fatigue attack); call them back on a number you know";
    case "too_many_verifications":
      return "verification pushes to this employee are paused: too many were sent recently (a verification storm is itself a push-fatigue attack); call them back on a number you know";
    default:
      return (reason ?? status).replaceAll("_", " ");
  }
}

/** A server audit record's HTTP status in words and a colour class. */
export function auditOutcome(status: number): { text: string; tone: Tone } {
  if (status >= 200 && status < 300) return { text: "Done", tone: "ok" };
  if (status === 401 || status === 403) return { text: `Refused (${status})`, tone: "warn" };
  if (status === 429) return { text: "Rate limited", tone: "warn" };
  return { text: `Failed (${status})`, tone: "warn" };
}

/** A staff role in words, and what it may do. */
export function roleLabel(role: StaffRole): { text: string; what: string } {
  switch (role) {
    case "kiosk":
      return { text: "Kiosk", what: "enrollment only" };
    case "helpdesk":
      return { text: "Help desk", what: "sessions, log out, verify callers, lost phones, add and edit employees" };
    case "auditor":
      return { text: "Auditor", what: "reads sessions and the audit log; changes nothing" };
    default:
      return { text: "Admin", what: "everything, including employees and staff" };
  }
}

/** "15 min" for 900 seconds, "8 h" for 28800. */
export function duration(seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60) return `${Math.round(seconds / 60)} min`;
  return `${seconds} s`;
}

/** Whose "don't ask again" choices apply: the signed-in staff member's (set at each sign-in),
 *  or, without a staff sign-in, this computer's. One person's choice is never another's. */
let person: string | null = null;
export function setPerson(name: string | null): void {
  person = name;
}
function choiceKey(key: string): string {
  return person === null ? key : `${key}:${person}`;
}

/** Whether to ask before an action that offers "don't ask again". */
export function asksFirst(key: string): boolean {
  return localStorage.getItem(choiceKey(key)) !== "no";
}

/** Turns the question before `key`'s action on or off, for the person at the desk. */
export function setAsksFirst(key: string, ask: boolean): void {
  if (ask) localStorage.removeItem(choiceKey(key));
  else localStorage.setItem(choiceKey(key), "no");
}

/** The confirmations a person may have turned off, by key, in words for Settings. */
export const SKIPPABLE_CONFIRMATIONS: { key: string; label: string }[] = [
  { key: "confirmLogout", label: "Ask before logging a session out" },
  { key: "confirmLogoutEverywhere", label: "Ask before logging an employee out everywhere" },
];

/** "just now", "2 min ago", "3 h ago", "yesterday"; "in 5 min" for what is still to come. The
 *  exact time goes in the title (hover) and in exports. */
export function ago(iso: string | null, now: number = Date.now()): string {
  if (!iso) return "—";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  const future = s < 0;
  const a = Math.abs(s);
  const span =
    a < 45 ? null : a < 3600 ? `${Math.round(a / 60)} min` : a < 86_400 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86_400)} d`;
  if (span === null) return future ? "in a moment" : "just now";
  return future ? `in ${span}` : `${span} ago`;
}

/** What became of a session, in the words a help desk says, from its status, reason and kind. */
export function sessionWords(s: Pick<SessionSummary, "status" | "reason" | "purpose">): { text: string; tone: Tone } {
  const verifying = s.purpose === "verification";
  switch (s.status) {
    case "pending":
      return { text: "Waiting for the phone", tone: "wait" };
    case "identifying":
      return { text: "Confirming on the phone", tone: "wait" };
    case "active":
      return { text: verifying ? "Verified on the phone" : "Signed in", tone: "ok" };
    case "walkaway":
      return { text: "Phone walked away", tone: "warn" };
    case "timeout":
      return { text: "No answer from the phone", tone: "warn" };
    case "failed":
      if (s.reason === "fraud") return { text: "Failed: reported as fraud", tone: "warn" };
      if (s.reason === "wrong_code") return { text: "Failed: wrong number chosen on the phone", tone: "warn" };
      return { text: "Failed: a required method was not met", tone: "warn" };
    case "cancelled":
      if (s.reason === "denied") return { text: "Refused on the phone", tone: "warn" };
      if (s.reason === "logout") return { text: "Cancelled by the application", tone: "idle" };
      if (s.reason === "console_logout") return { text: "Cancelled by the help desk", tone: "idle" };
      return { text: `Cancelled (${(s.reason ?? "").replaceAll("_", " ")})`, tone: "idle" };
    default:
      switch (s.reason) {
        case "logout":
          return { text: "Logged out by the application", tone: "idle" };
        case "console_logout":
          return { text: verifying ? "Verification done" : "Logged out by the help desk", tone: "idle" };
        case "phone_logout":
          return { text: "Logged out on the phone", tone: "idle" };
        case "duration_elapsed":
          return { text: "Logged out: expired", tone: "idle" };
        case "walkaway":
          return { text: "Logged out: the phone stayed away", tone: "idle" };
        case "device_lost":
          return { text: "Logged out: phone reported lost", tone: "idle" };
        case "user_deleted":
          return { text: "Logged out: employee removed", tone: "idle" };
        default:
          return { text: `Logged out (${(s.reason ?? "").replaceAll("_", " ")})`, tone: "idle" };
      }
  }
}

/** A status tile's colour: only when its count means something (none is neutral). */
export function tileTone(status: SessionStatus, count: number): Tone {
  return count === 0 ? "idle" : sessionLabel(status).tone;
}

/** One set of words for an action, whichever log recorded it (this console's names on the left,
 *  the server's where they differ), so both logs read alike and filter alike. */
const ACTION_WORDS: Record<string, string> = {
  add_employee: "Employee added",
  add_users: "Employee added",
  remove_employee: "Employee removed",
  delete_users: "Employee removed",
  update_employee: "Employee edited",
  import_employees: "Employees imported",
  export_employees: "Employees exported",
  issue_link: "Registration link issued",
  device_registration_link: "Registration link issued",
  kiosk_confirm_enrollment: "Kiosk enrollment confirmed",
  enrolled: "Phone enrolled",
  report_lost_device: "Phone reported lost",
  lost_user_mobile_device: "Phone reported lost",
  send_registration_sms: "Registration SMS",
  logout_session: "Session logged out",
  logout_everywhere: "Logged out everywhere",
  logout_user: "Logged out everywhere",
  verify_caller: "Caller verification",
  cancel_verification: "Verification cancelled",
  clear_push_cap: "Push cap cleared",
  stop_phone: "Phone stopped (lost)",
  recovery_requested: "New phone asked for",
  recovery_link: "New phone's link issued (recovery)",
  recovery_hold_cleared: "Hold on new phones cleared",
  sign_in: "Signed in",
  sign_out: "Signed out",
  add_staff: "Staff member added",
  change_staff_role: "Staff role changed",
  staff_phone_link: "Staff phone link issued",
  staff_registration_link: "Staff phone link issued",
  remove_staff: "Staff member removed",
  app_settings: "Application settings changed",
  set_kiosk_pin: "Kiosk PIN set",
  leave_kiosk: "Kiosk left",
  kiosk_skip: "Kiosk: person skipped",
  connect: "Connected to a server",
  add_application: "Application added",
  start_local_server: "Local server started",
  use_staff_sign_in: "Staff sign-in set up",
  switch_to_staff_sign_in: "Switched to staff sign-in",
  export_audit: "Audit log exported",
  save_qr: "QR code saved",
};

export function actionWords(action: string): string {
  return ACTION_WORDS[action] ?? action.replaceAll("_", " ");
}

/** Whether an audit row matches the filters: words in who/what/whom, an action (in words), a day range. */
export function auditMatches(
  row: { at: string; action: string; text: string },
  f: { search: string; action: string; from: string; to: string },
): boolean {
  const day = row.at.slice(0, 10);
  const search = f.search.trim().toLowerCase();
  return (
    (search === "" || row.text.toLowerCase().includes(search)) &&
    (f.action === "" || actionWords(row.action) === f.action) &&
    (f.from === "" || day >= f.from) &&
    (f.to === "" || day <= f.to)
  );
}

/** Text sizes the console offers (the root font size, px): the default reads at arm's length, the
 *  largest across a room (a dashboard row's text at about 48 px). */
export const TEXT_SIZES = [16, 20, 24, 30, 38, 48];
const TEXT_SIZE_KEY = "textSize";

/** The text size kept for this computer's screen, or the default. */
export function textSize(): number {
  const kept = Number(localStorage.getItem(TEXT_SIZE_KEY));
  return TEXT_SIZES.includes(kept) ? kept : 20;
}

/** One step larger (+1) or smaller (-1), or the default (0); applied and kept. */
export function stepTextSize(step: -1 | 0 | 1): number {
  const now = TEXT_SIZES.indexOf(textSize());
  const next = step === 0 ? 20 : TEXT_SIZES[Math.min(TEXT_SIZES.length - 1, Math.max(0, now + step))];
  localStorage.setItem(TEXT_SIZE_KEY, String(next));
  document.documentElement.style.fontSize = `${next}px`;
  return next;
}

