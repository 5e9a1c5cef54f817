/* sign.c - Ed25519 signatures in minisign's formats (see sign.h). */
#include "kiosk/sign.h"
#include "common/kerr.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SIGN_COMMENT_PREFIX "untrusted comment: "
#define SIGN_TRUSTED_PREFIX "trusted comment: "
#define SIGN_COMMENT_MAX 1024
#define SIGN_LEGACY_MAX (64u << 20) /* "Ed" signatures need the whole file in memory */

/* minisign's binary layouts (all byte arrays, no padding). */
struct sign_pub_blob {
    uint8_t alg[2]; /* "Ed" */
    uint8_t id[SIGN_KEY_ID_BYTES];
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
};

struct sign_sec_blob {
    uint8_t alg[2];     /* "Ed" */
    uint8_t kdf_alg[2]; /* "Sc" (scrypt, encrypted) or 0 0 (unencrypted) */
    uint8_t chk_alg[2]; /* "B2" */
    uint8_t kdf_salt[32];
    uint8_t kdf_opslimit_le[8];
    uint8_t kdf_memlimit_le[8];
    uint8_t id[SIGN_KEY_ID_BYTES];
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
    uint8_t chk[crypto_generichash_BYTES];
};

struct sign_sig_blob {
    uint8_t alg[2]; /* "ED" (prehashed) or "Ed" (legacy) */
    uint8_t id[SIGN_KEY_ID_BYTES];
    uint8_t sig[crypto_sign_BYTES];
};

struct sign_seckey {
    uint8_t id[SIGN_KEY_ID_BYTES];
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
};

G_STATIC_ASSERT(sizeof(struct sign_pub_blob) == 42);
G_STATIC_ASSERT(sizeof(struct sign_sec_blob) == 158);
G_STATIC_ASSERT(sizeof(struct sign_sig_blob) == 74);

static int sign_init(char **why)
{
    if (sodium_init() < 0) {
        *why = g_strdup("libsodium could not be initialised");
        return KERR_SYSTEM;
    }
    return 0;
}

void sign_key_id_hex(const uint8_t id[SIGN_KEY_ID_BYTES], char out[17])
{
    /* minisign prints the id as a little-endian 64-bit number. */
    static const char hex[] = "0123456789ABCDEF";
    for (int i = 0; i < SIGN_KEY_ID_BYTES; i++) {
        uint8_t b = id[SIGN_KEY_ID_BYTES - 1 - i];
        out[2 * i] = hex[b >> 4];
        out[2 * i + 1] = hex[b & 15];
    }
    out[16] = '\0';
}

/* Split TEXT into at most MAX lines (without '\n' or a trailing '\r').  Returns the
 * number of lines, or -1 when a line is longer than SIGN_COMMENT_MAX + 32. */
static int sign_split_lines(char *text, char **lines, int max)
{
    int n = 0;
    char *p = text;
    while (*p && n < max) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        size_t len = strlen(p);
        if (len > SIGN_COMMENT_MAX + 32)
            return -1;
        if (len && p[len - 1] == '\r')
            p[len - 1] = '\0';
        lines[n++] = p;
        if (!nl)
            break;
        p = nl + 1;
    }
    return n;
}

/* Decode a base64 line into exactly LEN bytes. */
static bool sign_b64_decode(const char *line, void *out, size_t len)
{
    size_t got = 0;
    const char *end = NULL;
    if (sodium_base642bin(out, len, line, strlen(line), " \t", &got, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return false;
    return got == len && end && *end == '\0';
}

static char *sign_b64_encode(const void *bin, size_t len)
{
    size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *out = g_malloc(n);
    sodium_bin2base64(out, n, bin, len, sodium_base64_VARIANT_ORIGINAL);
    return out;
}

static int sign_read_small(const char *path, const char *what, char **text, char **why)
{
    GError *err = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, text, &len, &err)) {
        bool missing = g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
        *why = g_strdup_printf("cannot read the %s %s: %s", what, path, err->message);
        g_error_free(err);
        return missing ? KERR_NOT_FOUND : KERR_SYSTEM;
    }
    if (len > 8192 || memchr(*text, '\0', len)) {
        *why = g_strdup_printf("%s is not a %s (minisign format)", path, what);
        g_clear_pointer(text, g_free);
        return KERR_INVAL;
    }
    return 0;
}

