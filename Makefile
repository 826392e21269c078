# libsio: the two commands of the README, and what they are made of.
#
#   make demo    build the library (release) and run examples-c/chatbot against the bundled
#                Socket.IO chat server, showing the conversation
#   make test    every test: Rust unit and integration tests (through the C ABI, against the
#                real socket.io server), siocat's tests, the header check, the Python binding's
#                tests (make python-test), the C examples under ASan+UBSan and valgrind, and
#                the thread-safety stress tests under ThreadSanitizer, ASan+UBSan and valgrind
#   make bench   benchmarks of libsio beside the official JS client (bench/run.py; writes
#                bench/RESULTS.md); `make bench-smoke` runs them once with tiny sizes (CI).
#                Never part of `make test`: numbers are not pass/fail.
#
# Needs: a Rust toolchain, a C compiler (and g++ for the header check and the C++ wrapper), Node.js with npm,
# Python 3 with pip, valgrind.

.PHONY: demo test deps header-check symbols-check python-test clean bench bench-smoke

NODE_DEPS := tests/server/node_modules/.package-lock.json
PYTHON ?= python3
PY_DEPS := target/.python-deps

deps: $(NODE_DEPS) $(PY_DEPS)

$(NODE_DEPS): tests/server/package.json tests/server/package-lock.json
	cd tests/server && npm ci --no-audit --no-fund

# python-socketio, the second server implementation the tests run against.
$(PY_DEPS): tests/server/requirements.txt
	$(PYTHON) -m pip install --quiet -r tests/server/requirements.txt
	mkdir -p target && touch $@

demo: deps
	cargo build --release
	$(MAKE) -s -C examples-c BUILD=build-release SIO_LIB_DIR=../target/release
	scripts/demo.sh examples-c/build-release/chatbot

test: deps
	cargo build
	$(MAKE) -s -C examples-c all static
	cargo test
	$(MAKE) header-check symbols-check python-test
	scripts/check-examples.sh
	scripts/check-stress.sh

# The Python binding (bindings/python) against the real server. pytest's own exit code is
# make's: 5 (no test collected) fails too.
PY_TEST_DEPS := target/.python-test-deps
$(PY_TEST_DEPS): bindings/python/requirements-test.txt
	$(PYTHON) -m pip install --quiet -r bindings/python/requirements-test.txt
	mkdir -p target && touch $@

python-test: $(NODE_DEPS) $(PY_TEST_DEPS)
	cargo build --lib
	cd bindings/python && SIO_LIBRARY=$(CURDIR)/target/debug/libsio.so $(PYTHON) -m pytest -q

header-check:
	cc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude -fsyntax-only tests/c/header_check.c
	g++ -std=c++17 -Wall -Wextra -Werror -pedantic -Iinclude -fsyntax-only -x c++ tests/c/header_check.c
	@echo "header-check: include/sio.h compiles as C99 and C++17"
	g++ -std=c++17 -Wall -Wextra -Werror -pedantic -Iinclude -fsyntax-only tests/c/header_check.cpp
	g++ -std=c++17 -Wall -Wextra -Werror -pedantic -fno-exceptions -Iinclude -fsyntax-only tests/c/header_check.cpp
	@echo "header-check: include/sio.hpp compiles as C++17, with and without exceptions"

# The shared library exports the C API and nothing else.
symbols-check:
	@others=$$(nm -D --defined-only target/debug/libsio.so | awk '{print $$3}' | grep -v '^sio_' || true); \
	if [ -n "$$others" ]; then echo "libsio.so exports non-sio_ symbols:"; echo "$$others"; exit 1; fi
	@echo "symbols-check: libsio.so exports $$(nm -D --defined-only target/debug/libsio.so | grep -c ' T sio_') sio_* functions and nothing else"

bench:
	$(PYTHON) bench/run.py

bench-smoke:
	$(PYTHON) bench/run.py --smoke

clean:
	cargo clean
	$(MAKE) -C examples-c clean

# Install into PREFIX (default /usr/local; also DESTDIR, LIBDIR, INCLUDEDIR, BINDIR): the
# library with its soname, the headers, pkg-config and CMake files, siocat. See scripts/install.sh.
.PHONY: install uninstall install-check
install uninstall:
	scripts/install.sh $@

# Installs into a temporary prefix and builds programs against it with pkg-config and CMake.
install-check:
	scripts/check-install.sh
