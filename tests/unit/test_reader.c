/* test_reader.c - the medium reader's protocol (reader/msg.c) and the service's checks of
 * what a reader says (reader/client.c).  The client is run against a fake reader: this
 * binary, started as "PROGRAM reader ...", told its scenario through a file (the client
 * passes no environment on) named after the test's pid, which
 * answers as a subverted reader could (a '/' in a name, a count that does not add up,
 * more bytes than the file has, descriptors, a hang, a crash ...). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/kerr.h"
#include "common/util.h"
#include "reader/client.h"
#include "reader/reader.h"

/* ---- messages -------------------------------------------------------------------------- */

/* A record as it would come off the socket: header, BODY, VAR. */
static size_t build(char *buf, uint16_t type, const void *body, size_t bodylen, const void *var,
                    size_t varlen)
{
    struct reader_hdr h = {.magic = READER_MAGIC, .type = type};
    memcpy(buf, &h, sizeof(h));
    if (bodylen)
        memcpy(buf + sizeof(h), body, bodylen);
    if (varlen)
        memcpy(buf + sizeof(h) + bodylen, var, varlen);
    return sizeof(h) + bodylen + varlen;
}

static void test_parse_shapes(void **state)
{
    (void)state;
    static char buf[READER_MSG_MAX + 64];
    struct reader_msg m;
    const char *why;
    struct reader_entry e = {.inode = 5, .id = 5, .type = READER_T_REG, .nlink = 1};
    struct reader_end end = {0};

    size_t n = build(buf, READER_ENTRY, &e, sizeof(e), "a.csv", 5);
    assert_int_equal(reader_msg_parse(buf, n, &m, &why), 0);
    assert_int_equal(m.type, READER_ENTRY);
    assert_int_equal(m.bodylen, sizeof(e));
    assert_int_equal(m.varlen, 5);
    assert_memory_equal(m.var, "a.csv", 5);

    /* too short for a header, a body; a bad magic; unknown types; reserved bits */
    assert_int_equal(reader_msg_parse(buf, 3, &m, &why), -1);
    assert_int_equal(reader_msg_parse(buf, sizeof(struct reader_hdr) + 4, &m, &why), -1);
    assert_string_equal(why, "message body too short");
    buf[0] ^= 1;
    assert_int_equal(reader_msg_parse(buf, n, &m, &why), -1);
    assert_string_equal(why, "bad magic");
    buf[0] ^= 1;
    static const uint16_t bad_types[] = {0, READER_READ_END + 1, READER_PROBE - 1,
                                         READER_MSG_TYPE_END, 0xffff};
    for (size_t i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
        n = build(buf, bad_types[i], &e, sizeof(e), "a", 1);
        assert_int_equal(reader_msg_parse(buf, n, &m, &why), -1);
        assert_string_equal(why, "unknown message type");
    }
    n = build(buf, READER_ENTRY, &e, sizeof(e), "a", 1);
    buf[6] = 1; /* hdr.zero */
    assert_int_equal(reader_msg_parse(buf, n, &m, &why), -1);

    /* the variable part: required for names, data and FAILED; bounded by type */
    n = build(buf, READER_ENTRY, &e, sizeof(e), "", 0);
    assert_int_equal(reader_msg_parse(buf, n, &m, &why), -1);
    assert_string_equal(why, "variable part missing");
    static char big[READER_DATA_MAX + 1];
    memset(big, 'x', sizeof(big));
    n = build(buf, READER_ENTRY, &e, sizeof(e), big, READER_NAME_MAX + 1);
    assert_int_equal(reader_msg_parse(buf, n, &m, &why), -1);
    assert_string_equal(why, "variable part too long");
    n = build(buf, READER_DATA, NULL, 0, big, READER_DATA_MAX);
    assert_int_equal(reader_msg_parse(buf, n, &m, &why), 0);
    n = build(buf, READER_DATA, NULL, 0, big, READER_DATA_MAX + 1);
    assert_int_equal(reader_msg_parse(buf, n, &m, &why), -1);
    n = build(buf, READER_DIR_END, &end, sizeof(end), big, READER_TEXT_MAX + 1);
    assert_int_equal(reader_msg_parse(buf, n, &m, &why), -1);
    n = build(buf, READER_HELLO, &end, sizeof(struct reader_hello), "x", 1);
    assert_int_equal(reader_msg_parse(buf, n, &m, &why), -1); /* no variable part */
    n = build(buf, READER_FAILED, NULL, 0, "", 0);
    assert_int_equal(reader_msg_parse(buf, n, &m, &why), -1);
}

