/* publish-worker.c - kiosk-publish(8): the publisher process (publish.h).
 *
 * Started by the service with the job on fd 0, the outbox entry on fd 3 and, for a local
 * folder, the staging folder on fd 4.  In order, each step checked:
 *   1. die with the service (PR_SET_PDEATHSIG), read the job;
 *   2. dir: targets: a network namespace of its own (no network at all);
 *   3. as root: the staging group as the only supplementary group, then the publisher's
 *      group and user (setres[ug]id, checked to stick);
 *   4. not dumpable, no_new_privs, a seccomp filter that kills on execve, ptrace, mount,
 *      namespaces, module loading, bpf, keyrings, user switching and, for dir: targets,
 *      on socket();
 *   5. publish (below), answer on fd 1. */
#include "handoff/publish.h"
#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "handoff/publish-store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-glib/json-glib.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define PUBLISH_JOB_MAX 65536
#define PUBLISH_ENTRY_FD 3
#define PUBLISH_TARGET_FD 4
#define PUBLISH_MAX_DEPTH 4096

/* Written last, in this order: the manifest's arrival completes the delivery. */
static const char *const publish_last[] = {"SHA256SUMS", "SHA256SUMS.sig", "MANIFEST.json.sig",
                                           "MANIFEST.json"};

struct publish_ctx {
    struct publish_store *st;
    int entryfd;
    const char *session;
    const char *manifest_sha256;
    const char *hold_fifo;
    GHashTable *sums; /* rel path -> hex, from the entry's SHA256SUMS */
    GPtrArray *sent;  /* rel paths written, to be read back */
    uint64_t files, bytes;
    char *incoming; /* ".incoming/<session>" */
};

static void publish_answer(JsonObject *o)
{
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    char *text = json_text(n, false, NULL);
    json_node_unref(n);
    printf("%s\n", text);
    fflush(stdout);
    g_free(text);
}

static void publish_progress(struct publish_ctx *c)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "type", "progress");
    json_object_set_int_member(o, "files", (gint64)c->files);
    json_object_set_int_member(o, "bytes", (gint64)c->bytes);
    publish_answer(o);
}

/* ---- confinement -------------------------------------------------------------------- */

static const int publish_forbidden[] = {
    SCMP_SYS(execve),
    SCMP_SYS(execveat),
    SCMP_SYS(ptrace),
    SCMP_SYS(process_vm_readv),
    SCMP_SYS(process_vm_writev),
    SCMP_SYS(mount),
    SCMP_SYS(umount2),
    SCMP_SYS(pivot_root),
    SCMP_SYS(chroot),
    SCMP_SYS(unshare),
    SCMP_SYS(setns),
    SCMP_SYS(init_module),
    SCMP_SYS(finit_module),
    SCMP_SYS(delete_module),
    SCMP_SYS(kexec_load),
    SCMP_SYS(kexec_file_load),
    SCMP_SYS(bpf),
    SCMP_SYS(perf_event_open),
    SCMP_SYS(keyctl),
    SCMP_SYS(add_key),
    SCMP_SYS(request_key),
    SCMP_SYS(personality),
    SCMP_SYS(reboot),
    SCMP_SYS(swapon),
    SCMP_SYS(swapoff),
    SCMP_SYS(acct),
    SCMP_SYS(setuid),
    SCMP_SYS(setgid),
    SCMP_SYS(setreuid),
    SCMP_SYS(setregid),
    SCMP_SYS(setresuid),
    SCMP_SYS(setresgid),
    SCMP_SYS(setgroups),
    SCMP_SYS(setfsuid),
    SCMP_SYS(setfsgid),
    SCMP_SYS(capset),
    SCMP_SYS(mknod),
    SCMP_SYS(mknodat),
    SCMP_SYS(userfaultfd),
    SCMP_SYS(open_by_handle_at),
    SCMP_SYS(name_to_handle_at),
    SCMP_SYS(fanotify_init),
    SCMP_SYS(syslog),
    SCMP_SYS(settimeofday),
    SCMP_SYS(clock_settime),
    SCMP_SYS(adjtimex),
    SCMP_SYS(ioperm),
    SCMP_SYS(iopl),
    SCMP_SYS(sethostname),
    SCMP_SYS(setdomainname),
    SCMP_SYS(io_uring_setup),
    SCMP_SYS(vhangup),
    SCMP_SYS(quotactl),
    SCMP_SYS(lookup_dcookie),
};

