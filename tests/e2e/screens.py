"""Screenshots of the browser tests, kept in test-results/screens/ (git-ignored) to look at."""
import shutil
from pathlib import Path

SCREENS = Path(__file__).resolve().parents[2] / "test-results" / "screens"
VIEWPORTS = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 800},
             "iphone-se": {"width": 375, "height": 667}, "iphone-13": {"width": 390, "height": 844},
             "wide": {"width": 1440, "height": 900}}
PHONES = ("iphone-se", "iphone-13")


def shoot(page, name, copy_to):
    """A full-page screenshot as test-results/screens/<name>.png, copied to ``copy_to``.

    ``copy_to`` is a folder (kept name) or a file path.
    """
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    copy_to = Path(copy_to)
    if copy_to.suffix != ".png":
        copy_to.mkdir(parents=True, exist_ok=True)
        copy_to = copy_to / path.name
    shutil.copy(path, copy_to)
    return path
