#!/bin/sh
# Run a command with the network cut: in a new user + network namespace (`unshare -rn`, no root
# needed) whose only interface is loopback, brought up so that Jupyter kernels can still talk to
# the build over 127.0.0.1. Anything that tries to reach another host fails at once.
# Where namespaces are unavailable (some containers forbid them), or with OFFLINE=0, the command
# runs normally after a notice. `make book` builds through this script.
set -e
if [ "$#" -eq 0 ]; then echo "usage: $0 command [args...]" >&2; exit 2; fi
# SIOCSIFFLAGS(lo, IFF_UP) with Python's ioctl, so iproute2 is not required.
LO_UP='import fcntl, socket, struct; fcntl.ioctl(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), 0x8914, struct.pack("16sh", b"lo", 1))'
if [ "${OFFLINE:-1}" != 0 ] && unshare -rn true 2>/dev/null; then
  echo "offline.sh: running with the network cut (only loopback): $*" >&2
  exec unshare -rn sh -c 'python3 -c "$0" && exec "$@"' "$LO_UP" "$@"
fi
if [ "${OFFLINE:-1}" = 0 ]; then
  echo "offline.sh: OFFLINE=0, running with the network on: $*" >&2
else
  echo "offline.sh: NOTICE: cannot create a network namespace here (unshare -rn failed);" \
       "running with the network on, so offline-ness is not enforced: $*" >&2
fi
exec "$@"
