#!/usr/bin/env bash
# `make install-check`: installs libsio as a packager does (`make install DESTDIR=stage`, then
# the tree moved to its PREFIX, a temporary directory) and checks what users of the installed
# files get: the layout, the soname and its symlinks, only sio_* exported, tests/install/consumer.c
# built with pkg-config and with CMake's find_package(sio), shared and static, and run; siocat;
# find_package's version rule; and `make uninstall` leaving nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in cmake pkg-config readelf nm; do
  command -v "$tool" >/dev/null || { echo "check-install: $tool is needed" >&2; exit 1; }
done

fail() { echo "check-install: FAIL: $*" >&2; exit 1; }
ok() { echo "check-install: $*"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
lib=$prefix/lib
cc=${CC:-cc}
cflags=(-std=c99 -Wall -Wextra -Werror -pedantic)
# Nothing listens there: the consumers and siocat get a connect_error.
refused_url=http://127.0.0.1:1

# What the installed names must be: the version of Cargo.toml, and the soname's ABI version
# MAJOR, or 0.MINOR for 0.x (0.0.PATCH for 0.0.x).
version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
IFS=. read -r major minor patch <<<"${version%%[-+]*}"
if [ "$major" != 0 ]; then abi=$major; elif [ "$minor" != 0 ]; then abi=0.$minor; else abi=0.0.$patch; fi

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
# Runs a consumer, which must print the library's version and the refused connection.
run_consumer() { # NAME COMMAND...
  local out
  out=$("${@:2}" "$refused_url") || fail "$1 exited with $?"
  [[ $out == "libsio $version: connect_error: "* ]] || fail "$1 printed: $out"
  ok "$1: $out"
}
expect_links_sio() { # BINARY shared|static: what it needs of libsio at run time
  local libs
  libs=$(needed "$1" | grep '^libsio' || true)
  case $2 in
    shared) [ "$libs" = "libsio.so.$abi" ] || fail "$1 needs '$libs', not libsio.so.$abi" ;;
    static) [ -z "$libs" ] || fail "$1 needs $libs although linked statically" ;;
  esac
}

echo "== make install DESTDIR=$tmp/stage PREFIX=$prefix"
make -s install DESTDIR="$tmp/stage" PREFIX="$prefix"
[ ! -e "$prefix" ] || fail "make install wrote into PREFIX although DESTDIR was given"
mv "$tmp/stage$prefix" "$prefix"

echo "== layout, soname, symbols"
for f in "lib/libsio.so.$version" lib/libsio.a bin/siocat lib/pkgconfig/sio.pc \
  lib/pkgconfig/sio-static.pc lib/cmake/sio/sioConfig.cmake lib/cmake/sio/sioConfigVersion.cmake; do
  [ -f "$prefix/$f" ] || fail "$f is not installed"
done
for header in include/sio*.h*; do
  cmp -s "$header" "$prefix/$header" || fail "$header is not installed as is"
done
if [ "$abi" != "$version" ]; then # 0.0.x: the soname is the file's name
  [ "$(readlink "$lib/libsio.so.$abi")" = "libsio.so.$version" ] || fail "libsio.so.$abi does not point to libsio.so.$version"
fi
[ "$(readlink "$lib/libsio.so")" = "libsio.so.$abi" ] || fail "libsio.so does not point to libsio.so.$abi"
soname=$(readelf -d "$lib/libsio.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libsio.so.$abi" ] || fail "soname is '$soname', not libsio.so.$abi"
ok "lib/libsio.so.$version has soname $soname; libsio.so -> libsio.so.$abi -> libsio.so.$version"
exported=$(nm -D --defined-only "$lib/libsio.so.$version" | awk '{print $3}')
others=$(grep -v '^sio_' <<<"$exported" || true)
[ -z "$others" ] || fail "the installed libsio.so exports non-sio_ symbols: $others"
ok "the installed libsio.so exports $(grep -c '^sio_' <<<"$exported") symbols, all sio_*"

echo "== pkg-config"
export PKG_CONFIG_LIBDIR=$lib/pkgconfig # only the installed .pc files
[ "$(pkg-config --modversion sio)" = "$version" ] || fail "pkg-config --modversion sio: $(pkg-config --modversion sio)"
# Each installed header compiles on its own, found through pkg-config's flags.
for header in include/sio*.h*; do
  case $header in
    *.h) compile=("$cc" "${cflags[@]}" -x c) ;;
    *) compile=("${CXX:-c++}" -std=c++17 -Wall -Wextra -Werror -pedantic -x c++) ;;
  esac
  # shellcheck disable=SC2046 # pkg-config prints lists of flags
  "${compile[@]}" -fsyntax-only $(pkg-config --cflags sio) - <<<"#include <${header#include/}>" ||
    fail "the installed ${header#include/} does not compile"
