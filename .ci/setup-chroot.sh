#!/bin/bash
# Build a Debian trixie chroot containing the real debusine-worker (plus moto
# for a fake S3/EC2 endpoint), used by integration tests.
#
# Usage: .ci/setup-chroot.sh [DIR]      (default: /var/cache/buildfleet/chroot)
#
# Idempotent: if DIR/.complete exists nothing is done. Otherwise any partial
# DIR is removed and the chroot is rebuilt in DIR.tmp, then renamed to DIR.
# Must run as root (mmdebstrap --mode=root). Works on a fresh Debian 12 host:
# mmdebstrap is installed with apt-get if missing.
#
# Running things inside the chroot (see docs/worker-protocol.md):
#   mount --bind /proc "$DIR/proc"; mount --bind /dev "$DIR/dev"
#   chroot "$DIR" runuser -u debusine-worker -- debusine-worker
#   cleanup: umount "$DIR/dev" "$DIR/proc"
set -euo pipefail

DIR="${1:-/var/cache/buildfleet/chroot}"
SUITE="${SUITE:-trixie}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"

PACKAGES=(
  python3-moto
  python3-flask
  python3-flask-cors
  debusine-worker
  debusine-client
  ca-certificates
  # Used by the worker / its tasks at runtime or handy for debugging
  procps
  iproute2
  curl
)

# An existing chroot gets the packages added to PACKAGES since it was built.
add_missing_packages() {
  local missing=() p mounted=()
  for p in "${PACKAGES[@]}"; do
    chroot "$DIR" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "setup-chroot: $DIR already complete, nothing to do"
    return 0
  fi
  echo "setup-chroot: adding ${missing[*]} to $DIR"
  for p in proc dev; do
    if ! mountpoint -q "$DIR/$p"; then mount --bind "/$p" "$DIR/$p"; mounted+=("$DIR/$p"); fi
  done
  local status=0
  chroot "$DIR" apt-get update -q && \
    chroot "$DIR" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" || status=$?
  for p in "${mounted[@]}"; do umount "$p"; done
  return $status
}

if [ -e "$DIR/.complete" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-chroot: must run as root" >&2
    exit 1
  fi
  add_missing_packages
  exit $?
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-chroot: must run as root" >&2
  exit 1
fi

if ! command -v mmdebstrap >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends mmdebstrap
fi

# Refuse to delete anything that still has mounts (e.g. bind-mounted /proc,
# /dev) below it: unmount them first, deepest first.
unmount_below() {
  local d="$1" m
  [ -d "$d" ] || return 0
  d="$(readlink -f "$d")"
  # shellcheck disable=SC2013
  for m in $(awk -v d="$d" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r); do
    umount -l "$m"
  done
}

remove_dir() {
  local d="$1"
  [ -e "$d" ] || return 0
  unmount_below "$d"
  rm -rf --one-file-system "$d"
}

TMP="${DIR%/}.tmp"
remove_dir "$TMP"
remove_dir "$DIR"
mkdir -p "$(dirname "$DIR")"

include="$(IFS=,; echo "${PACKAGES[*]}")"
mmdebstrap --mode=root --variant=apt \
  --include="$include" \
  "$SUITE" "$TMP" "$MIRROR"

mv "$TMP" "$DIR"
touch "$DIR/.complete"
echo "setup-chroot: $DIR ready"
