#ifndef MAILFERRY_CZLIB_SHIM_H
#define MAILFERRY_CZLIB_SHIM_H
#include <zlib.h>
#endif
