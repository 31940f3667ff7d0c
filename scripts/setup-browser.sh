#!/usr/bin/env bash
# Installs a headless browser for the timeline's browser test (tests/sim/test_timeline.py),
# where this machine allows it: Debian's `chromium` package through apt-get, as root. Anywhere
# else it says why not and the test is skipped with that reason. Never fails the build.
set -uo pipefail
for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then
        exit 0
    fi
done
if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: no apt-get here, so no chromium: the timeline's browser test will be skipped" >&2
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "setup: not root, so no chromium (apt-get install chromium): the timeline's browser test will be skipped" >&2
    exit 0
fi
echo "setup: installing chromium (apt-get) for the timeline's browser test" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q chromium >/tmp/tonio-apt.log 2>&1; then
    apt-get update -q >>/tmp/tonio-apt.log 2>&1
    apt-get install -y -q chromium >>/tmp/tonio-apt.log 2>&1 ||
        echo "setup: apt-get could not install chromium (see /tmp/tonio-apt.log): the browser test will be skipped" >&2
fi
exit 0
