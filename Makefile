# One Makefile for developers and CI. Every target builds what it needs first, so on a fresh clone
# `make demo` and `make test` need nothing else.
#
# Installs come from uv.lock, a committed lock of every direct and transitive dependency with
# hashes (docs/install.md says why uv). uv itself is pinned with hashes in requirements/uv.txt and
# installed with pip into .tools/ (pip --target: no virtual environment to create for one binary);
# it never downloads a Python (the machine's python3 is used).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
TOOLS  ?= .tools
UV     ?= $(TOOLS)/bin/uv
DEMO_EXTRAS := --extra aws --extra azure --extra gcp --extra demo

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
SYNC := $(UV) sync --frozen --python $(PYTHON)

.PHONY: install install-demo demo test test-fast lint catalog bench lock lock-check wheel-check vendor-check mutate clean

$(UV): requirements/uv.txt
	rm -rf $(TOOLS)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --require-hashes --target $(TOOLS) -r requirements/uv.txt
	touch $(UV)

# The developer environment: runtime, every extra and the test and lint tools.
install: | $(UV)
	$(SYNC) --quiet --extra dev

# Only what `cspm demo` needs (runtime + aws, azure, gcp, demo). --inexact keeps a developer
# environment's extra tools when both are used.
install-demo: | $(UV)
	$(SYNC) --quiet --inexact $(DEMO_EXTRAS)

demo: install-demo
	$(BIN)/cspm demo

test: install
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not e2e"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

catalog: install
	$(BIN)/python -m cspm.catalog docs

bench: install
	$(BIN)/python -m bench.run

# Re-resolve every dependency to its newest allowed version.
lock: | $(UV)
	$(UV) lock --upgrade

# Fails when uv.lock no longer matches pyproject.toml (CI runs it).
lock-check: | $(UV)
	$(UV) lock --check

# The wheel as a user gets it: built, installed with the locked versions into a clean virtual
# environment, then `cspm --version` and `cspm demo` from an empty directory.
wheel-check: | $(UV)
	rm -rf build/wheel-check dist
	$(UV) build --wheel --out-dir dist --python $(PYTHON) --quiet
	$(UV) export --frozen --quiet --no-emit-project $(DEMO_EXTRAS) -o build/wheel-check/requirements.txt
	$(UV) venv --quiet --python $(PYTHON) build/wheel-check/venv
	VIRTUAL_ENV=build/wheel-check/venv $(UV) pip install --quiet --require-hashes -r build/wheel-check/requirements.txt
	VIRTUAL_ENV=build/wheel-check/venv $(UV) pip install --quiet --no-deps dist/cspm-*.whl
	mkdir -p build/wheel-check/run
	cd build/wheel-check/run && ../venv/bin/cspm --version && ../venv/bin/cspm demo --quiet

# The graph layout library vendored into the HTML report (docs/html-report.md): re-fetches the
# pinned npm tarball, checks its sha256 and that the committed dagre.min.js is the one it ships.
VENDOR := cspm/reporting/templates/vendor
DAGRE_VERSION := 3.1.4
vendor-check:
	rm -rf build/vendor && mkdir -p build/vendor
	curl -fsSL -o build/vendor/dagre-$(DAGRE_VERSION).tgz https://registry.npmjs.org/@dagrejs/dagre/-/dagre-$(DAGRE_VERSION).tgz
	tar -xzf build/vendor/dagre-$(DAGRE_VERSION).tgz -C build/vendor package/dist/dagre.min.js
	cp build/vendor/package/dist/dagre.min.js build/vendor/dagre.min.js
	cd build/vendor && sha256sum -c $(CURDIR)/$(VENDOR)/SHA256SUMS
	cmp build/vendor/dagre.min.js $(VENDOR)/dagre.min.js

# Mutation testing of the condition evaluator and the permission evaluator ([tool.mutmut] in
# pyproject.toml: cspm/iam/conditions.py and cspm/iam/evaluate.py against tests/iam). About
# 20-25 min on 2 shared cores. Then `$(BIN)/mutmut show NAME` shows a surviving mutant.
mutate: install
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2 > /dev/null
	$(BIN)/python -m bench.mutation_score --survivors

clean:
	rm -rf $(VENV) $(TOOLS) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache mutants
