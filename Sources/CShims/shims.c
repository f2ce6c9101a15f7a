#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include "CShims.h"

sqlite3_destructor_type lmserve_sqlite_transient(void) { return SQLITE_TRANSIENT; }

int lmserve_ssl_ctx_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}

long lmserve_ssl_ctx_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }

int lmserve_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

int lmserve_epoll_wait(int epfd, lmserve_epoll_event *out, int maxevents, int timeout_ms) {
    struct epoll_event evs[256];
    if (maxevents > 256) maxevents = 256;
    int n = epoll_wait(epfd, evs, maxevents, timeout_ms);
    for (int i = 0; i < n; i++) {
        out[i].data = evs[i].data.u64;
        out[i].events = evs[i].events;
    }
    return n;
}

int lmserve_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

long lmserve_ssl_set_mode(SSL *ssl, long mode) { return SSL_set_mode(ssl, mode); }

int lmserve_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int lmserve_accept4(int fd, void *addr, unsigned int *len) {
    return accept4(fd, (struct sockaddr *)addr, (socklen_t *)len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}
