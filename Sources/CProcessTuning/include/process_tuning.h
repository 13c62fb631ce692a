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

/// Lock files to remove when SIGINT, SIGTERM or SIGHUP end the process, so that a mail program
/// (mutt, procmail) does not find a dotlock of a MailFerry that is gone. The handler unlinks every
/// registered path and then lets the signal end the process as it would have (SIG_DFL, re-raised).
/// Paths are copied into fixed slots (no allocation in the handler). Returns the slot to pass to
/// `mailferry_lock_cleanup_remove`, or -1 when all slots are in use or the path is too long (the
/// lock is then only taken over by the next run, as a dead owner's).
int mailferry_lock_cleanup_add(const char *path);

/// Forgets a slot (the lock was released normally).
void mailferry_lock_cleanup_remove(int slot);

#endif
