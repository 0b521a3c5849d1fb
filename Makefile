# The README's two commands: `make demo` and `make test`. Everything else they need is here, so a
# fresh clone on a new machine (or CI) needs nothing done by hand.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUNSHINE := $(BIN)/sunshine
HOST ?= 127.0.0.1
PORT ?= 8000
# Exported so SITE_URL (QR posters, share links, admin links) follows them: sunshine.environment.
export HOST PORT
# Tests run on the embedded default (SQLite) and, when DATABASE_URL is set, again on it.
PYTEST_ARGS ?=

.PHONY: demo test install messages vendor chromium system-packages demo-packages lint js-check migrations-check test-sqlite test-postgres api-schema bench serve clean

# serve prints the address and then the demo logins, last; the task workers' and the
# scheduler's log lines (hundreds while the demo's tasks run) go to var/log/tasks.log.
demo: install vendor demo-packages
	$(SUNSHINE) migrate --noinput
	$(SUNSHINE) collectstatic --noinput -v0
	$(SUNSHINE) seed_demo --no-logins
	$(SUNSHINE) serve --host $(HOST) --port $(PORT) --task-log --logins

test: install vendor chromium lint js-check migrations-check test-sqlite test-postgres api-schema

install: $(VENV)/.installed messages

# The project's own translations (site/locale: what Wagtail's zh-hans lacks) are compiled here,
# on every machine, and never committed. compilemessages runs inside site/ so that it compiles
# only these, not the .po files of the packages under .venv. Needs GNU gettext (msgfmt).
LOCALE_PO := $(wildcard site/locale/*/LC_MESSAGES/*.po)
messages: $(LOCALE_PO:.po=.mo)

site/locale/%.mo: site/locale/%.po $(VENV)/.installed
	@command -v msgfmt >/dev/null || $(MAKE) demo-packages
	cd site && ../$(SUNSHINE) compilemessages -v0

$(VENV)/.installed: pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

# Front-end packages come from npm at build time and are copied where collectstatic finds them.
vendor: var/vendor/.installed

var/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p var/vendor/vendor
	cp node_modules/hls.js/dist/hls.min.js node_modules/hls.js/dist/hls.min.js.map var/vendor/vendor/
	cp node_modules/axe-core/axe.min.js var/vendor/vendor/axe.min.js
	touch $@

# What the build and the tests need from Debian: gettext to compile the translations, Chromium
# for the browser journeys and Lighthouse (Playwright's own browser download cannot work here), a
# Chinese font for QR posters, screenshots and the demo videos' slides, espeak-ng for the demo
# videos' Mandarin narration, unzip and 7-Zip to check that kit bundles' Chinese names open
# everywhere, and LibreOffice (Writer, Impress) and poppler to turn kit materials into preview
# pages. `make demo` needs only gettext, the font and espeak-ng (without the last two every demo
# lesson shows one test pattern). Installed only when missing.
DEBIAN_DEMO_PACKAGES := gettext:/usr/bin/msgfmt fonts-wqy-microhei:/usr/share/fonts/truetype/wqy/wqy-microhei.ttc espeak-ng:/usr/bin/espeak-ng
DEBIAN_TEST_PACKAGES := chromium:/usr/bin/chromium $(DEBIAN_DEMO_PACKAGES) unzip:/usr/bin/unzip p7zip-full:/usr/bin/7z poppler-utils:/usr/bin/pdftoppm libreoffice-writer:/usr/lib/libreoffice/program/swriter libreoffice-impress:/usr/lib/libreoffice/program/simpress

# $(call debian_packages,LIST): apt-get installs the entries (package:file) whose file is missing.
define debian_packages
	@missing=""; for entry in $(1); do \
		test -e "$${entry#*:}" || missing="$$missing $${entry%%:*}"; done; \
	if [ -n "$$missing" ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		echo "== installing from Debian:$$missing"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
endef

chromium system-packages:
	$(call debian_packages,$(DEBIAN_TEST_PACKAGES))

demo-packages:
	$(call debian_packages,$(DEBIAN_DEMO_PACKAGES))

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The hand-written front-end modules: eslint, prettier and their unit tests on node's own runner
# (the beacon's queue and resend logic, the player's choice of source). npm installs the tools.
js-check: vendor
	node_modules/.bin/eslint .
	node_modules/.bin/prettier --check .
	node --test tests/js/

migrations-check: install
	env -u DATABASE_URL $(SUNSHINE) makemigrations --check --dry-run

test-sqlite: install vendor
	env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: install vendor
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "== again on $$DATABASE_URL"; \
		$(BIN)/pytest $(PYTEST_ARGS); \
	else echo "== DATABASE_URL not set: PostgreSQL run skipped"; fi

# Schemathesis' CLI against a throwaway `sunshine serve` (its own migrated SQLite database and
# the sample catalogue): every check, valid and invalid data, 0 failures (tests/api_schema).
api-schema: install
	env -u DATABASE_URL $(BIN)/python -m tests.api_schema.run

serve: install vendor
	$(SUNSHINE) serve --host $(HOST) --port $(PORT)

# Benchmarks load the server with wrk, and the 10-million-play report runs on PostgreSQL.
bench: install vendor
	@command -v wrk >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk; }
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) node_modules var/vendor var/static
