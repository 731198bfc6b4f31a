#!/bin/bash
# Stage 6, build initramfs: busybox, the modules under test plus the target
# kernel's own modules they depend on, the tests and their plan, and /init.
#
# Inputs come from the environment (set by harness/run.sh, harness/bench.sh):
#   ARCH             harness/arch/<ARCH>.conf (default x86_64): the guest's
#                    busybox, strip and ports
#   TIER KREL        tier name, target kernel release
#   KMODS            the target kernel's lib/modules/$KREL (stock or debug)
#   MODULE_SETS      "updates=<dir>" (run.sh): the series' kvm.ko, kvm-amd.ko,
#                    kvm-intel.ko into updates/, where modprobe prefers them;
#                    or "base=<dir> series=<dir>" (bench.sh): each set in
#                    /bench/<set>/ for insmod; empty where KVM is built in
#   TEST_DIR         selftest build output; TEST_LIST: one relative path per line
#   EXTRA            optional file or directory of extra executables
#   TEST_TIMEOUT     optional: seconds per test, overriding the measured ones
#   INIT             optional: /init (default harness/guest/init.sh)
#   GUEST_CONF       optional: lines to add to /etc/kvm-gpc/config
#   OUT              the cpio to write
set -euo pipefail
# shellcheck source=harness/common.sh
. "$(dirname "$0")/common.sh"
load_arch
need_cmd cpio depmod modinfo objcopy xz "${CROSS_COMPILE}strip"
busybox=$(guest_busybox "$BUSYBOX")
if ! file -L "$busybox" | grep -q static; then
	die "$busybox is not busybox-static; run 'make setup' as root"
fi

root=$OUT.d
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc/kvm-gpc,selftests,extra}
mkdir -p "$root/lib/modules/$KREL"/{kernel,updates}
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "${INIT:-$HARNESS_DIR/guest/init.sh}" "$root/init"
cp "$HARNESS_DIR/guest/lib.sh" "$root/lib/kvm-gpc.sh"

# The series' modules, and the closure of what they depend on from the
# target kernel (irqbypass, ccp, ...), uncompressed so busybox can load them.
declare -A seen
add_deps() {
	local ko=$1 dep f
	for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do
		[ -z "${seen[$dep]:-}" ] || continue
		seen[$dep]=1
		[ -f "$(dirname "$ko")/${dep//_/-}.ko" ] && continue
		f=$(find "$KMODS/kernel" -name "$dep.ko*" -o -name "${dep//_/-}.ko*" | head -n 1)
		[ -n "$f" ] || die "module $dep (needed by $(basename "$ko")) is not in $KMODS"
		case $f in
		*.xz) xz -dc "$f" >"$root/lib/modules/$KREL/kernel/$dep.ko" ;;
		*) cp "$f" "$root/lib/modules/$KREL/kernel/$dep.ko" ;;
		esac
		add_deps "$root/lib/modules/$KREL/kernel/$dep.ko"
	done
}
# Proof that the VM runs these very modules: the guest compares the build-id
# note the kernel exposes in /sys/module/<m>/notes with the one built here.
# kvm-intel cannot load on the emulated AMD CPU, so only kvm and kvm-amd are
# checked.  Every set must need the same modules of the target kernel.
: >"$root/etc/kvm-gpc/build-id"
deps=
for set in $MODULE_SETS; do
	name=${set%%=*} dir=${set#*=}
	dest=$root/bench/$name
	[ "$name" = updates ] && dest=$root/lib/modules/$KREL/updates
	mkdir -p "$dest"
	for m in kvm kvm-amd kvm-intel; do
		cp "$dir/$m.ko" "$dest/"
		add_deps "$dir/$m.ko"
	done
	have=$(modinfo -F depends "$dir/kvm.ko" "$dir/kvm-amd.ko" | tr '\n' ' ')
	[ -z "$deps" ] || [ "$have" = "$deps" ] ||
		die "the module sets depend on different modules: '$deps', '$have' ($name)"
	deps=$have
	for m in kvm kvm-amd; do
		id=$(build_id "$dir/$m.ko") || die "no build-id note in $dir/$m.ko"
		echo "$name ${m//-/_} $id" >>"$root/etc/kvm-gpc/build-id"
	done
done
if [ -n "$MODULE_SETS" ]; then
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		if [ -f "$KMODS/$f" ]; then cp "$KMODS/$f" "$root/lib/modules/$KREL/"; else : >"$root/lib/modules/$KREL/$f"; fi
	done
	depmod -b "$root" "$KREL"
fi

# Tests: the selftests the caller chose, then EXTRA, in one TAP stream.
: >"$root/etc/kvm-gpc/tests"
while read -r t; do
	[ -n "$t" ] || continue
	"${CROSS_COMPILE}strip" --strip-debug -o "$root/selftests/$(basename "$t")" "$TEST_DIR/$t"
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

# The plan: each test with its timeout and what the tables say of it.
mapfile -t tests <"$root/etc/kvm-gpc/tests"
python3 "$HARNESS_DIR/tables.py" plan --tier "$TIER" "${tests[@]}" >"$root/etc/kvm-gpc/plan" ||
	die "cannot write the test plan"
rm "$root/etc/kvm-gpc/tests"

cat >"$root/etc/kvm-gpc/config" <<CONF
TIER=$TIER
LOAD_MODULES="$([ -n "$MODULE_SETS" ] && echo kvm_amd)"
CONSOLE=$CONSOLE
TAP_TTY=$TAP_TTY
LOCKDEP_TTY=$LOCKDEP_TTY
VFIO_DEVICES="$VFIO_DEVICES"
DEPS="$(find "$root/lib/modules/$KREL/kernel" -name '*.ko' -printf '%f\n' | sed 's/\.ko$//' | sort | tr '\n' ' ')"
CONF
[ -z "${GUEST_CONF:-}" ] || cat "$GUEST_CONF" >>"$root/etc/kvm-gpc/config"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$OUT"
echo "initramfs: $(du -h "$OUT" | cut -f1), $(wc -l <"$root/etc/kvm-gpc/plan") tests" >&2