static void test_send_recv(void **state)
{
    (void)state;
    int sv[2];
    static char buf[READER_MSG_MAX];
    struct reader_msg m;
    const char *why;
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    struct reader_end e = {.status = READER_OK, .count = 7};
    assert_int_equal(reader_msg_send(sv[0], READER_READ_END, &e, sizeof(e), "done", 4), 0);
    assert_int_equal(reader_msg_recv(sv[1], buf, &m, &why), 1);
    assert_int_equal(m.type, READER_READ_END);
    assert_memory_equal(m.var, "done", 4);
    /* a message with a descriptor is refused, and the descriptor closed */
    int fd = open("/dev/null", O_RDONLY);
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr a;
    } cm;
    struct reader_hdr h = {.magic = READER_MAGIC, .type = READER_DATA};
    char payload[sizeof(h) + 1];
    memcpy(payload, &h, sizeof(h));
    payload[sizeof(h)] = 'x';
    struct iovec iov = {.iov_base = payload, .iov_len = sizeof(payload)};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b, .msg_controllen = sizeof(cm.b)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    assert_true(sendmsg(sv[0], &msg, 0) > 0);
    close(fd);
    assert_int_equal(reader_msg_recv(sv[1], buf, &m, &why), -1);
    assert_int_equal(errno, EPROTO);
    assert_string_equal(why, "a message carried file descriptors");
    /* too long a record */
    static char big[READER_MSG_MAX + 10];
    memset(big, 0, sizeof(big));
    assert_true(send(sv[0], big, sizeof(big), 0) > 0);
    assert_int_equal(reader_msg_recv(sv[1], buf, &m, &why), -1);
    assert_string_equal(why, "message too long");
    /* sending more than a message may hold */
    assert_int_equal(reader_msg_send(sv[0], READER_DATA, NULL, 0, big, READER_MSG_MAX), -1);
    close(sv[0]);
    assert_int_equal(reader_msg_recv(sv[1], buf, &m, &why), 0); /* EOF */
    close(sv[1]);
}

