#ifndef INLET_CHIREDIS_SHIM_H
#define INLET_CHIREDIS_SHIM_H
#include <hiredis.h>
#include <pthread.h>

/// hiredis exposes the reader's error state through macros and direct field access,
/// neither of which Swift imports; these helpers give Swift a function to call.
static inline int inlet_redis_reader_err(redisReader *r) { return r->err; }
static inline const char *inlet_redis_reader_errstr(redisReader *r) { return r->errstr; }

/// Bytes fed to the reader that no complete reply has consumed yet: the decoder bounds this so
/// a stream that never finishes a reply cannot grow memory without limit.
static inline size_t inlet_redis_reader_pending(redisReader *r) { return r->len - r->pos; }

/// The `i`th element of an array reply; Swift cannot index `redisReply **` without pointer casts.
static inline redisReply *inlet_redis_reply_element(redisReply *reply, size_t i) { return reply->element[i]; }

/// hiredis 0.14 allocates an array reply's whole element table as soon as it reads `*N\r\n`, so
/// twelve bytes from a broken or hostile server could ask for gigabytes (found by fuzzing).
/// inlet's replies are small; an array past this many elements is refused as a protocol error.
#define INLET_REDIS_MAX_ARRAY_ELEMENTS 100000

/* Tables and the once-flag live in function-local statics: Swift's importer emits the bodies
   of static inline functions, not file-level static variables of a header. */
static inline redisReplyObjectFunctions *inlet_redis_function_tables(void) {
    static redisReplyObjectFunctions tables[2];  /* [0]: hiredis's defaults, [1]: bounded */
    return tables;
}

static inline pthread_once_t *inlet_redis_functions_once(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    return &once;
}

static inline void *inlet_redis_create_bounded_array(const redisReadTask *task, int elements) {
    if (elements < 0 || elements > INLET_REDIS_MAX_ARRAY_ELEMENTS) return NULL;  /* the reader reports OOM */
    return inlet_redis_function_tables()[0].createArray(task, elements);
}

/* hiredis keeps its default reply functions private; a reader it creates points at them. */
static inline void inlet_redis_init_functions(void) {
    redisReader *probe = redisReaderCreate();
    if (probe == NULL || probe->fn == NULL) return;
    redisReplyObjectFunctions *tables = inlet_redis_function_tables();
    tables[0] = *probe->fn;
    tables[1] = *probe->fn;
    tables[1].createArray = inlet_redis_create_bounded_array;
    redisReaderFree(probe);
}

/// A reader like `redisReaderCreate()`, whose array replies are bounded as above.
static inline redisReader *inlet_redis_reader_create_bounded(void) {
    pthread_once(inlet_redis_functions_once(), inlet_redis_init_functions);
    redisReplyObjectFunctions *bounded = &inlet_redis_function_tables()[1];
    if (bounded->createArray == NULL) return NULL;
    return redisReaderCreateWithFunctions(bounded);
}
#endif