int sign_key_parse_public(const char *text, size_t len, struct sign_pubkey *out, char **why)
{
    char *copy = g_strndup(text, len), *lines[3];
    int rc = KERR_INVAL;
    struct sign_pub_blob b;
    if (sign_init(why) != 0) {
        rc = KERR_SYSTEM;
        goto out;
    }
    int n = sign_split_lines(copy, lines, 3);
    const char *key_line = NULL;
    if (n >= 2 && g_str_has_prefix(lines[0], SIGN_COMMENT_PREFIX))
        key_line = lines[1];
    else if (n >= 1 && !g_str_has_prefix(lines[0], SIGN_COMMENT_PREFIX))
        key_line = lines[0]; /* a bare key, as `minisign -P` takes it */
    if (!key_line || !sign_b64_decode(key_line, &b, sizeof(b))) {
        *why = g_strdup("not a minisign public key (expected an \"untrusted comment:\" line "
                        "and one base64 line)");
        goto out;
    }
    if (memcmp(b.alg, "Ed", 2) != 0) {
        *why = g_strdup("unsupported public key algorithm (expected Ed25519, \"Ed\")");
        goto out;
    }
    memcpy(out->id, b.id, sizeof(out->id));
    memcpy(out->pk, b.pk, sizeof(out->pk));
    rc = 0;
out:
    g_free(copy);
    return rc;
}

int sign_key_load_public(const char *path, struct sign_pubkey *out, char **why)
{
    char *text = NULL, *inner = NULL;
    int rc = sign_read_small(path, "public key", &text, why);
    if (rc != 0)
        return rc;
    rc = sign_key_parse_public(text, strlen(text), out, &inner);
    if (rc != 0) {
        *why = g_strdup_printf("%s: %s", path, inner);
        g_free(inner);
    }
    g_free(text);
    return rc;
}

static void sign_sec_checksum(const struct sign_sec_blob *b, uint8_t out[crypto_generichash_BYTES])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, crypto_generichash_BYTES);
    crypto_generichash_update(&st, b->alg, sizeof(b->alg));
    crypto_generichash_update(&st, b->id, sizeof(b->id));
    crypto_generichash_update(&st, b->sk, sizeof(b->sk));
    crypto_generichash_final(&st, out, crypto_generichash_BYTES);
    sodium_memzero(&st, sizeof(st));
}

void sign_key_free(struct sign_seckey *k)
{
    if (k)
        sodium_free(k);
}

void sign_key_public_of(const struct sign_seckey *k, struct sign_pubkey *out)
{
    memcpy(out->id, k->id, sizeof(out->id));
    crypto_sign_ed25519_sk_to_pk(out->pk, k->sk);
}

/* The secret key file PATH read whole into *TEXT_OUT (sodium_malloc'd, NUL-terminated):
 * a regular file that only its owner may read, 4096 bytes at the most. */
static int sign_read_secret_file(const char *path, char **text_out, char **why)
{
    char *text = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    int rc = KERR_SYSTEM;
    if (fd < 0) {
        rc = errno == ENOENT ? KERR_NOT_FOUND : KERR_SYSTEM;
        *why = g_strdup_printf("cannot open the signing key %s: %s", path, g_strerror(errno));
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        *why = g_strdup_printf("the signing key %s is not a regular file", path);
        rc = KERR_INVAL;
        goto out;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        *why = g_strdup_printf("the signing key %s may be read by others (mode %04o); "
                               "run: chmod 600 %s",
                               path, (unsigned)(st.st_mode & 07777), path);
        rc = KERR_INVAL;
        goto out;
    }
    if (st.st_size > 4096) {
        *why = g_strdup_printf("%s is not a minisign secret key", path);
        rc = KERR_INVAL;
        goto out;
    }
    text = sodium_malloc((size_t)st.st_size + 1);
    if (!text) {
        *why = g_strdup("out of memory");
        rc = KERR_NOMEM;
        goto out;
    }
    ssize_t got = read(fd, text, (size_t)st.st_size);
    if (got != st.st_size) {
        *why = g_strdup_printf("cannot read the signing key %s: %s", path,
                               got < 0 ? g_strerror(errno) : "short read");
        goto out;
    }
    text[got] = '\0';
    *text_out = text;
    text = NULL; /* transferred */
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (text)
        sodium_free(text);
    return rc;
}

