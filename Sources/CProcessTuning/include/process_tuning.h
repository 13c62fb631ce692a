#ifndef MAILFERRY_PROCESS_TUNING_H
#define MAILFERRY_PROCESS_TUNING_H

/// Limits glibc to two malloc arenas (no-op elsewhere); also done by a load-time constructor,
/// which this call keeps linked in. glibc gives each allocating thread its
/// own arena that keeps freed memory; with NIO's and Swift concurrency's threads that held
/// about 8 MB of a 64 MB peak, while two arenas serve MailFerry's few busy threads as fast.
void mailferry_limit_malloc_arenas(void);

#endif
