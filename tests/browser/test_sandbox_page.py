"""`trainer-bot sandbox` in a real browser: Debian's headless Chromium, driven by Selenium.

One sandbox process (the real CLI: emulator, fake Lavalink node, the bot, the page) serves the whole
module; the tests follow a newcomer's first session in order: /hi, a /train with a CSV through to the
finished job, a chat answer, a correction through the modal, what another member sees, and a recorded
voice message answered in text and spoken in the voice channel.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from speech_support.clips import espeak_wav

T = TypeVar("T")
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
TAUGHT = {
    "what are your opening hours": "We open at nine every morning.",
    "where is the library": "The library is next to the town hall.",
    "who runs the chess club": "Maria runs the chess club on Tuesdays.",
}
DROPPED_EVENT = "Exception occurred in raw event dispatch conduit"

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """The page's address, and the sandbox's log lines so far (checked for dropped events at the end)."""
    home = tmp_path_factory.mktemp("sandbox")
    env = os.environ | {
        "DATA_DIR": str(home / "data"),
        "STT_MODEL": "tiny.en-bundled",  # weights from a registry package: nothing is downloaded
        "TTS_ENGINES": "espeak",  # edge-tts would go to the internet
        "LOG_LEVEL": "INFO",
    }
    for name in ("DISCORD_TOKEN", "DATABASE_URL", "LAVALINK_PASSWORD", "LAVALINK_NODES", "CHAT_MODE"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "trainer_bot", "sandbox", "--port", "0"],
        cwd=home,
        env=env,
        stdout=subprocess.PIPE,
        stderr=(home / "sandbox.log").open("w"),
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # blocks until the page is up, or the process ends
    found = re.search(r"open (http://127\.0\.0\.1:\d+)", first)
    log = home / "sandbox.log"
    assert found, f"no address in {first!r}; log:\n{log.read_text()[-3000:]}"
    lines: list[str] = []
    try:
        yield found.group(1), lines
    finally:
        process.send_signal(signal.SIGINT)
        status = process.wait(timeout=60)
        lines.extend(log.read_text().splitlines())
    assert status == 0, "\n".join(lines[-40:])


@pytest.fixture(scope="module")
def voice_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the browser's (fake) microphone hears: a taught question, spoken by espeak-ng."""
    path = tmp_path_factory.mktemp("mic") / "question.wav"
    path.write_bytes(espeak_wav("What are your opening hours?"))
    return path


@pytest.fixture(scope="module")
def browser(sandbox: tuple[str, list[str]], voice_clip: Path) -> Iterator[webdriver.Chrome]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("install Debian's chromium and chromium-driver (see README, Run the tests)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--window-size=1280,900",
        "--autoplay-policy=no-user-gesture-required",
        "--use-fake-ui-for-media-stream",  # grant the microphone without a prompt
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={voice_clip}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get(sandbox[0])
        wait(driver, lambda: driver.execute_script("return window.sandbox.views") > 0, "the first view")
        yield driver
        if screenshot := os.environ.get("SANDBOX_SCREENSHOT"):  # how the README's picture is made
            driver.save_screenshot(screenshot)
        problems = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert problems == [], problems
    finally:
        driver.quit()
    assert not [line for line in sandbox[1] if DROPPED_EVENT in line or " ERROR " in line]


def wait(driver: webdriver.Chrome, condition: Callable[[], T], what: str, timeout: float = 30) -> T:
    def check(_: object) -> T | None:
        try:
            return condition() or None
        except WebDriverException:
            return None  # the element was re-rendered between finding and reading it

    result: T = WebDriverWait(driver, timeout, poll_frequency=0.2).until(check, f"waited for {what}")
    return result


def messages(driver: webdriver.Chrome) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, "#messages .message")


def count(driver: webdriver.Chrome) -> int:
    return len(messages(driver))


# The page replaces a message's element whenever the message changes (an edit, a new attachment), so
# tests hold message ids and read the current element each time.
def read(driver: webdriver.Chrome, message_id: str, part: Callable[[WebElement], T]) -> T:
    def current() -> T:
        return part(driver.find_element(By.CSS_SELECTOR, f'.message[data-id="{message_id}"]'))

    return wait(driver, lambda: (current(),), f"message {message_id}")[0]


def content(driver: webdriver.Chrome, message_id: str) -> str:
    return read(driver, message_id, lambda m: m.find_element(By.CLASS_NAME, "content").text)


def whole(driver: webdriver.Chrome, message_id: str) -> str:
    return read(driver, message_id, lambda m: m.text)


def after(driver: webdriver.Chrome, start: int, author: str, what: str, timeout: float = 60) -> str:
    """The id of the first finished message by `author` among the messages after the first `start`."""

    def found() -> str | None:
        for message in messages(driver)[start:]:
            if message.get_attribute("data-author") == author and "is thinking" not in message.text:
                return message.get_attribute("data-id")
        return None

    return wait(driver, found, what, timeout)


def run_command(driver: webdriver.Chrome, name: str, fill: Callable[[], None] = lambda: None) -> None:
    """Type /name, pick it from the list, fill its options, send."""
    box = driver.find_element(By.ID, "text")
    box.clear()
    box.send_keys(f"/{name}")
    choice = f'.command-choice[data-command="{name}"]'
    wait(driver, lambda: driver.find_element(By.CSS_SELECTOR, choice), name).click()
    fill()
    driver.find_element(By.ID, "command-send").click()