int sign_key_load_secret(const char *path, struct sign_seckey **out, char **why)
{
    int rc = sign_init(why);
    if (rc != 0)
        return rc;
    struct sign_sec_blob *b = sodium_malloc(sizeof(*b));
    struct sign_seckey *k = NULL;
    char *text = NULL, *lines[3];
    if (!b) {
        *why = g_strdup("out of memory");
        rc = KERR_NOMEM;
        goto out;
    }
    if ((rc = sign_read_secret_file(path, &text, why)) != 0)
        goto out;
    rc = KERR_INVAL;
    int n = sign_split_lines(text, lines, 3);
    if (n < 2 || !g_str_has_prefix(lines[0], SIGN_COMMENT_PREFIX) ||
        !sign_b64_decode(lines[1], b, sizeof(*b)) || memcmp(b->alg, "Ed", 2) != 0 ||
        memcmp(b->chk_alg, "B2", 2) != 0) {
        *why = g_strdup_printf("%s is not a minisign Ed25519 secret key", path);
        goto out;
    }
    if (memcmp(b->kdf_alg, "\0\0", 2) != 0) {
        *why = g_strdup_printf("the signing key %s is password-protected; the kiosk signs "
                               "unattended and needs an unencrypted key (kiosk keygen, or "
                               "minisign -G -W)",
                               path);
        goto out;
    }
    /* minisign -W (0.11) leaves the checksum of an unencrypted key all zero; a key
     * with a checksum must match it. */
    uint8_t chk[crypto_generichash_BYTES];
    sign_sec_checksum(b, chk);
    if (!sodium_is_zero(b->chk, sizeof(b->chk)) && sodium_memcmp(chk, b->chk, sizeof(chk)) != 0) {
        *why = g_strdup_printf("the signing key %s is damaged (checksum mismatch)", path);
        rc = KERR_CORRUPT;
        goto out;
    }
    k = sodium_malloc(sizeof(*k));
    if (!k) {
        *why = g_strdup("out of memory");
        rc = KERR_NOMEM;
        goto out;
    }
    memcpy(k->id, b->id, sizeof(k->id));
    memcpy(k->sk, b->sk, sizeof(k->sk));
    *out = k;
    k = NULL; /* transferred */
    rc = 0;
out:
    if (text)
        sodium_free(text);
    if (b)
        sodium_free(b);
    sign_key_free(k);
    return rc;
}

