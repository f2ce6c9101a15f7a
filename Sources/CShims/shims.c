#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "CShims.h"

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

int lmserve_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int lmserve_accept4(int fd, void *addr, unsigned int *len) {
    return accept4(fd, (struct sockaddr *)addr, (socklen_t *)len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

static int lmserve_signal_fds[2] = {-1, -1};
static pthread_once_t lmserve_signal_once = PTHREAD_ONCE_INIT;

static void lmserve_signal_pipe_create(void) {
    int fds[2];
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0) {
        lmserve_signal_fds[0] = fds[0];
        lmserve_signal_fds[1] = fds[1];
    }
}

static void lmserve_signal_handler(int signo) {
    int saved = errno;
    unsigned char byte = (unsigned char)signo;
    (void)!write(lmserve_signal_fds[1], &byte, 1);
    errno = saved;
}

int lmserve_signal_pipe_install(int signo) {
    pthread_once(&lmserve_signal_once, lmserve_signal_pipe_create);
    if (lmserve_signal_fds[0] < 0) return -1;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = lmserve_signal_handler;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    if (sigaction(signo, &action, NULL) != 0) return -1;
    return lmserve_signal_fds[0];
}

void lmserve_signal_restore(int signo) { signal(signo, SIG_DFL); }
