# Shell test helpers: each `check NAME CONDITION...` is one test; `summary`
# prints "N passed, N failed" and sets the exit status.
passed=0
failed=0
check() {
	name=$1; shift
	if "$@"; then
		passed=$((passed + 1)); echo "ok $name"
	else
		failed=$((failed + 1)); echo "not ok $name"; echo "  FAIL $name: $*"
	fi
}
summary() {
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