static int publish_seccomp(bool network, char **why)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    int rc = ctx ? 0 : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < G_N_ELEMENTS(publish_forbidden); i++)
        if (publish_forbidden[i] >= 0)
            rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, publish_forbidden[i], 0);
    if (rc == 0 && !network) {
        /* A local folder needs no socket at all (stderr/stdout are pipes). */
        rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(socket), 0);
    } else if (rc == 0) {
        /* The share: IP (and name lookups over UNIX and netlink sockets), nothing else. */
        static const int allowed_af[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};
        rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(socket), 1,
                              SCMP_A0(SCMP_CMP_GE, AF_MAX));
        for (int af = 0; rc == 0 && af < AF_MAX; af++) {
            bool ok = false;
            for (size_t i = 0; i < G_N_ELEMENTS(allowed_af); i++)
                ok |= allowed_af[i] == af;
            if (!ok)
                rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(socket), 1,
                                      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)af));
        }
    }
    if (rc == 0)
        rc = seccomp_load(ctx);
    if (ctx)
        seccomp_release(ctx);
    if (rc != 0) {
        *why = g_strdup_printf("the publisher cannot load its seccomp filter: %s", g_strerror(-rc));
        return -1;
    }
    return 0;
}

static int publish_confine(bool network, uid_t uid, gid_t gid, gid_t group, char **why)
{
    if (geteuid() == 0) {
        if (!network && unshare(CLONE_NEWNET) != 0) {
            *why = g_strdup_printf("the publisher cannot leave the network: %s", g_strerror(errno));
            return -1;
        }
        gid_t groups[1] = {group};
        if (setgroups(group == (gid_t)-1 ? 0 : 1, groups) != 0 || setresgid(gid, gid, gid) != 0 ||
            setresuid(uid, uid, uid) != 0) {
            *why = g_strdup_printf("the publisher cannot become user %u: %s", (unsigned)uid,
                                   g_strerror(errno));
            return -1;
        }
        uid_t r, e, s;
        if (getresuid(&r, &e, &s) != 0 || r != uid || e != uid || s != uid || getegid() != gid ||
            (uid != 0 && setuid(0) == 0)) {
            *why = g_strdup("the publisher's user switch did not stick");
            return -1;
        }
    }
    /* The credential change cleared the parent-death signal: set it again, then make sure
     * the service did not die in between. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() == 1) {
        *why = g_strdup("the service is gone");
        return -1;
    }
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        *why = g_strdup_printf("the publisher cannot restrict itself: %s", g_strerror(errno));
        return -1;
    }
    return publish_seccomp(network, why);
}

/* ---- publishing --------------------------------------------------------------------- */

/* SHA256SUMS of the entry: "<64 hex>  <path>" lines (the kiosk writes no escapes). */
static GHashTable *publish_read_sums(int entryfd, char **why)
{
    int fd = openat(entryfd, "SHA256SUMS", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    char *buf = NULL;
    GHashTable *h = NULL;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 30)) {
        *why =
            g_strdup_printf("the outbox entry has no readable SHA256SUMS (%s)", g_strerror(errno));
        goto out;
    }
    buf = g_malloc((gsize)st.st_size + 1);
    if (read(fd, buf, (size_t)st.st_size) != st.st_size) {
        *why = g_strdup("cannot read the entry's SHA256SUMS");
        goto out;
    }
    buf[st.st_size] = '\0';
    h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (char *line = buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strlen(line) < 67 || line[64] != ' ' || line[65] != ' ') {
            *why = g_strdup("the entry's SHA256SUMS is not in the kiosk's format");
            g_clear_pointer(&h, g_hash_table_destroy);
            break;
        }
        g_hash_table_replace(h, g_strdup(line + 66), g_strndup(line, 64));
    }
