#!/bin/bash
# make build-each: every prefix of the series must build on its own, with
# -Werror, kvm-amd and kvm-intel as modules, and CONFIG_KVM_XEN both on and
# off, so that a reviewer can stop after any patch (and bisection works).
#
# XEN=y is Debian's own config.  XEN=n is a copy of Debian's headers with only
# that option flipped: KVM_XEN affects nothing outside kvm.ko, so the copy is
# a faithful target for a compile check (its modules are never loaded).
set -euo pipefail
. "$(dirname "$0")/common.sh"

SERIES_DIR=${SERIES_DIR:-$REPO_DIR/series}
work=${BUILD_DIR:-$REPO_DIR/build}/each
list=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$SERIES_DIR/series")
"$HARNESS_DIR/base.sh"

xen_off=$work/headers-xen-off
if [ ! -f "$xen_off/.kvm-gpc-complete" ]; then
	rm -rf "$xen_off"
	mkdir -p "$work"
	cp -a "$HEADERS_DIR" "$xen_off"
	for l in scripts tools; do	# Debian's links are relative
		ln -sfn "$(readlink -f "$HEADERS_DIR/$l")" "$xen_off/$l"
	done
	sed -i 's/^CONFIG_KVM_XEN=y$/# CONFIG_KVM_XEN is not set/' "$xen_off/.config"
	sed -i '/^CONFIG_KVM_XEN=y$/d' "$xen_off/include/config/auto.conf"
	sed -i '/^#define CONFIG_KVM_XEN 1$/d' "$xen_off/include/generated/autoconf.h"
	! grep -q 'CONFIG_KVM_XEN\b' "$xen_off/include/generated/autoconf.h" ||
		die "could not turn KVM_XEN off in $xen_off"
	touch "$xen_off/.kvm-gpc-complete"
fi

declare -A target=([xen-on]=$HEADERS_DIR [xen-off]=$xen_off)
# Start both trees from the bare base, then add one patch at a time: each
# build is incremental, so the whole walk costs little more than one build.
n=0
failed=0
for p in "" $list; do
	for cfg in xen-on xen-off; do
		tree=$work/$cfg
		if [ -z "$p" ]; then
			rm -rf "$tree"
			cp -al "$BASE_SRC" "$tree"
		else
			patch -d "$tree" -p1 -F0 -N -s --no-backup-if-mismatch -r - <"$SERIES_DIR/$p" ||
				die "$p does not apply"
		fi
		if "$HARNESS_DIR/modules.sh" "$tree" "${target[$cfg]}" "$work/out-$cfg" 2>"$work/err"; then
			res=ok
		else
			res=FAIL
			failed=1
			sed 's/^/    /' "$work/err"
		fi
		printf '%-4s %-8s %s\n' "$res" "$cfg" "${p:-base}"
	done
	n=$((n + 1))
done
echo "build-each: base + $((n - 1)) patches, KVM_XEN on and off: $( ((failed)) && echo FAILED || echo ok)"
exit $failed
