"""The house plan's promises that no import contract can state."""
import shutil
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


def lint_copy(tmp_path, extra_import=None):
    """lint-imports over a copy of app/, with one import added to one module."""
    shutil.copytree(ROOT / "app", tmp_path / "app",
                    ignore=shutil.ignore_patterns("__pycache__", "static", "templates"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    if extra_import:
        module, line = extra_import
        with open(tmp_path / module, "a") as source:
            source.write(f"\n{line}  # noqa\n")
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(lint), "--no-cache"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)


def test_the_house_plan_holds_today(tmp_path):
    done = lint_copy(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_model_that_imports_a_job_breaks_the_layers(tmp_path):
    done = lint_copy(tmp_path, ("app/models/label.py", "from app.jobs import runtime"))
    assert done.returncode == 1
    assert "app.models is not allowed to import app.jobs" in done.stdout


def test_an_import_circle_between_siblings_breaks_the_contract(tmp_path):
    # the release rules import presaves.record; presaves importing releases closes a circle
    done = lint_copy(tmp_path, ("app/presaves/wrapper.py", "from app.releases import state"))
    assert done.returncode == 1
    assert "No import circles anywhere under app/ BROKEN" in done.stdout


def test_the_platform_table_imports_nothing_of_app_so_the_models_may_read_it(tmp_path):
    done = lint_copy(tmp_path, ("app/platform_table.py", "from app.models import base"))
    assert done.returncode == 1
    assert "app.platform_table is not allowed to import app.models" in done.stdout


def test_no_test_module_imports_from_another_test_module():
    """Shared fixtures and helpers live in conftest.py's plugins, not in other tests."""
    borrowing = [f"{path.relative_to(ROOT)}: {line.strip()}"
                 for path in (ROOT / "tests").rglob("*.py")
                 for line in path.read_text().splitlines()
                 if line.startswith("from tests.") and ".test_" in line.split(" import ")[0]]
    assert borrowing == []
