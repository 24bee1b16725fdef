#!/bin/sh
# Includes point downward only (docs/README.md, "The layers"). Every source
# file under daemon/ and api/ has a rank, from its folder (or, at the top of
# daemon/, from its name), and may include only headers of a lower rank or of
# its own folder:
#
#   0  base      daemon/{err,log,utf8,json_util,json_strict,notify,config,dnssd}
#   1  transport   2 access (the debug-access ops table)   3 dap, stlink (the
#   probe protocols: siblings, neither includes the other)   4 adiv5
#   5  cortexm   6 targets   7 probes   8 jobs
#   9  api, cli  (peers: cli uses of api/ only the serialisers api/json_*.h)
#   10 the composition root: daemon/main.c, daemon/serve.c
#   -  daemon/sim: its own headers only (an independent reading of the
#      manuals); only transport/simulated.c reaches it, through sim/sim.h
#
# Usage: tests/lint_layers.sh [ROOT]   (ROOT: a tree to check, default .)
root=${1:-.}
cd "$root" || exit 2
status=0
say() { echo "layering: $*"; status=1; }

# rank FILE: the rank of a source file (path from the root), or "" for a
# file no rule covers (a violation of its own: every file needs a rank).
rank() {
	case $1 in
	daemon/sim/*) echo sim ;;
	daemon/transport/*) echo 1 ;;
	daemon/access/*) echo 2 ;;
	daemon/dap/* | daemon/stlink/*) echo 3 ;;
	daemon/adiv5/*) echo 4 ;;
	daemon/cortexm/*) echo 5 ;;
	daemon/targets/*) echo 6 ;;
	daemon/probes/*) echo 7 ;;
	daemon/jobs/*) echo 8 ;;
	api/*) echo 9 ;;
	daemon/cli/*) echo 9 ;;
	daemon/main.c | daemon/serve.c | daemon/serve.h) echo 10 ;;
	daemon/err.[ch] | daemon/log.[ch] | daemon/utf8.[ch] | daemon/json_util.[ch] | \
	daemon/json_strict.[ch] | daemon/notify.[ch] | daemon/config.[ch] | daemon/dnssd.[ch]) echo 0 ;;
	*) echo "" ;;
	esac
}

# The header an include names: "x/y.h" from the daemon/ or tree root,
# "y.h" at the top of daemon/ (the Makefile's -Idaemon -I.).
resolve() {
	if [ -f "daemon/$1" ]; then echo "daemon/$1"; elif [ -f "$1" ]; then echo "$1"; fi
}

for f in $(find daemon api -name '*.[ch]' | sort); do
	r=$(rank "$f")
	if [ -z "$r" ]; then
		say "$f has no rank: add its folder or name to tests/lint_layers.sh"
		continue
	fi
	dir=$(dirname "$f")
	grep -n '^#include "' "$f" | while IFS= read -r line; do
		inc=$(echo "$line" | sed 's/^[0-9]*:#include "\([^"]*\)".*/\1/')
		n=${line%%:*}
		if [ "$r" = sim ]; then
			case $inc in sim.h | sim_*.h | sim/*) ;; *) echo "layering: $f:$n includes the driver stack ($inc)" ;; esac
			continue
		fi
		h=$(resolve "$inc")
		[ -n "$h" ] || continue # a generated or system header
		q=$(rank "$h")
		[ "$(dirname "$h")" = "$dir" ] && [ "$q" = "$r" ] && continue
		case $f:$h in
		daemon/transport/simulated.c:daemon/sim/sim.h) continue ;;
		daemon/cli/*:api/json_*.h) continue ;; # the CLI's --json is the API's JSON
		esac
		if [ "$q" = sim ] || [ -z "$q" ] || [ "$q" -ge "$r" ]; then
			echo "layering: $f:$n (rank $r) includes $h (rank ${q:-none}): includes point downward only"
		fi
	done
done >"${TMPDIR:-/tmp}/lint_layers.$$"
if [ -s "${TMPDIR:-/tmp}/lint_layers.$$" ]; then
	cat "${TMPDIR:-/tmp}/lint_layers.$$"
	status=1
fi
rm -f "${TMPDIR:-/tmp}/lint_layers.$$"

# Routes take what jobs/ hands them: no target, CMSIS-DAP or ADIv5 header
# (api/ may include lower ranks in general; its route handlers may not).
hits=$(grep -nE '#include "(targets|cortexm|adiv5|dap|stlink|access|transport)/' api/routes_*.c)
[ -n "$hits" ] && say "a route includes a layer below jobs:
$hits"
# The serialisers the CLI shares include nothing of HTTP.
hits=$(grep -nE '#include ("api/api\.h"|<microhttpd\.h>)' api/json_*.[ch])
[ -n "$hits" ] && say "a serialiser the CLI shares includes HTTP:
$hits"
# Only api/ (and the CLI for its --json) serialises; below them JSON is the
# format of the two durable files only: the journal's records (jobs/job.c,
# job_json.c) and probes.json (probes/probe_store.c).
hits=$(grep -rlE '#include (<json-c/|"json_util\.h"|"json_strict\.h")' daemon/transport daemon/access daemon/dap daemon/stlink daemon/adiv5 \
	daemon/cortexm daemon/targets daemon/probes daemon/jobs 2>/dev/null |
	grep -vE '^daemon/(jobs/(job\.c|job_json\.c|job_internal\.h)|probes/probe_store\.c)$')
[ -n "$hits" ] && say "JSON below api/ outside the journal and probes.json:
$hits"
[ $status = 0 ] && echo "layering: includes point downward only"
exit $status
