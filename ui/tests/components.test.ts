import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Access, Employee, EnrollmentTicket } from "../src/lib/api";

const ALL: Access = {
  enroll: true,
  manage_employees: true,
  sessions: true,
  logout: true,
  verify: true,
  lost_phone: true,
  recover: true,
  recovery_exempt: true,
  recoveries: true,
  clear_recovery_hold: true,
  audit: true,
  staff: true,
  remove_employees: true,
  desks: true,
  kiosk_only: false,
};

const api = vi.hoisted(() => ({
  listEmployees: vi.fn(),
  startEnrollment: vi.fn(),
  reportLost: vi.fn(),
  logoutEmployee: vi.fn(),
  waitEnrolled: vi.fn(),
  cancelWait: vi.fn(),
  previewImport: vi.fn(),
  importEmployees: vi.fn(),
  connect: vi.fn(),
  startLocalServer: vi.fn(),
  addApplication: vi.fn(),
  startRecovery: vi.fn(),
  recoveryStatus: vi.fn(),
  recoveryTicket: vi.fn(),
  startVerification: vi.fn(),
  finishVerification: vi.fn(),
}));
vi.mock("../src/lib/api", async (orig) => ({ ...(await orig<typeof import("../src/lib/api")>()), api }));

import Employees from "../src/components/Employees.svelte";
import Enrollment from "../src/components/Enrollment.svelte";
import ImportCsv from "../src/components/ImportCsv.svelte";
import Recover from "../src/components/Recover.svelte";
import Setup from "../src/components/Setup.svelte";

const ann: Employee = {
  id: 1, name: "Ann Lee", email: "ann@corp.example", employee_number: "E1", department: "Sales", notes: "",
  token: "t1", state: "enrolled", link_expires_at: null, enrolled_at: "2026-01-01T00:00:00Z",
  phone_kind: "passkey", phone_synced: true,
  created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z", version: 1, edited_by: "Dana",
};
const bob: Employee = {
  ...ann, id: 2, name: "Bob", email: "", employee_number: "E2", token: "t2", state: "not_enrolled", enrolled_at: null,
  phone_kind: null, phone_synced: null,
};
const ticket = (): EnrollmentTicket => ({
  employee_id: 2, name: "Bob", email: "", register_url: "http://127.0.0.1:1/register/x", qr_png: "data:image/png;base64,AA==",
  expires_at: new Date(Date.now() + 600_000).toISOString(), expires_in_seconds: 600,
});

afterEach(cleanup);

beforeEach(() => {
  Object.values(api).forEach((f) => f.mockReset());
  api.cancelWait.mockResolvedValue(undefined);
});

describe("Employees", () => {
  it("lists employees with their state in words and enrolls from a row", async () => {
    api.listEmployees.mockResolvedValue([ann, bob]);
    api.startEnrollment.mockResolvedValue(ticket());
    const onenroll = vi.fn();
    render(Employees, { access: ALL, onenroll, onerror: vi.fn() });
    await waitFor(() => expect(screen.getAllByTestId("employee-row")).toHaveLength(2));
    const states = screen.getAllByTestId("enrollment-state").map((e) => e.textContent);
    expect(states).toEqual(["Enrolled", "Not enrolled"]);
    // Only the enrolled employee's phone kind is shown.
    expect(screen.getAllByTestId("phone-kind").map((e) => e.textContent)).toEqual(["Web phone (passkey, synced)"]);
    await fireEvent.click(screen.getByRole("button", { name: "Enroll Bob's phone" }));
    await waitFor(() => expect(onenroll).toHaveBeenCalledWith(expect.objectContaining({ employee_id: 2 })));
    expect(api.startEnrollment).toHaveBeenCalledWith(2);
  });

  it("asks before removing and reports errors it cannot handle", async () => {
    api.listEmployees.mockResolvedValue([bob]);
    const onerror = vi.fn();
    api.startEnrollment.mockRejectedValue({ code: "server_unreachable", message: "Cannot reach", action: "Check it" });
    render(Employees, { access: ALL, onenroll: vi.fn(), onerror });
    await waitFor(() => screen.getByTestId("employee-row"));
    await fireEvent.click(screen.getByTestId("remove"));
    expect(screen.getByTestId("confirm-remove").textContent).toContain("Remove Bob?");
    // The safe choice has the focus, and removing offers no "don't ask again".
    expect(document.activeElement).toBe(screen.getByTestId("confirm-remove-no"));
    expect(screen.queryByTestId("confirm-remove-dont-ask")).toBeNull();
    await fireEvent.click(screen.getByTestId("confirm-remove-no"));
    await fireEvent.click(screen.getByTestId("enroll"));
    await waitFor(() => expect(onerror).toHaveBeenCalledWith(expect.objectContaining({ code: "server_unreachable" })));
  });
});

