# Sourced by every stage: the pinned base, the cache location and the few
# helpers each stage needs to fail loudly and report its time.
# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source this

HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$HARNESS_DIR")
# shellcheck source=../base.conf
. "$REPO_DIR/base.conf"

KVM_GPC_CACHE=${KVM_GPC_CACHE:-/var/cache/kvm-gpc}
BASE_UPSTREAM=${BASE_KERNEL_RELEASE%%+*}		# 6.12.117
BASE_SRC=$KVM_GPC_CACHE/src/linux-source-${BASE_DEB_VERSION//\~/_}
STOCK_ROOT=$KVM_GPC_CACHE/stock/$BASE_KERNEL_RELEASE	# extracted linux-image .deb
HEADERS_ROOT=$KVM_GPC_CACHE/headers/$BASE_KERNEL_RELEASE # extracted headers + kbuild
HEADERS_DIR=${HEADERS_DIR:-$HEADERS_ROOT/usr/src/linux-headers-$BASE_KERNEL_RELEASE}
# The pinned kernel packages, downloaded by setup.sh and unpacked by base.sh.
BASE_DEBS=(
	"linux-image-$BASE_KERNEL_RELEASE-unsigned"
	"linux-headers-$BASE_KERNEL_RELEASE"
	"linux-headers-${BASE_KERNEL_RELEASE%-*}-common"
	"linux-kbuild-${BASE_KERNEL_RELEASE%-*}"
)
export CCACHE_DIR=${CCACHE_DIR:-$KVM_GPC_CACHE/ccache}

# base_deb_file <package>: the file name apt-get download gives it.
base_deb_file() {
	local arch=amd64
	[[ $1 == *-common ]] && arch=all
	echo "${1}_${BASE_DEB_VERSION//:/%3a}_$arch.deb"
}

die() {
	echo "error: $*" >&2
	exit 1
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			die "'$c' not found; run 'make setup' as root first"
	done
}

# build_id <module.ko>: sha256 of its build-id note, as the guest sees it in
# /sys/module/<m>/notes/.note.gnu.build-id.
build_id() {
	local sum
	sum=$(objcopy -O binary --only-section=.note.gnu.build-id "$1" /dev/stdout | sha256sum | cut -c1-64)
	[ "$sum" != "$(: | sha256sum | cut -c1-64)" ] || die "$1 has no build-id"
	echo "$sum"
}

# stage <name> <command...>: run one stage of a pipeline, reporting its time.
stage() {
	local name=$1 s rc=0
	shift
	s=$(date +%s)
	echo "== $name" >&2
	"$@" || rc=$?
	echo "== $name: $( ((rc == 0)) && echo ok || echo "FAILED ($rc)") in $(($(date +%s) - s))s" >&2
	return $rc
}

# guest_busybox <BUSYBOX of an arch conf>: the path of the guest's static
# busybox: the host's own, or deb:<package>:<arch>, the .deb make setup
# downloaded, unpacked into the cache once.
guest_busybox() {
	local spec=$1 pkg arch dir deb
	case $spec in
	deb:*)
		pkg=${spec#deb:} arch=${pkg#*:} pkg=${pkg%%:*}
		dir=$KVM_GPC_CACHE/$pkg-$arch
		if [ ! -x "$dir/bin/busybox" ]; then
			deb=$(find "$KVM_GPC_CACHE/debs" -maxdepth 1 -name "${pkg}_*_$arch.deb" 2>/dev/null | head -n 1)
			[ -n "$deb" ] || die "no $pkg:$arch .deb in $KVM_GPC_CACHE/debs; run 'make setup' as root"
			rm -rf "$dir.tmp" "$dir"
			mkdir -p "$dir.tmp"
			dpkg-deb -x "$deb" "$dir.tmp" || die "cannot unpack $deb"
			mv "$dir.tmp" "$dir"
		fi
		echo "$dir/bin/busybox"
		;;
	*) echo "$spec" ;;
	esac
}

# load_arch: source harness/arch/$ARCH.conf, the machine the stages build and
# boot for (default x86_64; a kernel developer's exported ARCH=x86 means the
# same).
load_arch() {
	case ${ARCH:-} in "" | x86) ARCH=x86_64 ;; esac
	[ -f "$HARNESS_DIR/arch/$ARCH.conf" ] || die "ARCH=$ARCH: no harness/arch/$ARCH.conf"
	# shellcheck source=harness/arch/x86_64.conf
	. "$HARNESS_DIR/arch/$ARCH.conf"
}
