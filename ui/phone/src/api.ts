// The web phone's calls to its server (same origin). Types come from the Rust wire structs
// (ts-rs, ../../src/lib/types), so the two sides cannot drift.
import type { Ceremony } from "../../src/lib/types/Ceremony";
import type { EnrollInfo } from "../../src/lib/types/EnrollInfo";
import type { PendingRequests } from "../../src/lib/types/PendingRequests";
import type { PhoneInfo } from "../../src/lib/types/PhoneInfo";
import type { PhoneSignedIn } from "../../src/lib/types/PhoneSignedIn";
import type { SessionReply } from "../../src/lib/types/SessionReply";
import type { DeviceSessions } from "../../src/lib/types/DeviceSessions";
import type { PushKey } from "../../src/lib/types/PushKey";
import type { PushState } from "../../src/lib/types/PushState";
import { createPasskey, fromBase64url, usePasskey } from "./webauthn";

export type { EnrollInfo, PhoneInfo, PendingRequests, DeviceSessions };
export type { LoginRequest } from "../../src/lib/types/LoginRequest";
export type { SessionSummary } from "../../src/lib/types/SessionSummary";

const TOKEN_KEY = "iampass.phone";

/** An error from the server, with its stable code and its reason as a sentence fit to show. */
export class PhoneError extends Error {
  constructor(readonly code: string, reason: string, readonly status: number) {
    super(sentence(reason));
  }
}

/** The server's reasons are clauses ("this link has expired; ask for a new one"): show sentences. */
export function sentence(s: string): string {
  const t = s.trim();
  return t.charAt(0).toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".");
}

export function savedToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function forgetToken(): void {
  localStorage.removeItem(TOKEN_KEY);
}

async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  const token = savedToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(`/phone/api/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new PhoneError("offline", "The server cannot be reached. Check the phone's connection.", 0);
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new PhoneError(data.error ?? "error", data.reason ?? `The server answered ${res.status}.`, res.status);
  return data as T;
}

function signedIn(s: PhoneSignedIn): PhoneInfo {
  localStorage.setItem(TOKEN_KEY, s.phone_token);
  return s.phone;
}

export const enrollInfo = (token: string) => call<EnrollInfo>("GET", `enroll/${encodeURIComponent(token)}`);

/** Makes the passkey and binds it: the phone is enrolled and signed in. */
export async function enroll(token: string): Promise<PhoneInfo> {
  const path = `enroll/${encodeURIComponent(token)}`;
  const c = await call<Ceremony>("POST", `${path}/options`, {});
  const credential = await createPasskey(c.options as Record<string, any>);
  return signedIn(await call<PhoneSignedIn>("POST", path, { ticket: c.ticket, credential }));
}

/** Finds this phone by its passkey (an installed app starts with no storage of its own). */
export async function signIn(): Promise<PhoneInfo> {
  const c = await call<Ceremony>("POST", "sign-in/options", {});
  const credential = await usePasskey(c.options as Record<string, any>);
  return signedIn(await call<PhoneSignedIn>("POST", "sign-in", { ticket: c.ticket, credential }));
}

export const me = () => call<PhoneInfo>("GET", "me");
/** Waits up to `wait` s for the waiting logins to differ from `known` (the ones shown). */
export const requests = (wait: number, known: string[], signal?: AbortSignal) =>
  call<PendingRequests>("GET", `requests?wait=${wait}&known=${known.map(encodeURIComponent).join(",")}`, undefined, signal);
export const sessions = () => call<DeviceSessions>("GET", "sessions");
export const logout = (id: string) => call<SessionReply>("POST", `sessions/${encodeURIComponent(id)}/logout`);
export const deny = (id: string, fraud: boolean) => call<SessionReply>("POST", `requests/${encodeURIComponent(id)}/deny`, { fraud });

/** Approves one login: the typed code is checked first, then the passkey answers the challenge. */
export async function approve(id: string, code: string | null): Promise<SessionReply> {
  const path = `requests/${encodeURIComponent(id)}`;
  const c = await call<Ceremony>("POST", `${path}/options`, { code });
  const credential = await usePasskey(c.options as Record<string, any>);
  return call<SessionReply>("POST", `${path}/approve`, { ticket: c.ticket, credential });
}

export const pushState = () => call<PushState>("GET", "push");

/** Whether this browser can receive Web Push at all (iOS: only in the installed app). */
export function canPush(): boolean {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

/** Asks to show notifications, subscribes with the server's VAPID key and registers the subscription. */
export async function enableNotifications(): Promise<PushState> {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") {
    throw new PhoneError("not_allowed", "Notifications are blocked for this site; allow them in the browser's site settings", 0);
  }
  await navigator.serviceWorker.register("/phone/sw.js", { scope: "/phone/" });
  const registration = await navigator.serviceWorker.ready;
  const key = await call<PushKey>("GET", "push/key");
  let subscription: PushSubscription;
  try {
    subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: fromBase64url(key.vapid_public_key),
    });
  } catch (e) {
    throw new PhoneError("push_unavailable", `The browser's push service cannot be reached (${e instanceof Error ? e.message : e})`, 0);
  }
  return call<PushState>("PUT", "push", subscription.toJSON());
}
