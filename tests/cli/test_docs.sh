#!/bin/sh
# The documentation stays inside the tree (docs/README.md, "Citing sources"):
# no file cites a place outside it (../shared, /work/..., the fact sheets and
# the STYLE/SERVICE/API notes that lived there), and every docs/ path, every
# quoted docs section and every relative Markdown link resolves.
# Usage: tests/cli/test_docs.sh [BUILD_DIR [FILE...]]: with FILEs only those
# are scanned (what they cite is still looked up in the whole tree).
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 1
[ $# -gt 0 ] && shift
export LC_ALL=C
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# The text files to scan: tracked and new (not ignored) ones, or FILEs.
# The fuzz inputs are data, and this script names the patterns it bans.
if [ $# -gt 0 ]; then
	printf '%s\n' "$@"
elif git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files --cached --others --exclude-standard
else
	find . -type f ! -path './.git/*' ! -path './build*' ! -path '*/node_modules/*' | sed 's|^\./||'
fi | grep -v -e '^tests/fuzz/corpus/' -e '^tests/fuzz/crashes/' -e '^tests/cli/test_docs.sh$' |
	sort -u | while read -r f; do
		[ -f "$f" ] && grep -Iq . "$f" && echo "$f"
	done >"$T/files"

# A place outside the tree: the directory beside it, a machine path, the fact
# sheets by name or by section, and the shared notes by their bare names (a
# path such as docs/service.md is not one of them).
OUTSIDE='\.\./shared|/work/|(^|[^A-Za-z])[Ff]acts (§|sheet)|(^|[^A-Za-z0-9_-])facts/'
OUTSIDE="$OUTSIDE"'|(^|[^A-Za-z0-9_./-])(anchors|bootloaders-power|cmsis-dap-adiv5|openocd-vs-simulator'
OUTSIDE="$OUTSIDE"'|other-vendors|stlink|stm32-rdp|umockdev)\.md|(^|[^A-Za-z0-9_./-])(API|SERVICE|STYLE|BRIEF|HELPER_RULES)\.md'

outside_citations_none() {
	tr '\n' '\0' <"$T/files" | xargs -0 grep -n -H -E "$OUTSIDE" >"$T/outside"
	sed 's/^/  FAIL cites outside the tree: /' "$T/outside"
	[ ! -s "$T/outside" ]
}

# FILE:LINE<TAB>PATH<TAB>SECTION for every docs/ path a file cites. SECTION
# is the quoted title after it ('docs/x.md, "Title"'), also when the title
# opens the next line of the comment; empty when none is given.
awk_citations='
function lead(s) { sub(/^[ \t]*(\*|#|\/\/)?[ \t]*/, "", s); return s }
{ l[NR] = $0 }
END {
	for (i = 1; i <= NR; i++) {
		s = l[i]
		while ((p = index(s, "docs/")) > 0) {
			pre = p > 1 ? substr(s, p - 1, 1) : ""
			s = substr(s, p)
			match(s, /^docs\/[A-Za-z0-9_.\/-]*/)
			path = substr(s, 1, RLENGTH)
			after = substr(s, RLENGTH + 1)
			s = substr(s, 6)
			if (pre ~ /[A-Za-z0-9_.\/-]/)
				continue
			sub(/[.\/]+$/, "", path)
			if (after ~ /^,?[ \t]*$/ && i < NR)
				after = after " " lead(l[i + 1])
			title = ""
			if (match(after, /^,?[ \t]*"[^"]+"/)) {
				title = substr(after, RSTART, RLENGTH)
				sub(/^[^"]*"/, "", title)
				sub(/"$/, "", title)
			}
			print FILENAME ":" i "\t" path "\t" title
		}
	}
}'

# The headings of a Markdown file, lower-case.
headings() { sed -n 's/^#\{1,6\}[ \t]*//p' "$1" | tr 'A-Z' 'a-z'; }
# The anchors GitHub gives them: punctuation dropped, spaces to '-'.
anchors() { headings "$1" | sed 's/[^a-z0-9 _-]//g; s/ /-/g'; }

docs_paths_exist() {
	: >"$T/bad_paths"
	while IFS='	' read -r where path title; do
		[ -e "$path" ] || echo "  FAIL $where: $path does not exist" >>"$T/bad_paths"
	done <"$T/cited"
	cat "$T/bad_paths"
	[ ! -s "$T/bad_paths" ]
}

docs_sections_exist() {
	: >"$T/bad_sections"
	while IFS='	' read -r where path title; do
		[ -n "$title" ] && [ -f "$path" ] || continue
		want=$(printf '%s' "$title" | tr 'A-Z' 'a-z')
		headings "$path" | awk -v w="$want" 'index($0, w) == 1 { ok = 1 } END { exit !ok }' ||
			echo "  FAIL $where: $path has no section \"$title\"" >>"$T/bad_sections"
	done <"$T/cited"
	cat "$T/bad_sections"
	[ ! -s "$T/bad_sections" ]
}

# FILE:LINE<TAB>TARGET for every relative link of a Markdown file.
awk_links='
{
	s = $0
	while (match(s, /\]\([^) ]+\)/)) {
		t = substr(s, RSTART + 2, RLENGTH - 3)
		s = substr(s, RSTART + RLENGTH)
		if (t !~ /^(https?|mailto):/)
			print FILENAME ":" FNR "\t" t
	}
}'

md_links_resolve() {
	: >"$T/bad_links"
	grep '\.md$' "$T/files" | while read -r f; do awk "$awk_links" "$f"; done >"$T/links"
	while IFS='	' read -r where target; do
		file=${where%:*}
		path=${target%%#*}
		anchor=
		case "$target" in *'#'*) anchor=${target#*#} ;; esac
		if [ -z "$path" ]; then
			path=$file
		else
			path=$(dirname "$file")/$path
		fi
		if [ ! -e "$path" ]; then
			echo "  FAIL $where: link to $target: no such file" >>"$T/bad_links"
		elif [ -n "$anchor" ] && ! anchors "$path" | grep -qx -- "$anchor"; then
			echo "  FAIL $where: link to $target: no such heading" >>"$T/bad_links"
		fi
	done <"$T/links"
	cat "$T/bad_links"
	[ ! -s "$T/bad_links" ]
}

while read -r f; do awk "$awk_citations" "$f"; done <"$T/files" >"$T/cited"
check no_citation_outside_the_tree outside_citations_none
check every_cited_docs_path_exists docs_paths_exist
check every_cited_docs_section_exists docs_sections_exist
check every_markdown_link_resolves md_links_resolve
summary