out:
    if (fd >= 0)
        close(fd);
    g_free(buf);
    return h;
}

static void publish_test_hold(struct publish_ctx *c)
{
    if (!c->hold_fifo)
        return;
    log_info("test hold: waiting on %s", c->hold_fifo);
    util_test_hold(c->hold_fifo, c->session);
    c->hold_fifo = NULL; /* once */
}

/* Upload entry file REL; what arrived is checked later (publish_verify).  *why on
 * failure. */
static int publish_file(struct publish_ctx *c, const char *rel, char **why)
{
    const char *want = g_hash_table_lookup(c->sums, rel);
    if (!want) {
        *why = g_strdup_printf("%s is in the outbox entry but not in its SHA256SUMS", rel);
        return -1;
    }
    int dfd = -1;
    const char *slash = strrchr(rel, '/');
    if (slash) {
        char *dir = g_strndup(rel, (gsize)(slash - rel));
        char **parts = g_strsplit(dir, "/", -1);
        dfd = dup(c->entryfd);
        for (char **q = parts; *q && dfd >= 0; q++) {
            int next = openat(dfd, *q, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            close(dfd);
            dfd = next;
        }
        g_strfreev(parts);
        g_free(dir);
    } else {
        dfd = dup(c->entryfd);
    }
    int fd =
        dfd >= 0 ? openat(dfd, slash ? slash + 1 : rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
    if (dfd >= 0)
        close(dfd);
    if (fd < 0) {
        *why = g_strdup_printf("cannot open the outbox copy of %s: %s", rel, g_strerror(errno));
        return -1;
    }
    char *dest = g_strconcat(c->incoming, "/", rel, NULL);
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    int r = c->st->ops->put(c->st, dest, fd, sum, why);
    close(fd);
    if (r == 0 && strcmp(g_checksum_get_string(sum), want) != 0) {
        /* The entry's bytes are not the ones the session hashed: never publish them. */
        *why = g_strdup_printf("the outbox copy of %s does not match its SHA-256 (changed after "
                               "the check?)",
                               rel);
        r = -1;
    }
    g_checksum_free(sum);
    g_free(dest);
    if (r == 0) {
        g_ptr_array_add(c->sent, g_strdup(rel));
        c->files++;
        publish_progress(c);
        publish_test_hold(c);
    }
    return r;
}

/* Everything written, flushed once, then read back from the share: the bytes there must
 * be the bytes scanned. */
static int publish_verify(struct publish_ctx *c, char **why)
{
    if (c->st->ops->flush(c->st, why) != 0)
        return -1;
    for (guint i = 0; i < c->sent->len; i++) {
        const char *rel = g_ptr_array_index(c->sent, i);
        char *dest = g_strconcat(c->incoming, "/", rel, NULL);
        char back[65];
        uint64_t size = 0;
        int r = c->st->ops->hash(c->st, dest, back, &size, why);
        g_free(dest);
        if (r != 0)
            return -1;
        if (strcmp(back, g_hash_table_lookup(c->sums, rel)) != 0) {
            *why = g_strdup_printf("%s arrived on the share with other bytes than were sent", rel);
            return -1;
        }
        c->bytes += size;
        if (i % 64 == 63)
            publish_progress(c);
    }
    return 0;
}

static bool publish_is_last(const char *rel)
{
    for (size_t i = 0; i < G_N_ELEMENTS(publish_last); i++)
        if (!strcmp(rel, publish_last[i]))
            return true;
    return false;
}

static gint publish_name_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Folders and files of the entry below DIRFD (REL its path, "" at the top), in name order. */
static int publish_tree(struct publish_ctx *c, int dirfd, const char *rel, int depth, char **why)
{
    if (depth > PUBLISH_MAX_DEPTH) {
        *why = g_strdup("the outbox entry is nested too deeply");
        return -1;
    }
    GPtrArray *names = util_dir_names(dirfd);
    if (!names) {
        *why = g_strdup_printf("cannot list the outbox entry: %s", g_strerror(errno));
        return -1;
    }
    g_ptr_array_sort(names, publish_name_cmp);
    int r = 0;
    for (guint i = 0; i < names->len && r == 0; i++) {
        const char *name = g_ptr_array_index(names, i);
        char *child = *rel ? g_strconcat(rel, "/", name, NULL) : g_strdup(name);
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            *why = g_strdup_printf("cannot examine %s in the outbox entry", child);
            r = -1;
        } else if (S_ISDIR(st.st_mode)) {
            char *dest = g_strconcat(c->incoming, "/", child, NULL);
            int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            r = sub < 0 ? -1 : c->st->ops->mkdir(c->st, dest, false, why);
            if (r == 0)
                r = publish_tree(c, sub, child, depth + 1, why);
            else if (!*why)
                *why = g_strdup_printf("cannot open %s in the outbox entry", child);
            if (sub >= 0)
                close(sub);
            g_free(dest);
        } else if (S_ISREG(st.st_mode)) {
            if (depth > 0 || !publish_is_last(child))
                r = publish_file(c, child, why);
        } else {
            *why = g_strdup_printf("%s in the outbox entry is not a file or folder", child);
            r = -1;
        }
        g_free(child);
    }
    g_ptr_array_free(names, TRUE);
    return r;
}

static int publish_run_job(struct publish_ctx *c, bool *already, char **why)
{
    struct publish_store *st = c->st;
    enum store_kind k;
    char hex[65];
    uint64_t size;

    /* 1. Already there: the end of an attempt cut short after its rename. */
    if (st->ops->kind(st, c->session, &k, why) != 0)
        return -1;
    if (k != STORE_NONE) {
        char *m = g_strconcat(c->session, "/MANIFEST.json", NULL);
        int r = k == STORE_DIR ? st->ops->hash(st, m, hex, &size, why) : -1;
        g_free(m);
        if (r == 0 && !strcmp(hex, c->manifest_sha256)) {
            *already = true;
            return 0;
        }
        g_free(*why);
        *why = g_strdup_printf("something else named %s is already on the share (not this "
                               "delivery): the kiosk will not replace it",
                               c->session);
        return -1;
    }
    /* 2. A fresh .incoming/<id>/ (what an earlier attempt left goes). */
    if (st->ops->mkdir(st, ".incoming", true, why) != 0 ||
        st->ops->kind(st, c->incoming, &k, why) != 0)
        return -1;
    if (k != STORE_NONE && st->ops->remove_tree(st, c->incoming, why) != 0)
        return -1;
    if (st->ops->mkdir(st, c->incoming, false, why) != 0)
        return -1;
    /* 3. Every file, the manifest last; then everything read back. */
    if (publish_tree(c, c->entryfd, "", 0, why) != 0)
        return -1;
    for (size_t i = 0; i < G_N_ELEMENTS(publish_last); i++) {
        struct stat sst;
        if (fstatat(c->entryfd, publish_last[i], &sst, AT_SYMLINK_NOFOLLOW) != 0)
            continue; /* an unsigned delivery has no .sig files */
        if (strcmp(publish_last[i], "MANIFEST.json") != 0) {
            /* SHA256SUMS and the signatures are not listed in SHA256SUMS: what arrives
             * must be what the entry holds. */
            int fd = openat(c->entryfd, publish_last[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            char local[65];
            if (fd < 0 || util_sha256_fd(fd, local) != 0) {
                *why = g_strdup_printf("cannot read %s of the outbox entry", publish_last[i]);
                if (fd >= 0)
                    close(fd);
                return -1;
            }
            close(fd);
            g_hash_table_replace(c->sums, g_strdup(publish_last[i]), g_strdup(local));
        } else if (g_strcmp0(g_hash_table_lookup(c->sums, "MANIFEST.json"), c->manifest_sha256)) {
            *why = g_strdup("the outbox entry's MANIFEST.json is not the one the session wrote");
            return -1;
        }
        if (publish_file(c, publish_last[i], why) != 0)
            return -1;
    }
    if (publish_verify(c, why) != 0)
        return -1;
    /* 4. Into place, never over anything. */
    return st->ops->rename(st, c->incoming, c->session, why);
}

/* `kiosk staging check`: a small file written, read back and removed in .incoming/. */
static int publish_probe(struct publish_ctx *c, char **why)
{
    struct publish_store *st = c->st;
    char *name = g_strdup_printf(".incoming/.kiosk-probe-%ld", (long)getpid());
    char *text = g_strdup_printf("kiosk staging check %lld\n", (long long)g_get_real_time());
    char want[65], back[65];
    uint64_t size = 0;
    int r = -1, fd = memfd_create("kiosk-probe", MFD_CLOEXEC);
    util_sha256_hex(text, strlen(text), want);
    if (fd < 0 || util_write_all(fd, text, strlen(text)) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
        *why = g_strdup_printf("cannot make the probe: %s", g_strerror(errno));
        goto out;
    }
    if (st->ops->mkdir(st, ".incoming", true, why) != 0 ||
        st->ops->remove_tree(st, name, why) != 0 || st->ops->put(st, name, fd, NULL, why) != 0 ||
        st->ops->flush(st, why) != 0 || st->ops->hash(st, name, back, &size, why) != 0)
        goto out;
    if (strcmp(want, back) != 0) {
        *why = g_strdup("the probe file came back with other bytes than were written");
        goto out;
    }
    r = st->ops->remove_tree(st, name, why);
out:
    if (fd >= 0)
        close(fd);
    g_free(name);
    g_free(text);
    return r;
}

static bool publish_session_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128 || s[0] == '.')
        return false;
    for (const char *p = s; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
            return false;
    return true;
}

/* --help, or a refusal of any argument: the exit code, or -1 to go on with the job. */
static int publish_usage(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("Usage:\n  kiosk-publish\n\nInternal: the publisher process the kiosk service "
               "starts (docs/handoff.md),\nwith its job on fd 0.  Not for people; no options.\n");
        return 0;
    }
    if (argc != 1) {
        fputs("kiosk-publish is started by the kiosk service (docs/handoff.md); it takes its job "
              "on fd 0 and has no options.\n",
              stderr);
        return 2;
    }
    return -1;
}

/* The job from fd 0 into BUF (PUBLISH_JOB_MAX bytes at the most): its length. */
static size_t publish_read_job(char *buf)
{
    size_t len = 0;
    for (ssize_t n;
         len < PUBLISH_JOB_MAX && (n = read(0, buf + len, PUBLISH_JOB_MAX - len)) != 0;) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        len += (size_t)n;
    }
    return len;
}

