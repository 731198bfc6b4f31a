#!/bin/bash
# Stage 3, build modules: kvm.ko, kvm-amd.ko and kvm-intel.ko from a patched
# tree, out of tree, against a kernel build directory (Debian's headers for the
# stock tier, the debug kernel's build for the debug tier).
#
#   modules.sh <tree> <kernel-build-dir> <out-dir>
set -euo pipefail
# shellcheck source=harness/common.sh
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
# shellcheck disable=SC2016  # make variables, not shell ones
sed 's|$(srctree)|$(KVM_TREE)|g' "$kvm/Makefile" >"$kvm/Makefile.kvm-gpc"

# Layout shims (kmod/compat/*.patch) keep structures that the target kernel's
# built-in code writes at the offsets it was compiled with, where the series
# moves them.  Each one is applied only to a tree it fits, i.e. one that has
# the patch it compensates for; the layout guard checks the result either way.
# NO_SHIMS=1 (build-each, whose modules are never loaded) builds the tree as
# the series leaves it.
for shim in "$REPO_DIR"/kmod/compat/*.patch; do
	[ -z "${NO_SHIMS:-}" ] || break
	[ -f "$shim" ] || continue
	if patch -d "$tree" -p1 -F0 -N --dry-run -s -r - <"$shim" >/dev/null 2>&1; then
		patch -d "$tree" -p1 -F0 -N -s --no-backup-if-mismatch -r - <"$shim"
		echo "layout shim: $(basename "$shim")" >&2
	fi
done

# COMPILE_ONLY=1 (build-each, whose modules are never loaded): no debug info
# and no module BTF, which take a quarter of a cold build's CPU time and
# change no diagnostic.
extra=()
[ -z "${COMPILE_ONLY:-}" ] || extra=(KCFLAGS=-g0 CONFIG_DEBUG_INFO_BTF_MODULES=)
mkdir -p "$out"
log=$(realpath "$out")/modules.log
if ! make -C "$kbuild" M="$kvm" CC="ccache gcc" -j"$(nproc)" "${extra[@]}" modules >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	die "module build failed; full log: $log"
fi
for m in kvm kvm-amd kvm-intel; do
	[ -f "$kvm/$m.ko" ] || die "$m.ko was not built; see $log"
	cp "$kvm/$m.ko" "$out/"
done
grep -E '(warning|error):' "$log" >&2 || true