/* Write TEXT to PATH through PATH.tmp-XXXXXX, fsync, rename.  MODE for the new file. */
static int sign_write_atomic(const char *path, const char *text, size_t len, mode_t mode,
                             bool exclusive, char **why)
{
    char *tmp = g_strdup_printf("%s.tmp-XXXXXX", path);
    int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, (int)mode);
    int rc = KERR_SYSTEM;
    if (fd < 0) {
        *why = g_strdup_printf("cannot create %s: %s", tmp, g_strerror(errno));
        goto out;
    }
    if (fchmod(fd, mode) != 0 || util_write_all(fd, text, len) != 0 || fsync(fd) != 0) {
        *why = g_strdup_printf("cannot write %s: %s", tmp, g_strerror(errno));
        close(fd);
        unlink(tmp);
        goto out;
    }
    close(fd);
    if (exclusive ? link(tmp, path) != 0 : rename(tmp, path) != 0) {
        *why = g_strdup_printf("cannot create %s: %s", path, g_strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (exclusive)
        unlink(tmp);
    char *dir = g_path_get_dirname(path);
    util_fsync_dir(dir);
    g_free(dir);
    rc = 0;
out:
    g_free(tmp);
    return rc;
}

int sign_keygen(const char *secret_path, const char *public_path, char id_hex[17], char **why)
{
    int rc = sign_init(why);
    if (rc != 0)
        return rc;
    struct sign_sec_blob *b = sodium_malloc(sizeof(*b));
    struct sign_pub_blob pb;
    char *sec_b64 = NULL, *pub_b64 = NULL, *sec_text = NULL, *pub_text = NULL;
    char hex[17];
    if (!b) {
        *why = g_strdup("out of memory");
        return KERR_NOMEM;
    }
    if (access(secret_path, F_OK) == 0) {
        *why = g_strdup_printf("%s already exists; move it away first if you really want a "
                               "new key (deliveries signed with it can then no longer be "
                               "checked with the new public key)",
                               secret_path);
        rc = KERR_INVAL;
        goto out;
    }
    memset(b, 0, sizeof(*b));
    memcpy(b->alg, "Ed", 2);
    memcpy(b->chk_alg, "B2", 2);
    randombytes_buf(b->id, sizeof(b->id));
    crypto_sign_keypair(pb.pk, b->sk);
    sign_sec_checksum(b, b->chk);
    memcpy(pb.alg, "Ed", 2);
    memcpy(pb.id, b->id, sizeof(pb.id));
    sign_key_id_hex(b->id, hex);

    sec_b64 = sign_b64_encode(b, sizeof(*b));
    sec_text = g_strdup_printf(SIGN_COMMENT_PREFIX "minisign secret key %s (kiosk, unencrypted)\n"
                                                   "%s\n",
                               hex, sec_b64);
    pub_b64 = sign_b64_encode(&pb, sizeof(pb));
    pub_text = g_strdup_printf(SIGN_COMMENT_PREFIX "minisign public key %s\n%s\n", hex, pub_b64);
    rc = sign_write_atomic(secret_path, sec_text, strlen(sec_text), 0600, true, why);
    if (rc == 0)
        rc = sign_write_atomic(public_path, pub_text, strlen(pub_text), 0644, false, why);
    if (rc == 0 && id_hex)
        memcpy(id_hex, hex, 17);
out:
    if (sec_b64) {
        sodium_memzero(sec_b64, strlen(sec_b64));
        g_free(sec_b64);
    }
    if (sec_text) {
        sodium_memzero(sec_text, strlen(sec_text));
        g_free(sec_text);
    }
    g_free(pub_b64);
    g_free(pub_text);
    sodium_free(b);
    return rc;
}

/* BLAKE2b-512 of the file at PATH. */
static int sign_hash_file(const char *path, uint8_t out[crypto_generichash_BYTES_MAX], char **why)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        *why = g_strdup_printf("cannot open %s: %s", path, g_strerror(errno));
        return errno == ENOENT ? KERR_NOT_FOUND : KERR_SYSTEM;
    }
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, crypto_generichash_BYTES_MAX);
    uint8_t buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            *why = g_strdup_printf("cannot read %s: %s", path, g_strerror(errno));
            close(fd);
            return KERR_SYSTEM;
        }
        crypto_generichash_update(&st, buf, (size_t)n);
    }
    close(fd);
    crypto_generichash_final(&st, out, crypto_generichash_BYTES_MAX);
    return 0;
}

/* The signature file's text for a file whose BLAKE2b-512 is HASH (NAME: its base name
 * for the default trusted comment). */
