#!/usr/bin/env bash
# Prints, one a line, the Debian packages that hold the shared libraries a
# binary links (ldd + dpkg -S), so each image installs exactly what its binary
# needs. Fails when a library belongs to no package (it would be missing at
# run time). Usage: runtime-packages.sh BINARY
set -euo pipefail
bin=${1:?usage: runtime-packages.sh BINARY}
[ -x "$bin" ] || { echo "runtime-packages: $bin is not an executable" >&2; exit 2; }
# a static binary (vm-agent) needs no package: ldd says so and exits 1
out=$(LC_ALL=C ldd "$bin" 2>&1) || {
  case $out in *"not a dynamic executable"*) exit 0 ;; esac
  echo "runtime-packages: ldd failed on $bin: $out" >&2; exit 1
}
owner() {
  # Debian 12 is usrmerged, but dpkg records either /lib or /usr/lib.
  local p=$1 alt
  case $p in /usr/*) alt=${p#/usr} ;; *) alt=/usr$p ;; esac
  for cand in "$p" "$alt" "$(readlink -f "$p")"; do
    dpkg -S "$cand" 2>/dev/null | head -1 | cut -d: -f1 && return 0
  done
  return 1
}
ldd "$bin" | awk '/=> \// {print $3} /^\t\/.*ld-linux/ {print $1}' | sort -u |
  while read -r lib; do
    owner "$lib" || { echo "runtime-packages: no package holds $lib (needed by $bin)" >&2; exit 1; }
  done | sort -u
