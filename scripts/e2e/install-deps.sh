#!/usr/bin/env bash
# What `npm run e2e:image` and `npm run e2e:cluster` need from Debian, installed when missing
# (root): dockerd and its client (docker.io, with containerd and runc), debootstrap, and the
# bridge and loopback CNI plugins (containernetworking-plugins, for the cluster e2e's node).
# The packages' services are not started: the e2e scripts start their own and stop them.
set -euo pipefail
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/loopback ] || missing+=(containernetworking-plugins)
if [ ${#missing[@]} -eq 0 ]; then
  echo "docker.io, debootstrap and containernetworking-plugins are installed"
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
