#!/usr/bin/env bash
# Turns an OCI image into an Aether template directory:
#   vmlinux, initramfs.cpio  the guest kernel and the initramfs with vm-agent as
#                            init (copied from a build-image.sh output dir)
#   rootfs.ext4              the image's layers as an ext4 file system
#                            (read-only base: VMs get a qcow2 overlay on it)
#   manifest.json            sha256 of each file, the image's digests, env,
#                            workdir, user, entrypoint, cmd
#   SHA256SUMS               the same sums, for `sha256sum -c`
# The image is read with skopeo (local podman storage, oci-archive or
# docker-archive) and unpacked with umoci; the agent stays in the initramfs
# and runs commands chrooted in the mounted root, so the image's own
# entrypoint is untouched. See README.md.
set -euo pipefail

readonly EPOCH="${SOURCE_DATE_EPOCH:-1700000000}"
script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(cd "${script_dir}/../.." && pwd)"
guest_dir="${AETHER_GUEST_DIR:-${repo_dir}/build/guest}"
out_root="${AETHER_TEMPLATES_DIR:-${repo_dir}/build/templates}"
image=""
name=""
free_mib=256
force=0

usage() {
  cat <<USAGE
usage: $0 --image REF --name NAME [--out ROOT] [--guest DIR] [--free-mib N] [--force]
  --image REF     containers-storage:localhost/app:1 (or just localhost/app:1),
                  oci-archive:PATH[:TAG], docker-archive:PATH, oci:DIR[:TAG]
  --name NAME     template name ([A-Za-z0-9_-], 1-64); the directory ROOT/NAME
  --out ROOT      template root the worker scans (default \$AETHER_TEMPLATES_DIR
                  or build/templates)
  --guest DIR     build-image.sh output with vmlinux and initramfs.cpio
                  (default \$AETHER_GUEST_DIR or build/guest)
  --free-mib N    free space left in the file system for the VM's writes (256)
  --force         rebuild even when the image and inputs are unchanged
USAGE
}

prog=build-template
# shellcheck source=tools/guest/lib.sh
source "${script_dir}/lib.sh"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --image) image="${2:?--image needs a reference}"; shift 2 ;;
    --name) name="${2:?--name needs a name}"; shift 2 ;;
    --out) out_root="${2:?--out needs a directory}"; shift 2 ;;
    --guest) guest_dir="${2:?--guest needs a directory}"; shift 2 ;;
    --free-mib) free_mib="${2:?--free-mib needs a number}"; shift 2 ;;
    --force) force=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done

[[ -n "${image}" ]] || die "--image must name the OCI image"
[[ "${name}" =~ ^[A-Za-z0-9_-]{1,64}$ ]] || die "--name '${name}' must be 1-64 characters of [A-Za-z0-9_-]"
[[ "${name}" != default ]] || die "--name default is the busybox guest (build-image.sh); pick another name"
[[ "${free_mib}" =~ ^[0-9]+$ ]] || die "--free-mib '${free_mib}' is not a number of MiB"
need_tools skopeo umoci jq mkfs.ext4 sha256sum flock
[[ "$(id -u)" -eq 0 ]] || die "needs root (the image's files keep their owners in the file system)"
for f in vmlinux initramfs.cpio; do
  [[ -f "${guest_dir}/${f}" ]] || die "${guest_dir}/${f} is missing: run tools/guest/build-image.sh first"
done
case "${image}" in
  containers-storage:* | oci-archive:* | docker-archive:* | oci:*) source_ref="${image}" ;;
  *:*/* | */*) source_ref="containers-storage:${image}" ;;
  *) die "--image '${image}' is not a reference skopeo reads (containers-storage:, oci-archive:, docker-archive:, oci:)" ;;
esac

mkdir -p "${out_root}"
out_root="$(cd "${out_root}" && pwd)"
guest_dir="$(cd "${guest_dir}" && pwd)"
dest="${out_root}/${name}"
take_lock "${out_root}/.${name}.lock" 900

work="$(mktemp -d "${out_root}/.${name}.work.XXXXXX")"
trap 'rm -rf "${work}"' EXIT
skopeo --insecure-policy copy -q "${source_ref}" "oci:${work}/oci:image" >"${work}/skopeo.log" 2>&1 ||
  die "skopeo cannot read '${source_ref}': $(tail -n 3 "${work}/skopeo.log")"
manifest_digest="sha256:$(skopeo inspect --raw "oci:${work}/oci:image" | sha256sum | awk '{print $1}')"
skopeo inspect --config "oci:${work}/oci:image" >"${work}/config.json" ||
  die "cannot read the image config of '${source_ref}'"
image_id="sha256:$(skopeo inspect --raw --config "oci:${work}/oci:image" | sha256sum | awk '{print $1}')"

# Cached: same image config (= same layers), same guest files, same script.
key="$(
  {
    echo "${image_id}" "${free_mib}" "${EPOCH}"
    sha256sum "${guest_dir}/vmlinux" "${guest_dir}/initramfs.cpio" "${BASH_SOURCE[0]}" | awk '{print $1}'
  } | sha256sum | awk '{print $1}'
)"
if [[ "${force}" -eq 0 ]] && up_to_date "${dest}" "${key}"; then
  echo "build-template: ${dest} is up to date (${image_id})" >&2
  exit 0
fi

root="${work}/rootfs"
umoci raw unpack --image "${work}/oci:image" "${root}" >"${work}/umoci.log" 2>&1 ||
  die "umoci cannot unpack the image: $(tail -n 3 "${work}/umoci.log")"

