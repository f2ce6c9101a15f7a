// The HTTP module: an HTTP/1.1 server on POSIX sockets, epoll and Swift concurrency.
// It knows nothing about models.
//
// Layout
//   Posix/    the only code that calls socket syscalls: Syscalls (EINTR/EAGAIN policy, SocketError),
//             Socket (owns a descriptor), Listener (bind/listen, port 0), EventLoop (epoll thread
//             that is also a TaskExecutor).
//   Parser/   RequestParser, a pure state machine (bytes in, head/body/end/needMore/reject out).
//   TLS/      TLSContext/TLSSession, the only OpenSSL users.
//   Connection*.swift   per-connection reading, ordering, writing (writev, backpressure), timeouts.
//   HTTPServer, Router, RouterResponder, HTTPRequest/HTTPResponse, ServerSentEvents: the API.
//
// Threading
//   `workerCount` event loops, each a thread blocked in epoll_wait. A connection lives on one
//   loop. Its requests are answered in order by one Swift Task started with that loop as
//   executor preference, so connection state is only touched from that thread (no locks) and a
//   request/response round trip costs one read and one writev. Handlers that await other
//   actors hop away and come back. A client disconnect cancels the Task.
