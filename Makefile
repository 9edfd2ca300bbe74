# Zhaoxi: the two commands are `make run` and `make test` (see README.md).
# Every recipe line runs in bash with pipefail: a command that fails inside a pipe fails the target.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
UV ?= uv
VENV := .venv
BIN := $(VENV)/bin
# requirements.lock: what production runs (the Docker image installs only this one).
# requirements-dev.lock: tests, linters and tools on top of it (pinned to the same versions).
LOCKS := requirements.lock requirements-dev.lock
STAMP := $(VENV)/.installed-$(shell cat $(LOCKS) | sha1sum | cut -c1-12)
PYTEST_WORKERS ?= 2
PIP_QUIET := --quiet --disable-pip-version-check --no-warn-script-location
# Where SQLite and the filesystem Celery broker live (portal.settings reads the same variable).
VAR_DIR := $(or $(ZHAOXI_VAR_DIR),var)
# Production values for the deployment checks: the services named here are never connected to.
DEPLOY_ENV := DJANGO_DEBUG= DJANGO_READ_DOT_ENV_FILE=false \
	DJANGO_SECRET_KEY=check-deploy-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
	DJANGO_ALLOWED_HOSTS=portal.example.cn \
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/zhaoxi} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0}

.PHONY: install run test test-random lint bench lock messages clean check-deploy

install: $(STAMP)

$(STAMP): $(LOCKS)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the locked dependencies into $(VENV) ..."
	$(BIN)/python -m pip install $(PIP_QUIET) --require-hashes -r requirements.lock -r requirements-dev.lock
	@$(BIN)/python -c "import django, celery, allauth, pytest, time_machine"
	@rm -f $(VENV)/.installed-* && touch $@

# The demo committee's phone (ZHAOXI_COMMUNITY_PHONE; set it empty to hide the "call" tile and the number).
run: install
	@mkdir -p $(VAR_DIR)/celery-broker/queue $(VAR_DIR)/celery-broker/processed $(VAR_DIR)/celery-broker/control
	@test -f .env || { echo "DJANGO_DEBUG=true" > .env; echo "Wrote .env (DJANGO_DEBUG=true): plain manage.py commands run in development mode in this checkout."; }
	DJANGO_DEBUG=true $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=true $(BIN)/python manage.py seed_demo
	@echo ""
	@echo "Serving the portal at http://127.0.0.1:8000 with a Celery worker and beat (Ctrl-C stops all three)."
	DJANGO_DEBUG=true ZHAOXI_COMMUNITY_PHONE="$${ZHAOXI_COMMUNITY_PHONE-0513-8359 1234}" \
		PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho --procfile Procfile.dev start

# The suite in PYTEST_WORKERS processes, in file order; an idle process takes tests from a busy one
# (worksteal), so that a long browser or fault module at the end does not leave the other waiting.
test: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# The suite once in one process, in a random order. pytest-randomly prints its seed at the top: replay
# that order with `make test-random PYTEST_ARGS=--randomly-seed=N`.
test-random: install
	$(BIN)/python -m pytest -p no:xdist -p randomly $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint templates --lint
	DJANGO_DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

bench: install
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

messages: install
	DJANGO_DEBUG=true $(BIN)/python manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=var
	DJANGO_DEBUG=true $(BIN)/python manage.py compilemessages --ignore=.venv

check-deploy: install
	$(DEPLOY_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING

# Regenerate both locks from pyproject.toml (needs uv: `pip install uv`, or UV=/path/to/uv). Versions
# already in the locks are kept unless you add --upgrade: `make lock UV_ARGS=--upgrade`. The dev lock
# holds only what production does not need, constrained to the production lock's versions.
lock:
	$(UV) pip compile pyproject.toml --generate-hashes --python-version 3.11 --quiet \
		--custom-compile-command "make lock" $(UV_ARGS) -o requirements.lock
	$(UV) pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 --quiet \
		--custom-compile-command "make lock" $(UV_ARGS) -c requirements.lock \
		$$(sed -n 's/^\([A-Za-z0-9_.-]*\)==.*/--no-emit-package \1/p' requirements.lock) \
		-o requirements-dev.lock

clean:
	rm -rf $(VENV) var .pytest_cache
