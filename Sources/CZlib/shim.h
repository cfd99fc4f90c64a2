#ifndef INLET_CZLIB_SHIM_H
#define INLET_CZLIB_SHIM_H
#include <zlib.h>

/// `inflateInit2` is a macro (it passes the library version and struct size); Swift cannot call macros.
static inline int inlet_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 16 + MAX_WBITS);
}
#endif
