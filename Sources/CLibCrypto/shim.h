#ifndef MAILFERRY_CLIBCRYPTO_SHIM_H
#define MAILFERRY_CLIBCRYPTO_SHIM_H
// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, but they are the same
// optimised code (SHA-NI/AVX2) without a heap-allocated context, which keeps Swift's SHA256 a value.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>
// MD5 for POP3 APOP only (MailCore.MD5).
#include <openssl/md5.h>
#endif
