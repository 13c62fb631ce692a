#ifndef MAILFERRY_PROCESS_TUNING_H
#define MAILFERRY_PROCESS_TUNING_H

/// Limits glibc to two malloc arenas (no-op elsewhere); also done by a load-time constructor,
/// which this call keeps linked in. glibc gives each allocating thread its
/// own arena that keeps freed memory; with NIO's and Swift concurrency's threads that held
/// about 8 MB of a 64 MB peak, while two arenas serve MailFerry's few busy threads as fast.
void mailferry_limit_malloc_arenas(void);

/// Asks the kernel to start writing `length` bytes of `fd` from `offset` to disk now, without
/// waiting (Linux `sync_file_range` with `SYNC_FILE_RANGE_WRITE`; no-op elsewhere). A large file
/// written this way as it grows leaves little for its final fsync. Returns 0, or -1 with errno.
int mailferry_start_writeback(int fd, long long offset, long long length);

#endif
