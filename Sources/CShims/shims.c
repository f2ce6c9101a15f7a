#include "CShims.h"

sqlite3_destructor_type lmserve_sqlite_transient(void) { return SQLITE_TRANSIENT; }

int lmserve_ssl_ctx_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}

long lmserve_ssl_ctx_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