def say(driver: webdriver.Chrome, text: str) -> None:
    box = driver.find_element(By.ID, "text")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def test_hi_answers_in_the_channel(browser: webdriver.Chrome) -> None:
    before = count(browser)
    run_command(browser, "hi")
    reply = after(browser, before, "trainer-bot", "HI!")
    assert content(browser, reply) == "HI!"
    assert "alice used /hi" in whole(browser, reply)


def test_train_with_a_csv_runs_to_the_finished_job(browser: webdriver.Chrome, tmp_path: Path) -> None:
    data = tmp_path / "faq.csv"
    data.write_text("prompt,response\n" + "".join(f"{q},{a}\n" for q, a in TAUGHT.items()), "utf-8")
    before = count(browser)

    def attach() -> None:
        browser.find_element(By.CSS_SELECTOR, '[data-option="attachment"]').send_keys(str(data))

    run_command(browser, "train", attach)
    job = after(browser, before, "trainer-bot", "the /train reply")
    assert "Only you can see this" in whole(browser, job)
    wait(browser, lambda: "finished" in content(browser, job), "the finished job", 120)
    assert "is now active" in content(browser, job) and "3 prompt/response pairs" in content(browser, job)
    assert "(edited)" in content(browser, job)  # the same message, edited as the job went on
    announcement = after(browser, before + 1, "trainer-bot", "the channel's announcement")
    assert "is live, trained by @alice" in content(browser, announcement)


def test_a_taught_question_gets_its_answer(browser: webdriver.Chrome) -> None:
    before = count(browser)
    say(browser, "What are your opening hours?")
    reply = after(browser, before, "trainer-bot", "a chat answer")
    assert content(browser, reply) == TAUGHT["what are your opening hours"]
    assert "alice: What are your opening hours?" in whole(browser, reply)


def test_a_correction_through_the_modal_is_used_at_once(browser: webdriver.Chrome) -> None:
    before = count(browser)
    say(browser, "who runs the chess club")
    wrong = after(browser, before, "trainer-bot", "the answer to correct")

    def open_menu(message: WebElement) -> bool:
        ActionChains(browser).move_to_element(message).perform()
        message.find_element(By.CLASS_NAME, "apps").click()
        return True

    read(browser, wrong, open_menu)
    browser.find_element(By.CSS_SELECTOR, '.apps-menu [data-command="Correct this reply"]').click()
    field = wait(
        browser,
        lambda: browser.find_element(By.CSS_SELECTOR, "#modal[open] textarea, #modal[open] input"),
        "the modal",
    )
    assert field.get_attribute("value") == TAUGHT["who runs the chess club"]  # pre-filled with my answer
    field.clear()
    field.send_keys("Ivan runs the chess club now, on Thursdays.")
    before = count(browser)
    browser.find_element(By.ID, "modal-submit").click()
    saved = after(browser, before, "trainer-bot", "the correction's confirmation")
    assert content(browser, saved).startswith("Saved.") and "Only you can see this" in whole(browser, saved)

    before = count(browser)
    say(browser, "who runs the chess club?")
    corrected = after(browser, before, "trainer-bot", "the corrected answer")
    assert content(browser, corrected) == "Ivan runs the chess club now, on Thursdays."


def test_another_member_sees_no_ephemeral_answers_and_no_admin_commands(browser: webdriver.Chrome) -> None:
    Select(browser.find_element(By.ID, "member-select")).select_by_visible_text("bob")
    wait(
        browser,
        lambda: any(m.get_attribute("data-author") == "alice" for m in messages(browser)),
        "bob's view",
    )
    assert not browser.find_elements(By.CSS_SELECTOR, ".message.ephemeral")
    box = browser.find_element(By.ID, "text")
    box.send_keys("/")
    listed = {c.get_attribute("data-command") for c in browser.find_elements(By.CLASS_NAME, "command-choice")}
    assert {"hi", "test", "join"} <= listed and "train" not in listed  # Discord hides Manage Server commands
    box.send_keys(Keys.BACKSPACE)


def test_a_recorded_voice_message_is_answered_and_spoken_in_the_voice_channel(
    browser: webdriver.Chrome,
) -> None:
    if not shutil.which("espeak-ng"):
        pytest.fail("espeak-ng is needed (see README)")
    toggle = "button.voice-toggle"
    wait(browser, lambda: browser.find_element(By.CSS_SELECTOR, toggle), "the voice button").click()
    wait(browser, lambda: "Leave voice" in browser.find_element(By.CSS_SELECTOR, toggle).text, "joining")
    before = count(browser)
    browser.find_element(By.ID, "record").click()
    time.sleep(3.5)  # the fake microphone plays the clip (about 1.5 s) on a loop
    browser.find_element(By.ID, "record").click()
    voice = after(browser, before, "bob", "bob's voice message")
    assert "Voice message" in whole(browser, voice)
    reply = after(browser, before + 1, "trainer-bot", "the answer to the voice message", 120)
    assert "I heard" in content(browser, reply) and TAUGHT["what are your opening hours"] in content(
        browser, reply
    )
    heard = wait(
        browser, lambda: browser.execute_script("return window.sandbox.heard"), "the spoken answer", 60
    )
    assert heard[0].startswith("http://127.0.0.1:") and "/audio/" in heard[0]
    wait(
        browser,
        lambda: browser.execute_script("return document.getElementById('speaker').currentTime > 0.5"),
        "the answer playing",
    )
    in_lounge = wait(
        browser, lambda: browser.find_element(By.CSS_SELECTOR, ".voice-members").text, "the Lounge"
    )
    assert "trainer-bot (bot)" in in_lounge and "bob" in in_lounge
