#!/bin/bash
# make setup: install every Debian package the project needs, pinned where it
# matters, and fetch the stock kernel image for the VM.  Idempotent.
set -euo pipefail
. "$(dirname "$0")/common.sh"
[ "$(id -u)" = 0 ] || die "make setup installs packages: run it as root"
command -v apt-get >/dev/null || die "apt-get not found: this needs Debian 12 (bookworm)"

pinned=(
	"linux-source-6.12=$BASE_DEB_VERSION"
	"linux-headers-$BASE_KERNEL_RELEASE=$BASE_DEB_VERSION"
)
tools=(
	build-essential bc bison flex libelf-dev libssl-dev dwarves ccache
	cpio kmod xz-utils zstd rsync file git patch python3 python3-docutils
	qemu-system-x86 busybox-static sparse
)

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${pinned[@]}" "${tools[@]}"

# The image the VM boots: downloaded, not installed (harness/base.sh unpacks
# it into the cache).  The headers installed above still pull in Debian's
# linux-image package, which does land in the host's /boot.
deb_dir=$KVM_GPC_CACHE/debs
image=linux-image-$BASE_KERNEL_RELEASE-unsigned
mkdir -p "$deb_dir"
if [ ! -f "$deb_dir/${image}_${BASE_DEB_VERSION}_amd64.deb" ]; then
	(cd "$deb_dir" && apt-get download -q "$image=$BASE_DEB_VERSION") ||
		die "cannot download $image=$BASE_DEB_VERSION; is the pinned version still in the archive?"
fi
echo "setup: done (base $BASE_DEB_VERSION, cache $KVM_GPC_CACHE)"
