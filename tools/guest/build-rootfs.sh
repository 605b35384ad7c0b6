#!/usr/bin/env bash
# Builds an ext4 root filesystem for the guest from Debian with debootstrap:
# minbase + python3, so users can run real code. Called by build-image.sh
# --rootfs; can be run alone:  build-rootfs.sh WORK_DIR OUTPUT.ext4
# Needs network access to the Debian archive ($AETHER_DEBIAN_MIRROR).
# Best-effort reproducible: fixed UUID, hash seed and timestamps; package
# contents follow the archive at build time (the manifest records the sha256).
set -euo pipefail

work="${1:?usage: build-rootfs.sh WORK_DIR OUTPUT.ext4}"
output="${2:?usage: build-rootfs.sh WORK_DIR OUTPUT.ext4}"
suite="${AETHER_DEBIAN_SUITE:-bookworm}"
mirror="${AETHER_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
epoch="${SOURCE_DATE_EPOCH:-1700000000}"

die() {
  echo "build-rootfs: $*" >&2
  exit 1
}
command -v debootstrap >/dev/null || die "debootstrap is not installed (see tools/deps/packages.txt)"
command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 is not installed (e2fsprogs)"
[[ "$(id -u)" -eq 0 ]] || die "debootstrap needs root"

root="${work}/rootfs"
rm -rf "${root}"
mkdir -p "${root}"
echo "build-rootfs: debootstrap ${suite} (minbase + python3) from ${mirror}" >&2
debootstrap --variant=minbase --include=python3 "${suite}" "${root}" "${mirror}" >"${work}/debootstrap.log" 2>&1 ||
  die "debootstrap failed; see the end of ${work}/debootstrap.log: $(tail -n 5 "${work}/debootstrap.log")"
# Caches and logs that differ on every run and are not needed in the guest.
rm -rf "${root}"/var/cache/apt/archives/*.deb "${root}"/var/lib/apt/lists/* "${root}"/var/log/* \
  "${root}"/var/cache/ldconfig/aux-cache
echo aether >"${root}/etc/hostname"
find "${root}" -xdev -exec touch -h -d "@${epoch}" {} +

size_mib=$(($(du -sm "${root}" | cut -f1) * 13 / 10 + 64))
rm -f "${output}"
E2FSPROGS_FAKE_TIME="${epoch}" mkfs.ext4 -q -F -L aether-root \
  -U 6a1c3e2e-6b4e-4f54-9d0e-ae7e4e2d0001 -E root_owner=0:0,hash_seed=6a1c3e2e-6b4e-4f54-9d0e-ae7e4e2d0002 \
  -d "${root}" "${output}" "${size_mib}M" || die "mkfs.ext4 failed"
echo "build-rootfs: ${output} (${size_mib} MiB)" >&2