static int sign_text(const struct sign_seckey *key, const uint8_t *hash, size_t hash_len,
                     const char *name, const char *trusted_comment, char **text_out, char **why)
{
    struct sign_sig_blob sb;
    char *comment = NULL, *signed_part = NULL, *sig_b64 = NULL, *gsig_b64 = NULL;
    char hex[17];
    int rc = 0;
    if (trusted_comment)
        comment = g_strdup(trusted_comment);
    else
        comment = g_strdup_printf("timestamp:%lld\tfile:%s\thashed", (long long)time(NULL), name);
    if (strlen(comment) > SIGN_COMMENT_MAX || strpbrk(comment, "\r\n")) {
        *why = g_strdup("the trusted comment is too long or has a line break");
        rc = KERR_INVAL;
        goto out;
    }
    memcpy(sb.alg, "ED", 2);
    memcpy(sb.id, key->id, sizeof(sb.id));
    crypto_sign_detached(sb.sig, NULL, hash, hash_len, key->sk);
    /* The global signature covers the file signature and the trusted comment. */
    size_t clen = strlen(comment);
    signed_part = g_malloc(sizeof(sb.sig) + clen);
    memcpy(signed_part, sb.sig, sizeof(sb.sig));
    memcpy(signed_part + sizeof(sb.sig), comment, clen);
    uint8_t gsig[crypto_sign_BYTES];
    crypto_sign_detached(gsig, NULL, (const uint8_t *)signed_part, sizeof(sb.sig) + clen, key->sk);
    sign_key_id_hex(key->id, hex);
    sig_b64 = sign_b64_encode(&sb, sizeof(sb));
    gsig_b64 = sign_b64_encode(gsig, sizeof(gsig));
    *text_out =
        g_strdup_printf(SIGN_COMMENT_PREFIX
                        "signature from kiosk secret key %s\n%s\n" SIGN_TRUSTED_PREFIX "%s\n%s\n",
                        hex, sig_b64, comment, gsig_b64);
out:
    g_free(comment);
    g_free(signed_part);
    g_free(sig_b64);
    g_free(gsig_b64);
    return rc;
}

int sign_file(const struct sign_seckey *key, const char *path, const char *sig_path,
              const char *trusted_comment, char **why)
{
    int rc = sign_init(why);
    if (rc != 0)
        return rc;
    uint8_t hash[crypto_generichash_BYTES_MAX];
    char *text = NULL;
    rc = sign_hash_file(path, hash, why);
    if (rc != 0)
        return rc;
    char *base = g_path_get_basename(path);
    rc = sign_text(key, hash, sizeof(hash), base, trusted_comment, &text, why);
    g_free(base);
    if (rc == 0)
        rc = sign_write_atomic(sig_path, text, strlen(text), 0644, false, why);
    g_free(text);
    return rc;
}

int sign_data(const struct sign_seckey *key, const void *data, size_t len, const char *name,
              const char *trusted_comment, char **sig_text, char **why)
{
    int rc = sign_init(why);
    if (rc != 0)
        return rc;
    uint8_t hash[crypto_generichash_BYTES_MAX];
    crypto_generichash(hash, sizeof(hash), data, len, NULL, 0);
    return sign_text(key, hash, sizeof(hash), name, trusted_comment, sig_text, why);
}

int sign_file_with_key_file(const char *key_path, const char *path, char **why)
{
    struct sign_seckey *k = NULL;
    int rc = sign_key_load_secret(key_path, &k, why);
    if (rc != 0)
        return rc;
    char *sig_path = g_strconcat(path, SIGN_SUFFIX, NULL);
    rc = sign_file(k, path, sig_path, NULL, why);
    g_free(sig_path);
    sign_key_free(k);
    return rc;
}

int sign_data_detached(const struct sign_seckey *key, const void *data, size_t len, char id_hex[17],
                       char **sig_b64, char **why)
{
    int rc = sign_init(why);
    if (rc != 0)
        return rc;
    uint8_t sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, data, len, key->sk);
    sign_key_id_hex(key->id, id_hex);
    *sig_b64 = sign_b64_encode(sig, sizeof(sig));
    return 0;
}

int sign_verify_detached(const struct sign_pubkey *key, const void *data, size_t len,
                         const char *sig_b64, char **why)
{
    int rc = sign_init(why);
    if (rc != 0)
        return rc;
    uint8_t sig[crypto_sign_BYTES];
    if (!sig_b64 || !sign_b64_decode(sig_b64, sig, sizeof(sig))) {
        *why = g_strdup("not a signature (base64 of 64 bytes expected)");
        return KERR_INVAL;
    }
    if (crypto_sign_verify_detached(sig, data, len, key->pk) != 0) {
        *why = g_strdup("the signature does not verify");
        return KERR_CORRUPT;
    }
    return 0;
}

char *sign_delivery_comment(const char *file, const char *session, int64_t when)
{
    return g_strdup_printf("timestamp:%lld\tfile:%s\tsession:%s\thashed", (long long)when, file,
                           session);
}