/* The store the target T names: the folder on PUBLISH_TARGET_FD or the SMB share with the
 * job's credentials (*PASSWORD keeps the copy main wipes).  *OPENED: the store must be
 * closed. */
static int publish_open_store(struct publish_store *st, const struct target *t, JsonObject *job,
                              gint64 group, char **password, bool *opened, char **why)
{
    if (t->kind == TARGET_DIR) {
        if (publish_dir_open(st, PUBLISH_TARGET_FD, group < 0 ? (gid_t)-1 : (gid_t)group, why) != 0)
            return -1;
    } else {
        *password = g_strdup(json_object_get_string_member_with_default(job, "password", ""));
        int r = publish_smb_open(
            st, t->host, t->port, t->share, t->path,
            json_object_get_string_member_with_default(job, "username", ""), *password,
            json_object_get_string_member_with_default(job, "domain", ""), why);
        if (r != 0) {
            *opened = st->ops != NULL;
            return -1;
        }
    }
    *opened = true;
    return 0;
}

/* The result line for the service (RC: the job's outcome, WHY: its failure). */
static void publish_send_result(const struct publish_ctx *c, const struct target *t, int rc,
                                bool already, bool probe, const char *why)
{
    JsonObject *res = json_object_new();
    json_object_set_string_member(res, "type", "result");
    json_object_set_boolean_member(res, "ok", rc == 0);
    json_object_set_boolean_member(res, "already", already);
    json_object_set_int_member(res, "files", (gint64)c->files);
    json_object_set_int_member(res, "bytes", (gint64)c->bytes);
    if (t && rc == 0 && !probe) {
        char *loc = target_session_location(t, c->session);
        json_object_set_string_member(res, "location", loc);
        g_free(loc);
    }
    if (rc != 0)
        json_object_set_string_member(res, "error", why ? why : "publication failed");
    publish_answer(res);
}

