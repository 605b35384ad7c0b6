#!/usr/bin/env bash
# Builds the Aether guest image from Debian packages only:
#   vmlinux         uncompressed ELF kernel from linux-image-*-cloud-amd64
#   initramfs.cpio  newc archive: the agent as /init, busybox, virtio modules
#   manifest.json   sha256 of each artefact and what it was built from
#   SHA256SUMS      the same sums, for `sha256sum -c`
#   rootfs.ext4     (--rootfs only) debootstrap'ed Debian with python3
# Reproducible (fixed mtimes and owners, sorted archive) and cached: nothing is
# rebuilt while the inputs (kernel package, agent, busybox, this script) are
# unchanged. See README.md.
set -euo pipefail

readonly MODULES=(
  kernel/drivers/virtio/virtio_ring.ko
  kernel/drivers/virtio/virtio.ko
  kernel/drivers/virtio/virtio_mmio.ko
  kernel/drivers/char/virtio_console.ko
  kernel/drivers/block/virtio_blk.ko
  kernel/net/core/failover.ko
  kernel/drivers/net/net_failover.ko
  kernel/drivers/net/virtio_net.ko
  kernel/net/vmw_vsock/vsock.ko
  kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko
  kernel/net/vmw_vsock/vmw_vsock_virtio_transport.ko
)
# Fixed timestamp for every file in the archive (reproducibility).
readonly EPOCH="${SOURCE_DATE_EPOCH:-1700000000}"

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(cd "${script_dir}/../.." && pwd)"
out_dir="${AETHER_GUEST_DIR:-${repo_dir}/build/guest}"
agent="${AETHER_VM_AGENT:-}"
kernel_pkg="${AETHER_GUEST_KERNEL_PACKAGE:-}"
busybox="${AETHER_GUEST_BUSYBOX:-/bin/busybox}"
want_rootfs=0
force=0

usage() {
  cat <<USAGE
usage: $0 --agent PATH [--out DIR] [--kernel-package NAME] [--rootfs] [--force]
  --agent PATH            static aether-vm-agent binary (or \$AETHER_VM_AGENT)
  --out DIR               output and cache dir (default \$AETHER_GUEST_DIR or build/guest)
  --kernel-package NAME   e.g. linux-image-6.1.0-56-cloud-amd64 (default: what
                          linux-image-cloud-amd64 depends on)
  --rootfs                also build rootfs.ext4 with debootstrap (network to Debian)
  --force                 rebuild even when the inputs are unchanged
USAGE
}

prog=build-image
# shellcheck source=tools/guest/lib.sh
source "${script_dir}/lib.sh"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --agent) agent="${2:?--agent needs a path}"; shift 2 ;;
    --out) out_dir="${2:?--out needs a directory}"; shift 2 ;;
    --kernel-package) kernel_pkg="${2:?--kernel-package needs a name}"; shift 2 ;;
    --rootfs) want_rootfs=1; shift ;;
    --force) force=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done

[[ -n "${agent}" ]] || die "--agent (or AETHER_VM_AGENT) must name the static aether-vm-agent binary"
[[ -x "${agent}" ]] || die "agent binary '${agent}' does not exist or is not executable"
[[ -x "${busybox}" ]] || die "busybox '${busybox}' is missing (install busybox-static)"
need_tools apt-get apt-cache dpkg-deb lz4 cpio sha256sum strip readelf flock
for bin in "${agent}" "${busybox}"; do
  if readelf -l "${bin}" | grep -q 'INTERP'; then
    die "'${bin}' is dynamically linked; the guest has no libc, it must be static"
  fi
done

mkdir -p "${out_dir}/cache"
out_dir="$(cd "${out_dir}" && pwd)"
cache="${out_dir}/cache"
# One builder at a time per output dir (parallel ctest runs share it).
take_lock "${out_dir}/.lock" 600

if [[ -z "${kernel_pkg}" ]]; then
  kernel_pkg="$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
    awk '/Depends: linux-image-[0-9].*-cloud-amd64$/ {print $2; exit}')"
  [[ -n "${kernel_pkg}" ]] || die "cannot resolve linux-image-cloud-amd64 to a kernel package (run apt-get update)"
fi
[[ "${kernel_pkg}" =~ ^linux-image-[0-9][0-9a-z.+-]*-cloud-amd64$ ]] ||
  die "kernel package '${kernel_pkg}' is not a linux-image-*-cloud-amd64 package"

