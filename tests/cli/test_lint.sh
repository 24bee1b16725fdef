#!/bin/sh
# The layering and naming rules hold (a test, so a violation fails CI), and
# the lints catch each kind of violation: one include injected into a copy of
# the tree at a time must make the layer lint fail; misnamed definitions
# injected into one copy must each be named by the name lint.
. "$(dirname "$0")/lib.sh"
check includes_point_downward sh tests/lint_layers.sh
check names_start_with_their_file_stem sh tests/lint_names.sh

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# inject NAME FILE LINE: a copy of daemon/ and api/ with LINE added to FILE
inject() {
	rm -rf "$T/tree" && mkdir -p "$T/tree" && cp -r daemon api "$T/tree/"
	mkdir -p "$(dirname "$T/tree/$2")"
	printf '%s\n' "$3" >>"$T/tree/$2"
	! sh tests/lint_layers.sh "$T/tree" >"$T/$1.out" 2>&1 && grep -q "layering:" "$T/$1.out"
}
check lint_catches_probes_including_jobs inject probes_jobs daemon/probes/registry.c '#include "jobs/job.h"'
check lint_catches_cli_including_http inject cli_api daemon/cli/cli.c '#include "api/api.h"'
check lint_catches_base_including_cli inject err_cli daemon/err.c '#include "cli/cli.h"'
check lint_catches_config_including_serve inject config_serve daemon/config.c '#include "serve.h"'
check lint_catches_dap_including_targets inject dap_targets daemon/dap/dap.c '#include "targets/target.h"'
check lint_catches_api_including_cli inject api_cli api/router.c '#include "cli/cli.h"'
check lint_catches_jobs_including_serve inject jobs_serve daemon/jobs/job.c '#include "serve.h"'
check lint_catches_sim_including_the_stack inject sim_err daemon/sim/sim_chip.c '#include "err.h"'
check lint_catches_a_file_without_rank inject no_rank daemon/newlayer/x.c '#include "err.h"'
check lint_catches_a_route_below_jobs inject route_targets api/routes_meta.c '#include "targets/target.h"'

# One copy with a misnamed static function, a misnamed global, two names that
# follow the rule, and a header's static inline function (emitted into the
# file that calls it, yet the header's, not the file's).
rm -rf "$T/tree" && mkdir -p "$T/tree" && cp -r daemon api "$T/tree/"
printf '%s\n' 'static int misnamed_helper(void) { return 0; }' 'int misnamed_global;' \
	'static int dap_well_named(void) { return 0; }' 'int dap_also_well_named;' >>"$T/tree/daemon/dap/dap.c"
printf '%s\n' 'static inline int twice_inline(int x) { return 2 * x; }' >"$T/tree/api/twice.h"
printf '%s\n' '#include "api/twice.h"' 'int router_calls_inline(void) { return twice_inline(1); }' >>"$T/tree/api/router.c"
sh tests/lint_names.sh "$T/tree" >"$T/names.out" 2>&1
names_status=$?
named() { grep -qx "$1" "$T/names.out"; }
unnamed() { ! grep -q "$1" "$T/names.out"; }
check name_lint_fails_on_a_misnamed_name test "$names_status" != 0
check name_lint_names_a_misnamed_static_function named 'daemon/dap/dap.c: misnamed_helper'
check name_lint_names_a_misnamed_global named 'daemon/dap/dap.c: misnamed_global'
check name_lint_passes_names_with_the_stem unnamed well_named
check name_lint_leaves_a_header_inline_to_its_header unnamed twice_inline
summary
