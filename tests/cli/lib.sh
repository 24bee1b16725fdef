# Shell test helpers: each `check NAME CONDITION...` is one test; `summary`
# prints "N passed, N failed" and sets the exit status.
passed=0
failed=0
skipped=0
# in_ci: the environment says this is CI (GitHub and GitLab set CI=true,
# .ci/run sets CI=1).
in_ci() {
	case "${CI:-}" in ""|0|false|False|FALSE|no) return 1 ;; esac
	return 0
}
# cannot_run REASON: a part of this lane cannot run on this machine (a tool
# or library missing). Under CI that is a failed check naming the reason: a
# required lane that cannot run fails. Elsewhere it is a "SKIPPED:" line
# (tests/run.sh lists them in its summary), never a pass.
cannot_run() {
	if in_ci; then
		failed=$((failed + 1)); echo "not ok lane_can_run"; echo "  FAIL cannot run, and CI is set: $1"
	else
		skipped=$((skipped + 1)); echo "SKIPPED: $1"
	fi
}
check() {
	name=$1; shift
	if "$@"; then
		passed=$((passed + 1)); echo "ok $name"
	else
		failed=$((failed + 1)); echo "not ok $name"; echo "  FAIL $name: $*"
	fi
}
# A lane that ran nothing because it could not run says SKIPPED, not
# "0 passed".
summary() {
	if [ "$passed" = 0 ] && [ "$failed" = 0 ] && [ "$skipped" != 0 ]; then
		echo "$(basename "$0"): SKIPPED"
		return 0
	fi
	echo "$(basename "$0"): $passed passed, $failed failed"
	[ "$failed" = 0 ]
}
# json FILE EXPR: evaluate a Python expression over the JSON object `j`.
json() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}
# port_in FILE: the port in the first "listening on HOST:PORT" line of FILE:
# rdpd's banner (stdout) or rdpd-sim's (stderr). Started on port 0, they
# bind a port the kernel picks, free; a port picked first and bound later
# can be taken in between by another process's outgoing connection.
port_in() {
	sed -n 's/.*listening on \(\[[^]]*\]\|[^ :]*\):\([0-9][0-9]*\).*/\2/p' "$1" 2>/dev/null | head -n 1
}
# bound_port FILE: port_in FILE, once the line is there (10 s at most).
bound_port() {
	i=0
	while [ $i -lt 200 ]; do
		p=$(port_in "$1")
		[ -n "$p" ] && { echo "$p"; return 0; }
		sleep 0.05; i=$((i + 1))
	done
	return 1
}
# wait_port PORT: until something listens there (5 s at most).
wait_port() {
	i=0
	while [ $i -lt 100 ]; do
		python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),0.2).close()' "$1" 2>/dev/null && return 0
		sleep 0.05; i=$((i + 1))
	done
	return 1
}