# The .deb is the kernel input; download it once into the cache.
deb="$(find "${cache}" -maxdepth 1 -name "${kernel_pkg}_*_amd64.deb" | sort | tail -n 1)"
if [[ -z "${deb}" ]]; then
  echo "build-image: downloading ${kernel_pkg}" >&2
  (cd "${cache}" && apt-get download -q "${kernel_pkg}" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) ||
    die "apt-get download ${kernel_pkg} failed"
  deb="$(find "${cache}" -maxdepth 1 -name "${kernel_pkg}_*_amd64.deb" | sort | tail -n 1)"
  [[ -n "${deb}" ]] || die "apt-get download did not produce ${kernel_pkg}_*.deb in ${cache}"
fi

inputs_key="$(
  {
    sha256sum "${deb}" "${agent}" "${busybox}" "${BASH_SOURCE[0]}" | awk '{print $1}'
    echo "${EPOCH}"
  } | sha256sum | awk '{print $1}'
)"
# The root filesystem has its own cache key (it depends on the archive, not on
# the agent), so adding it never rebuilds the kernel/initramfs and vice versa.
write_sums() {
  local files=(vmlinux initramfs.cpio)
  [[ -f "${out_dir}/rootfs.ext4" ]] && files+=(rootfs.ext4)
  (cd "${out_dir}" && sha256sum "${files[@]}" >SHA256SUMS)
}
if [[ "${want_rootfs}" -eq 1 ]]; then
  rootfs_key="$(sha256sum "${script_dir}/build-rootfs.sh" | awk '{print $1}')-${AETHER_DEBIAN_SUITE:-bookworm}"
  if [[ "${force}" -eq 1 || ! -f "${out_dir}/rootfs.ext4" || "$(cat "${out_dir}/rootfs.key" 2>/dev/null)" != "${rootfs_key}" ]]; then
    rm -f "${out_dir}/rootfs.key"
    rootfs_work="$(mktemp -d "${out_dir}/rootfs-work.XXXXXX")"
    "${script_dir}/build-rootfs.sh" "${rootfs_work}" "${out_dir}/rootfs.ext4" || {
      rm -rf "${rootfs_work}"
      die "building rootfs.ext4 failed"
    }
    rm -rf "${rootfs_work}"
    echo "${rootfs_key}" >"${out_dir}/rootfs.key"
    rm -f "${out_dir}/inputs.key"  # so the manifest below lists the new rootfs
  fi
fi
if [[ "${force}" -eq 0 ]] && up_to_date "${out_dir}" "${inputs_key}"; then
  echo "build-image: ${out_dir} is up to date (${kernel_pkg})" >&2
  exit 0
fi
rm -f "${out_dir}/inputs.key"

work="$(mktemp -d "${out_dir}/work.XXXXXX")"
trap 'rm -rf "${work}"' EXIT
dpkg-deb -x "${deb}" "${work}/deb"
vmlinuz="$(find "${work}/deb/boot" -name 'vmlinuz-*' | head -n 1)"
[[ -n "${vmlinuz}" ]] || die "${deb} holds no boot/vmlinuz-*"
kver="${vmlinuz##*/vmlinuz-}"
moddir="${work}/deb/lib/modules/${kver}"

# vmlinuz -> vmlinux: the protected-mode payload starts after the real-mode
# setup ((setup_sects + 1) * 512 bytes); its offset and length are in the
# setup header at 0x248 and 0x24c. It is LZ4 (legacy frame) followed by the
# 4-byte uncompressed size the kernel's Makefile appends.
read_u32() { od -An -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }
setup_sects="$(od -An -t u1 -j $((0x1f1)) -N 1 "${vmlinuz}" | tr -d ' ')"
[[ "${setup_sects}" -eq 0 ]] && setup_sects=4
payload_offset="$(read_u32 "${vmlinuz}" $((0x248)))"
payload_length="$(read_u32 "${vmlinuz}" $((0x24c)))"
start=$(((setup_sects + 1) * 512 + payload_offset))
dd if="${vmlinuz}" of="${work}/payload" bs=64K iflag=skip_bytes,count_bytes \
  skip="${start}" count="$((payload_length - 4))" status=none
