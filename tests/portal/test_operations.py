"""Operations files: docker-compose.yml, the Dockerfile, Procfile.dev, the Makefile and the README."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_runs_postgres_redis_web_worker_and_beat_with_health_checks():
    services = _compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no health check"
    assert "gunicorn" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "portal", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "portal", "beat"]
    assert "/health/" in " ".join(services["web"]["healthcheck"]["test"])


def test_compose_configures_every_portal_process_with_the_same_settings_by_environment():
    services = _compose()["services"]
    environments = [services[name]["environment"] for name in ("migrate", "web", "worker", "beat")]
    assert all(env == environments[0] for env in environments)
    env = environments[0]
    assert env["DJANGO_SETTINGS_MODULE"] == "portal.settings"
    assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert env["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?"), (
        "compose must refuse to run without a key"
    )
    assert "DJANGO_DEBUG" not in env
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_dockerfile_installs_the_lock_and_collects_static_files():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert "pip install --require-hashes -r requirements.lock" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    assert re.search(r"^USER \w+", dockerfile, re.MULTILINE), "the image must not run as root"
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", "var", ".git", ".env"} <= set(ignored)


def test_make_run_serves_web_worker_and_beat_after_seeding():
    procfile = dict(
        line.split(":", 1)
        for line in (ROOT / "Procfile.dev").read_text(encoding="utf-8").splitlines()
        if line
    )
    assert set(procfile) == {"web", "worker", "beat"}
    assert "127.0.0.1:8000" in procfile["web"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    run = makefile.split("\nrun:")[1].split("\n\n")[0]
    assert "migrate" in run and "seed_demo" in run and "honcho" in run


def test_readme_documents_every_setting_read_from_the_environment():
    settings_py = (ROOT / "portal" / "settings.py").read_text(encoding="utf-8")
    names = set(
        re.findall(r"""(?:env(?:\.\w+)?|os\.environ\.get)\(\s*["']([A-Z][A-Z0-9_]+)["']""", settings_py)
    )
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= names
    names = {name for name in names if not name.startswith("PYTEST_")}  # set by the test runner itself
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert not missing, f"README.md's settings table lacks {missing}"


def test_readme_quick_start_is_exactly_make_run_and_make_test():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start")[1].split("```sh")[1].split("```")[0]
    commands = [line.split("#")[0].strip() for line in quick.strip().splitlines()]
    assert commands == ["make run", "make test"]
