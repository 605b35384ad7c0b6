#!/usr/bin/env bash
# Sets up everything `make images` needs from podman on a fresh Debian 12
# machine, idempotently: the packages (podman, runc, debootstrap), the
# containers.conf this host needs, and the base image localhost/debian:12.
#
# Why each step (see ../../README.md of tools/images):
# - runc, not Debian's default crun: crun fails on hosts with hybrid cgroups
#   ("cgroups in hybrid mode not supported").
# - default_ulimits below the host's: containers may not raise rlimits here
#   (no CAP_SYS_RESOURCE), and podman's default asks for the host's maximum.
# - no registry is reachable here, so the base image is debootstrap'd from
#   Debian's archive and imported. On a machine that reaches a registry, pass
#   --base debian:12-slim to `make images` instead and skip this step with
#   AETHER_SKIP_BASE_IMAGE=1.
set -euo pipefail

base_image=${AETHER_BASE_IMAGE:-localhost/debian:12}
suite=${AETHER_BASE_SUITE:-bookworm}
conf=${AETHER_CONTAINERS_CONF:-/etc/containers/containers.conf}

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

need=()
for p in podman runc debootstrap; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup-podman: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

want_conf='[containers]
default_ulimits = ["nofile=16384:16384", "nproc=4096:4096"]

[engine]
runtime = "runc"'
if [ -f "$conf" ] && grep -q '^runtime *= *"runc"' "$conf" && grep -q '^default_ulimits' "$conf"; then
  echo "setup-podman: $conf already set"
else
  if [ -f "$conf" ]; then
    "${sudo_cmd[@]}" cp "$conf" "$conf.aether-backup"
    echo "setup-podman: replacing $conf (old one kept as $conf.aether-backup)"
  fi
  "${sudo_cmd[@]}" mkdir -p "$(dirname "$conf")"
  printf '# Written by tools/images/setup-podman.sh\n%s\n' "$want_conf" | "${sudo_cmd[@]}" tee "$conf" >/dev/null
fi

if [ "${AETHER_SKIP_BASE_IMAGE:-0}" = 1 ]; then
  echo "setup-podman: base image skipped (AETHER_SKIP_BASE_IMAGE=1)"
elif "${sudo_cmd[@]}" podman image exists "$base_image"; then
  echo "setup-podman: $base_image present"
else
  root=$(mktemp -d /var/tmp/aether-rootfs.XXXXXX)
  trap '"${sudo_cmd[@]}" rm -rf "$root"' EXIT
  echo "setup-podman: debootstrap $suite into $root (about 1.5 min)"
  start=$(date +%s)
  "${sudo_cmd[@]}" debootstrap --variant=minbase "$suite" "$root" >"$root.log" 2>&1 ||
    { tail -20 "$root.log" >&2; echo "setup-podman: debootstrap failed (log: $root.log)" >&2; exit 1; }
  "${sudo_cmd[@]}" rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
  "${sudo_cmd[@]}" tar -C "$root" -c . | "${sudo_cmd[@]}" podman import \
    --change 'CMD ["/bin/bash"]' - "$base_image" >/dev/null
  rm -f "$root.log"
  echo "setup-podman: $base_image imported in $(($(date +%s) - start)) s"
fi
"${sudo_cmd[@]}" podman info --format '{{.Host.OCIRuntime.Name}} {{.Version.Version}}' |
  sed 's/^/setup-podman: runtime and podman version: /'