static void test_check_entry(void **state)
{
    (void)state;
    struct reader_entry ok = {.inode = 9,
                              .id = 9,
                              .type = READER_T_REG,
                              .nlink = 1,
                              .size = 10,
                              .flags = READER_E_MTIME,
                              .mtime = 1700000000,
                              .mtime_ns = 5};
    struct reader_entry e;
    assert_null(reader_check_entry(&ok, "a.csv", 5));
    /* names as they come: any bytes but NUL and '/', not "." or ".." */
    assert_null(reader_check_entry(&ok, "notes.txt:hidden", 16));
    assert_null(reader_check_entry(&ok, "bad\xff\xfe", 5));
    assert_null(reader_check_entry(&ok, "surrogate\xed\xa0\x80", 12));
    assert_null(reader_check_entry(&ok, "...", 3));
    assert_non_null(reader_check_entry(&ok, "a/b", 3));
    assert_non_null(reader_check_entry(&ok, "/", 1));
    assert_non_null(reader_check_entry(&ok, "a\0b", 3));
    assert_non_null(reader_check_entry(&ok, ".", 1));
    assert_non_null(reader_check_entry(&ok, "..", 2));
    assert_non_null(reader_check_entry(&ok, "", 0));
    static char longname[READER_NAME_MAX + 1];
    memset(longname, 'n', sizeof(longname));
    assert_null(reader_check_entry(&ok, longname, READER_NAME_MAX));
    assert_non_null(reader_check_entry(&ok, longname, READER_NAME_MAX + 1));
    /* fields */
    e = ok, e.type = 0;
    assert_non_null(reader_check_entry(&e, "a", 1));
    e = ok, e.type = READER_T_END;
    assert_non_null(reader_check_entry(&e, "a", 1));
    e = ok, e.flags = 0x80;
    assert_non_null(reader_check_entry(&e, "a", 1));
    e = ok, e.id = 0;
    assert_non_null(reader_check_entry(&e, "a", 1));
    e = ok, e.zero = 1;
    assert_non_null(reader_check_entry(&e, "a", 1));
    e = ok, e.size = (UINT64_C(1) << 62) + 1;
    assert_non_null(reader_check_entry(&e, "a", 1));
    e = ok, e.mtime_ns = 1000000000u;
    assert_non_null(reader_check_entry(&e, "a", 1));
    e = ok, e.mtime = INT64_MAX;
    assert_non_null(reader_check_entry(&e, "a", 1));
    e = ok, e.mtime = INT64_MAX, e.flags = 0; /* not set: not looked at */
    assert_null(reader_check_entry(&e, "a", 1));
    e = ok, e.flags |= READER_E_CRTIME, e.crtime = INT64_MIN;
    assert_non_null(reader_check_entry(&e, "a", 1));
    e = ok, e.flags |= READER_E_CRTIME, e.crtime = -11644473600LL; /* 1601: NTFS's epoch */
    assert_null(reader_check_entry(&e, "a", 1));
}

static void test_check_volume(void **state)
{
    (void)state;
    struct reader_volume ok, v;
    memset(&ok, 0, sizeof(ok));
    ok.index = 2;
    ok.status = READER_VOLUME_OK;
    strcpy(ok.fstype, "vfat");
    strcpy(ok.fsversion, "FAT32");
    strcpy(ok.label, "KIOSK \xe7\xa9\x8d");
    assert_null(reader_check_volume(&ok, 2));
    assert_non_null(reader_check_volume(&ok, 1)); /* out of order */
    v = ok, v.status = READER_VOLUME_STATUS_END;
    assert_non_null(reader_check_volume(&v, 2));
    v = ok, v.flags = 0x2;
    assert_non_null(reader_check_volume(&v, 2));
    v = ok, strcpy(v.fstype, "btrfs");
    assert_non_null(reader_check_volume(&v, 2)); /* opened, but nothing the kiosk reads */
    v.status = READER_VOLUME_UNSUPPORTED;
    assert_null(reader_check_volume(&v, 2));
    v = ok, strcpy(v.fstype, "vf at");
    v.status = READER_VOLUME_UNSUPPORTED;
    assert_non_null(reader_check_volume(&v, 2));
    v = ok, memset(v.label, 'x', sizeof(v.label)); /* not terminated */
    assert_non_null(reader_check_volume(&v, 2));
    v = ok, v.uuid[sizeof(v.uuid) - 1] = 'x'; /* something after the terminator */
    assert_non_null(reader_check_volume(&v, 2));
    v = ok, v.size = UINT64_MAX;
    assert_non_null(reader_check_volume(&v, 2));
}

