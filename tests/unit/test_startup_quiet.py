"""Starting the app prints no dependency's deprecation notices."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_creating_the_app_warns_about_nothing():
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c",
         "from app import create_app; create_app('config.TestConfig')"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "deprecated" not in done.stderr.lower(), done.stderr