int main(int argc, char **argv)
{
    int usage = publish_usage(argc, argv);
    if (usage >= 0)
        return usage;
    JsonParser *p = json_parser_new();
    JsonObject *job = NULL;
    struct target *t = NULL;
    struct publish_store st = {0};
    struct publish_ctx c = {.st = &st, .entryfd = PUBLISH_ENTRY_FD};
    char *why = NULL, *password = NULL;
    bool already = false, opened = false, probe = false;
    int rc = 1;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        return 1; /* the service is gone already */
    log_init("kiosk-publish", false);
    char *buf = g_malloc0(PUBLISH_JOB_MAX + 1);
    size_t len = publish_read_job(buf);
    if (!json_parser_load_from_data(p, buf, (gssize)len, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
        why = g_strdup("the publisher got no job");
        goto out;
    }
    explicit_bzero(buf, len);
    job = json_node_get_object(json_parser_get_root(p));
    c.session = json_object_get_string_member_with_default(job, "session", "");
    c.manifest_sha256 = json_object_get_string_member_with_default(job, "manifest_sha256", "");
    c.hold_fifo = json_object_get_string_member_with_default(job, "test_hold_fifo", NULL);
    probe = json_object_get_boolean_member_with_default(job, "probe", FALSE);
    if (!publish_session_ok(c.session) || (!probe && strlen(c.manifest_sha256) != 64) ||
        target_parse(json_object_get_string_member_with_default(job, "target", ""), &t, &why) !=
            0) {
        if (!why)
            why = g_strdup("the publisher's job is malformed");
        goto out;
    }
    c.incoming = g_strconcat(".incoming/", c.session, NULL);
    bool network = t->kind == TARGET_SMB;
    gint64 group = json_object_get_int_member_with_default(job, "group", -1);
    if (publish_confine(network, (uid_t)json_object_get_int_member_with_default(job, "uid", 0),
                        (gid_t)json_object_get_int_member_with_default(job, "gid", 0),
                        group < 0 ? (gid_t)-1 : (gid_t)group, &why) != 0)
        goto out;
    if (publish_open_store(&st, t, job, group, &password, &opened, &why) != 0)
        goto out;
    if (probe) {
        rc = publish_probe(&c, &why) == 0 ? 0 : 1;
        goto out;
    }
    c.sums = publish_read_sums(c.entryfd, &why);
    if (!c.sums)
        goto out;
    c.sent = g_ptr_array_new_with_free_func(g_free);
    if (publish_run_job(&c, &already, &why) == 0)
        rc = 0;
out:
    publish_send_result(&c, t, rc, already, probe, why);
    if (opened && st.ops)
        st.ops->close(&st);
    if (password) {
        explicit_bzero(password, strlen(password));
        g_free(password);
    }
    if (c.sums)
        g_hash_table_destroy(c.sums);
    if (c.sent)
        g_ptr_array_free(c.sent, TRUE);
    g_free(c.incoming);
    target_free(t);
    g_object_unref(p); /* (the job's strings, the password among them, go with it) */
    g_free(buf);
    g_free(why);
    /* _exit: no exit handler runs under the seccomp filter (a sanitizer's leak check at
     * exit would ptrace, which the filter kills). */
    fflush(stdout);
    _exit(rc);
}