static void test_check_other(void **state)
{
    (void)state;
    struct reader_medium m;
    memset(&m, 0, sizeof(m));
    strcpy(m.pttype, "gpt");
    m.n_volumes = 3;
    assert_null(reader_check_medium(&m));
    m.n_volumes = READER_MAX_VOLUMES + 1;
    assert_non_null(reader_check_medium(&m));
    m.n_volumes = 1, m.status = READER_MEDIUM_NO_FS;
    assert_non_null(reader_check_medium(&m)); /* volumes of a medium that has none */
    m.n_volumes = 0, m.status = READER_MEDIUM_STATUS_END;
    assert_non_null(reader_check_medium(&m));
    m.status = 0, strcpy(m.pttype, "g/t");
    assert_non_null(reader_check_medium(&m));

    struct reader_end e = {.status = READER_ERR_DAMAGED, .count = 3};
    assert_null(reader_check_end(&e));
    e.status = READER_STATUS_END;
    assert_non_null(reader_check_end(&e));
    e.status = 0, e.zero = 9;
    assert_non_null(reader_check_end(&e));

    assert_null(reader_check_text("Error reading block 12", 22));
    assert_non_null(reader_check_text("tab\there", 8));
    assert_non_null(reader_check_text("\xe7\xa9\x8d", 3));
    static char t[READER_TEXT_MAX + 1];
    memset(t, 'a', sizeof(t));
    assert_non_null(reader_check_text(t, sizeof(t)));

    for (int fs = READER_FS_NONE + 1; fs < READER_FS_END; fs++)
        assert_int_equal(reader_fs_from_name(reader_fs_name((enum reader_fs)fs)), fs);
    assert_int_equal(reader_fs_from_name("fat32"), READER_FS_NONE);
    assert_int_equal(reader_fs_from_name(NULL), READER_FS_NONE);
    assert_null(reader_fs_name(READER_FS_END));
}

/* ---- the client against a fake reader ------------------------------------------------ */

/* The scenario file of the test process PID. */
static char *scenario_path(long pid)
{
    return g_strdup_printf("/tmp/test_reader-%ld.scenario", pid);
}

static void set_scenario(const char *name)
{
    char *p = scenario_path((long)getpid());
    assert_true(g_file_set_contents(p, name, -1, NULL));
    g_free(p);
}

/* The fake reader: fd 3 the "medium", fd 4 the channel (as client.c starts it). */
static void fake_send(int type, const void *body, size_t len, const void *var, size_t vlen)
{
    if (reader_msg_send(READER_CHANNEL_FD, type, body, len, var, vlen) != 0)
        _exit(0);
}

static void fake_entry(const char *name, uint32_t type, uint64_t inode)
{
    struct reader_entry e = {.inode = inode, .id = inode, .type = type, .nlink = 1, .size = 4};
    fake_send(READER_ENTRY, &e, sizeof(e), name, strlen(name));
}

static __attribute__((noreturn)) void fake_reader(const char *s)
{
    static char buf[READER_MSG_MAX];
    struct reader_hello h = {.version = READER_VERSION, .pid = (uint32_t)getpid()};
    if (!strcmp(s, "failed")) {
        fake_send(READER_FAILED, NULL, 0, "setresuid(990): Operation not permitted", 39);
        _exit(70);
    }
    if (!strcmp(s, "hello-pid"))
        h.pid++;
    fake_send(READER_HELLO, &h, sizeof(h), NULL, 0);
    for (;;) {
        struct reader_msg m;
        const char *why;
        if (reader_msg_recv(READER_CHANNEL_FD, buf, &m, &why) <= 0)
            _exit(0);
        if (m.type == READER_PROBE) {
            struct reader_probe p;
            memcpy(&p, m.body, sizeof(p));
            struct reader_medium med = {.status = READER_MEDIUM_OK, .n_volumes = 1};
            strcpy(med.pttype, "dos");
            fake_send(READER_MEDIUM, &med, sizeof(med), NULL, 0);
            struct reader_volume v;
            memset(&v, 0, sizeof(v));
            v.index = 1;
            v.partno = 1;
            v.root = 2;
            v.root_id = 2;
            v.size = 1 << 20;
            v.status = READER_VOLUME_OK;
            strcpy(v.fstype, !strcmp(s, "not-allowed") ? "ntfs" : "vfat");
            strcpy(v.label, "FAKE");
            fake_send(READER_VOLUME, &v, sizeof(v), NULL, 0);
        } else if (m.type == READER_LISTDIR) {
            struct reader_end e = {.status = READER_OK, .count = 2};
            fake_entry("a.csv", READER_T_REG, 3);
            fake_entry(!strcmp(s, "slash") ? "sub/x" : "sub", READER_T_DIR, 4);
            if (!strcmp(s, "count"))
                e.count = 3;
            if (!strcmp(s, "many"))
                fake_entry("c.csv", READER_T_REG, 5), e.count = 3;
            if (!strcmp(s, "damaged"))
                e.status = READER_ERR_DAMAGED;
            fake_send(READER_DIR_END, &e, sizeof(e), !strcmp(s, "damaged") ? "loop" : NULL,
                      !strcmp(s, "damaged") ? 4 : 0);
        } else if (m.type == READER_READ) {
            if (!strcmp(s, "crash")) {
                signal(SIGSEGV, SIG_DFL); /* not a sanitizer's report: the plain signal */
                raise(SIGSEGV);
            }
            if (!strcmp(s, "hang"))
                for (;;)
                    pause();
            const char *data = !strcmp(s, "more") ? "datadata" : "data";
            fake_send(READER_DATA, NULL, 0, data, strlen(data));
            struct reader_end e = {.status = READER_OK, .count = strlen(data)};
            if (!strcmp(s, "text"))
                fake_send(READER_READ_END, &e, sizeof(e), "\x1b[2J", 4);
            else
                fake_send(READER_READ_END, &e, sizeof(e), NULL, 0);
        } else {
            _exit(72);
        }
    }
}

