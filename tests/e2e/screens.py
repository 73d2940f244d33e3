"""Screenshots of the browser tests, kept in test-results/screens/ (git-ignored) to look at."""
import shutil
from pathlib import Path

SCREENS = Path(__file__).resolve().parents[2] / "test-results" / "screens"
VIEWPORTS = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 800},
             "iphone-se": {"width": 375, "height": 667}, "iphone-13": {"width": 390, "height": 844},
             "wide": {"width": 1440, "height": 900}}
PHONES = ("iphone-se", "iphone-13")
INSTAGRAM = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Mobile/15E148 Instagram 329.0.3.29.120")
# state -> (path, user agent): the demo's fan pages, one per state a fan can land on
FAN_STATES = {
    "coming-soon": ("/s/neon-tide/coming-soon", None),
    "presave": ("/s/aurora-vale/tonight", None),
    "stream": ("/s/juniper-kites/out-now", None),
    "archived": ("/s/marlow-shore/vault", None),
    "in-app": ("/s/aurora-vale/tonight", INSTAGRAM),
}
# the first thing a fan can act on: a platform row, or before the pre-save opens the ask to
# hear when it does
FIRST_ACTION = ".buttons .pbtn, .notify-button"


def shoot(page, name, copy_to):
    """A full-page screenshot as test-results/screens/<name>.png, copied to ``copy_to``.

    ``copy_to`` is a folder (kept name) or a file path.
    """
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    # A long page (the platform admin's home lists every label the suite made) on a busy
    # machine takes its time.
    page.screenshot(path=str(path), full_page=True, timeout=60_000)
    copy_to = Path(copy_to)
    if copy_to.suffix != ".png":
        copy_to.mkdir(parents=True, exist_ok=True)
        copy_to = copy_to / path.name
    shutil.copy(path, copy_to)
    return path
