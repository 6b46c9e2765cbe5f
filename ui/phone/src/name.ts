// The employee's own name, as the help desk's console put it in the registration link's fragment
// (`#name=…`), which browsers never send to a server. It is kept on this phone only, by user id,
// so the phone can say whose account it enrolls and approves for; the server only knows the id.

const NAME_KEY = "iampass.names";

/** What the link's address gives: the code (from `/phone/enroll/CODE` or `#enroll=CODE`) and the name. */
export function fromLink(loc: Location): { token: string | null; name: string | null } {
  const hash = new URLSearchParams(loc.hash.slice(1));
  const path = /^\/phone\/enroll\/([^/]+)$/.exec(loc.pathname);
  const token = path ? decodeURIComponent(path[1]) : hash.get("enroll");
  const name = (hash.get("name") ?? "").trim().slice(0, 100);
  return { token, name: name === "" ? null : name };
}

function all(): Record<string, string> {
  try {
    const v = JSON.parse(localStorage.getItem(NAME_KEY) ?? "{}");
    return v && typeof v === "object" ? v : {};
  } catch {
    return {};
  }
}

export function remember(userId: string, name: string): void {
  localStorage.setItem(NAME_KEY, JSON.stringify({ ...all(), [userId]: name }));
}

/** The name to show for a user id: the one kept here, else what the server gave, else the id. */
export function shown(userId: string, serverName?: string | null): string {
  return all()[userId] ?? serverName ?? userId;
}
