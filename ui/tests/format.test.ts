import { describe, expect, it } from "vitest";
import { actionWords, ago, auditMatches, auditOutcome, countdown, enrollmentLabel, phoneLabel, secondsUntil, sessionWords, tileTone, verifyReason } from "../src/lib/format";

describe("format", () => {
  it("counts down in minutes and seconds, never below zero", () => {
    expect(countdown(545)).toBe("9:05");
    expect(countdown(59.9)).toBe("0:59");
    expect(countdown(-3)).toBe("0:00");
  });

  it("measures time left to an instant", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(secondsUntil("2026-01-01T00:01:30Z", now)).toBe(90);
    expect(secondsUntil("2025-12-31T23:59:00Z", now)).toBe(0);
  });

  it("labels every enrollment state in words with a tone", () => {
    expect(enrollmentLabel("enrolled")).toEqual({ text: "Enrolled", tone: "ok" });
    expect(enrollmentLabel("link_issued").text).toBe("Link issued");
    expect(enrollmentLabel("lost")).toEqual({ text: "Phone lost", tone: "warn" });
    expect(enrollmentLabel("not_enrolled").tone).toBe("idle");
  });

  it("says why a verification failed in words, the push cap included", () => {
    expect(verifyReason("wrong_code", "failed")).toBe("the code typed on the phone was wrong");
    expect(verifyReason("too_many_pushes", "failed")).toMatch(/paused.*push-fatigue/);
    expect(verifyReason("too_many_verifications", "failed")).toMatch(/verification pushes.*paused.*push-fatigue/);
    expect(verifyReason(null, "timeout")).toBe("timeout");
    expect(verifyReason("something_new", "failed")).toBe("something new");
  });

  it("labels server audit statuses with words and a tone", () => {
    expect(auditOutcome(200)).toEqual({ text: "Done", tone: "ok" });
    expect(auditOutcome(401)).toEqual({ text: "Refused (401)", tone: "warn" });
    expect(auditOutcome(429)).toEqual({ text: "Rate limited", tone: "warn" });
    expect(auditOutcome(404)).toEqual({ text: "Failed (404)", tone: "warn" });
  });
});

describe("phoneLabel", () => {
  it("names the kind and whether a passkey is synced", () => {
    expect(phoneLabel("passkey", true)).toBe("Web phone (passkey, synced)");
    expect(phoneLabel("passkey", false)).toBe("Web phone (passkey, this phone only)");
    expect(phoneLabel("passkey", null)).toBe("Web phone (passkey)");
    expect(phoneLabel("app", null)).toBe("Authenticator app");
    expect(phoneLabel(null, null)).toBe("");
  });
});

describe("the dashboard's words", () => {
  const now = Date.parse("2026-12-01T12:00:00Z");
  it("says how long ago, or how soon, in plain words", () => {
    expect(ago("2026-12-01T11:59:50Z", now)).toBe("just now");
    expect(ago("2026-12-01T11:58:00Z", now)).toBe("2 min ago");
    expect(ago("2026-12-01T09:00:00Z", now)).toBe("3 h ago");
    expect(ago("2026-12-01T12:30:00Z", now)).toBe("in 30 min");
    expect(ago(null, now)).toBe("—");
  });

  it("names what became of a session the way the help desk says it", () => {
    expect(sessionWords({ status: "pending", reason: null, purpose: "login" }).text).toBe("Waiting for the phone");
    expect(sessionWords({ status: "identifying", reason: null, purpose: "login" }).text).toBe("Confirming on the phone");
    expect(sessionWords({ status: "cancelled", reason: "denied", purpose: "login" }).text).toBe("Refused on the phone");
    expect(sessionWords({ status: "cancelled", reason: "logout", purpose: "login" }).text).toBe("Cancelled by the application");
    expect(sessionWords({ status: "active", reason: null, purpose: "verification" }).text).toBe("Verified on the phone");
    expect(sessionWords({ status: "closed", reason: "phone_logout", purpose: "login" })).toEqual({ text: "Logged out on the phone", tone: "idle" });
  });

  it("colours a tile only when its count means something", () => {
    expect(tileTone("failed", 0)).toBe("idle");
    expect(tileTone("failed", 2)).toBe("warn");
    expect(tileTone("active", 3)).toBe("ok");
  });
});

describe("the audit logs' words", () => {
  it("names the same action the same way in both logs", () => {
    expect(actionWords("issue_link")).toBe(actionWords("device_registration_link"));
    expect(actionWords("report_lost_device")).toBe(actionWords("lost_user_mobile_device"));
    expect(actionWords("logout_everywhere")).toBe(actionWords("logout_user"));
    expect(actionWords("add_employee")).toBe(actionWords("add_users"));
    expect(actionWords("something_new")).toBe("something new");
  });

  it("filters by words, action and day", () => {
    const row = { at: "2026-12-01T09:00:00Z", action: "logout_user", text: "Hal Ann Lee 10.0.0.7" };
    const none = { search: "", action: "", from: "", to: "" };
    expect(auditMatches(row, none)).toBe(true);
    expect(auditMatches(row, { ...none, search: "ann" })).toBe(true);
    expect(auditMatches(row, { ...none, search: "bob" })).toBe(false);
    expect(auditMatches(row, { ...none, action: "Logged out everywhere" })).toBe(true);
    expect(auditMatches(row, { ...none, action: "Employee added" })).toBe(false);
    expect(auditMatches(row, { ...none, from: "2026-12-01", to: "2026-12-01" })).toBe(true);
    expect(auditMatches(row, { ...none, from: "2026-12-02" })).toBe(false);
  });
});
