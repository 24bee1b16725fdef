#!/bin/sh
# README.md's "Supported chips" table is the driver tables' own, so that it
# cannot drift from them: what stands between its chip table markers must
# be what build/tools/families --markdown prints (`make chip-table` writes
# it there). Usage: tests/cli/test_chip_table.sh [BUILD_DIR]
. "$(dirname "$0")/lib.sh"
B=${1:-build}
cd "$(dirname "$0")/../.." || exit 1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# The lines between the end of the begin marker (a comment that may span
# lines) and the end marker, blank lines left out.
sed -n '/^<!-- chip table begin/,/^<!-- chip table end -->$/p' README.md |
	sed '1,/-->$/d;$d' | sed '/^$/d' >"$T/readme.md"
"$B/tools/families" --markdown >"$T/tables.md" 2>"$T/tool.err"
st=$?

check families_tool_prints_the_table [ "$st" = 0 ] && [ -s "$T/tables.md" ]
check readme_has_the_chip_table grep -q '^| Driver |' "$T/readme.md"
same_table() {
	cmp -s "$T/readme.md" "$T/tables.md" && return 0
	echo "  README.md's chip table is not the driver tables' (run make chip-table):"
	diff "$T/readme.md" "$T/tables.md" | sed 's/^/    /' | cut -c1-160 | head -20
	return 1
}
check readme_chip_table_is_the_driver_tables same_table
summary