char *sign_comment_get(const char *comment, const char *key)
{
    size_t klen = strlen(key);
    char **fields = g_strsplit(comment ? comment : "", "\t", -1);
    char *value = NULL;
    for (int i = 0; fields[i] && !value; i++)
        if (!strncmp(fields[i], key, klen) && fields[i][klen] == ':')
            value = g_strdup(fields[i] + klen + 1);
    g_strfreev(fields);
    return value;
}

/* PATH names the signed bytes in messages; DATA (LEN bytes), when not NULL, are those
 * bytes, otherwise PATH is read. */
/* The signature SB over the file PATH (or over BYTES when not NULL): prehashed
 * (BLAKE2b-512) or legacy (the whole message, 64 MiB at the most).  0, or an error with
 * *why (KERR_CORRUPT: it does not match). */
static int sign_verify_message(const struct sign_pubkey *key, const struct sign_sig_blob *sb,
                               bool prehashed, const char *path, const char *bytes,
                               size_t bytes_len, const char *sig_path, char **why)
{
    char *data = NULL;
    int rc = KERR_INVAL;
    if (prehashed) {
        uint8_t hash[crypto_generichash_BYTES_MAX];
        if (bytes)
            crypto_generichash(hash, sizeof(hash), (const uint8_t *)bytes, bytes_len, NULL, 0);
        else if ((rc = sign_hash_file(path, hash, why)) != 0)
            goto out;
        rc = crypto_sign_verify_detached(sb->sig, hash, sizeof(hash), key->pk) == 0 ? 0
                                                                                    : KERR_CORRUPT;
    } else {
        gsize len = 0;
        GError *err = NULL;
        struct stat st;
        if (bytes ? bytes_len > SIGN_LEGACY_MAX
                  : stat(path, &st) == 0 && (uint64_t)st.st_size > SIGN_LEGACY_MAX) {
            *why = g_strdup_printf("%s: legacy (non-hashed) signature of a file larger than "
                                   "64 MiB; sign it with a prehashed signature",
                                   sig_path);
            goto out;
        }
        if (bytes) {
            data = g_memdup2(bytes, bytes_len);
            len = bytes_len;
        } else if (!g_file_get_contents(path, &data, &len, &err)) {
            *why = g_strdup_printf("cannot read %s: %s", path, err->message);
            g_error_free(err);
            rc = KERR_SYSTEM;
            goto out;
        }
        rc = crypto_sign_verify_detached(sb->sig, (const uint8_t *)data, len, key->pk) == 0
                 ? 0
                 : KERR_CORRUPT;
    }
    if (rc != 0)
        *why = g_strdup_printf("the signature %s does not match %s (the file was changed after "
                               "signing, or the signature is forged)",
                               sig_path, path);
out:
    g_free(data);
    return rc;
}

static int sign_verify_common(const struct sign_pubkey *key, const char *path, const char *bytes,
                              size_t bytes_len, const char *sig_path, char **trusted_comment,
                              char **why)
{
    int rc = sign_init(why);
    if (rc != 0)
        return rc;
    char *text = NULL, *lines[5];
    struct sign_sig_blob sb;
    uint8_t gsig[crypto_sign_BYTES];
    uint8_t *signed_part = NULL;
    rc = sign_read_small(sig_path, "signature file", &text, why);
    if (rc != 0)
        return rc;
    rc = KERR_INVAL;
    int n = sign_split_lines(text, lines, 5);
    if (n < 4 || !g_str_has_prefix(lines[0], SIGN_COMMENT_PREFIX) ||
        !sign_b64_decode(lines[1], &sb, sizeof(sb)) ||
        !g_str_has_prefix(lines[2], SIGN_TRUSTED_PREFIX) ||
        !sign_b64_decode(lines[3], gsig, sizeof(gsig))) {
        *why = g_strdup_printf("%s is not a minisign signature file", sig_path);
        goto out;
    }
    bool prehashed = !memcmp(sb.alg, "ED", 2);
    if (!prehashed && memcmp(sb.alg, "Ed", 2) != 0) {
        *why = g_strdup_printf("%s: unsupported signature algorithm", sig_path);
        goto out;
    }
    if (memcmp(sb.id, key->id, sizeof(sb.id)) != 0) {
        char want[17], got[17];
        sign_key_id_hex(key->id, want);
        sign_key_id_hex(sb.id, got);
        *why = g_strdup_printf("%s was made by another key (key id %s, expected %s)", sig_path, got,
                               want);
        rc = KERR_CORRUPT;
        goto out;
    }
    if ((rc = sign_verify_message(key, &sb, prehashed, path, bytes, bytes_len, sig_path, why)) != 0)
        goto out;
    const char *comment = lines[2] + strlen(SIGN_TRUSTED_PREFIX);
    size_t clen = strlen(comment);
    signed_part = g_malloc(sizeof(sb.sig) + clen);
    memcpy(signed_part, sb.sig, sizeof(sb.sig));
    memcpy(signed_part + sizeof(sb.sig), comment, clen);
    if (crypto_sign_verify_detached(gsig, signed_part, sizeof(sb.sig) + clen, key->pk) != 0) {
        *why = g_strdup_printf("%s: the trusted comment was changed after signing", sig_path);
        rc = KERR_CORRUPT;
        goto out;
    }
    if (trusted_comment)
        *trusted_comment = g_strdup(comment);
    rc = 0;
out:
    g_free(signed_part);
    g_free(text);
    return rc;
}

