#ifndef LMSERVE_CSHIMS_H
#define LMSERVE_CSHIMS_H

// Linux and libc calls Swift cannot make directly (flags passed as macros, packed structs,
// async-signal-safe handlers), for HTTP's Posix layer. No other C library is included here:
// the SQLite and OpenSSL macro wrappers live in CSQLite's and COpenSSL's own headers.
#include <stdint.h>

// epoll_event is a packed struct on x86_64; Swift sees this flat copy.
typedef struct {
    uint64_t data;
    uint32_t events;
} lmserve_epoll_event;

/// epoll_ctl with the event's data set to `data` (usually the descriptor).
int lmserve_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);

/// epoll_wait copying the packed kernel records into `out`.
int lmserve_epoll_wait(int epfd, lmserve_epoll_event *out, int maxevents, int timeout_ms);

/// epoll_create1(EPOLL_CLOEXEC).
int lmserve_epoll_create(void);

/// accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC).
int lmserve_accept4(int fd, void *addr, unsigned int *len);

/// eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC).
int lmserve_eventfd(void);

/// Installs a sigaction handler for `signo` that writes the signal number (one byte) to a
/// process-wide non-blocking self-pipe; returns the pipe's read end, or -1 on error.
int lmserve_signal_pipe_install(int signo);

/// Restores the default action for `signo`.
void lmserve_signal_restore(int signo);

#endif
