#ifndef LMSERVE_CSENTENCEPIECE_H
#define LMSERVE_CSENTENCEPIECE_H

// A C face for SentencePiece's C++ processor (libsentencepiece), for Swift.
// Every function that fails returns NULL or -1 and, when `error` is not NULL, stores a
// malloc'ed message there for the caller to free with lmserve_sp_free_string.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lmserve_sp lmserve_sp;

/// Loads a serialized model (`.model` file) from `path`.
lmserve_sp *lmserve_sp_load(const char *path, char **error);
void lmserve_sp_free(lmserve_sp *sp);
/// The number of pieces in the model's vocabulary.
int lmserve_sp_piece_count(const lmserve_sp *sp);

/// Encodes `length` bytes of UTF-8 text into pieces, written to `*out` as `*count` NUL-terminated
/// strings back to back (`*out` is malloc'ed; free with lmserve_sp_free_string). Returns 0 or -1.
int lmserve_sp_encode(const lmserve_sp *sp, const char *text, size_t length, char **out, size_t *out_length,
                      size_t *count, char **error);

/// Decodes `count` pieces (`pieces[i]` of `lengths[i]` bytes) into text, `*out` malloc'ed with
/// `*out_length` bytes (NUL-terminated). Returns 0 or -1.
int lmserve_sp_decode(const lmserve_sp *sp, const char *const *pieces, const size_t *lengths, size_t count, char **out,
                      size_t *out_length, char **error);

void lmserve_sp_free_string(char *string);

#ifdef __cplusplus
}
#endif

#endif
