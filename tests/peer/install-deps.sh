#!/bin/sh
# install-deps.sh -- the benchmark-only dependency of the PyTorch peer
# (tests/peer/torch_peer.py): Debian's python3-torch (1.13.1 on bookworm),
# for /usr/bin/python3.  tests/install-deps.sh installs it too now (for
# tests/py_torch.sh); this script stays for machines that only bench.
# numpy and netCDF4 come from tests/install-deps.sh.  Idempotent; non-interactive.  Run as root (or via
# sudo).
set -e
PACKAGES="python3-torch"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
missing=
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing:$missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