# The user as numbers, resolved against the image's own passwd and group
# (OCI: "", "name", "uid", "name:group", "uid:gid").
user="$(jq -r '.config.User // ""' "${work}/config.json")"
lookup() { # file name-or-id -> "name:id:gid:home" line fields
  awk -F: -v k="$2" '$1 == k || $3 == k {print; exit}' "${root}/etc/$1" 2>/dev/null || true
}
uid=0 gid=0 home=/root user_name=root
if [[ -n "${user}" ]]; then
  u="${user%%:*}"
  g=""
  [[ "${user}" == *:* ]] && g="${user#*:}"
  entry="$(lookup passwd "${u}")"
  if [[ -n "${entry}" ]]; then
    IFS=: read -r user_name _ uid gid _ home _ <<<"${entry}"
  elif [[ "${u}" =~ ^[0-9]+$ ]]; then
    uid="${u}" gid="${u}" home=/ user_name="${u}"
  else
    die "image user '${user}': no user '${u}' in the image's /etc/passwd"
  fi
  if [[ -n "${g}" ]]; then
    gentry="$(lookup group "${g}")"
    if [[ -n "${gentry}" ]]; then
      gid="$(cut -d: -f3 <<<"${gentry}")"
    elif [[ "${g}" =~ ^[0-9]+$ ]]; then
      gid="${g}"
    else
      die "image user '${user}': no group '${g}' in the image's /etc/group"
    fi
  fi
fi
# Supplementary groups: the primary one plus every group naming the user.
groups="${gid}"
if [[ -f "${root}/etc/group" ]]; then
  while IFS=: read -r _ _ id members; do
    [[ ",${members}," == *",${user_name},"* && "${id}" != "${gid}" ]] && groups+=",${id}"
  done <"${root}/etc/group"
fi
workdir="$(jq -r '.config.WorkingDir // ""' "${work}/config.json")"
[[ -z "${workdir}" || "${workdir}" == /* ]] || die "image WorkingDir '${workdir}' is not absolute"

mkdir -p "${root}/.aether" "${root}"/{proc,sys,dev,tmp,run}
{
  echo "# written by tools/guest/build-template.sh from ${source_ref} (${image_id})"
  jq -r '.config.Env // [] | .[] | "env " + .' "${work}/config.json"
  [[ -n "${workdir}" ]] && echo "workdir ${workdir}"
  echo "user ${uid} ${gid}"
  echo "groups ${groups}"
  echo "home ${home:-/}"
} >"${root}/.aether/image.conf"
[[ -n "${workdir}" ]] && mkdir -p "${root}${workdir}"
find "${root}" -xdev -exec touch -h -d "@${EPOCH}" {} +

size_mib=$(($(du -sm "${root}" | cut -f1) * 12 / 10 + free_mib + 16))
stage="${work}/template"
mkdir -p "${stage}"
E2FSPROGS_FAKE_TIME="${EPOCH}" mkfs.ext4 -q -F -L "aether-${name:0:9}" \
  -U 6a1c3e2e-6b4e-4f54-9d0e-ae7e4e2d0011 -E hash_seed=6a1c3e2e-6b4e-4f54-9d0e-ae7e4e2d0012 \
  -d "${root}" "${stage}/rootfs.ext4" "${size_mib}M" >"${work}/mkfs.log" 2>&1 ||
  die "mkfs.ext4 failed: $(tail -n 3 "${work}/mkfs.log")"
chmod 0444 "${stage}/rootfs.ext4" # the shared base: VMs write to their own overlay
cp "${guest_dir}/vmlinux" "${guest_dir}/initramfs.cpio" "${stage}/"
(cd "${stage}" && sha256sum vmlinux initramfs.cpio rootfs.ext4 >SHA256SUMS)

jq -n --arg name "${name}" --arg source "${source_ref}" --arg digest "${manifest_digest}" \
  --arg image_id "${image_id}" --arg user "${user}" --argjson uid "${uid}" --argjson gid "${gid}" \
  --arg groups "${groups}" --arg home "${home:-/}" --arg workdir "${workdir}" \
  --arg guest_manifest "$(sha256sum "${guest_dir}/manifest.json" 2>/dev/null | awk '{print $1}')" \
  --slurpfile config "${work}/config.json" \
  --rawfile sums "${stage}/SHA256SUMS" \
  --argjson sizes "$(cd "${stage}" && for f in vmlinux initramfs.cpio rootfs.ext4; do
    printf '{"%s": %s}\n' "${f}" "$(stat -c %s "${f}")"
  done | jq -s add)" \
  '{
    kind: "aether-template", name: $name,
    image: {source: $source, manifest_digest: $digest, image_id: $image_id,
            env: ($config[0].config.Env // []), workdir: $workdir,
            user: $user, uid: $uid, gid: $gid,
            groups: ($groups | split(",") | map(tonumber)), home: $home,
            entrypoint: ($config[0].config.Entrypoint // []), cmd: ($config[0].config.Cmd // [])},
    guest_manifest_sha256: $guest_manifest,
    artefacts: ($sums | split("\n") | map(select(length > 0) | split("  ") |
                {key: .[1], value: {sha256: .[0], bytes: $sizes[.[1]]}}) | from_entries)
  }' >"${stage}/manifest.json"
echo "${key}" >"${stage}/inputs.key"

# Replace the old directory in two renames (a worker scanning sees one or the other).
if [[ -d "${dest}" ]]; then
  mv "${dest}" "${work}/old"
fi
mv "${stage}" "${dest}"
echo "build-template: built ${dest} from ${source_ref} (${image_id}, rootfs ${size_mib} MiB)" >&2
