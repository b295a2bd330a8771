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


def last_from(driver: webdriver.Chrome, author: str) -> WebElement | None:
    found = [m for m in messages(driver) if m.get_attribute("data-author") == author]
    return found[-1] if found else None


def text_of(message: WebElement) -> str:
    return message.find_element(By.CLASS_NAME, "content").text


def run_command(driver: webdriver.Chrome, name: str, fill: Callable[[], None] = lambda: None) -> None:
    """Type /name, pick it from the list, fill its options, send."""
    box = driver.find_element(By.ID, "text")
    box.clear()
    box.send_keys(f"/{name}")
    wait(
        driver, lambda: driver.find_element(By.CSS_SELECTOR, f'.command-choice[data-command="{name}"]'), name
    )
    driver.find_element(By.CSS_SELECTOR, f'.command-choice[data-command="{name}"]').click()
    fill()
    driver.find_element(By.ID, "command-send").click()


def say(driver: webdriver.Chrome, text: str) -> None:
    box = driver.find_element(By.ID, "text")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def answer_after(driver: webdriver.Chrome, count_before: int, what: str, timeout: float = 60) -> WebElement:
    """The bot's first finished message after the first `count_before` messages."""

    def found() -> WebElement | None:
        for message in messages(driver)[count_before:]:
            if message.get_attribute("data-author") == "trainer-bot" and "is thinking" not in message.text:
                return message
        return None

    return wait(driver, found, what, timeout)


def test_hi_answers_in_the_channel(browser: webdriver.Chrome) -> None:
    before = len(messages(browser))
    run_command(browser, "hi")
    reply = answer_after(browser, before, "HI!")
    assert text_of(reply) == "HI!"
    assert "alice used /hi" in reply.text


def test_train_with_a_csv_runs_to_the_finished_job(browser: webdriver.Chrome, tmp_path: Path) -> None:
    data = tmp_path / "faq.csv"
    data.write_text("prompt,response\n" + "".join(f"{q},{a}\n" for q, a in TAUGHT.items()), "utf-8")
    before = len(messages(browser))

    def attach() -> None:
        browser.find_element(By.CSS_SELECTOR, '[data-option="attachment"]').send_keys(str(data))

    run_command(browser, "train", attach)
    reply = answer_after(browser, before, "the /train reply")
    assert reply.find_element(By.CLASS_NAME, "ephemeral-note").text == "👁 Only you can see this"

    def finished_job() -> WebElement | None:
        jobs = [m for m in messages(browser)[before:] if "Training job" in text_of(m)]
        return jobs[0] if jobs and "finished" in text_of(jobs[0]) else None

    job = wait(browser, finished_job, "the finished job", 120)
    assert "is now active" in text_of(job) and "3 prompt/response pairs" in text_of(job)
    assert "(edited)" in text_of(job)  # the same message, edited as the job went on


def test_a_taught_question_gets_its_answer(browser: webdriver.Chrome) -> None:
    before = len(messages(browser))
    say(browser, "What are your opening hours?")
    reply = answer_after(browser, before + 1, "a chat answer")
    assert text_of(reply) == TAUGHT["what are your opening hours"]
    assert "alice: What are your opening hours?" in reply.find_element(By.CLASS_NAME, "quote").text


def test_a_correction_through_the_modal_is_used_at_once(browser: webdriver.Chrome) -> None:
    before = len(messages(browser))
    say(browser, "who runs the chess club")
    wrong = answer_after(browser, before + 1, "the answer to correct")
    ActionChains(browser).move_to_element(wrong).perform()
    wrong.find_element(By.CLASS_NAME, "apps").click()
    browser.find_element(By.CSS_SELECTOR, '.apps-menu [data-command="Correct this reply"]').click()
    field = wait(
        browser,
        lambda: browser.find_element(By.CSS_SELECTOR, "#modal[open] textarea, #modal[open] input"),
        "the modal",
    )
    assert field.get_attribute("value") == TAUGHT["who runs the chess club"]  # pre-filled with my answer
    field.clear()
    field.send_keys("Ivan runs the chess club now, on Thursdays.")
    before = len(messages(browser))
    browser.find_element(By.ID, "modal-submit").click()
    saved = answer_after(browser, before, "the correction's confirmation")
    assert text_of(saved).startswith("Saved.") and "Only you can see this" in saved.text

    before = len(messages(browser))
    say(browser, "who runs the chess club?")
    assert text_of(answer_after(browser, before + 1, "the corrected answer")) == (
        "Ivan runs the chess club now, on Thursdays."
    )


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
    browser.find_element(By.CSS_SELECTOR, "button.voice-toggle").click()
    wait(
        browser,
        lambda: "Leave voice" in browser.find_element(By.CSS_SELECTOR, "button.voice-toggle").text,
        "joining",
    )
    before = len(messages(browser))
    browser.find_element(By.ID, "record").click()
    time.sleep(3.5)  # the fake microphone plays the clip (about 1.5 s) on a loop
    browser.find_element(By.ID, "record").click()
    voice = wait(browser, lambda: last_from(browser, "bob"), "bob's voice message")
    assert "Voice message" in voice.text
    reply = answer_after(browser, before + 1, "the answer to the voice message", 120)
    assert "I heard" in text_of(reply) and TAUGHT["what are your opening hours"] in text_of(reply)
    heard = wait(
        browser, lambda: browser.execute_script("return window.sandbox.heard"), "the spoken answer", 60
    )
    assert heard[0].startswith("http://127.0.0.1:") and "/audio/" in heard[0]
    wait(
        browser,
        lambda: browser.execute_script(
            "const s = document.getElementById('speaker'); return s.currentTime > 0.5"
        ),
        "the answer playing",
    )
    bot_in_lounge = browser.find_element(By.CSS_SELECTOR, ".voice-members").text
    assert "trainer-bot (bot)" in bot_in_lounge and "bob" in bot_in_lounge
