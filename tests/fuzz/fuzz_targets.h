/*
 * fuzz_targets.h - every fuzz target, one LLVMFuzzerTestOneInput each in its
 * own file. Built two ways: with clang's libFuzzer by `make fuzz`, and with
 * tests/fuzz/replay_main.c (any compiler) to replay the kept corpus and
 * crash inputs as regression tests in `make test`.
 */
#ifndef RDPD_FUZZ_TARGETS_H
#define RDPD_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
