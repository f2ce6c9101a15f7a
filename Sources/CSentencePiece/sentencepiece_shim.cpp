#include "CSentencePiece.h"

#include <sentencepiece_processor.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

struct lmserve_sp {
  sentencepiece::SentencePieceProcessor processor;
};

namespace {

char *copy_string(const std::string &s) {
  char *out = static_cast<char *>(std::malloc(s.size() + 1));
  if (out == nullptr) return nullptr;
  std::memcpy(out, s.data(), s.size());
  out[s.size()] = '\0';
  return out;
}

void set_error(char **error, const std::string &message) {
  if (error != nullptr) *error = copy_string(message);
}

}  // namespace

extern "C" lmserve_sp *lmserve_sp_load(const char *path, char **error) {
  lmserve_sp *sp = new (std::nothrow) lmserve_sp;
  if (sp == nullptr) {
    set_error(error, "out of memory");
    return nullptr;
  }
  const auto status = sp->processor.Load(path);
  if (!status.ok()) {
    set_error(error, status.ToString());
    delete sp;
    return nullptr;
  }
  return sp;
}

extern "C" void lmserve_sp_free(lmserve_sp *sp) { delete sp; }

extern "C" int lmserve_sp_piece_count(const lmserve_sp *sp) { return sp->processor.GetPieceSize(); }

extern "C" int lmserve_sp_encode(const lmserve_sp *sp, const char *text, size_t length, char **out,
                                 size_t *out_length, size_t *count, char **error) {
  std::vector<std::string> pieces;
  const auto status = sp->processor.Encode(absl::string_view(text, length), &pieces);
  if (!status.ok()) {
    set_error(error, status.ToString());
    return -1;
  }
  std::string joined;
  for (const auto &p : pieces) {
    joined += p;
    joined.push_back('\0');
  }
  *out = static_cast<char *>(std::malloc(joined.size() + 1));
  if (*out == nullptr) {
    set_error(error, "out of memory");
    return -1;
  }
  std::memcpy(*out, joined.data(), joined.size());
  (*out)[joined.size()] = '\0';
  *out_length = joined.size();
  *count = pieces.size();
  return 0;
}

extern "C" int lmserve_sp_decode(const lmserve_sp *sp, const char *const *pieces, const size_t *lengths, size_t count,
                                 char **out, size_t *out_length, char **error) {
  std::vector<std::string> input;
  input.reserve(count);
  for (size_t i = 0; i < count; ++i) input.emplace_back(pieces[i], lengths[i]);
  std::string text;
  const auto status = sp->processor.Decode(input, &text);
  if (!status.ok()) {
    set_error(error, status.ToString());
    return -1;
  }
  *out = copy_string(text);
  if (*out == nullptr) {
    set_error(error, "out of memory");
    return -1;
  }
  *out_length = text.size();
  return 0;
}

extern "C" void lmserve_sp_free_string(char *string) { std::free(string); }