magic="$(od -An -t x1 -N 4 "${work}/payload" | tr -d ' ')"
[[ "${magic}" == "02214c18" ]] || die "kernel payload magic is ${magic}, not LZ4 legacy (02214c18): unsupported vmlinuz"
lz4 -dc "${work}/payload" >"${work}/vmlinux" 2>/dev/null || [[ -s "${work}/vmlinux" ]] ||
  die "lz4 could not decompress the kernel payload"
[[ "$(od -An -c -N 4 "${work}/vmlinux" | tr -d ' ')" == '177ELF' ]] ||
  die "decompressed kernel is not an ELF file"

# initramfs tree
root="${work}/root"
mkdir -p "${root}"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root,lib/modules}
strip -o "${root}/init" "${agent}"
chmod 0755 "${root}/init"
cp "${busybox}" "${root}/bin/busybox"
while read -r applet; do
  [[ -z "${applet}" || "${applet}" == bin/busybox || -e "${root}/${applet}" ]] && continue
  mkdir -p "${root}/$(dirname "${applet}")"
  ln -s /bin/busybox "${root}/${applet}"
done < <("${busybox}" --list-full | LC_ALL=C sort)
printf 'root:x:0:0:root:/root:/bin/sh\n' >"${root}/etc/passwd"
printf 'root:x:0:\n' >"${root}/etc/group"
printf 'aether\n' >"${root}/etc/hostname"

# Modules, flat, in dependency order; each dependency must come earlier.
loaded=" "
: >"${root}/lib/modules/load.list"
for rel in "${MODULES[@]}"; do
  src=""
  for ext in "" .xz .zst; do
    [[ -f "${moddir}/${rel}${ext}" ]] && src="${moddir}/${rel}${ext}" && break
  done
  [[ -n "${src}" ]] || die "module ${rel} is not in ${kernel_pkg}"
  name="$(basename "${rel}")"
  case "${src}" in
    *.xz) xz -dc "${src}" >"${root}/lib/modules/${name}" ;;
    *.zst) zstd -qdc "${src}" >"${root}/lib/modules/${name}" ;;
    *) cp "${src}" "${root}/lib/modules/${name}" ;;
  esac
  deps="$(strings -a "${root}/lib/modules/${name}" | sed -n 's/^depends=//p' | head -n 1)"
  for dep in ${deps//,/ }; do
    [[ "${loaded}" == *" ${dep} "* ]] || die "module ${name} needs ${dep}, which is not loaded before it"
  done
  loaded+="${name%.ko} "
  echo "${name}" >>"${root}/lib/modules/load.list"
done

find "${root}" -exec touch -h -d "@${EPOCH}" {} +
(cd "${root}" && find . -mindepth 1 | LC_ALL=C sort |
  cpio --quiet -o -H newc --reproducible -R 0:0 >"${work}/initramfs.cpio")

mv "${work}/vmlinux" "${out_dir}/vmlinux"
mv "${work}/initramfs.cpio" "${out_dir}/initramfs.cpio"
write_sums
{
  echo "{"
  echo "  \"kernel_package\": \"${kernel_pkg}\","
  echo "  \"kernel_deb\": \"$(basename "${deb}")\","
  echo "  \"kernel_deb_sha256\": \"$(sha256sum "${deb}" | awk '{print $1}')\","
  echo "  \"kernel_release\": \"${kver}\","
  echo "  \"agent_sha256\": \"$(sha256sum "${agent}" | awk '{print $1}')\","
  echo "  \"busybox_sha256\": \"$(sha256sum "${busybox}" | awk '{print $1}')\","
  echo "  \"modules\": [$(sed 's/.*/"&"/' "${root}/lib/modules/load.list" | paste -sd, -)],"
  echo "  \"source_date_epoch\": ${EPOCH},"
  echo "  \"artefacts\": {"
  sep=""
  while read -r sum file; do
    printf '%s    "%s": {"sha256": "%s", "bytes": %s}' "${sep}" "${file}" "${sum}" "$(stat -c %s "${out_dir}/${file}")"
    sep=$',\n'
  done <"${out_dir}/SHA256SUMS"
  printf '\n  }\n}\n'
} >"${out_dir}/manifest.json"
echo "${inputs_key}" >"${out_dir}/inputs.key"
echo "build-image: built ${out_dir} (${kernel_pkg})" >&2