done
ok "the installed headers compile on their own: $(cd include && echo sio*.h*)"
# shellcheck disable=SC2046
"$cc" "${cflags[@]}" -o "$tmp/pc-shared" tests/install/consumer.c $(pkg-config --cflags --libs sio)
expect_links_sio "$tmp/pc-shared" shared
run_consumer "pkg-config sio (shared)" env LD_LIBRARY_PATH="$lib" "$tmp/pc-shared"
# shellcheck disable=SC2046
"$cc" "${cflags[@]}" -o "$tmp/pc-static" tests/install/consumer.c $(pkg-config --static --cflags --libs sio-static)
expect_links_sio "$tmp/pc-static" static
run_consumer "pkg-config --static sio-static" "$tmp/pc-static"
# sio.pc's Libs.private suffice to link libsio.a where it is the only libsio (pkg-config
# --static sio, as build systems use it): a libdir holding only libsio.a.
mkdir "$tmp/static-only"
ln -s "$lib/libsio.a" "$tmp/static-only/libsio.a"
# shellcheck disable=SC2046
"$cc" "${cflags[@]}" -o "$tmp/pc-static-private" tests/install/consumer.c \
  $(pkg-config --define-variable=libdir="$tmp/static-only" --static --cflags --libs sio)
expect_links_sio "$tmp/pc-static-private" static
run_consumer "pkg-config --static sio (Libs.private)" "$tmp/pc-static-private"

echo "== CMake find_package(sio)"
configure() { # BUILD_DIR VERSION
  cmake -S tests/install -B "$1" -DCMAKE_PREFIX_PATH="$prefix" -DSIO_FIND_VERSION="$2" >"$1.log" 2>&1
}
configure "$tmp/cmake" "$version" || { cat "$tmp/cmake.log"; fail "find_package(sio $version) failed"; }
cmake --build "$tmp/cmake" >"$tmp/cmake-build.log" 2>&1 || { cat "$tmp/cmake-build.log"; fail "CMake build failed"; }
expect_links_sio "$tmp/cmake/consumer_shared" shared
run_consumer "CMake sio::sio" "$tmp/cmake/consumer_shared" # found through CMake's build rpath
expect_links_sio "$tmp/cmake/consumer_static" static
run_consumer "CMake sio::sio_static" "$tmp/cmake/consumer_static"
# find_package(sio X): compatible when X is not newer and has the same ABI version.
compatible=("$major.$minor")
incompatible=("$major.$((minor + 1))" "$((major + 1))")
if [ "$major" = 0 ] && [ "$minor" != 0 ]; then incompatible+=("0.$((minor - 1))"); fi
for v in "${compatible[@]}"; do
  configure "$tmp/cmake-$v" "$v" || { cat "$tmp/cmake-$v.log"; fail "find_package(sio $v) failed"; }
done
for v in "${incompatible[@]}"; do
  if configure "$tmp/cmake-$v" "$v"; then fail "find_package(sio $v) accepted $version"; fi
  grep -q "sioConfig.cmake, version: $version" "$tmp/cmake-$v.log" || { cat "$tmp/cmake-$v.log"; fail "find_package(sio $v) failed for another reason"; }
done
ok "find_package(sio X) accepts $version for X in ${compatible[*]}, refuses it for ${incompatible[*]}"

echo "== siocat"
"$prefix/bin/siocat" --help | grep -q '^usage: siocat' || fail "siocat --help"
expect_links_sio "$prefix/bin/siocat" shared
status=0
out=$("$prefix/bin/siocat" --no-reconnect "$refused_url" </dev/null) || status=$?
[ "$status" = 1 ] && [[ $out == '{"type":"connect_error"'* ]] || fail "siocat $refused_url exited with $status, printed: $out"
ok "installed siocat runs (rpath $lib): $out"

echo "== make uninstall PREFIX=$prefix"
make -s uninstall PREFIX="$prefix"
left=$(find "$prefix" -type f -o -type l)
[ -z "$left" ] || fail "make uninstall left: $left"
ok "make uninstall removed every installed file"
echo "check-install: all passed"
