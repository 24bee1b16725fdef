#!/bin/sh
# Prefix = file stem (docs/README.md, "Names"): every file-scope name a .c
# file under daemon/ and api/ defines, static or not, function or variable,
# starts with the file's stem and "_" (daemon/dap/dap_commands.c:
# dap_commands_*), or is the stem itself. `main` is exempt. No two files can
# then define the same name, nor a static shadow another file's extern one.
#
# It compiles each file on its own with the Makefile's CPPFLAGS, at -O0
# -fno-inline so that no static is folded away unseen, and reads the defined
# symbols with nm (text, data, bss, read-only; names with a "." are the
# compiler's own: foo.part.0, __func__.1). A static inline function of a
# header that the file uses is emitted there too: nm -l's line information
# says it was defined in the header, and it is not counted against the file.
# So is the one library function rdpd defines in the library's stead
# (api/http_errors.c's MHD_queue_response): nm places it at its declaration
# in microhttpd.h.
#
# Usage: tests/lint_names.sh [ROOT]   (ROOT: a tree to check, default .)
# CC and CPPFLAGS: as `make lint` passes them; else the Makefile's.
src=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-.}
cd "$root" || exit 2
cc=${CC:-cc}
cppflags=${CPPFLAGS:-$(make --no-print-directory -s -C "$src" lint-cppflags)}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
status=0
for f in $(find daemon api -name '*.c' | sort); do
	stem=$(basename "$f" .c)
	o="$T/$(echo "$f" | tr / _).o"
	# The Makefile's language flags: -std=c11 -D_GNU_SOURCE and the version.
	if ! $cc $cppflags -DRDPD_VERSION='"0"' -std=c11 -D_GNU_SOURCE -pthread -O0 -fno-inline -g \
		-w -c "$f" -o "$o" 2>"$T/cc.err"; then
		echo "names: $f does not compile:"
		cat "$T/cc.err"
		status=1
		continue
	fi
	# "ADDR TYPE NAME<tab>FILE:LINE"; FILE is absent where nm finds no line.
	nm -l --defined-only "$o" | awk -v f="$f" -v stem="$stem" '
		{ split($0, a, "\t"); n = split(a[1], w, " "); at = a[2]; sub(/:[0-9]+$/, "", at) }
		n == 3 && w[2] ~ /^[TtDdBbRr]$/ && w[3] !~ /\./ && w[3] != stem && w[3] != "main" &&
		index(w[3], stem "_") != 1 && (at == "" || substr(at, length(at) - length(f) + 1) == f) { print f ": " w[3] }'
done >"$T/out"
if [ -s "$T/out" ]; then
	cat "$T/out"
	echo "names: $(wc -l <"$T/out") names do not start with their file's stem and _"
	status=1
fi
[ $status = 0 ] && echo "names: every file-scope name starts with its file's stem"
exit $status
