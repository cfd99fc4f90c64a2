#ifndef INLET_CHIREDIS_SHIM_H
#define INLET_CHIREDIS_SHIM_H
#include <hiredis.h>

/// hiredis exposes the reader's error state through macros and direct field access,
/// neither of which Swift imports; these helpers give Swift a function to call.
static inline int inlet_redis_reader_err(redisReader *r) { return r->err; }
static inline const char *inlet_redis_reader_errstr(redisReader *r) { return r->errstr; }

/// Bytes fed to the reader that no complete reply has consumed yet: the decoder bounds this so
/// a stream that never finishes a reply cannot grow memory without limit.
static inline size_t inlet_redis_reader_pending(redisReader *r) { return r->len - r->pos; }

/// The `i`th element of an array reply; Swift cannot index `redisReply **` without pointer casts.
static inline redisReply *inlet_redis_reply_element(redisReply *reply, size_t i) { return reply->element[i]; }
#endif
