#!/usr/bin/env bash
# Prints the path of a free-threaded CPython (3.13t or 3.14t), building one if none is found.
#
# Order of preference:
#   1. $TONIO_PYTHON, if set (it must be free-threaded);
#   2. python3.14t / python3.13t on PATH;
#   3. a previous build cached in ${TONIO_CACHE:-$HOME/.cache/tonio}/cpython-3.13.5t;
#   4. build CPython 3.13 with --disable-gil from the Debian trixie source package into that cache.
#      It is built with --enable-shared (and an rpath) so that `cargo test` can link libpython.
#
# All progress goes to stderr; stdout carries only the interpreter path.
set -euo pipefail

CACHE="${TONIO_CACHE:-$HOME/.cache/tonio}"
PREFIX="$CACHE/cpython-3.13.5t"
DEB_VERSION="3.13.5-2+deb13u5"

log() { echo "find-python: $*" >&2; }

is_free_threaded() {
    "$1" -c 'import sys, sysconfig; sys.exit(0 if sysconfig.get_config_var("Py_GIL_DISABLED") else 1)' 2>/dev/null
}

if [ -n "${TONIO_PYTHON:-}" ]; then
    if is_free_threaded "$TONIO_PYTHON"; then echo "$TONIO_PYTHON"; exit 0; fi
    log "TONIO_PYTHON=$TONIO_PYTHON is not a free-threaded CPython"; exit 1
fi

for name in python3.14t python3.13t; do
    if path=$(command -v "$name" 2>/dev/null) && is_free_threaded "$path"; then echo "$path"; exit 0; fi
done

cached_ok() { [ -x "$PREFIX/bin/python3.13t" ] && [ -e "$PREFIX/lib/libpython3.13t.so" ] && is_free_threaded "$PREFIX/bin/python3.13t"; }
if cached_ok; then echo "$PREFIX/bin/python3.13t"; exit 0; fi

log "no free-threaded CPython found; building 3.13t into $PREFIX (about 4 minutes)"
mkdir -p "$CACHE"
# One builder at a time: a second caller waits for the first and then reuses its result.
exec 9>"$CACHE/.build.lock"
flock 9
if cached_ok; then echo "$PREFIX/bin/python3.13t"; exit 0; fi

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
need=()
for pkg in build-essential libssl-dev zlib1g-dev libffi-dev libbz2-dev liblzma-dev libsqlite3-dev \
           libreadline-dev libncurses-dev uuid-dev xz-utils dpkg-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    log "installing build dependencies: ${need[*]}"
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >&2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A private apt configuration: a deb-src line for trixie on the mirror the system already uses,
# with its own list directory, so the system's apt state is left untouched.
mirror=$(grep -hoE '(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list.d/*.sources \
         /etc/apt/sources.list 2>/dev/null | head -n1 | awk '{print $2}' || true)
mirror="${mirror:-http://deb.debian.org/debian}"
mkdir -p "$work/lists/partial" "$work/src"
echo "deb-src [trusted=yes] $mirror trixie main" > "$work/sources.list"
APT_OPTS=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-"
          -o "Dir::State::Lists=$work/lists" -o "APT::Get::List-Cleanup=0")
log "fetching the python3.13 source package from $mirror (trixie)"
apt-get "${APT_OPTS[@]}" update -qq >&2
(cd "$work/src" && apt-get "${APT_OPTS[@]}" source --download-only "python3.13=$DEB_VERSION" >&2 \
    || apt-get "${APT_OPTS[@]}" source --download-only python3.13 >&2)
orig=$(ls "$work"/src/python3.13_*.orig.tar.xz | head -n1)
tar -xJf "$orig" -C "$work"
srcdir=$(find "$work" -maxdepth 1 -type d -name 'Python-3.13*' | head -n1)
log "configuring and building in $srcdir"
(cd "$srcdir" && ./configure --disable-gil --enable-shared --prefix="$PREFIX" \
        LDFLAGS="-Wl,-rpath,$PREFIX/lib" --with-ensurepip=install >"$work/configure.log" 2>&1 \
    && make -j"$(nproc)" >"$work/make.log" 2>&1 && make install >"$work/install.log" 2>&1) || {
    log "build failed; last lines of the logs:"; tail -n 30 "$work"/*.log >&2; exit 1; }
is_free_threaded "$PREFIX/bin/python3.13t" || { log "built interpreter is not free-threaded"; exit 1; }
log "built $PREFIX/bin/python3.13t"
echo "$PREFIX/bin/python3.13t"
