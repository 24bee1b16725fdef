#!/bin/sh
# The layering rule holds (a test, so a violation fails CI), and the lint
# catches each kind of violation: one include injected into a copy of the
# tree at a time must make it fail.
. "$(dirname "$0")/lib.sh"
check includes_point_downward sh tests/lint_layers.sh

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# inject NAME FILE LINE: a copy of daemon/ and api/ with LINE added to FILE
inject() {
	rm -rf "$T/tree" && mkdir -p "$T/tree" && cp -r daemon api "$T/tree/"
	mkdir -p "$(dirname "$T/tree/$2")"
	printf '%s\n' "$3" >>"$T/tree/$2"
	! sh tests/lint_layers.sh "$T/tree" >"$T/$1.out" 2>&1 && grep -q "layering:" "$T/$1.out"
}
check lint_catches_probes_including_jobs inject probes_jobs daemon/probes/probe_registry.c '#include "jobs/job.h"'
check lint_catches_cli_including_http inject cli_api daemon/cli/cli.c '#include "api/api.h"'
check lint_catches_base_including_cli inject err_cli daemon/err.c '#include "cli/cli.h"'
check lint_catches_config_including_serve inject config_serve daemon/config.c '#include "serve.h"'
check lint_catches_dap_including_targets inject dap_targets daemon/dap/dap.c '#include "targets/target.h"'
check lint_catches_api_including_cli inject api_cli api/router.c '#include "cli/cli.h"'
check lint_catches_jobs_including_serve inject jobs_serve daemon/jobs/job.c '#include "serve.h"'
check lint_catches_sim_including_the_stack inject sim_err daemon/sim/sim_chip.c '#include "err.h"'
check lint_catches_a_file_without_rank inject no_rank daemon/newlayer/x.c '#include "err.h"'
check lint_catches_a_route_below_jobs inject route_targets api/routes_meta.c '#include "targets/target.h"'
summary
