#ifndef INLET_CHIREDIS_SHIM_H
#define INLET_CHIREDIS_SHIM_H
#include <hiredis.h>

/// hiredis exposes the reader's error state through macros and direct field access,
/// neither of which Swift imports; these helpers give Swift a function to call.
static inline int inlet_redis_reader_err(redisReader *r) { return r->err; }
static inline const char *inlet_redis_reader_errstr(redisReader *r) { return r->errstr; }
#endif
