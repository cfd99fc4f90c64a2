#ifndef INLET_CMONGOC_SHIM_H
#define INLET_CMONGOC_SHIM_H
#include <mongoc/mongoc.h>
#endif
