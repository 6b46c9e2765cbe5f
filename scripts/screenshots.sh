#!/usr/bin/env bash
# Saves a screenshot of each screen to docs/screenshots/ (the README shows them), all at 1280x800
# for the console and a phone's size for the web phone: the real console under Xvfb through the
# end-to-end suite, the web phone in Chromium through its suite, plus the states only the browser
# tests reach (the number-matching code), from the built UI in Chromium with the IPC mocked.
set -euo pipefail
cd "$(dirname "$0")/.."
export IAMPASS_SCREENSHOTS="$PWD/docs/screenshots"
(cd ui && npm run build && npm run test:browser)
tests/webphone/run
exec tests/e2e/run "$@"
