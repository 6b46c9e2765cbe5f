import { describe, expect, it } from "vitest";
import { auditOutcome, countdown, enrollmentLabel, phoneLabel, secondsUntil, verifyReason } from "../src/lib/format";

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
