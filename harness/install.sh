#!/bin/bash
# make install: put the series' modules built for the stock tier into
# /lib/modules/<release>/updates/ of this host, which must run that release.
set -euo pipefail
# shellcheck source=harness/common.sh
. "$(dirname "$0")/common.sh"
[ "$(id -u)" = 0 ] || die "make install writes /lib/modules: run it as root"
running=${INSTALL_KERNEL_RELEASE:-$(uname -r)}
[ "$running" = "$BASE_KERNEL_RELEASE" ] ||
	die "this host runs $running; the modules are built for $BASE_KERNEL_RELEASE and would not load (or worse, would load into the wrong layout)"
mods=${BUILD_DIR:-$REPO_DIR/build}/stock/modules
for m in kvm kvm-amd kvm-intel; do
	[ -f "$mods/$m.ko" ] || die "$mods/$m.ko missing; run 'make run' first"
done
# The layout guard again: install must never be the path around it.
python3 "$HARNESS_DIR/layout.py" "$HEADERS_DIR/vmlinux" "$mods"/kvm*.ko
dest=${INSTALL_MOD_ROOT:-}/lib/modules/$BASE_KERNEL_RELEASE/updates/kvm-gpc
mkdir -p "$dest"
install -m 0644 "$mods"/kvm.ko "$mods"/kvm-amd.ko "$mods"/kvm-intel.ko "$dest/"
depmod ${INSTALL_MOD_ROOT:+-b "$INSTALL_MOD_ROOT"} "$BASE_KERNEL_RELEASE"
echo "installed into $dest; reload with: modprobe -r kvm_amd kvm_intel kvm && modprobe kvm_amd (or kvm_intel)"
