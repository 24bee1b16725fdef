#!/bin/sh
# Includes point downward only (docs/README.md, "The layers"):
# transport <- dap <- adiv5 <- cortexm <- targets <- jobs <- api; sim/ stands apart;
# daemon/cli beside api/, using of it only the serialisers api/json_*.h.
status=0
layers="transport dap adiv5 cortexm targets probes jobs"
forbid() { # dir, pattern of includes it must not have
	hits=$(grep -rnE "#include \"($2)/" "daemon/$1" 2>/dev/null)
	[ -n "$hits" ] && { echo "layering: daemon/$1 includes an upper layer:"; echo "$hits"; status=1; }
}
forbid transport "dap|adiv5|cortexm|targets|probes|jobs|api|cli"
forbid dap "adiv5|cortexm|targets|probes|jobs|api|cli"
forbid adiv5 "cortexm|targets|probes|jobs|api|cli"
forbid cortexm "targets|probes|jobs|api|cli"
forbid targets "probes|jobs|api|cli"
forbid jobs "api|cli"
forbid probes "jobs|api|cli"
# Routes take what jobs/ hands them: no target, CMSIS-DAP or ADIv5 header.
hits=$(grep -nE '#include "(targets|cortexm|adiv5|dap|transport)/' api/routes_*.c)
[ -n "$hits" ] && { echo "layering: a route includes a layer below jobs:"; echo "$hits"; status=1; }
# The command line sits beside api/, over jobs/: of api/ it uses only the
# serialisers (api/json_*.h, so that its --json is the API's JSON), and
# those include nothing of HTTP.
hits=$(grep -rnE '#include "api/' daemon/cli | grep -vE '#include "api/json_[a-z_]+\.h"')
[ -n "$hits" ] && { echo "layering: daemon/cli includes api/ beyond its serialisers:"; echo "$hits"; status=1; }
hits=$(grep -nE '#include ("api/api\.h"|<microhttpd\.h>)' api/json_*.[ch])
[ -n "$hits" ] && { echo "layering: a serialiser the CLI shares includes HTTP:"; echo "$hits"; status=1; }
# Only api/ (and the CLI for its --json) serialises; below them JSON is the
# format of the two durable files only: the journal's records (jobs/job.c,
# job_json.c) and probes.json (probes/probe_store.c).
hits=$(grep -rlE '#include (<json-c/|"json_util\.h"|"json_strict\.h")' daemon/transport daemon/dap daemon/adiv5 \
	daemon/cortexm daemon/targets daemon/probes daemon/jobs |
	grep -vE '^daemon/(jobs/(job\.c|job_json\.c|job_internal\.h)|probes/probe_store\.c)$')
[ -n "$hits" ] && { echo "layering: JSON below api/ outside the journal and probes.json:"; echo "$hits"; status=1; }
# The simulator is an independent reading of the manuals: only its own headers.
hits=$(grep -rnE '#include "' daemon/sim | grep -vE '#include "sim(/|_)[a-z0-9_]*\.h"|#include "sim\.h"')
[ -n "$hits" ] && { echo "layering: daemon/sim includes the driver stack:"; echo "$hits"; status=1; }
[ $status = 0 ] && echo "layering: includes point downward only"
exit $status
