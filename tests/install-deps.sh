#!/bin/sh
# install-deps.sh -- every Debian package the build, tests, plots and Slurm
# jobs need (iproute2 and util-linux: ip netns, nsenter and unshare make the
# two emulated nodes of `make check-cluster`; python3-torch: tests/py_torch.sh,
# where L_IL and L_RL of an exported PyTorch network must equal the C
# library's, skips without it).  Idempotent; non-interactive.
# Run as root (or via sudo).
set -e
PACKAGES="build-essential autoconf automake libtool autoconf-archive pkg-config
 openmpi-bin libopenmpi-dev libgsl-dev libopenblas-dev libnetcdf-dev netcdf-bin
 check libsubunit-dev python3 python3-numpy python3-matplotlib python3-netcdf4
 python3-xarray python3-h5py python3-torch tmux valgrind procps time
 slurm-wlm slurmctld slurmd slurm-client slurm-wlm-basic-plugins munge libpmix2
 iproute2 util-linux"
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
