// The web phone's service worker: shows a sign-in request pushed by the server (Web Push) and opens
// it when tapped; keeps the app's shell so it opens without a network (it then says it is offline),
// and never caches the API (requests and sessions are always live).
const SHELL = "iampass-phone-v1";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((c) => c.addAll(["/phone/", "/phone/manifest.webmanifest"])));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/phone/api/")) {
    return;
  }
  // Network first, so an update arrives at once; the cached shell only when offline.
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(SHELL).then((c) => c.put(event.request, copy));
        }
        return response;
      })
      .catch(() => caches.match(event.request).then((hit) => hit || caches.match("/phone/"))),
  );
});

self.addEventListener("push", (event) => {
  let login = {};
  try {
    login = event.data ? event.data.json() : {};
  } catch {
    // Not ours, or damaged: still say something, since a push must show a notification.
  }
  const title =
    login.purpose === "verification"
      ? "The help desk is verifying your identity"
      : login.application_name
        ? `Sign in to ${login.application_name}?`
        : "IAMPASS sign-in request";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: "Tap to approve or deny.",
      tag: login.session_id || "iampass-request",
      icon: "/phone/icon-192.png",
      requireInteraction: true,
      data: { url: `/phone/#request=${encodeURIComponent(login.session_id || "")}` },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "/phone/";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((open) => {
      const app = open.find((c) => new URL(c.url).pathname.startsWith("/phone/"));
      if (app) return app.focus().then((c) => c.navigate(url));
      return self.clients.openWindow(url);
    }),
  );
});
