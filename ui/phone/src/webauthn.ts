// WebAuthn between the server's JSON (binary fields as base64url, as WebAuthn's JSON forms define)
// and the browser's credential API, which wants and returns ArrayBuffers. Written out rather than
// using PublicKeyCredential.parseCreationOptionsFromJSON, which older iOS versions lack.

export function fromBase64url(s: string): ArrayBuffer {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

export function toBase64url(buf: ArrayBuffer | null): string {
  if (!buf) return "";
  let bin = "";
  for (const b of new Uint8Array(buf)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

type Json = Record<string, any>;

function withIds(list: Json[] | undefined): Json[] | undefined {
  return list?.map((c) => ({ ...c, id: fromBase64url(c.id) }));
}

/** A credential as WebAuthn's JSON form has it, with its response's fields already encoded. */
function credentialJson(cred: PublicKeyCredential, response: Json): Json {
  return {
    id: cred.id,
    rawId: toBase64url(cred.rawId),
    type: cred.type,
    response,
    extensions: cred.getClientExtensionResults(),
  };
}

/** Makes a passkey from the server's creation options; resolves to the JSON the server reads. */
export async function createPasskey(options: Json): Promise<Json> {
  const pk = options.publicKey;
  const publicKey: PublicKeyCredentialCreationOptions = {
    ...pk,
    challenge: fromBase64url(pk.challenge),
    user: { ...pk.user, id: fromBase64url(pk.user.id) },
    excludeCredentials: withIds(pk.excludeCredentials),
  };
  const cred = (await navigator.credentials.create({ publicKey })) as PublicKeyCredential | null;
  if (!cred) throw new DOMException("no passkey was made", "NotAllowedError");
  const r = cred.response as AuthenticatorAttestationResponse;
  return credentialJson(cred, {
    attestationObject: toBase64url(r.attestationObject),
    clientDataJSON: toBase64url(r.clientDataJSON),
    transports: r.getTransports?.() ?? [],
  });
}

/** Answers the server's request options with a passkey; resolves to the JSON the server reads. */
export async function usePasskey(options: Json): Promise<Json> {
  const pk = options.publicKey;
  const publicKey: PublicKeyCredentialRequestOptions = {
    ...pk,
    challenge: fromBase64url(pk.challenge),
    allowCredentials: withIds(pk.allowCredentials),
  };
  const cred = (await navigator.credentials.get({ publicKey, mediation: options.mediation })) as PublicKeyCredential | null;
  if (!cred) throw new DOMException("no passkey answered", "NotAllowedError");
  const r = cred.response as AuthenticatorAssertionResponse;
  return credentialJson(cred, {
    authenticatorData: toBase64url(r.authenticatorData),
    clientDataJSON: toBase64url(r.clientDataJSON),
    signature: toBase64url(r.signature),
    userHandle: r.userHandle ? toBase64url(r.userHandle) : null,
  });
}

export function hasWebAuthn(): boolean {
  return typeof window.PublicKeyCredential === "function" && !!navigator.credentials;
}

/** What a failed passkey prompt means for the person, in words. */
export function promptError(e: unknown): string {
  const name = e instanceof DOMException ? e.name : "";
  switch (name) {
    case "NotAllowedError":
      return "The passkey prompt was cancelled or timed out, or the phone could not check it was you. Try again.";
    case "InvalidStateError":
      return "This phone already has a passkey for this account. Ask the help desk for a new code.";
    case "SecurityError":
      return "This page is not on the server's own address, so the phone refused to use a passkey here.";
    case "NotSupportedError":
      return "This browser cannot make the kind of passkey needed. Use the phone's own browser (Safari or Chrome).";
    default:
      return e instanceof Error ? e.message : String(e);
  }
}
