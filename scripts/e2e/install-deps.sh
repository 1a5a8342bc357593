#!/usr/bin/env bash
# What `npm run e2e:image` needs from Debian, installed when missing (root): dockerd and its
# client (docker.io, with containerd and runc) and debootstrap. The packages' services are
# not started: the e2e starts its own dockerd and stops it afterwards.
set -euo pipefail
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -eq 0 ]; then
  echo "docker.io and debootstrap are installed"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
# policy-rc.d 101 = "do not start services" for the packages' maintainer scripts; ours goes
# again afterwards, one that was there stays.
guard=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  guard=/usr/sbin/policy-rc.d
fi
trap '[ -z "$guard" ] || rm -f "$guard"' EXIT
echo "installing ${missing[*]} from Debian"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
