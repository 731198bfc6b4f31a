#!/bin/bash
# Build (or reuse) a tier's kernel: tinyconfig + <fragment>, out of tree.
#
#   harness/kernel.sh <src-dir> <fragment>
#   env: KVM_GPC_CACHE (default /var/cache/kvm-gpc)
#        KARCH=arm64   cross-build an arm64 Image (default: x86 bzImage)
#        TREE_NAME=<name> TREE_ID=<id>
#                      <src-dir> is one of several trees (base + series, or
#                      the base, on arm64 where KVM is built in): each name
#                      has its own build, reused only for the same id, and
#                      rebuilt incrementally (and through ccache) on a new one
#
# stdout: KEY=VALUE lines only (KERNEL_BUILD, KERNEL_IMAGE, ...);
# everything else goes to stderr or to <key>/build.log.
set -euo pipefail

die() { echo "kernel.sh: $*" >&2; exit 1; }
[[ $# -eq 2 ]] || die "usage: $0 <src-dir> <fragment>"
src=$(realpath -e -- "$1") || die "no source dir: $1"
frag=$(realpath -e -- "$2") || die "no fragment: $2"
[[ -f $src/Makefile ]] || die "$src has no Makefile"
cache=${KVM_GPC_CACHE:-/var/cache/kvm-gpc}

# Key = base version + fragment content, so any fragment edit gets its own tree.
mkvar() { sed -n "s/^$1 = *//p" "$src/Makefile" | head -n1; }
version="$(mkvar VERSION).$(mkvar PATCHLEVEL).$(mkvar SUBLEVEL)"
karch=${KARCH:-x86_64}
case $karch in
x86_64) kargs=() cross='' image=arch/x86/boot/bzImage targets=(bzImage modules) prefix='' ;;
arm64)
    cross=aarch64-linux-gnu-
    kargs=(ARCH=arm64 "CROSS_COMPILE=$cross")
    image=arch/arm64/boot/Image targets=(Image) prefix=arm64-
    command -v aarch64-linux-gnu-gcc >/dev/null || die "aarch64-linux-gnu-gcc not found; run 'make setup'"
    ;;
*) die "KARCH=$karch: x86_64 or arm64" ;;
esac
key="$prefix$version-$(sha256sum <"$frag" | cut -c1-12)${TREE_NAME:+-$TREE_NAME}"
dir=$cache/kernel/$key
build=$dir/build modroot=$dir/modroot log=$dir/build.log
stamp=$dir/.kvm-gpc-complete    # written last; holds TREE_ID: "done for this tree"

report() {
    echo "KERNEL_KEY=$key"
    echo "KERNEL_BUILD=$build"
    echo "KERNEL_IMAGE=$build/$image"
    echo "KERNEL_VMLINUX=$build/vmlinux"
    echo "KERNEL_MODROOT=$modroot"
    echo "KERNEL_RELEASE=$(cat "$build/include/config/kernel.release")"
    echo "KERNEL_LOG=$log"
}

mkdir -p "$dir"
# Serialize concurrent callers for the same key; the loser then sees the stamp.
exec 9>"$dir/.lock"
flock 9
if [[ -e $stamp && "$(cat "$stamp")" == "${TREE_ID:-}" ]]; then
    echo "cached" >&2
    report
    exit 0
fi
rm -f "$stamp"

mkdir -p "$build"
: >"$log"
SECONDS=0
# Run a step with output into the log; on failure show its tail and stop.
step() {
    echo "kernel.sh: $*" >>"$log"
    "$@" >>"$log" 2>&1 || { tail -n 40 "$log" >&2; die "failed: $* (full log: $log)"; }
}
# The pristine source stays read-only: everything goes to O=$build.
# Same CC for every step, or Kconfig would re-run when CC changes.
# ccache is shared by all keys. NOHASHDIR: the build dir path (it contains
# the key) must not split the cache; only DW_AT_comp_dir may then differ.
# DEPEND: take headers from gcc's -MMD output instead of running cpp a second
# time on every miss (~8% of a cold build).
export CCACHE_DIR=$cache/ccache CCACHE_NOHASHDIR=1 CCACHE_DEPEND=1
kmake() { step make -C "$src" O="$build" "${kargs[@]}" CC="ccache ${cross}gcc" "$@"; }

echo "kernel.sh: configuring $key in $build" >&2
kmake tinyconfig
# merge_config.sh drops a temp file in $PWD, so run it from the build dir.
(cd "$build" && step "$src/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "$frag")
kmake olddefconfig

# Kconfig silently drops values whose dependencies are unmet; insist that
# every CONFIG_ line of the fragment made it into .config as written (the
# last occurrence wins, as in merge_config.sh). "is not set" == absent.
declare -A want=()
order=()
while IFS= read -r line; do
    if [[ $line =~ ^CONFIG_([A-Za-z0-9_]+)=(.*)$ ]]; then
        name=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
    elif [[ $line =~ ^#\ CONFIG_([A-Za-z0-9_]+)\ is\ not\ set ]]; then
        name=${BASH_REMATCH[1]} val=n
    else
        continue
    fi
    [[ -v want[$name] ]] || order+=("$name")
    want[$name]=$val
done <"$frag"
bad=0
for name in "${order[@]}"; do
    got=$(sed -n "s/^CONFIG_$name=//p" "$build/.config")
    [[ ${want[$name]} == "${got:-n}" ]] && continue
    echo "kernel.sh: CONFIG_$name: fragment wants '${want[$name]}', .config has '${got:-n}'" >&2
    bad=1
done
((bad == 0)) || die "config validation failed: fix the dependencies of the options above in $frag"

echo "kernel.sh: building ${targets[*]} (log: $log)" >&2
kmake -j"$(nproc)" "${targets[@]}"
# Uncompressed .ko (CONFIG_MODULE_COMPRESS=n), not stripped: pahole needs the DWARF.
rm -rf "$modroot"
[[ $karch != x86_64 ]] || kmake INSTALL_MOD_PATH="$modroot" modules_install

printf '%s' "${TREE_ID:-}" >"$stamp"
echo "kernel.sh: built $key in ${SECONDS}s" >&2
report
