#!/bin/bash
# Stage 3, build modules: kvm.ko, kvm-amd.ko and kvm-intel.ko from a patched
# tree, out of tree, against a kernel build directory (Debian's headers for the
# stock tier, the debug kernel's build for the debug tier).
#
#   modules.sh <tree> <kernel-build-dir> <out-dir>
set -euo pipefail
. "$(dirname "$0")/common.sh"
need_cmd make gcc ccache

tree=$(realpath "${1:?usage: modules.sh <tree> <kernel-build-dir> <out-dir>}")
kbuild=$(realpath "${2:?missing kernel build dir}")
out=${3:?missing out dir}
kvm=$tree/arch/x86/kvm
[ -f "$kvm/Makefile" ] || die "$tree is not a kernel tree"
[ -f "$kbuild/Module.symvers" ] || die "$kbuild is not a kernel build directory"

# Only the glue's two files are added to the tree; the series' own Makefile is
# used as is, so objects a patch adds are picked up without touching the glue.
cp "$REPO_DIR/kmod/Kbuild.x86" "$kvm/Kbuild"
sed 's|$(srctree)|$(KVM_TREE)|g' "$kvm/Makefile" >"$kvm/Makefile.kvm-gpc"

mkdir -p "$out"
log=$(realpath "$out")/modules.log
if ! make -C "$kbuild" M="$kvm" CC="ccache gcc" -j"$(nproc)" \
	${KVM_GPC_COMPAT:+KVM_GPC_COMPAT="$KVM_GPC_COMPAT"} modules >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	die "module build failed; full log: $log"
fi
for m in kvm kvm-amd kvm-intel; do
	[ -f "$kvm/$m.ko" ] || die "$m.ko was not built; see $log"
	cp "$kvm/$m.ko" "$out/"
done
grep -E '(warning|error):' "$log" >&2 || true
