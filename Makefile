# `make run`: set up and start web + worker + cron on the embedded defaults.
# `make test`: set up and run the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := run

.PHONY: run test fuzz setup dev-setup browser caddy sentinel init demo clean translations

$(BIN)/python:
	$(shell command -v $(PYTHON) || echo python3) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.req-stamp: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-stamp: requirements-dev.txt $(VENV)/.req-stamp
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# The fan pages' languages: each catalogue compiled when its words change.
CATALOGUES := $(wildcard app/translations/*/LC_MESSAGES/fan.po)

%/LC_MESSAGES/fan.mo: %/LC_MESSAGES/fan.po | $(VENV)/.req-stamp
	$(BIN)/pybabel -q compile --statistics -D fan -i $< -o $@

setup: $(VENV)/.req-stamp $(CATALOGUES:.po=.mo)

dev-setup: setup $(VENV)/.dev-stamp browser caddy sentinel

# After changing fan-facing words: extract them into fan.pot and update every catalogue.
# `make translations NEW=xx` starts the catalogue of a new language first.
translations: setup
	$(BIN)/pybabel -q extract -F app/translations/babel.cfg --no-location --project=Presave \
	  --sort-output --add-comments=Translators: -o app/translations/fan.pot .
	$(if $(NEW),$(BIN)/pybabel -q init -D fan -i app/translations/fan.pot -d app/translations -l $(NEW))
	$(BIN)/pybabel -q update -D fan -i app/translations/fan.pot -d app/translations \
	  --no-fuzzy-matching --ignore-obsolete

# Browser tests drive Debian's Chromium; install it when missing.
browser:
	@command -v /usr/bin/chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The Caddy test runs deploy/Caddyfile with Debian's caddy; install it when missing.
caddy:
	@command -v caddy >/dev/null 2>&1 || { \
	  echo "Installing Debian's caddy for the TLS proxy test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq caddy >/dev/null; }

# The failover test runs a Redis Sentinel set-up with Debian's redis-sentinel; install it when missing.
sentinel:
	@command -v redis-sentinel >/dev/null 2>&1 || { \
	  echo "Installing Debian's redis-sentinel for the failover test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-sentinel >/dev/null; }

init: setup
	LOG_LEVEL=WARNING $(BIN)/flask --app run init

demo: init
	LOG_LEVEL=WARNING $(BIN)/flask --app run demo --if-empty

run: demo
	$(BIN)/python run.py

# The layers and the no-circles rule of .importlinter first: a broken one stops the run.
# The suite runs in PYTEST_WORKERS processes, a test module in one of them (--dist loadfile:
# module-scoped servers such as Caddy or a Sentinel set stay in one process).
PYTEST_WORKERS ?= 2
test: dev-setup
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile tests

# The API against its OpenAPI description with many more examples per operation than `make test`.
fuzz: dev-setup
	API_FUZZ_EXAMPLES=300 $(BIN)/python -m pytest -q tests/integration/test_api_schema.py

clean:
	rm -rf $(VENV)
