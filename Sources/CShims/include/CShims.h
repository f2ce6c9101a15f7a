#ifndef LMSERVE_CSHIMS_H
#define LMSERVE_CSHIMS_H

#include <sqlite3.h>
#include <openssl/ssl.h>

/// SQLITE_TRANSIENT is a macro casting -1 to a function pointer; Swift cannot import it.
sqlite3_destructor_type lmserve_sqlite_transient(void);

/// SSL_CTX_set_min_proto_version is a macro over SSL_CTX_ctrl.
int lmserve_ssl_ctx_set_min_proto_version(SSL_CTX *ctx, int version);

/// SSL_CTX_set_mode is a macro over SSL_CTX_ctrl.
long lmserve_ssl_ctx_set_mode(SSL_CTX *ctx, long mode);

// ---- HTTP: epoll/eventfd (epoll_event is a packed struct on x86_64; Swift sees this flat copy).
#include <stdint.h>

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

/// SSL_set_mode is a macro over SSL_ctrl.
long lmserve_ssl_set_mode(SSL *ssl, long mode);

#endif
