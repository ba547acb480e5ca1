# The README's two commands: `make demo` and `make test`. Both create .venv and install.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian tools the tests use: pdftoppm / pdffonts / pdftotext render and read the PDF exports;
# chromium drives the browser tests (Playwright with executable_path=/usr/bin/chromium:
# Debian's build, never a downloaded one); postgresql (initdb, pg_ctl) is the catalogue of
# the multi-host store test, started by the test itself in a temporary directory.
SYSDEPS := $(VENV)/.sysdeps

.PHONY: demo test bench lint clean venv

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

# Peers measured by the benchmarks (Ciw, pyworkforce) are not needed by the tests.
$(VENV)/.bench: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $@

$(SYSDEPS):
	@mkdir -p $(VENV)
	@if ! command -v pdftoppm >/dev/null || ! test -x /usr/bin/chromium \
		|| ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils chromium postgresql >/dev/null; \
	fi
	@touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/cca demo

# Three workers, a test file each at a time (a file's tests share its fixtures and order):
# many tests wait on a browser, a server or a subprocess (two workers left a fifth of two
# cores idle), so three files run at once.
test: $(STAMP) $(SYSDEPS)
	$(BIN)/python -m pytest -q -n 3 --dist loadfile

bench: $(VENV)/.bench
	@for f in benchmarks/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

# ruff, and the import contracts of pyproject.toml ([tool.importlinter], docs/architecture.md).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build *.egg-info
