#!/usr/bin/env bash
# `make install` / `make uninstall`: scripts/install.sh install|uninstall
#
# install builds the release library with its soname and siocat, then installs
#   LIBDIR/libsio.so.X.Y.Z, libsio.so.ABI -> it, libsio.so -> libsio.so.ABI, libsio.a
#   INCLUDEDIR/sio*.h*                      the C header (and the C++ wrapper when present)
#   LIBDIR/pkgconfig/sio.pc                 shared: pkg-config --cflags --libs sio
#   LIBDIR/pkgconfig/sio-static.pc          static: pkg-config --cflags --libs sio-static
#   LIBDIR/cmake/sio/sioConfig*.cmake       find_package(sio): sio::sio, sio::sio_static
#   BINDIR/siocat                           linked to LIBDIR/libsio.so (rpath LIBDIR)
# Environment: PREFIX (default /usr/local), LIBDIR (PREFIX/lib), INCLUDEDIR (PREFIX/include),
# BINDIR (PREFIX/bin), DESTDIR (staging root prepended to every path written), CC, CFLAGS.
# Needs cargo, a C compiler and readelf.
#
# The version comes from Cargo.toml. ABI is the soname's version, by cargo-c's rule: MAJOR, or
# for 0.x releases (where a minor release may break the ABI) 0.MINOR, and 0.0.PATCH for 0.0.x.
set -euo pipefail
cd "$(dirname "$0")/.."