int sign_verify_file(const struct sign_pubkey *key, const char *path, const char *sig_path,
                     char **trusted_comment, char **why)
{
    return sign_verify_common(key, path, NULL, 0, sig_path, trusted_comment, why);
}

int sign_verify_data(const struct sign_pubkey *key, const char *data, size_t len, const char *name,
                     const char *sig_path, char **trusted_comment, char **why)
{
    return sign_verify_common(key, name, data ? data : "", len, sig_path, trusted_comment, why);
}

int sign_signature_key_id(const char *sig_path, char id_hex[17], char **why)
{
    char *text = NULL, *lines[2];
    struct sign_sig_blob sb;
    int rc = sign_init(why);
    if (rc == 0)
        rc = sign_read_small(sig_path, "signature file", &text, why);
    if (rc != 0)
        return rc;
    if (sign_split_lines(text, lines, 2) != 2 || !g_str_has_prefix(lines[0], SIGN_COMMENT_PREFIX) ||
        !sign_b64_decode(lines[1], &sb, sizeof(sb))) {
        *why = g_strdup_printf("%s is not a minisign signature file", sig_path);
        rc = KERR_INVAL;
    } else {
        sign_key_id_hex(sb.id, id_hex);
    }
    g_free(text);
    return rc;
}

char *sign_public_path_for(const char *secret_path)
{
    if (g_str_has_suffix(secret_path, ".key")) {
        char *base = g_strndup(secret_path, strlen(secret_path) - 4);
        char *pub = g_strconcat(base, ".pub", NULL);
        g_free(base);
        return pub;
    }
    return g_strconcat(secret_path, ".pub", NULL);
}

int sign_ensure_key(const char *secret_path, bool *created, char id_hex[17], char **why)
{
    *created = false;
    struct sign_seckey *k = NULL;
    if (access(secret_path, F_OK) != 0 && errno == ENOENT) {
        char *dir = g_path_get_dirname(secret_path);
        int mk = g_mkdir_with_parents(dir, 0755);
        g_free(dir);
        char *pub = sign_public_path_for(secret_path);
        int rc = mk == 0 ? sign_keygen(secret_path, pub, id_hex, why) : KERR_SYSTEM;
        if (mk != 0)
            *why = g_strdup_printf("cannot create the folder of %s: %s", secret_path,
                                   g_strerror(errno));
        g_free(pub);
        if (rc != 0)
            return rc;
        *created = true;
    }
    /* Present (or just made): it must load, or the kiosk cannot sign. */
    int rc = sign_key_load_secret(secret_path, &k, why);
    if (rc == 0 && id_hex) {
        struct sign_pubkey pk;
        sign_key_public_of(k, &pk);
        sign_key_id_hex(pk.id, id_hex);
    }
    sign_key_free(k);
    return rc;
}
