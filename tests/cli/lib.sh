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
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
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
