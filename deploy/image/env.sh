# Sourced by deploy/image/build and deploy/smoke: podman and buildah settings for hosts like the CI
# machine (root, no registry, hybrid cgroups). Everything they store goes under $STATE, a folder
# of ours, so runs do not collide with other podman users and the cache survives between runs.
#   TWILIO_CRM_IMAGE_STATE  where images, the root file system cache and run state live
#                           (default /var/tmp/twilio-crm-image)
STATE=${TWILIO_CRM_IMAGE_STATE:-/var/tmp/twilio-crm-image}
mkdir -p "$STATE/storage" "$STATE/run" "$STATE/cache"
# Storage: overlay where the kernel allows it, vfs otherwise (slower, always works).
if [[ ! -f $STATE/storage.conf ]]; then
  driver=overlay
  probe=$(mktemp -d "$STATE/probe.XXXXXX")
  mkdir -p "$probe"/{l,u,w,m}
  if mount -t overlay overlay -o "lowerdir=$probe/l,upperdir=$probe/u,workdir=$probe/w" "$probe/m" 2>/dev/null; then
    umount "$probe/m"
  else
    driver=vfs
  fi
  rm -rf "$probe"
  cat >"$STATE/storage.conf" <<CONF
[storage]
driver = "$driver"
graphroot = "$STATE/storage"
runroot = "$STATE/run"
CONF
fi
# crun refuses this kind of host's hybrid cgroup layout, so runc; podman as root asks for more
# open files and processes than may be raised here, so the limits are the hard limit and 4096.
nofile=$(ulimit -Hn)
cat >"$STATE/containers.conf" <<CONF
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=4096:4096"]
CONF
export CONTAINERS_STORAGE_CONF=$STATE/storage.conf
export CONTAINERS_CONF=$STATE/containers.conf
export BUILDAH_RUNTIME=runc
export BUILDAH_ISOLATION=chroot