describe("Dangerous actions", () => {
  beforeEach(() => localStorage.clear());

  it("phone lost asks every time, naming the employee and what happens", async () => {
    api.listEmployees.mockResolvedValue([ann]);
    api.reportLost.mockResolvedValue(ticket());
    const onenroll = vi.fn();
    render(Employees, { access: ALL, onenroll, onerror: vi.fn() });
    await waitFor(() => screen.getByTestId("employee-row"));
    await fireEvent.click(screen.getByTestId("lost-phone"));
    const dialog = screen.getByTestId("confirm-lost");
    expect(dialog.textContent).toContain("Ann");
    expect(dialog.textContent).toContain("stops working at once");
    expect(screen.queryByTestId("confirm-lost-dont-ask")).toBeNull();
    expect(api.reportLost).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByTestId("confirm-lost-yes"));
    await waitFor(() => expect(onenroll).toHaveBeenCalled());
    expect(api.reportLost).toHaveBeenCalledTimes(1);
  });

  it("log out everywhere asks until told not to, and Settings can bring the question back", async () => {
    api.listEmployees.mockResolvedValue([ann]);
    api.logoutEmployee.mockResolvedValue(2);
    render(Employees, { access: ALL, onenroll: vi.fn(), onerror: vi.fn() });
    await waitFor(() => screen.getByTestId("employee-row"));
    await fireEvent.click(screen.getByTestId("logout-everywhere"));
    expect(screen.getByTestId("confirm-logout-everywhere").textContent).toContain("Every session Ann");
    await fireEvent.click(screen.getByTestId("confirm-logout-everywhere-dont-ask"));
    await fireEvent.click(screen.getByTestId("confirm-logout-everywhere-yes"));
    await waitFor(() => expect(api.logoutEmployee).toHaveBeenCalledTimes(1));
    await fireEvent.click(screen.getByTestId("logout-everywhere"));
    expect(screen.queryByTestId("confirm-logout-everywhere")).toBeNull();
    await waitFor(() => expect(api.logoutEmployee).toHaveBeenCalledTimes(2));
    expect(localStorage.getItem("confirmLogoutEverywhere")).toBe("no");
  });
});

describe("Enrollment", () => {
  it("shows the QR code and countdown, then Enrolled the moment the phone binds", async () => {
    let bind: (v: string) => void = () => {};
    api.waitEnrolled.mockReturnValue(new Promise((r) => (bind = r)));
    const onenrolled = vi.fn();
    render(Enrollment, { ticket: ticket(), onenrolled });
    expect(screen.getByTestId("qr").getAttribute("alt")).toContain("Bob");
    expect(screen.getByTestId("countdown").textContent).toMatch(/^(10:00|9:5\d)$/);
    bind("enrolled");
    await waitFor(() => expect(screen.getByTestId("enroll-status").textContent).toContain("Enrolled"));
    expect(onenrolled).toHaveBeenCalled();
  });

  it("says so when the link expires", async () => {
    api.waitEnrolled.mockResolvedValue("expired");
    render(Enrollment, { ticket: ticket() });
    await waitFor(() => expect(screen.getByTestId("enroll-status").textContent).toContain("expired"));
  });
});

