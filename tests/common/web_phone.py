"""A phone for the suites: Debian's Chromium at 390x844 through chromedriver, with WebDriver's
virtual authenticator (CTAP2, internal, resident keys, user verification) as its platform
authenticator, opening the web phone the real server serves. Every wait is bounded."""

import os

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.virtual_authenticator import VirtualAuthenticatorOptions
from selenium.webdriver.support.ui import WebDriverWait

ANDROID = "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36"


class Phone:
    """`phone_url`: the server as the phone opens it (http://localhost:PORT: passkeys refuse IP
    literals); `shots`: where `shot` saves its pictures (as phone-NAME.png)."""

    def __init__(self, phone_url, shots):
        self.phone_url = phone_url
        self.shots = shots
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage"):
            opts.add_argument(arg)
        opts.add_experimental_option("mobileEmulation", {
            "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2}, "userAgent": ANDROID})
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        self.driver.set_page_load_timeout(20)
        va = VirtualAuthenticatorOptions()
        va.protocol = VirtualAuthenticatorOptions.Protocol.CTAP2
        va.transport = VirtualAuthenticatorOptions.Transport.INTERNAL
        va.has_resident_key = True
        va.has_user_verification = True
        va.is_user_verified = True
        va.is_user_consenting = True
        self.driver.add_virtual_authenticator(va)

    def quit(self):
        self.driver.quit()

    def wait(self, predicate, timeout=15):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(lambda d: predicate())

    def all(self, testid):
        return self.driver.find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"]')

    def one(self, testid, timeout=15):
        return self.wait(lambda: (self.all(testid) or [None])[0], timeout)

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    def shot(self, name):
        os.makedirs(self.shots, exist_ok=True)
        self.driver.save_screenshot(os.path.join(self.shots, f"phone-{name}.png"))

    def enroll(self, link, shot=None):
        """Opens the registration link as a phone's camera would and makes the passkey."""
        self.driver.get(link)
        button = self.one("enroll-button")
        if shot:
            self.shot(shot)
        button.click()
        self.one("enrolled")
        assert self.driver.current_url == f"{self.phone_url}/phone/"
