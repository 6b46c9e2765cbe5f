// The one module that talks to Rust. Every command is typed with the structs ts-rs generates from
// the Rust code (src/lib/types), so the two sides cannot drift.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { getCurrentWindow } from "@tauri-apps/api/window";
import type { AppCreated } from "./types/AppCreated";
import type { AuditEntry } from "./types/AuditEntry";
import type { DashboardPage } from "./types/DashboardPage";
import type { DashboardRow } from "./types/DashboardRow";
import type { MonitorEvent } from "./types/MonitorEvent";
import type { SessionStatus } from "./types/SessionStatus";
import type { VerifyResult } from "./types/VerifyResult";
import type { VerifyStarted } from "./types/VerifyStarted";
import type { ServerAuditPage } from "./types/ServerAuditPage";
import type { ServerAuditRow } from "./types/ServerAuditRow";
import type { Alert } from "./types/Alert";
import type { ConnectionStatus } from "./types/ConnectionStatus";
import type { Employee } from "./types/Employee";
import type { EmployeeQuery } from "./types/EmployeeQuery";
import type { EnrollmentOutcome } from "./types/EnrollmentOutcome";
import type { EnrollmentTicket } from "./types/EnrollmentTicket";
import type { ImportPreview } from "./types/ImportPreview";
import type { NewEmployee } from "./types/NewEmployee";
import type { UiError } from "./types/UiError";
import type { Access } from "./types/Access";
import type { RecoveryCheck } from "./types/RecoveryCheck";
import type { RecoveryEvidence } from "./types/RecoveryEvidence";
import type { RecoveryHistory } from "./types/RecoveryHistory";
import type { RecoveryStatus } from "./types/RecoveryStatus";
import type { EmployeePage } from "./types/EmployeePage";
import type { SmtpSettings } from "./types/SmtpSettings";
import type { SignInPrompt } from "./types/SignInPrompt";
import type { StaffEnrollment } from "./types/StaffEnrollment";
import type { StaffRole } from "./types/StaffRole";
import type { StaffSelf } from "./types/StaffSelf";
import type { StaffSummary } from "./types/StaffSummary";
import type { TeamStatus } from "./types/TeamStatus";
import type { DeskListing } from "./types/DeskListing";

export type {
  Alert,
  DashboardPage,
  DashboardRow,
  MonitorEvent,
  SessionStatus,
  VerifyResult,
  VerifyStarted,
  ServerAuditPage,
  ServerAuditRow,
  AppCreated,
  AuditEntry,
  ConnectionStatus,
  Employee,
  EmployeeQuery,
  EnrollmentOutcome,
  EnrollmentTicket,
  ImportPreview,
  NewEmployee,
  UiError,
  Access,
  EmployeePage,
  SmtpSettings,
  SignInPrompt,
  StaffEnrollment,
  StaffRole,
  StaffSelf,
  TeamStatus,
  DeskListing,
  StaffSummary,
  RecoveryCheck,
  RecoveryHistory,
  RecoveryStatus,
};

/** Any failure as a UiError: Rust sends one; anything else (IPC broken) is wrapped. */
export function asUiError(e: unknown): UiError {
  if (e && typeof e === "object" && "code" in e && "message" in e && "action" in e) return e as UiError;
  return { code: "internal", message: String(e), action: "Restart the console; if it happens again, report it." };
}

/** Runs an action, handing a failure to `onerror` as a UiError; `undefined` when it failed. */
export async function attempt<T>(f: () => Promise<T>, onerror: (e: UiError) => void): Promise<T | undefined> {
  try {
    return await f();
  } catch (e) {
    onerror(asUiError(e));
    return undefined;
  }
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asUiError(e);
  }
}