static struct reader_client *start(const char *scenario, int rc_want, char **why)
{
    struct reader_client *c = NULL;
    char dir[] = "/tmp/test_reader.XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct reader_client_conf conf = {.root_dir = dir, .test_hooks = true};
    set_scenario(scenario);
    setenv("KIOSK_READER_TIMEOUT_MS", "500", 1);
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int rc = reader_client_start(fd, 1 << 20, 512, &conf, &c, why);
    close(fd);
    rmdir(dir);
    assert_int_equal(rc, rc_want);
    return c;
}

static int collect(const struct reader_entry *e, const char *name, size_t len, void *data)
{
    GPtrArray *names = data;
    (void)e;
    assert_int_equal(strlen(name), len);
    g_ptr_array_add(names, g_strdup(name));
    return 0;
}

static int sink(const void *buf, size_t len, void *data)
{
    g_string_append_len(data, buf, (gssize)len);
    return 0;
}

/* Probe, list the root, read inode 3 (4 bytes): the return codes and *why of the last. */
static int run(struct reader_client *c, GPtrArray *names, GString *bytes, char **why)
{
    struct reader_client_medium med;
    int rc = reader_client_probe(c, 1u << READER_FS_VFAT, 0, &med, why);
    if (rc != 0)
        return rc;
    assert_int_equal(med.n_volumes, 1);
    assert_string_equal(med.volumes[0].fstype, "vfat");
    assert_string_equal(med.volumes[0].label, "FAKE");
    reader_client_medium_clear(&med);
    rc = reader_client_listdir(c, 1, 2, 10, collect, names, why);
    if (rc != 0)
        return rc;
    return reader_client_read(c, 1, 3, 4, sink, bytes, why);
}

static void scenario(const char *name, int want, const char *why_has, int n_names)
{
    char *why = NULL;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    GString *bytes = g_string_new(NULL);
    struct reader_client *c = start(name, 0, &why);
    assert_non_null(c);
    pid_t first = reader_client_pid(c);
    assert_true(first > 0);
    int rc = run(c, names, bytes, &why);
    if (want != rc || (why_has && (!why || !strstr(why, why_has))))
        fail_msg("%s: rc %d (wanted %d), why %s (wanted \"%s\")", name, rc, want,
                 why ? why : "(null)", why_has ? why_has : "");
    assert_int_equal((int)names->len, n_names);
    if (rc == 0)
        assert_string_equal(bytes->str, "data");
    if (rc == KERR_SYSTEM) /* the reader was killed: the next request has a fresh one */
        assert_int_equal(reader_client_pid(c), 0);
    reader_client_free(c);
    g_free(why);
    g_ptr_array_free(names, TRUE);
    g_string_free(bytes, TRUE);
}

static void test_client_good(void **state)
{
    (void)state;
    scenario("good", 0, NULL, 2);
}

