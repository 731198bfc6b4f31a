#!/bin/bash
# Stage 2, apply series, and the tooling that makes the series editable.
#
#   series.sh apply  <dir>   pristine base + every patch in series/series -> <dir>
#   series.sh add <dir> <patch>   one more patch onto <dir> (build-each)
#   series.sh list           the patches, in order, as paths
#   series.sh tree   <dir>   git tree: a base commit, then one commit per patch
#   series.sh export <dir>   regenerate series/*.patch and series/series from it
#
# A patch must apply exactly: fuzz or an offset means it was made against
# something other than this base, so it is refused rather than silently moved.
set -euo pipefail
# shellcheck source=harness/common.sh
. "$(dirname "$0")/common.sh"

SERIES_DIR=${SERIES_DIR:-$REPO_DIR/series}
ORDER=$SERIES_DIR/series
BASE_TAG=kvm-gpc-base

# The patches named in the order file, as paths; exits if one is missing.
patches() {
	[ -f "$ORDER" ] || die "$ORDER (the order file) is missing"
	local p list
	list=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$ORDER")
	for p in $list; do
		[ -f "$SERIES_DIR/$p" ] || die "$ORDER names $p, which does not exist"
	done
	for p in $list; do
		echo "$SERIES_DIR/$p"
	done
}

# Which base and which patches a tree holds; later stages key caches on it.
series_id() {
	local list
	list=$(patches) || exit 1
	{ echo "$BASE_DEB_VERSION"; for p in $list; do cat "$p"; done; } | sha256sum | cut -c1-12
}

# apply_one <dir> <patch>: exactly, or not at all.
apply_one() {
	local out
	out=$(patch -d "$1" -p1 -F0 -N --no-backup-if-mismatch -r - <"$2" 2>&1) ||
		die "$(basename "$2") does not apply:"$'\n'"$out"
	if grep -Eq 'offset|fuzz' <<<"$out"; then
		die "$(basename "$2") applies only inexactly:"$'\n'"$out"
	fi
}

apply() {
	local dir=$1 p n=0 list
	list=$(patches) || exit 1
	[ -f "$BASE_SRC/.kvm-gpc-complete" ] || die "no base in $BASE_SRC; run harness/base.sh"
	rm -rf "$dir"
	mkdir -p "$(dirname "$dir")"
	# Hard links keep this cheap; GNU patch replaces a file rather than
	# writing through the link, so the pristine base is never modified.
	cp -al "$BASE_SRC" "$dir"
	for p in $list; do
		apply_one "$dir" "$p"
		n=$((n + 1))
	done
	series_id >"$dir/.kvm-gpc-series"
	echo "applied $n patches (series $(cat "$dir/.kvm-gpc-series"))" >&2
}

tree() {
	local dir=$1 p list
	list=$(patches) || exit 1
	[ ! -e "$dir" ] || die "$dir exists; remove it or pick another directory"
	cp -a "$BASE_SRC" "$dir"
	rm -f "$dir/.kvm-gpc-complete"
	git -C "$dir" init -q -b kvm-gpc
	git -C "$dir" add -A -f	# Debian's top-level .gitignore ignores everything
	# A fixed identity and date make the base commit's id a function of
	# the pinned source alone: it is the series' base-commit (make mail).
	# The user's GIT_AUTHOR_*/GIT_COMMITTER_* would override the -c ones.
	env -u GIT_AUTHOR_NAME -u GIT_AUTHOR_EMAIL -u GIT_COMMITTER_NAME -u GIT_COMMITTER_EMAIL \
		GIT_AUTHOR_DATE=2000-01-01T00:00:00Z GIT_COMMITTER_DATE=2000-01-01T00:00:00Z \
		git -C "$dir" -c user.name=kvm-gpc -c user.email=kvm-gpc@localhost \
		-c commit.gpgsign=false commit -q --no-verify \
		-m "Debian linux-source-6.12 $BASE_DEB_VERSION"
	git -C "$dir" tag "$BASE_TAG"
	for p in $list; do
		git -C "$dir" am -q "$p" || die "git am $(basename "$p") failed"
	done
	echo "$dir: $(git -C "$dir" rev-list --count "$BASE_TAG"..) patches on $BASE_TAG" >&2
}

export_series() {
	local dir=$1
	git -C "$dir" rev-parse -q --verify "$BASE_TAG" >/dev/null ||
		die "$dir has no $BASE_TAG tag; create it with 'series.sh tree'"
	rm -f "$SERIES_DIR"/*.patch
	git -C "$dir" format-patch -q --no-signature --zero-commit \
		-o "$SERIES_DIR" "$BASE_TAG"..
	{
		echo "# Patch order; applied by harness/series.sh. Regenerate with 'make series-export'."
		(cd "$SERIES_DIR" && { ls -1 -- *.patch 2>/dev/null || true; })
	} >"$ORDER"
	echo "exported $(grep -c '\.patch$' "$ORDER" || true) patches to $SERIES_DIR" >&2
}

case ${1:-} in
apply) apply "${2:?usage: series.sh apply <dir>}" ;;
add) apply_one "${2:?usage: series.sh add <dir> <patch>}" "${3:?missing patch}" ;;
list) patches ;;
tree) tree "${2:?usage: series.sh tree <dir>}" ;;
export) export_series "${2:?usage: series.sh export <dir>}" ;;
id) series_id ;;
*) die "usage: series.sh apply|tree|export <dir> | add <dir> <patch> | list | id" ;;
esac
