/* Every fuzz target defines this; fuzz-main.c replays a corpus through it under gcc, and
 * libFuzzer drives it with --enable-fuzzing. */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
