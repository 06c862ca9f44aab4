#!/bin/sh
# bootstrap.sh -- install the Debian packages (when run as root or with sudo),
# generate the build system and configure.  Extra arguments go to configure.
set -e
cd "$(dirname "$0")"
if [ "${ILRL_SKIP_APT:-0}" != 1 ]; then
    sh tests/install-deps.sh
fi
autoreconf -fi
./configure "$@"
