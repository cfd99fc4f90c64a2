#ifndef INLET_FUZZ_DRIVER_H
#define INLET_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry for programs that have their own `main`. SwiftPM links every executable
/// with `main` renamed to `<Module>_main`, so libFuzzer's own `main` is never linked in; each
/// fuzzer's `@main` calls this instead. Defined in libFuzzer (`-sanitize=fuzzer`).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

/// Runs libFuzzer on `callback` with this process's arguments.
int inlet_fuzz_main(int argc, char **argv, int (*callback)(const uint8_t *data, size_t size));
#endif
