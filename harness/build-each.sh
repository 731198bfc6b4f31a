#!/bin/bash
# make build-each: every prefix of the series must build on its own, so that
# a reviewer can stop after any patch (and bisection works):
#   - the modules, with -Werror, kvm-amd and kvm-intel as modules, and
#     CONFIG_KVM_XEN both on and off;
#   - the KVM selftests, after every patch that touches them or the uapi.
#
# XEN=y is Debian's own config.  XEN=n is a copy of Debian's headers with only
# that option flipped: KVM_XEN affects nothing outside kvm.ko, so the copy is
# a faithful target for a compile check (its modules are never loaded).
#
# Both trees start from the bare base and take one patch at a time, so every
# build is incremental.  They live in the cache, at the same path for every
# clone: ccache only recognizes a compile whose command line (absolute -I
# paths included) it has seen, so a tree under the clone would build cold in
# every new clone.  A lock keeps two build-each runs out of each other's way.  A module build is left out where make would have
# nothing to do: when the patch changes no file that build read (the .cmd
# dependency lists kbuild keeps), which is true of selftest and documentation
# patches, and of xen.c with XEN off.  Such a prefix is reported "same".
set -euo pipefail
# shellcheck source=harness/common.sh
. "$(dirname "$0")/common.sh"

list=$("$HARNESS_DIR/series.sh" list)
"$HARNESS_DIR/base.sh"
work=$KVM_GPC_CACHE/each/$BASE_KERNEL_RELEASE
mkdir -p "$work"
exec 9>"$work/.lock"
flock -w 7200 9 || die "another build-each has held $work/.lock for 2 hours"

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

# The files a patch changes, relative to the tree.
touched() {
	sed -n -e 's|^--- a/||p' -e 's|^+++ b/||p' "$1" | cut -f1 | sort -u
}

# reads <tree> <patch>: did the last module build of <tree> read a file the
# patch changes?  kbuild's .cmd files list every source and header each object
# was built from, some as .../arch/x86/kvm/../../../virt/kvm/x.c, so a path
# is matched by its end (a false match only costs a build).  A Makefile or
# Kbuild of the kvm directories counts as read (the selftests' does not).
reads() {
	local tree=$1 f
	while read -r f; do
		case $f in
		arch/x86/kvm/*Makefile* | arch/x86/kvm/*Kbuild | virt/kvm/*Makefile* | virt/kvm/*Kbuild) return 0 ;;
		esac
		grep -rqsF --include='*.cmd' "/$f" "$tree/arch/x86/kvm" "$tree/virt/kvm" &&
			return 0
	done < <(touched "$2")
	return 1
}

n=0
failed=0
declare -A broken=([xen-on]=0 [xen-off]=0)	# the last build failed
for p in "" $list; do
	for cfg in xen-on xen-off; do
		tree=$work/$cfg
		if [ -z "$p" ]; then
			rm -rf "$tree"
			cp -al "$BASE_SRC" "$tree"
		else
			"$HARNESS_DIR/series.sh" add "$tree" "$p"
			((broken[$cfg])) || reads "$tree" "$p" || {
				printf '%-4s %-8s %s\n' same "$cfg" "$(basename "$p")"
				continue
			}
		fi
		if NO_SHIMS=1 COMPILE_ONLY=1 "$HARNESS_DIR/modules.sh" "$tree" "${target[$cfg]}" "$work/out-$cfg" 2>"$work/err"; then
			res=ok broken[$cfg]=0
		else
			res=FAIL broken[$cfg]=1
			failed=1
			sed 's/^/    /' "$work/err"
		fi
		printf '%-4s %-8s %s\n' "$res" "$cfg" "$(basename "${p:-base}")"
	done
	# The selftests, in the XEN=y tree (they do not depend on the config).
	if [ -n "$p" ] && touched "$p" | grep -Eq '^(tools/testing/selftests/kvm/|tools/include/|tools/arch/x86/include/|tools/lib/|include/uapi/|arch/x86/include/uapi/)'; then
		if "$HARNESS_DIR/selftests.sh" "$work/xen-on" "$work/selftests" >/dev/null 2>"$work/err"; then
			res=ok
		else
			res=FAIL
			failed=1
			sed 's/^/    /' "$work/err"
		fi
		printf '%-4s %-8s %s\n' "$res" selftest "$(basename "$p")"
	fi
	n=$((n + 1))
done
echo "build-each: base + $((n - 1)) patches, KVM_XEN on and off, selftests: $( ((failed)) && echo FAILED || echo ok)"
exit $failed
