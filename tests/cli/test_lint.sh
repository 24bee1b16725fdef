#!/bin/sh
# The layering rule holds (a test, so a violation fails CI).
. "$(dirname "$0")/lib.sh"
check includes_point_downward sh tests/lint_layers.sh
summary
