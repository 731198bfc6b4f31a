#!/bin/bash
# Stage 1, fetch base: check the pinned Debian packages are the ones installed
# or downloaded, then unpack the pristine source, the stock kernel image and
# its headers into the cache.  They are read-only inputs afterwards; every run
# works on a copy.
set -euo pipefail
# shellcheck source=harness/common.sh
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

# deb_path <package>: the downloaded .deb, checked against the pin.
deb_path() {
	local deb have
	deb=$KVM_GPC_CACHE/debs/$(base_deb_file "$1")
	[ -f "$deb" ] || die "$deb missing; run 'make setup' as root"
	have=$(dpkg-deb -f "$deb" Version)
	[ "$have" = "$BASE_DEB_VERSION" ] ||
		die "$deb is version $have, base.conf pins $BASE_DEB_VERSION; run 'make setup' as root"
	echo "$deb"
}

# unpack <dir> <package...>: extract .debs into dir, once.
unpack() {
	local dir=$1 p
	shift
	[ -f "$dir/.kvm-gpc-complete" ] && return 0
	rm -rf "$dir"
	mkdir -p "$dir"
	for p in "$@"; do
		echo "unpacking $p -> $dir" >&2
		dpkg-deb -x "$(deb_path "$p")" "$dir"
	done
	touch "$dir/.kvm-gpc-complete"
}

check_pin linux-source-6.12

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

unpack "$STOCK_ROOT" "${BASE_DEBS[0]}"
[ -f "$STOCK_ROOT/boot/vmlinuz-$BASE_KERNEL_RELEASE" ] || die "stock image has no vmlinuz"

# The headers package's Makefile includes the -common one by absolute path;
# its scripts/ and tools/ links are relative and resolve inside the root.
if [ ! -f "$HEADERS_ROOT/.kvm-gpc-complete" ]; then
	rm -rf "$HEADERS_ROOT.tmp"
	unpack "$HEADERS_ROOT.tmp" "${BASE_DEBS[@]:1}"
	sed -i "s|^include /usr/src/|include $HEADERS_ROOT/usr/src/|" \
		"$HEADERS_ROOT.tmp/usr/src/linux-headers-$BASE_KERNEL_RELEASE/Makefile"
	rm -rf "$HEADERS_ROOT"
	mv "$HEADERS_ROOT.tmp" "$HEADERS_ROOT"
fi
if [ ! -f "$HEADERS_DIR/Module.symvers" ] || [ ! -f "$HEADERS_DIR/vmlinux" ]; then
	die "$HEADERS_DIR is incomplete"
fi
