import { describe, expect, it } from "vitest";
import { countdown, enrollmentLabel, secondsUntil } from "../src/lib/format";

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
});
