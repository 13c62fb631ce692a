#ifndef MAILFERRY_CARCHIVE_SHIM_H
#define MAILFERRY_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>

/* libarchive's file-type macros are casts, which Swift does not import. */
static const unsigned int mailferry_AE_IFMT = AE_IFMT;
static const unsigned int mailferry_AE_IFREG = AE_IFREG;
static const unsigned int mailferry_AE_IFDIR = AE_IFDIR;
#endif
