#!/bin/bash
# make setup: install the Debian packages the project needs, and download (not
# install) the pinned kernel packages into the cache.  Idempotent.  It leaves
# the host's /boot alone: no linux-image, linux-headers or linux-kbuild
# package is installed (the headers depend on the image, which would land in
# /boot with an initramfs and a boot entry).
set -euo pipefail
# shellcheck source=harness/common.sh
. "$(dirname "$0")/common.sh"
[ "$(id -u)" = 0 ] || die "make setup installs packages: run it as root"
command -v apt-get >/dev/null || die "apt-get not found: this needs Debian 12 (bookworm)"

# linux-source is a tarball in /usr/src, installed; gcc-12 and pahole are what
# the headers package would have pulled in to build modules.
pinned=("linux-source-6.12=$BASE_DEB_VERSION")
tools=(
	build-essential bc bison flex libelf-dev libssl-dev dwarves ccache
	cpio kmod xz-utils zstd rsync file git patch python3 python3-docutils
	qemu-system-x86 busybox-static sparse gcc-12
	shellcheck pyflakes3 git-email
	# the arm64 tier: a cross compiler and libc for its kernel and static
	# selftests, and the emulator; its guest's busybox is downloaded below
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm
)

export DEBIAN_FRONTEND=noninteractive
# apt downloads arm64 packages (busybox-static for the arm64 guest) only for a
# foreign architecture dpkg knows; nothing of that architecture is installed.
dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
apt-get update -q
apt-get install -y -q --no-install-recommends "${pinned[@]}" "${tools[@]}"

# The image the VM boots and the headers the modules build against, as .debs:
# harness/base.sh unpacks them into the cache.
deb_dir=$KVM_GPC_CACHE/debs
mkdir -p "$deb_dir"
for pkg in "${BASE_DEBS[@]}"; do
	[ -f "$deb_dir/$(base_deb_file "$pkg")" ] && continue
	(cd "$deb_dir" && apt-get download -q "$pkg=$BASE_DEB_VERSION") ||
		die "cannot download $pkg=$BASE_DEB_VERSION; is the pinned version still in the archive?"
done
# The arm64 guest's static busybox, unpacked by the arm64 tier.
[ -n "$(find "$deb_dir" -maxdepth 1 -name 'busybox-static_*_arm64.deb' -print -quit)" ] ||
	(cd "$deb_dir" && apt-get download -q busybox-static:arm64) ||
	die "cannot download busybox-static:arm64"
echo "setup: done (base $BASE_DEB_VERSION, cache $KVM_GPC_CACHE)"