export const api = {
  status: () => call<ConnectionStatus>("status"),
  connect: (serverUrl: string, applicationId: string, secret: string) =>
    call<ConnectionStatus>("connect", { serverUrl, applicationId, secret }),
  addApplication: (serverUrl: string, adminToken: string, name: string) =>
    call<AppCreated>("add_application", { serverUrl, adminToken, name }),
  startLocalServer: () => call<ConnectionStatus>("start_local_server"),
  /** Staff sign in with their phones on this server; no secret is asked for or kept. */
  useStaffSignIn: (serverUrl: string, applicationId: string) =>
    call<ConnectionStatus>("use_staff_sign_in", { serverUrl, applicationId }),
  switchToStaffSignIn: () => call<ConnectionStatus>("switch_to_staff_sign_in"),
  /** Sends the push to the staff member's phone; with number matching, the code to choose there. */
  startSignIn: (name: string) => call<SignInPrompt>("start_sign_in", { name }),
  /** Waits for the phone's answer; signed in on approval. */
  finishSignIn: () => call<ConnectionStatus>("finish_sign_in"),
  signOut: () => call<ConnectionStatus>("sign_out"),
  staffList: () => call<StaffSummary[]>("staff_list"),
  addStaff: (name: string, role: StaffRole) => call<StaffEnrollment>("add_staff", { name, role }),
  staffLink: (staffId: string) => call<StaffEnrollment>("staff_link", { staffId }),
  setStaffRole: (staffId: string, role: StaffRole) => call<StaffSummary>("set_staff_role", { staffId, role }),
  removeStaff: (staffId: string) => call<void>("remove_staff", { staffId }),

  /** This desk's standing in the team book (its fingerprint, the book key's). */
  teamStatus: () => call<TeamStatus>("team_status"),
  /** Takes the book key if an admin has approved this desk meanwhile. */
  joinTeam: () => call<TeamStatus>("join_team"),
  teamDesks: () => call<DeskListing[]>("team_desks"),
  /** `fingerprint`: what the other desk shows, which the admin compared. */
  approveDesk: (deskId: string, fingerprint: string) => call<DeskListing>("approve_desk", { deskId, fingerprint }),
  refuseDesk: (deskId: string) => call<void>("refuse_desk", { deskId }),
  /** Rotates the book key without that desk. */
  removeDesk: (deskId: string) => call<void>("remove_desk", { deskId }),

  listEmployees: (query: EmployeeQuery) => call<Employee[]>("list_employees", { query }),
  addEmployee: (employee: NewEmployee) => call<Employee>("add_employee", { employee }),
  /** `version`: the version the form opened, so that a colleague's save meanwhile is noticed. */
  updateEmployee: (id: number, employee: NewEmployee, version: number | null) =>
    call<Employee>("update_employee", { id, employee, version }),
  removeEmployee: (id: number) => call<void>("remove_employee", { id }),
  previewImport: (csv: string) => call<ImportPreview>("preview_import", { csv }),
  importEmployees: (csv: string) => call<Employee[]>("import_employees", { csv }),
  exportEmployees: () => call<string>("export_employees"),
  /** One employee: their phone, recent pushes, and what was done about them. */
  employeePage: (id: number) => call<EmployeePage>("employee_page", { id }),

  startEnrollment: (id: number) => call<EnrollmentTicket>("start_enrollment", { id }),
  waitEnrolled: (id: number, timeoutSeconds: number) =>
    call<EnrollmentOutcome>("wait_enrolled", { id, timeoutSeconds }),
  cancelWait: (id: number) => call<void>("cancel_wait", { id }),
  /** Stops the phone at once; with the application's secret also a new link (staff: a recovery). */
  reportLost: (id: number) => call<EnrollmentTicket | null>("report_lost", { id }),
  /** Asks for a recovery (a new phone for an employee who has or had one), backed by `evidence`. */
  startRecovery: (id: number, evidence: RecoveryEvidence, check: RecoveryCheck, reason: string) =>
    call<RecoveryStatus>("start_recovery", { id, evidence, check, reason }),
  recoveryStatus: (recoveryId: string) => call<RecoveryStatus>("recovery_status", { recoveryId }),
  /** An approved recovery's one link, as the employee's QR code. */
  recoveryTicket: (id: number, recoveryId: string) => call<EnrollmentTicket>("recovery_ticket", { id, recoveryId }),
  recoveryHistory: (id: number) => call<RecoveryHistory>("recovery_history", { id }),
  clearRecoveryHold: (id: number, reason: string) => call<void>("clear_recovery_hold", { id, reason }),
  saveQr: (id: number, registerUrl: string) => call<string>("save_qr", { id, registerUrl }),
  smtpSettings: () => call<SmtpSettings | null>("smtp_settings"),
  /** `password`: a new one, "" to forget it, null to keep it. */
  setSmtpSettings: (settings: SmtpSettings, password: string | null) => call<SmtpSettings>("set_smtp_settings", { settings, password }),
  /** A new link, e-mailed with its QR code to the employee; returns it (the screen shows the same one). */
  emailLink: (id: number) => call<EnrollmentTicket>("email_link", { id }),

  kioskQueue: () => call<Employee[]>("kiosk_queue"),
  kioskPinSet: () => call<boolean>("kiosk_pin_set"),
  setKioskPin: (pin: string) => call<void>("set_kiosk_pin", { pin }),
  checkKioskPin: (pin: string, action: "leave" | "skip") => call<void>("check_kiosk_pin", { pin, action }),
  /** Staff checked the ID: shows the person's code; `replace` replaces a link already sent to them. */
  kioskEnroll: (id: number, pin: string, replace: boolean) => call<EnrollmentTicket>("kiosk_enroll", { id, pin, replace }),

  auditEntries: (limit: number) => call<AuditEntry[]>("audit_entries", { limit }),
  exportAudit: () => call<string>("export_audit"),
  /** The server's own log of management actions, newest first. */
  serverAudit: (cursor: string | null, limit: number) => call<ServerAuditPage>("server_audit", { cursor, limit }),

  dashboardPage: (status: SessionStatus | null, employeeId: number | null, cursor: string | null, limit: number) =>
    call<DashboardPage>("dashboard_page", { status, employeeId, cursor, limit }),
  monitorState: () => call<MonitorEvent>("monitor_state"),
  sessionCounts: () => call<Partial<Record<SessionStatus, number>>>("session_counts"),
  logoutSession: (sessionId: string, employeeId: number | null) => call<void>("logout_session", { sessionId, employeeId }),
  logoutEmployee: (id: number) => call<number>("logout_employee", { id }),
  /** Sends the verification push; with number matching, returns the code to read to the caller. */
  startVerification: (id: number) => call<VerifyStarted>("start_verification", { id }),
  /** Waits for the phone's answer to a verification push. */
  finishVerification: (verificationId: string) => call<VerifyResult>("finish_verification", { verificationId }),
  /** Withdraws the verification push from the phone. */
  cancelVerification: (verificationId: string) => call<void>("cancel_verification", { verificationId }),
  /** After verifying the employee another way: their pushes are no longer held back; `reason` is audited. */
  clearPushCap: (id: number, reason: string) => call<void>("clear_push_cap", { id, reason }),
  /** Live changes from the server's event stream, batched by Rust. */
  onMonitor: (handler: (e: MonitorEvent) => void): Promise<UnlistenFn> => listen<MonitorEvent>("monitor", (e) => handler(e.payload)),

  setFullscreen: async (on: boolean) => {
    try {
      await getCurrentWindow().setFullscreen(on);
    } catch (e) {
      throw asUiError(e);
    }
  },
};

/** Saves an edit; if a colleague saved another version first, hands back theirs (now on this desk) to choose from. */
export async function saveEdit(
  id: number,
  fields: NewEmployee,
  version: number,
): Promise<{ saved: Employee } | { theirs: Employee; message: string }> {
  try {
    return { saved: await api.updateEmployee(id, fields, version) };
  } catch (e) {
    const err = asUiError(e);
    if (err.code !== "edit_conflict") throw err;
    return { theirs: (await api.employeePage(id)).employee, message: err.message };
  }
}
