#ifndef INLET_CMONGOC_SHIM_H
#define INLET_CMONGOC_SHIM_H
#include <mongoc/mongoc.h>

/* bson_t and bson_iter_t are 128-byte aligned, so Swift sees them as opaque pointers and cannot
   lay them out itself. These helpers allocate storage for the in-place initialisers
   (bson_append_document_begin, bson_iter_init, bson_iter_recurse). Free with inlet_aligned_free. */
static inline bson_t *inlet_bson_storage_new(void) {
    return (bson_t *) bson_aligned_alloc0(128, sizeof(bson_t));
}

static inline bson_iter_t *inlet_bson_iter_new(void) {
    return (bson_iter_t *) bson_aligned_alloc0(128, sizeof(bson_iter_t));
}

static inline void inlet_aligned_free(void *memory) {
    bson_free(memory);
}

/* Size and alignment of a bson_t, for storage Swift reserves itself (on the stack). */
static inline size_t inlet_bson_t_size(void) {
    return sizeof(bson_t);
}

static inline size_t inlet_bson_t_alignment(void) {
    return _Alignof(bson_t);
}

/* Size and alignment of a bson_iter_t, for iterators Swift reserves itself (on the stack). */
static inline size_t inlet_bson_iter_size(void) {
    return sizeof(bson_iter_t);
}

static inline size_t inlet_bson_iter_alignment(void) {
    return _Alignof(bson_iter_t);
}

/* bson_t.len is a struct field Swift cannot reach through an opaque pointer. */
static inline uint32_t inlet_bson_length(const bson_t *bson) {
    return bson->len;
}

#endif
