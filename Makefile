# libsio: the two commands of the README, and what they are made of.
#
#   make demo    build the library (release) and run examples-c/chatbot against the bundled
#                Socket.IO chat server, showing the conversation
#   make test    every test: Rust unit and integration tests (through the C ABI, against the
#                real socket.io server), siocat's tests, the header check, and the C examples
#                under ASan+UBSan and valgrind
#
# Needs: a Rust toolchain, a C compiler (and g++ for the header check and the C++ wrapper), Node.js with npm,
# Python 3 with pip, valgrind.

.PHONY: demo test deps header-check symbols-check clean

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
	$(MAKE) header-check symbols-check
	scripts/check-examples.sh

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

clean:
	cargo clean
	$(MAKE) -C examples-c clean
