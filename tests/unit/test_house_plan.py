"""The house plan's promises that no import contract can state."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_config_imports_on_its_own_without_app():
    script = ("import sys, config; "
              "loaded = sorted(m for m in sys.modules if m == 'app' or m.startswith('app.')); "
              "print(loaded)")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
