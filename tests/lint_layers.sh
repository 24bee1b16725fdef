#!/bin/sh
# Includes point downward only (docs/README.md, "The layers"):
# transport <- dap <- adiv5 <- cortexm <- targets <- jobs <- api; sim/ stands apart.
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
# The simulator is an independent reading of the manuals: only its own headers.
hits=$(grep -rnE '#include "' daemon/sim | grep -vE '#include "sim(/|_)[a-z0-9_]*\.h"|#include "sim\.h"')
[ -n "$hits" ] && { echo "layering: daemon/sim includes the driver stack:"; echo "$hits"; status=1; }
[ $status = 0 ] && echo "layering: includes point downward only"
exit $status