describe("ImportCsv", () => {
  it("shows each row's problems and refuses to import a file with any", async () => {
    api.previewImport.mockResolvedValue({
      rows: [
        { line: 2, employee: { name: "Ann", email: "", employee_number: "E1", department: "", notes: "" }, errors: [] },
        { line: 3, employee: { name: "", email: "x", employee_number: "", department: "", notes: "" }, errors: ["Name is required"] },
      ],
      valid: 1,
      invalid: 1,
    });
    render(ImportCsv, { ondone: vi.fn(), oncancel: vi.fn() });
    const input = screen.getByTestId("import-file") as HTMLInputElement;
    const file = new File(["name\nAnn\n\n"], "people.csv", { type: "text/csv" });
    await fireEvent.change(input, { target: { files: [file] } });
    await waitFor(() => expect(screen.getByTestId("import-summary").textContent).toContain("1 ready, 1 with errors"));
    expect(screen.getByText("Name is required")).toBeTruthy();
    expect((screen.getByTestId("import-commit") as HTMLButtonElement).disabled).toBe(true);
  });
});

describe("Setup", () => {
  it("shows what went wrong and what to do", async () => {
    api.startLocalServer.mockRejectedValue({ code: "local_server", message: "The local server could not start", action: "Restart the console." });
    render(Setup, { onconnected: vi.fn() });
    await fireEvent.click(screen.getByTestId("start-local"));
    await waitFor(() => expect(screen.getByTestId("setup-error").textContent).toContain("Restart the console."));
  });
});

describe("Recover", () => {
  const lost: Employee = { ...ann, state: "lost" };
  const status = (state: "waiting" | "approved") => ({
    recovery_id: "r1", user_id: "t1", state, requested_by: "Hal", requested_at: "2026-01-01T00:00:00Z",
    reason: "phone stolen", check: "id_seen_at_desk" as const, evidence: "second_staff", approver: "Bea",
    approved_at: state === "approved" ? new Date().toISOString() : null,
    answer_by: new Date(Date.now() + 60_000).toISOString(),
    usable_until: state === "approved" ? new Date(Date.now() + 600_000).toISOString() : null,
    link_issued_at: null, verification_code: null,
  });

  it("asks a colleague, waits for their answer, then shows the code", async () => {
    api.startRecovery.mockResolvedValue(status("waiting"));
    api.recoveryStatus.mockResolvedValue(status("approved"));
    api.recoveryTicket.mockResolvedValue(ticket());
    const onticket = vi.fn();
    render(Recover, { employee: lost, onticket, onclose: vi.fn() });
    // A stopped phone cannot approve a verification: that choice is off, and says why.
    expect((screen.getByTestId("recover-by-verification") as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByText(/their phone is stopped/)).toBeTruthy();
    await fireEvent.input(screen.getByTestId("recover-approver"), { target: { value: " Bea " } });
    await fireEvent.input(screen.getByTestId("recover-reason"), { target: { value: "phone stolen" } });
    await fireEvent.click(screen.getByTestId("recover-ask"));
    await waitFor(() => expect(screen.getByTestId("recover-status").textContent).toContain("Waiting for Bea"));
    expect(api.startRecovery).toHaveBeenCalledWith(1, { kind: "second_staff", approver: "Bea" }, "id_seen_at_desk", "phone stolen");
    await waitFor(() => expect(screen.getByTestId("recover-status").textContent).toContain("✓ Approved by Bea"), { timeout: 3000 });
    await fireEvent.click(screen.getByTestId("recover-show-code"));
    await waitFor(() => expect(onticket).toHaveBeenCalledWith(expect.objectContaining({ employee_id: 2 })));
    expect(api.recoveryTicket).toHaveBeenCalledWith(1, "r1");
  });

  it("says why the server refused and keeps the form", async () => {
    api.startRecovery.mockRejectedValue({
      code: "recovery_on_hold", message: "recoveries of this employee are on hold", action: "Ask an admin to look at the hold.",
    });
    render(Recover, { employee: lost, onticket: vi.fn(), onclose: vi.fn() });
    await fireEvent.input(screen.getByTestId("recover-approver"), { target: { value: "Bea" } });
    await fireEvent.input(screen.getByTestId("recover-reason"), { target: { value: "phone stolen" } });
    await fireEvent.click(screen.getByTestId("recover-ask"));
    await waitFor(() => expect(screen.getByTestId("recover-error").textContent).toContain("on hold"));
    expect(screen.getByTestId("recover-ask")).toBeTruthy();
    expect(api.recoveryTicket).not.toHaveBeenCalled();
  });
});
