"""Starts the real console through tauri-driver (which runs WebKitWebDriver) with a fresh data
folder, and hands tests a Selenium driver plus helpers. One console per test module."""

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.remote.file_detector import UselessFileDetector
from selenium.webdriver.support.ui import WebDriverWait

CONSOLE = os.environ.get("IAMPASS_CONSOLE_BIN", "target/debug/iampass-console")
DEVICE = os.environ.get("IAMPASS_DEVICE_BIN", "target/debug/iampass-device")
SHOTS = os.environ.get("IAMPASS_SCREENSHOTS", os.path.join(os.path.dirname(__file__), ".screenshots"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Console:
    """A running console and what tests need to drive it."""

    def __init__(self, tmp, start_local, extra_env=None):
        self.tmp = tmp
        env = dict(os.environ)
        env.update({
            "IAMPASS_DESK_DATA": os.path.join(tmp, "data"),
            "IAMPASS_DESK_SAVE_DIR": os.path.join(tmp, "saved"),
            "IAMPASS_DESK_SECRET_STORE": "file",
            "IAMPASS_LOG": "warn",
        })
        if start_local:
            env["IAMPASS_DESK_START_LOCAL"] = "1"
        env.update(extra_env or {})
        port, native = free_port(), free_port()
        self.log = open(os.path.join(tmp, "tauri-driver.log"), "w")
        self.driver_proc = subprocess.Popen(
            ["tauri-driver", "--port", str(port), "--native-port", str(native)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        # tauri-driver listens at once but starts WebKitWebDriver behind it; on a cold machine
        # that takes a while, and a session asked for too early is dropped. Wait for both.
        for p in (port, native):
            for _ in range(400):
                try:
                    socket.create_connection(("127.0.0.1", p), timeout=0.1).close()
                    break
                except OSError:
                    time.sleep(0.05)
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": os.path.abspath(CONSOLE)})
        for attempt in range(4):
            try:
                self.driver = webdriver.Remote(command_executor=f"http://127.0.0.1:{port}", options=options)
                break
            except Exception:  # the driver dropped the request while starting: ask again
                if attempt == 3:
                    self.driver_proc.kill()
                    self.driver_proc.wait(timeout=10)
                    self.log.close()
                    raise
                time.sleep(1)
        # The app runs on this machine: a file input takes the local path as typed keys.
        self.driver.file_detector = UselessFileDetector()
        self.driver.set_window_size(1280, 800)
        self.wait = WebDriverWait(self.driver, 20, poll_frequency=0.02)

    def by_id(self, testid, many=False):
        sel = f'[data-testid="{testid}"]'
        return self.driver.find_elements(By.CSS_SELECTOR, sel) if many else self.driver.find_element(By.CSS_SELECTOR, sel)

    def when(self, testid, text=None):
        """Waits until the element exists (and contains `text`), and returns it."""
        def ready(_):
            try:
                el = self.by_id(testid)
                return el if text is None or text in el.text else False
            except WebDriverException:
                return False
        return self.wait.until(ready)

    def click(self, testid):
        self.when(testid).click()

    def shot(self, name):
        # Let the page paint what the test just saw before the snapshot is taken.
        self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 50)));"
        )
        os.makedirs(SHOTS, exist_ok=True)
        self.driver.save_screenshot(os.path.join(SHOTS, f"{name}.png"))

    def quit(self):
        try:
            self.driver.quit()
        finally:
            self.driver_proc.terminate()
            self.driver_proc.wait(timeout=10)
            self.log.close()


@pytest.fixture(scope="module")
def console(request):
    start_local = getattr(request.module, "START_LOCAL", False)
    tmp = tempfile.mkdtemp(prefix="iampass-e2e-")
    c = Console(tmp, start_local, getattr(request.module, "CONSOLE_ENV", None))
    try:
        yield c
    finally:
        c.quit()
        shutil.rmtree(tmp, ignore_errors=True)


def device(*args, timeout=60):
    return subprocess.run([DEVICE, *args], check=True, capture_output=True, text=True, timeout=timeout)