action=${1:-}
prefix=${PREFIX:-/usr/local}
libdir=${LIBDIR:-$prefix/lib}
includedir=${INCLUDEDIR:-$prefix/include}
bindir=${BINDIR:-$prefix/bin}
destdir=${DESTDIR:-}
for dir in "$prefix" "$libdir" "$includedir" "$bindir"; do
  case $dir in /*) ;; *) echo "install: $dir: the install directories must be absolute" >&2; exit 2 ;; esac
done

version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
description=$(sed -n 's/^description *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
IFS=. read -r major minor patch <<<"${version%%[-+]*}"
if [ "$major" != 0 ]; then abi=$major; elif [ "$minor" != 0 ]; then abi=0.$minor; else abi=0.$minor.$patch; fi

lib=libsio.so.$version
soname=libsio.so.$abi
cmakedir=$libdir/cmake/sio
pcdir=$libdir/pkgconfig
headers=(include/sio*.h*)

uninstall() {
  rm -f "$destdir$libdir/$lib" "$destdir$libdir/$soname" "$destdir$libdir/libsio.so" \
    "$destdir$libdir/libsio.a" "$destdir$bindir/siocat" "$destdir$pcdir/sio.pc" \
    "$destdir$pcdir/sio-static.pc" "$destdir$cmakedir/sioConfig.cmake" \
    "$destdir$cmakedir/sioConfigVersion.cmake"
  for header in "${headers[@]}"; do rm -f "$destdir$includedir/${header#include/}"; done
  rmdir "$destdir$cmakedir" 2>/dev/null || true
  echo "uninstall: removed libsio $version from $destdir$prefix"
}

build() {
  target=${CARGO_TARGET_DIR:-target}/release
  # cdylib and staticlib only, the soname given to the linker; the same command run again is
  # fresh and repeats rustc's note, from which the static library's system libraries are read.
  local cargo=(cargo rustc --release --lib --crate-type cdylib,staticlib --
    -C "link-arg=-Wl,-soname,$soname" --print native-static-libs)
  "${cargo[@]}"
  native_libs=$("${cargo[@]}" 2>&1 | sed -n 's/^note: native-static-libs: //p')
  if [ -z "$native_libs" ]; then echo "install: rustc printed no native-static-libs" >&2; exit 1; fi
  # Cargo keeps one libsio.so per profile: a build of another version may have replaced it.
  if ! readelf -d "$target/libsio.so" | grep -qF "[$soname]"; then
    echo "install: $target/libsio.so is not the one just built (its soname is not $soname);" \
      "run 'cargo clean --release -p sio' and install again" >&2
    exit 1
  fi
  mkdir -p "$target/dist"
  siocat=$target/dist/siocat
  # shellcheck disable=SC2086 # CFLAGS is a list of flags
  ${CC:-cc} -std=c99 -D_POSIX_C_SOURCE=200809L ${CFLAGS:--O2 -g} -Iinclude -o "$siocat" \
    examples-c/siocat.c "$target/libsio.so" -lpthread "-Wl,-rpath,$libdir"
}

pkg_config() { # NAME DESCRIPTION LIBS [LIBS_PRIVATE]
  cat <<EOF
prefix=$prefix
libdir=$libdir
includedir=$includedir

Name: $1
Description: $2
Version: $version
Libs: $3
${4:+Libs.private: $4
}Cflags: -I\${includedir}
EOF
}

cmake_config() {
  cat <<EOF
# CMake package config of libsio $version, written by \`make install\`. find_package(sio) gives
#   sio::sio         the shared library, $lib (soname $soname)
#   sio::sio_static  the static library, libsio.a, with the system libraries it needs
set(sio_VERSION "$version")
if(NOT TARGET sio::sio)
  add_library(sio::sio SHARED IMPORTED)
  set_target_properties(sio::sio PROPERTIES
    IMPORTED_LOCATION "$libdir/$lib"
    IMPORTED_SONAME "$soname"
    INTERFACE_INCLUDE_DIRECTORIES "$includedir")
endif()
if(NOT TARGET sio::sio_static)
  add_library(sio::sio_static STATIC IMPORTED)
  set_target_properties(sio::sio_static PROPERTIES
    IMPORTED_LOCATION "$libdir/libsio.a"
    IMPORTED_LINK_INTERFACE_LANGUAGES "C"
    INTERFACE_INCLUDE_DIRECTORIES "$includedir"
    INTERFACE_LINK_LIBRARIES "$(sed 's/^-l//; s/ -l/;/g' <<<"$native_libs")")
endif()
EOF
}

cmake_config_version() {
  cat <<EOF
# find_package(sio VERSION): compatible when the requested version is not newer than $version
# and has the same ABI version as the soname ($abi: MAJOR, or 0.MINOR for 0.x).
set(PACKAGE_VERSION "$version")
if(NOT PACKAGE_FIND_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
else()
  if(PACKAGE_FIND_VERSION_MAJOR GREATER 0)
    set(_sio_abi "\${PACKAGE_FIND_VERSION_MAJOR}")
  elseif(PACKAGE_FIND_VERSION_MINOR GREATER 0)
    set(_sio_abi "0.\${PACKAGE_FIND_VERSION_MINOR}")
  else()
    set(_sio_abi "0.0.\${PACKAGE_FIND_VERSION_PATCH}")
  endif()
  if(_sio_abi STREQUAL "$abi" AND NOT PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
    set(PACKAGE_VERSION_COMPATIBLE TRUE)
  else()
    set(PACKAGE_VERSION_COMPATIBLE FALSE)
  endif()
  if(PACKAGE_FIND_VERSION VERSION_EQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
  unset(_sio_abi)
endif()
if(CMAKE_SIZEOF_VOID_P AND NOT CMAKE_SIZEOF_VOID_P EQUAL "$(($(getconf LONG_BIT) / 8))")
  set(PACKAGE_VERSION "\${PACKAGE_VERSION} ($(getconf LONG_BIT)-bit)")
  set(PACKAGE_VERSION_UNSUITABLE TRUE)
endif()
EOF
}

install_files() {
  build
  local d=$destdir
  install -d "$d$libdir" "$d$includedir" "$d$bindir" "$d$pcdir" "$d$cmakedir"
  install -m 755 "$target/libsio.so" "$d$libdir/$lib"
  if [ "$soname" != "$lib" ]; then ln -sfn "$lib" "$d$libdir/$soname"; fi
  ln -sfn "$soname" "$d$libdir/libsio.so"
  install -m 644 "$target/libsio.a" "$d$libdir/libsio.a"
  install -m 644 "${headers[@]}" "$d$includedir/"
  install -m 755 "$siocat" "$d$bindir/siocat"
  pkg_config sio "$description" "-L\${libdir} -lsio" "$native_libs" >"$d$pcdir/sio.pc"
  pkg_config sio-static "$description (static library)" "\${libdir}/libsio.a $native_libs" \
    >"$d$pcdir/sio-static.pc"
  cmake_config >"$d$cmakedir/sioConfig.cmake"
  cmake_config_version >"$d$cmakedir/sioConfigVersion.cmake"
  chmod 644 "$d$pcdir"/sio*.pc "$d$cmakedir"/sioConfig*.cmake
  echo "install: libsio $version (soname $soname) installed in $d$prefix"
}

case $action in
  install) install_files ;;
  uninstall) uninstall ;;
  *) echo "usage: scripts/install.sh install|uninstall" >&2; exit 2 ;;
esac