static void test_client_nonsense(void **state)
{
    (void)state;
    scenario("slash", KERR_SYSTEM, "answered nonsense (name holds a '/')", 1);
    scenario("count", KERR_SYSTEM, "count does not add up", 2);
    scenario("more", KERR_SYSTEM, "more bytes than the file has", 2);
    scenario("text", KERR_SYSTEM, "text not printable", 2);
    scenario("not-allowed", KERR_SYSTEM, "not allowed to", 0);
    /* a listing longer than asked for: those asked for are given, then it is nonsense */
    char *why = NULL;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    struct reader_client *c = start("many", 0, &why);
    struct reader_client_medium med;
    assert_int_equal(reader_client_probe(c, 1u << READER_FS_VFAT, 0, &med, &why), 0);
    reader_client_medium_clear(&med);
    assert_int_equal(reader_client_listdir(c, 1, 2, 2, collect, names, &why), KERR_SYSTEM);
    assert_non_null(strstr(why, "more entries than asked for"));
    assert_int_equal(names->len, 2);
    reader_client_free(c);
    g_free(why);
    g_ptr_array_free(names, TRUE);
}

static void test_client_failures(void **state)
{
    (void)state;
    scenario("crash", KERR_SYSTEM, "crashed (killed by SIGSEGV)", 2);
    scenario("hang", KERR_SYSTEM, "did not answer within", 2);
    scenario("damaged", KERR_MEDIUM, "the filesystem is damaged here (loop)", 2);
    char *why = NULL;
    assert_null(start("failed", KERR_SYSTEM, &why));
    assert_string_equal(why, "the medium reader failed: setresuid(990): Operation not permitted");
    g_clear_pointer(&why, g_free);
    assert_null(start("hello-pid", KERR_SYSTEM, &why));
    assert_non_null(strstr(why, "hello of another version or process"));
    g_free(why);
}

/* After a crash, the next request starts a fresh reader that must find the same volumes;
 * reader_client_stop() ends everything for good. */
static void test_client_restart_and_stop(void **state)
{
    (void)state;
    char *why = NULL;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    GString *bytes = g_string_new(NULL);
    struct reader_client *c = start("crash", 0, &why);
    assert_int_equal(run(c, names, bytes, &why), KERR_SYSTEM);
    g_clear_pointer(&why, g_free);
    set_scenario("good"); /* the replacement behaves */
    assert_int_equal(reader_client_read(c, 1, 3, 4, sink, bytes, &why), 0);
    assert_string_equal(bytes->str, "data");
    assert_true(reader_client_pid(c) > 0);
    reader_client_stop(c);
    assert_int_equal(reader_client_read(c, 1, 3, 4, sink, bytes, &why), KERR_CANCELLED);
    g_clear_pointer(&why, g_free);
    reader_client_free(c);
    g_ptr_array_free(names, TRUE);
    g_string_free(bytes, TRUE);
}

static int setup(void **state)
{
    (void)state;
    /* The fake reader is this binary. */
    char *self = g_file_read_link("/proc/self/exe", NULL);
    reader_client_set_program(self);
    g_free(self);
    if (geteuid() == 0 && !getpwnam(READER_USER_DEFAULT) &&
        system("useradd --system --no-create-home --home-dir /nonexistent --shell "
               "/usr/sbin/nologin " READER_USER_DEFAULT) != 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "reader")) {
        char *p = scenario_path((long)getppid()), *name = NULL;
        if (!g_file_get_contents(p, &name, NULL, NULL))
            name = g_strdup("good");
        fake_reader(name);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_shapes),
        cmocka_unit_test(test_send_recv),
        cmocka_unit_test(test_check_entry),
        cmocka_unit_test(test_check_volume),
        cmocka_unit_test(test_check_other),
        cmocka_unit_test(test_client_good),
        cmocka_unit_test(test_client_nonsense),
        cmocka_unit_test(test_client_failures),
        cmocka_unit_test(test_client_restart_and_stop),
    };
    int rc = cmocka_run_group_tests(tests, setup, NULL);
    char *p = scenario_path((long)getpid());
    unlink(p);
    g_free(p);
    return rc;
}
