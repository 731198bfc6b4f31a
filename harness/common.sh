# Sourced by every stage: the pinned base, the cache location and the few
# helpers each stage needs to fail loudly and report its time.
# shellcheck shell=bash

HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$HARNESS_DIR")
# shellcheck source=../base.conf
. "$REPO_DIR/base.conf"

KVM_GPC_CACHE=${KVM_GPC_CACHE:-/var/cache/kvm-gpc}
BASE_UPSTREAM=${BASE_KERNEL_RELEASE%%+*}		# 6.12.117
BASE_SRC=$KVM_GPC_CACHE/src/linux-source-${BASE_DEB_VERSION//\~/_}
STOCK_ROOT=$KVM_GPC_CACHE/stock/$BASE_KERNEL_RELEASE	# extracted linux-image .deb
HEADERS_DIR=${HEADERS_DIR:-/usr/src/linux-headers-$BASE_KERNEL_RELEASE}
export CCACHE_DIR=${CCACHE_DIR:-$KVM_GPC_CACHE/ccache}

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
