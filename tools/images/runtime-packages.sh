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
# Debian 12 is usrmerged, but dpkg records either /lib or /usr/lib: each
# library is looked up under both spellings and its resolved path, all in one
# dpkg -S call (one call per path took minutes per image build).
mapfile -t libs < <(ldd "$bin" | awk '/=> \// {print $3} /^\t\/.*ld-linux/ {print $1}' | sort -u)
[ ${#libs[@]} -gt 0 ] || exit 0
cands=()
for lib in "${libs[@]}"; do
  case $lib in /usr/*) alt=${lib#/usr} ;; *) alt=/usr$lib ;; esac
  cands+=("$lib" "$alt" "$(readlink -f "$lib")")
done
owners=$(LC_ALL=C dpkg -S "${cands[@]}" 2>/dev/null || true)
for lib in "${libs[@]}"; do
  case $lib in /usr/*) alt=${lib#/usr} ;; *) alt=/usr$lib ;; esac
  real=$(readlink -f "$lib")
  pkg=$(awk -v a="$lib" -v b="$alt" -v c="$real" -F': ' '$2 == a || $2 == b || $2 == c {print $1; exit}' <<<"$owners")
  [ -n "$pkg" ] || { echo "runtime-packages: no package holds $lib (needed by $bin)" >&2; exit 1; }
  echo "${pkg%%:*}"
done | sort -u
