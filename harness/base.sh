#!/bin/bash
# Stage 1, fetch base: check the pinned Debian packages are the ones installed,
# then unpack the pristine source and the stock kernel image into the cache.
# Both are read-only inputs afterwards; every run works on a copy.
set -euo pipefail
. "$(dirname "$0")/common.sh"
need_cmd dpkg-query dpkg-deb tar

installed_version() {
	dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true
}

check_pin() {
	local pkg=$1 have
	have=$(installed_version "$pkg")
	[ "$have" = "$BASE_DEB_VERSION" ] ||
		die "$pkg is '${have:-not installed}', base.conf pins $BASE_DEB_VERSION; run 'make setup' as root"
}

check_pin linux-source-6.12
check_pin "linux-headers-$BASE_KERNEL_RELEASE"
[ -f "$HEADERS_DIR/Module.symvers" ] || die "$HEADERS_DIR is incomplete"

if [ ! -f "$BASE_SRC/.kvm-gpc-complete" ]; then
	echo "unpacking /usr/src/linux-source-6.12.tar.xz -> $BASE_SRC" >&2
	rm -rf "$BASE_SRC" "$BASE_SRC.tmp"
	mkdir -p "$BASE_SRC.tmp"
	tar -xJf /usr/src/linux-source-6.12.tar.xz -C "$BASE_SRC.tmp" --strip-components=1
	grep -q "^SUBLEVEL = ${BASE_UPSTREAM##*.}\$" "$BASE_SRC.tmp/Makefile" ||
		die "linux-source-6.12.tar.xz is not $BASE_UPSTREAM"
	touch "$BASE_SRC.tmp/.kvm-gpc-complete"
	mv "$BASE_SRC.tmp" "$BASE_SRC"
fi

if [ ! -f "$STOCK_ROOT/.kvm-gpc-complete" ]; then
	deb=$KVM_GPC_CACHE/debs/linux-image-${BASE_KERNEL_RELEASE}-unsigned_${BASE_DEB_VERSION}_amd64.deb
	[ -f "$deb" ] || die "$deb missing; run 'make setup' as root"
	echo "unpacking $(basename "$deb") -> $STOCK_ROOT" >&2
	rm -rf "$STOCK_ROOT"
	mkdir -p "$STOCK_ROOT"
	dpkg-deb -x "$deb" "$STOCK_ROOT"
	touch "$STOCK_ROOT/.kvm-gpc-complete"
fi
[ -f "$STOCK_ROOT/boot/vmlinuz-$BASE_KERNEL_RELEASE" ] || die "stock image has no vmlinuz"
