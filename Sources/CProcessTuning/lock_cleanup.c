#include "process_tuning.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define SLOTS 64
#define PATH_LENGTH 4096

static char paths[SLOTS][PATH_LENGTH];
/// 0 free, 1 being written, 2 holds a lock path.
static int states[SLOTS];
static pthread_once_t installed = PTHREAD_ONCE_INIT;

static void remove_locks_and_die(int sig) {
    for (int slot = 0; slot < SLOTS; slot++) {
        if (__atomic_load_n(&states[slot], __ATOMIC_ACQUIRE) == 2) unlink(paths[slot]);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install(void) {
    const int signals[] = {SIGINT, SIGTERM, SIGHUP};
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        struct sigaction current;
        if (sigaction(signals[i], NULL, &current) != 0) continue;
        // A signal the process was told to ignore (nohup) stays ignored.
        if (current.sa_handler == SIG_IGN) continue;
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = remove_locks_and_die;
        sigemptyset(&action.sa_mask);
        sigaction(signals[i], &action, NULL);
    }
}

int mailferry_lock_cleanup_add(const char *path) {
    size_t length = strlen(path);
    if (length >= PATH_LENGTH) return -1;
    pthread_once(&installed, install);
    for (int slot = 0; slot < SLOTS; slot++) {
        int expected = 0;
        if (__atomic_compare_exchange_n(&states[slot], &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            memcpy(paths[slot], path, length + 1);
            __atomic_store_n(&states[slot], 2, __ATOMIC_RELEASE);
            return slot;
        }
    }
    return -1;
}

void mailferry_lock_cleanup_remove(int slot) {
    if (slot < 0 || slot >= SLOTS) return;
    __atomic_store_n(&states[slot], 0, __ATOMIC_RELEASE);
}
