# Zhaoxi: the two commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.lock | cut -c1-12)
PYTEST_WORKERS ?= 2
PIP_QUIET := --quiet --disable-pip-version-check --no-warn-script-location
# Where SQLite and the filesystem Celery broker live (portal.settings reads the same variable).
VAR_DIR := $(or $(ZHAOXI_VAR_DIR),var)

.PHONY: install run test test-fast lint bench lock messages clean check-deploy

install: $(STAMP)

$(STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the locked dependencies into $(VENV) ..."
	@$(BIN)/python -m pip install $(PIP_QUIET) --require-hashes -r requirements.lock 2>&1 | grep -v "is ignored: it is neither" || true
	@$(BIN)/python -c "import django, celery, allauth" 
	@rm -f $(VENV)/.installed-* && touch $@

run: install
	@mkdir -p $(VAR_DIR)/celery-broker/queue $(VAR_DIR)/celery-broker/processed
	@test -f .env || { echo "DJANGO_DEBUG=true" > .env; echo "Wrote .env (DJANGO_DEBUG=true): plain manage.py commands run in development mode in this checkout."; }
	DJANGO_DEBUG=true $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=true $(BIN)/python manage.py seed_demo
	@echo ""
	@echo "Serving the portal at http://127.0.0.1:8000 with a Celery worker and beat (Ctrl-C stops all three)."
	DJANGO_DEBUG=true PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho --procfile Procfile.dev start

test: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/djlint templates --lint
	DJANGO_DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

bench: install
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

messages: install
	DJANGO_DEBUG=true $(BIN)/python manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=var
	DJANGO_DEBUG=true $(BIN)/python manage.py compilemessages --ignore=.venv

check-deploy: install
	DJANGO_SECRET_KEY=check-deploy-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
	DJANGO_ALLOWED_HOSTS=portal.example.cn \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

# Regenerate the lock from pyproject.toml (needs uv: `pip install uv`).
lock:
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache
