# shellcheck shell=bash
# Source this file: settings that let buildah, podman and skopeo work on a machine with no Docker
# engine, no systemd, cgroups v1 in hybrid mode and a root shell without CAP_SYS_RESOURCE
# (shared/spec/containers-here.md explains each one). It uses a private overlay store under
# $BERTH_IMAGES_HOME so it never mixes with another store on the machine.
#   overlay store      fast layer cache (vfs copies the whole tree at every step)
#   runtime runc       crun refuses the hybrid cgroup layout
#   default_ulimits [] podman's default rlimits exceed this shell's hard limits
#   netns host         a server in a container answers on the host's loopback
#   chroot isolation   builds need no runtime at all
: "${BERTH_IMAGES_HOME:=/var/tmp/berth-images}"
export BERTH_IMAGES_HOME
mkdir -p "$BERTH_IMAGES_HOME/conf"
cat > "$BERTH_IMAGES_HOME/conf/storage.conf" <<CONF
[storage]
driver = "overlay"
runroot = "/run/berth-images/storage"
graphroot = "$BERTH_IMAGES_HOME/storage"
[storage.options.overlay]
mountopt = "nodev"
CONF
cat > "$BERTH_IMAGES_HOME/conf/containers.conf" <<'CONF'
[containers]
default_ulimits = []
netns = "host"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
# BERTH_STORAGE_CONF: another store (push-test.sh runs the pulled image from an empty one).
export CONTAINERS_STORAGE_CONF=${BERTH_STORAGE_CONF:-$BERTH_IMAGES_HOME/conf/storage.conf}
export CONTAINERS_CONF=$BERTH_IMAGES_HOME/conf/containers.conf
export BUILDAH_ISOLATION=chroot
