"""The fan pages in Portuguese (Brazil), Japanese and Arabic, as a phone's browser set to each
asks for them: every state a fan lands on, the details step, the privacy notice and the fan's own
page speak the language with no English sentence left (checked against every message the English
catalogue holds), fit the phone with the first platform in the first screen, pass axe-core, and
Arabic reads right to left.

Screenshots go to test-results/screens/ (git-ignored) and /tmp/presave-screens/languages/.
"""
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.e2e.accessibility import blocking_violations
from tests.e2e.screens import FAN_STATES, FIRST_ACTION, VIEWPORTS, shoot as shoot_to

LOOK_HERE = Path("/tmp/presave-screens/languages")
TRANSLATIONS = Path(__file__).resolve().parents[2] / "app" / "translations"
LANGUAGES = {"pt-BR": "pt_BR", "ja": "ja", "ar": "ar"}
STATES = {**FAN_STATES, "artist": ("/s/marlow-shore", None),
          "privacy": ("/s/aurora-vale/privacy", None), "me": ("/s/aurora-vale/me", None)}
SIZE = "iphone-13"
pytestmark = pytest.mark.usefixtures("served_here")


def _translated_differently(code):
    """The English of every message ``code`` translates differently."""
    with (TRANSLATIONS / code / "LC_MESSAGES" / "fan.po").open("rb") as handle:
        catalog = read_po(handle)
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.id and not set(ids) & set(strings):
            yield from ids


def english_left_over(code):
    """The English sentences a page in ``code`` must not show anywhere: the literal runs of
    those messages (placeholders and markup cut out), long enough not to be a name."""
    runs = set()
    for english in _translated_differently(code):
        for run in re.split(r"%\(\w+\)[sd]|<[^>]+>|[“”\"]", english):
            run = run.strip(" .,:;!?()·—")
            if len(run) >= 8 and " " in run:
                runs.add(run)
    return runs


def english_labels(code):
    """The short English messages (a pill, a button, a unit) a label must not be exactly."""
    return {english for english in _translated_differently(code)
            if "%(" not in english and "{" not in english}


LABELS = ".pill, .pbtn-action, .pbtn-text small, .unit, button, label, h1, h2, .cta, summary"


def shown_words(page):
    """What a person reads or hears: the visible text, the labels, alts and titles, and the
    words the page's script shows later (data-done, data-copied, data-prompt, data-failed)."""
    return page.evaluate("""() => [document.body.innerText, document.title,
        ...Array.from(document.querySelectorAll(
          '[aria-label],[alt],[title],[data-done],[data-copied],[data-prompt],[data-failed]'),
          el => ['aria-label', 'alt', 'title', 'data-done', 'data-copied', 'data-prompt',
                 'data-failed'].map(name => el.getAttribute(name)).filter(Boolean).join('\\n'))
        ].join('\\n')""")


def shown_labels(page):
    return set(page.locator(LABELS).evaluate_all("els => els.map(el => el.innerText.trim())"))


def problems_on(page, tag, live_server, actionable=True):
    viewport, problems = VIEWPORTS[SIZE], []
    words = shown_words(page)
    left = sorted(run for run in english_left_over(LANGUAGES[tag]) if run in words)
    left += sorted(shown_labels(page) & english_labels(LANGUAGES[tag]))
    if left:
        problems.append(f"English left: {left}")
    if page.evaluate("document.documentElement.scrollWidth") > viewport["width"]:
        problems.append("the page scrolls sideways")
    if page.locator("html").get_attribute("lang") != tag:
        problems.append(f"lang={page.locator('html').get_attribute('lang')}")
    if actionable:
        box = page.locator(FIRST_ACTION).first.bounding_box()
        if box is None or box["y"] + box["height"] > viewport["height"] or box["x"] < 0 \
                or box["x"] + box["width"] > viewport["width"]:
            problems.append(f"the first platform action is outside the first screen: {box}")
    problems += [f"axe: {v}" for v in blocking_violations(page)]
    return problems


@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize("tag", list(LANGUAGES))
def test_every_state_speaks_the_browser_s_language(open_page, live_server, tag, state):
    path, agent = STATES[state]
    page = open_page(SIZE, agent, locale=tag)
    assert page.goto(live_server + path).status == 200
    page.wait_for_load_state("networkidle")
    shoot_to(page, f"{tag}-{state}", LOOK_HERE)
    actionable = state not in ("artist", "privacy", "me")
    assert problems_on(page, tag, live_server, actionable) == []


@pytest.mark.parametrize("tag", list(LANGUAGES))
def test_the_details_step_speaks_it_too(open_page, live_server, tag):
    page = open_page(SIZE, locale=tag)
    page.goto(live_server + STATES["presave"][0])
    page.locator("button[name=platform][value=spotify]").click()
    page.locator("h1.step-title").wait_for()
    shoot_to(page, f"{tag}-details", LOOK_HERE)
    assert problems_on(page, tag, live_server, actionable=False) == []
    assert page.locator("#f-email").bounding_box()["y"] < VIEWPORTS[SIZE]["height"]


def test_arabic_reads_right_to_left(open_page, live_server):
    page = open_page(SIZE, locale="ar")
    page.goto(live_server + STATES["presave"][0])
    assert page.locator("html").get_attribute("dir") == "rtl"
    row = page.locator(".buttons .pbtn").first
    icon, text = (row.locator(s).bounding_box() for s in (".pbtn-icon", ".pbtn-text"))
    assert icon["x"] > text["x"], "the brand's badge leads on the right"
    assert page.evaluate("getComputedStyle(document.querySelector('.presave-form')).direction") \
        == "rtl"
    english = open_page(SIZE, locale="en-GB")
    english.goto(live_server + STATES["presave"][0])
    row = english.locator(".buttons .pbtn").first
    icon, text = (row.locator(s).bounding_box() for s in (".pbtn-icon", ".pbtn-text"))
    assert icon["x"] < text["x"]


def test_the_menu_s_choice_beats_the_browser_and_stays(open_page, live_server):
    page = open_page(SIZE, locale="ja")
    page.goto(live_server + STATES["presave"][0])
    assert page.locator("html").get_attribute("lang") == "ja"
    page.locator(".lang-menu summary").click()
    page.get_by_role("link", name="Português (Brasil)").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "pt-BR"
    page.goto(live_server + "/s/aurora-vale")
    assert page.locator("html").get_attribute("lang") == "pt-BR"


def test_the_english_check_catches_english(open_page, live_server):
    """The check above can fail: the same page in English shows the sentences it looks for."""
    page = open_page(SIZE, locale="en-GB")
    page.goto(live_server + STATES["presave"][0])
    assert any(problem.startswith("English left") for problem in
               problems_on(page, "ja", live_server))
