#!/bin/bash
# Stage 6, build initramfs: busybox, the modules under test in updates/ plus
# the target kernel's own modules they depend on, the tests, and /init.
#
# Inputs come from the environment (set by harness/run.sh):
#   TIER KREL        tier name, target kernel release
#   KMODS            the target kernel's lib/modules/$KREL (stock or debug)
#   BUILT_MODULES    directory with the series' kvm.ko, kvm-amd.ko, kvm-intel.ko
#   TEST_DIR         selftest build output; TEST_LIST: one relative path per line
#   EXTRA            optional file or directory of extra executables
#   TEST_TIMEOUT     seconds per test
#   OUT              the cpio to write
set -euo pipefail
. "$(dirname "$0")/common.sh"
need_cmd cpio depmod modinfo objcopy xz strip
[ -x /bin/busybox ] && file -L /bin/busybox | grep -q static ||
	die "/bin/busybox is not busybox-static; run 'make setup' as root"

root=$OUT.d
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc/kvm-gpc,selftests,extra}
mkdir -p "$root/lib/modules/$KREL"/{kernel,updates}
cp /bin/busybox "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$REPO_DIR/harness/init.sh" "$root/init"
mkdir -p "$root/lib"
cp "$REPO_DIR/harness/guest-lib.sh" "$root/lib/kvm-gpc.sh"

# The series' modules, and the closure of what they depend on from the
# target kernel (irqbypass, ccp, ...), uncompressed so busybox can load them.
declare -A seen
add_deps() {
	local ko=$1 dep f
	for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do
		[ -z "${seen[$dep]:-}" ] || continue
		seen[$dep]=1
		[ -f "$BUILT_MODULES/${dep//_/-}.ko" ] && continue
		f=$(find "$KMODS/kernel" -name "$dep.ko*" -o -name "${dep//_/-}.ko*" | head -n 1)
		[ -n "$f" ] || die "module $dep (needed by $(basename "$ko")) is not in $KMODS"
		case $f in
		*.xz) xz -dc "$f" >"$root/lib/modules/$KREL/kernel/$dep.ko" ;;
		*) cp "$f" "$root/lib/modules/$KREL/kernel/$dep.ko" ;;
		esac
		add_deps "$root/lib/modules/$KREL/kernel/$dep.ko"
	done
}
: >"$root/etc/kvm-gpc/build-id"
for m in kvm kvm-amd kvm-intel; do
	cp "$BUILT_MODULES/$m.ko" "$root/lib/modules/$KREL/updates/"
	add_deps "$BUILT_MODULES/$m.ko"
done
# Proof that the VM runs these very modules: the guest compares the build-id
# note the kernel exposes in /sys/module/<m>/notes with the one built here
# (Debian's modules carry no srcversion).  kvm-intel cannot load on the
# emulated AMD CPU, so only kvm and kvm-amd are checked.
for m in kvm kvm-amd; do
	sum=$(objcopy -O binary --only-section=.note.gnu.build-id \
		"$BUILT_MODULES/$m.ko" /dev/stdout | sha256sum | cut -c1-64)
	[ "$sum" != "$(: | sha256sum | cut -c1-64)" ] || die "$m.ko has no build-id"
	echo "${m//-/_} $sum" >>"$root/etc/kvm-gpc/build-id"
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
	if [ -f "$KMODS/$f" ]; then cp "$KMODS/$f" "$root/lib/modules/$KREL/"; else : >"$root/lib/modules/$KREL/$f"; fi
done
depmod -b "$root" "$KREL"

# Tests: the selftests the caller chose, then EXTRA, in one TAP stream.
: >"$root/etc/kvm-gpc/tests"
while read -r t; do
	[ -n "$t" ] || continue
	strip --strip-debug -o "$root/selftests/$(basename "$t")" "$TEST_DIR/$t"
	echo "$(basename "$t") /selftests/$(basename "$t")" >>"$root/etc/kvm-gpc/tests"
done <"$TEST_LIST"
if [ -n "${EXTRA:-}" ]; then
	[ -e "$EXTRA" ] || die "EXTRA=$EXTRA does not exist"
	for f in $(find "$EXTRA" -maxdepth 1 -type f | sort); do
		[ -x "$f" ] || die "EXTRA file $f is not executable"
		cp "$f" "$root/extra/"
		echo "$(basename "$f") /extra/$(basename "$f")" >>"$root/etc/kvm-gpc/tests"
	done
fi

# Known failures of this tier: name|timeout|expected|reason.
awk -F'|' -v tier="$TIER" '
	/^[[:space:]]*(#|$)/ { next }
	{ for (i = 1; i <= NF; i++) gsub(/^[ \t]+|[ \t]+$/, "", $i) }
	$2 == "all" || $2 == tier { print $1 "|" $3 "|" $4 "|" $5 }
' "$REPO_DIR/harness/known-failures" >"$root/etc/kvm-gpc/xfail"

cat >"$root/etc/kvm-gpc/config" <<CONF
TIER=$TIER
TEST_TIMEOUT=$TEST_TIMEOUT
LOAD_MODULES="kvm_amd"
CONF

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$OUT"
echo "initramfs: $(du -h "$OUT" | cut -f1), $(wc -l <"$root/etc/kvm-gpc/tests") tests" >&2
