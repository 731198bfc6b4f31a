#!/bin/bash
# make mail: write the series as it would be posted, under the user's own
# name, ready for git send-email; nothing is sent.
#
#   mail.sh [<version prefix>]        e.g. "PATCH v3", "RFC PATCH" (default:
#                                      the cover letter's, else "PATCH")
#
# - From: and Signed-off-by: are the user's git identity (user.name and
#   user.email, or GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL); without one it refuses.
#   The committed patches' placeholder author and sign-off are replaced, and
#   every other tag is kept.
# - The cover letter is series/cover-letter.txt's subject and body, with the
#   shortlog, diffstat and base-commit that git format-patch writes.
# - To: the maintainers, Cc: the reviewers and lists, from the base tree's
#   scripts/get_maintainer.pl over the whole series.
# - checkpatch --strict runs on the result; the send-email command is printed.
#
# Output: $BUILD_DIR/mail/<prefix>/ (default build/mail/).
set -euo pipefail
# shellcheck source=harness/common.sh
. "$(dirname "$0")/common.sh"
need_cmd git perl

cover=${SERIES_DIR:-$REPO_DIR/series}/cover-letter.txt
subject=$(sed -n '1s/^Subject: *//p' "$cover")
[ -n "$subject" ] || die "$cover must start with 'Subject: [<prefix> 00/N] <title>'"
prefix=${1:-$(sed -n 's/^\[\(.*\) 0*\/[0-9]*\].*/\1/p' <<<"$subject")}
prefix=${prefix:-PATCH}
title=${subject#\[*\] }

name=${GIT_AUTHOR_NAME:-$(git config user.name || true)}
email=${GIT_AUTHOR_EMAIL:-$(git config user.email || true)}
if [ -z "$name" ] || [ -z "$email" ]; then
	die "no git identity: set user.name and user.email (git config --global), the name and address the patches are sent and signed off with"
fi
me="$name <$email>"

work=$(mkdir -p "${BUILD_DIR:-$REPO_DIR/build}/mail" && realpath "${BUILD_DIR:-$REPO_DIR/build}/mail")
out=$work/${prefix// /-}
tree=$work/tree
"$HARNESS_DIR/base.sh"
rm -rf "$tree" "$out"
"$HARNESS_DIR/series.sh" tree "$tree" || die "cannot make the series tree in $tree"

# Each commit again, signed off by the user.  A commit by the placeholder
# author the series is committed under (the author of most of its patches)
# becomes the user's, and the placeholder's Signed-off-by is dropped; a
# commit by anyone else keeps its author and tags.
PLACEHOLDER=$(git -C "$tree" log --format='%an <%ae>' kvm-gpc-base.. |
	sort | uniq -c | sort -rn | sed -n '1s/^ *[0-9]* //p')
export PLACEHOLDER
export GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$email
export GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$email
# shellcheck disable=SC2016 # expanded by the shell rebase --exec starts
resign='if [ "$(git log -1 --format="%an <%ae>")" = "$PLACEHOLDER" ]; then git log -1 --format=%B | grep -vxF "Signed-off-by: $PLACEHOLDER" >.git/msg; reset=--reset-author; else git log -1 --format=%B >.git/msg; reset=; fi; git -c commit.gpgsign=false commit -q --no-verify --amend $reset -s -F .git/msg'
git -C "$tree" -c advice.detachedHead=false rebase -q -f --exec "$resign" kvm-gpc-base \
	>"$work/rebase.log" 2>&1 || die "could not rewrite the series' authorship in $tree; see $work/rebase.log"

# Who gets it: the maintainers of what the series touches in To: (for KVM,
# get_maintainer.pl calls them supporters: M: entries of a Supported area),
# reviewers and lists in Cc:.  Its complaints about Fixes: ids it cannot
# resolve (the base has no upstream history) are dropped.
git -C "$tree" format-patch -q -o "$work/scan" kvm-gpc-base..
mapfile -t people < <(cd "$tree" && perl scripts/get_maintainer.pl --no-git \
	--no-git-fallback "$work"/scan/*.patch 2>/dev/null)
rm -rf "$work/scan"
to=() cc=()
for p in "${people[@]}"; do
	addr=${p%% (*}
	case $p in
	*"(maintainer:"* | *"(supporter:"*) to+=(--to="$addr") ;;
	*) cc+=(--cc="$addr") ;;
	esac
done
[ ${#to[@]} -gt 0 ] || die "get_maintainer.pl found no maintainer for the series"

git -C "$tree" format-patch -q --cover-letter --subject-prefix="$prefix" \
	--base=kvm-gpc-base --no-signature --thread=shallow \
	"${to[@]}" "${cc[@]}" -o "$out" kvm-gpc-base..

# The cover letter's subject and body in place of format-patch's blanks.
c=$(ls "$out"/0000-*.patch)
sed '1,/^$/d' "$cover" >"$work/blurb"
python3 - "$c" "$title" "$work/blurb" "$BASE_DEB_VERSION" <<'PY'
import sys
import textwrap
path, title, blurb, deb = sys.argv[1:]
text = open(path).read()
body = open(blurb).read().rstrip('\n')
body += "\n\n" + textwrap.fill(f"The base is Debian's linux-source-6.12 {deb} (upstream v{deb.split('-')[0]} "
         "plus Debian's patches); base-commit below is that tree as "
         "kvm-gpc's 'make series-tree' imports it.", 72, break_on_hyphens=False)
assert '*** SUBJECT HERE ***' in text and '*** BLURB HERE ***' in text
text = text.replace('*** SUBJECT HERE ***', title, 1)
text = text.replace('*** BLURB HERE ***', body, 1)
open(path, 'w').write(text)
PY

n=0
for p in "$out"/*.patch; do
	[ "$p" = "$c" ] && continue
	grep -qxF "Signed-off-by: $me" "$p" || die "$(basename "$p") is not signed off by $me"
	(cd "$BASE_SRC" && perl scripts/checkpatch.pl --strict --quiet --root=. \
		--ignore UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES "$p") || die "checkpatch: $(basename "$p")"
	n=$((n + 1))
done

echo "mail: $n patches and a cover letter in $out, from $me"
echo "mail: $(sed -n 's/^Subject: //p' "$c")"
echo "mail: To: ${#to[@]}, Cc: ${#cc[@]} (scripts/get_maintainer.pl)"
echo "mail: check it, then send (first with --dry-run):"
echo "  git send-email --dry-run --no-thread --confirm=always $out/*.patch"
