#define _GNU_SOURCE  // sync_file_range
#include "process_tuning.h"

#include <fcntl.h>
#include <stdlib.h>  // defines __GLIBC__ on glibc systems

#if defined(__GLIBC__)
#include <malloc.h>

// glibc fixes its arena limit the first time a second arena is needed, which can happen before
// Swift's main runs: set it from a constructor, at load time.
__attribute__((constructor)) static void limit_arenas_at_load(void) { mallopt(M_ARENA_MAX, 2); }

void mailferry_limit_malloc_arenas(void) { mallopt(M_ARENA_MAX, 2); }
#else
void mailferry_limit_malloc_arenas(void) {}
#endif

int mailferry_start_writeback(int fd, long long offset, long long length) {
#if defined(__linux__)
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd;
    (void)offset;
    (void)length;
    return 0;
#endif
}
