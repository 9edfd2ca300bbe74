"""Project-wide guarantees: migrations match the models, the Chinese interface is complete, production
installs only what it runs, and the tools that keep the house style are wired into CI."""

import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


@pytest.mark.django_db
def test_no_model_changes_without_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def _entries(po_text: str):
    """Yield (msgid, msgstr-or-plurals, flags) from a .po file, without a third-party parser."""
    import re

    blocks = po_text.split("\n\n")
    for block in blocks:
        lines = [ln for ln in block.strip().splitlines() if ln and not ln.startswith("#~")]
        flags = " ".join(ln for ln in lines if ln.startswith("#,"))
        body = "\n".join(ln for ln in lines if not ln.startswith("#"))
        m = re.search(r'^msgid ((?:".*"\n?)+)', body, re.M)
        if not m:
            continue
        msgid = "".join(re.findall(r'"(.*)"', m.group(1)))
        ctx = re.search(r'^msgctxt ((?:".*"\n?)+)', body, re.M)
        if ctx:
            msgid = "".join(re.findall(r'"(.*)"', ctx.group(1))) + "\x04" + msgid
        strs = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', body, re.M)
        values = ["".join(re.findall(r'"(.*)"', s)) for s in strs]
        yield msgid, values, flags


def test_chinese_translation_is_complete():
    text = PO.read_text(encoding="utf-8")
    missing = [
        msgid for msgid, values, flags in _entries(text) if msgid and (not all(values) or "fuzzy" in flags)
    ]
    assert not missing, f"{len(missing)} untranslated or fuzzy strings in {PO.name}, e.g. {missing[:10]}"


def test_compiled_catalogue_matches_the_source():
    """django.mo (what Django reads) says what django.po says: `make messages` was run after editing."""
    import gettext

    mo = PO.with_suffix(".mo")
    assert mo.exists(), "run `make messages` to compile the catalogue"
    with mo.open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    stale = [
        msgid
        for msgid, values, flags in _entries(PO.read_text(encoding="utf-8"))
        if msgid
        and len(values) == 1
        and values[0]
        and "fuzzy" not in flags
        and catalogue.gettext(_unescape(msgid)) != _unescape(values[0])
    ]
    assert not stale, (
        f"django.mo is out of date for {len(stale)} strings, e.g. {stale[:5]}: run `make messages`"
    )


def _unescape(s: str) -> str:
    import re

    table = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: table.get(m.group(1), m.group(0)), s)


# --- dependencies, the image and CI ----------------------------------------------------------------

PROD_LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
DEV_TOOLS = {
    "pytest",
    "pytest-django",
    "pytest-xdist",
    "pytest-randomly",
    "time-machine",
    "factory-boy",
    "faker",
    "playwright",
    "aiohttp",
    "axe-playwright-python",
    "ruff",
    "djlint",
    "honcho",
    "pypdf",
}


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked(path: Path) -> dict[str, str]:
    """{package: version} of a lock written by `make lock`, checking that every pin carries a hash."""
    pins = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", path.read_text(encoding="utf-8")):
        m = re.match(r"([A-Za-z0-9][A-Za-z0-9_.-]*)==(\S+)", block)
        if m:
            assert "--hash=sha256:" in block, f"{path.name}: {m.group(1)} is pinned without a hash"
            pins[_canon(m.group(1))] = m.group(2)
    assert pins, f"no pins in {path.name}"
    return pins


def _declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    def names(reqs):
        return {_canon(re.match(r"[A-Za-z0-9_.-]+", r).group(0)) for r in reqs}

    return names(project["dependencies"]), names(project["optional-dependencies"]["dev"])


def test_the_production_lock_holds_no_development_tools():
    prod = _locked(PROD_LOCK)
    assert not DEV_TOOLS & prod.keys(), (
        f"requirements.lock pins development tools: {sorted(DEV_TOOLS & prod.keys())}"
    )
    runtime, dev = _declared()
    assert runtime <= prod.keys(), f"not locked: {sorted(runtime - prod.keys())}: run `make lock`"
    assert not dev & prod.keys() - runtime


def test_the_dev_lock_adds_the_tools_on_top_of_the_production_lock():
    prod, dev_pins = _locked(PROD_LOCK), _locked(DEV_LOCK)
    _, dev = _declared()
    assert dev <= dev_pins.keys(), f"not locked: {sorted(dev - dev_pins.keys())}: run `make lock`"
    # One pin per package across both files (pip refuses a package pinned twice), so the tests run on
    # exactly the versions production runs.
    assert not prod.keys() & dev_pins.keys(), sorted(prod.keys() & dev_pins.keys())


def test_unused_dependencies_are_dropped():
    runtime, dev = _declared()
    assert "django-redis" not in runtime | dev | _locked(PROD_LOCK).keys() | _locked(DEV_LOCK).keys()
    sources = [
        p
        for d in ("portal", "events", "elders", "youth", "deliberation", "employment")
        for p in (ROOT / d).rglob("*.py")
    ]
    assert not [p for p in sources if "django_redis" in p.read_text(encoding="utf-8")]


def _instructions(dockerfile: str) -> list[str]:
    text = re.sub(r"\\\n", " ", dockerfile)
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def test_the_image_installs_only_the_production_lock():
    steps = _instructions((ROOT / "Dockerfile").read_text(encoding="utf-8"))
    installs = [s for s in steps if re.search(r"\bpip3? install\b", s)]
    assert installs, "the Dockerfile installs nothing"
    for step in installs:
        assert "--require-hashes" in step and "-r requirements.lock" in step, step
        assert "requirements-dev" not in step and "--extra" not in step, step
    assert not [s for s in steps if "requirements-dev.lock" in s]
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert "requirements-dev.lock" in ignored and "tests" in ignored


def test_make_install_fails_loudly_when_pip_fails(tmp_path):
    """The install recipe once piped pip through `grep ... || true`: a failed install went on as a success."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    fake = venv / "bin" / "python"
    fake.write_text(
        '#!/bin/sh\nif [ "$1" = "-m" ] && [ "$2" = "pip" ]; then echo "ERROR: no matching distribution" >&2; exit 1; fi\n'
        "exit 0\n"
    )
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "install", f"VENV={venv}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0, result.stdout + result.stderr
    assert "no matching distribution" in result.stderr
    assert not list(venv.glob(".installed-*")), "a failed install was stamped as done"


def _recipe(target: str) -> str:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    m = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n?)+)", makefile, re.M)
    assert m, f"no {target} target in the Makefile"
    return m.group(1)


def test_ci_keeps_the_house_style_and_runs_the_suite_in_random_order():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for target in ("lint", "check-deploy", "test", "test-random"):
        assert re.search(rf"\bmake {re.escape(target)}\s*$", ci, re.M), f".ci/run does not run make {target}"
    lint = _recipe("lint")
    for tool in ("ruff check", "ruff format --check", "djlint templates --lint", "makemigrations --check"):
        assert tool in lint, f"make lint does not run {tool}"
    deploy = _recipe("check-deploy")
    assert "check --deploy --fail-level WARNING" in deploy
    random_order = _recipe("test-random")
    assert "-p randomly" in random_order and "-p no:xdist" in random_order
    assert "set -euo pipefail" in ci


def test_the_filesystem_brokers_files_are_not_in_the_checkout():
    assert not (ROOT / "control").exists(), "kombu's control folder is in the checkout: remove it"
    assert "/control/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()
