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

#endif
