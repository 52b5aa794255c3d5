/* squashfs.c — tree → squashfs: a pax tar stream made with libarchive, piped into sqfstar. */
/*
 * Why sqfstar (squashfs-tools 4.5.1) and not mksquashfs with a pseudo file:
 * mksquashfs reads file bytes from a host folder, so the tree would first be
 * staged on disk, and as a plain user it silently stores files it cannot read
 * as empty; its 4.5.1 pseudo definitions also cannot carry xattrs (the "x"
 * type came in 4.6), which security.capability needs. sqfstar takes a tar
 * stream on stdin, where owners, modes, devices, hard links and SCHILY.xattr
 * headers travel with the bytes — written from the tree, nothing staged, no
 * privilege needed. libsquashfs (squashfs-tools-ng) is not in bookworm's
 * squashfs-tools and would be one more library.
 */
#include "images/squashfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder/ctx.h"
#include "builder/err.h"
#include "builder/util.h"

extern char **environ;

struct sq_state {
    struct archive *a;
    struct archive_entry *e;
    char **first; /* first path of each inode written, by ino->id - 1 */
    size_t nfirst;
    struct jeos_err *err;
    const char *path;
};

static mode_t ae_type(enum tree_type t)
{
    switch (t) {
    case TREE_DIR: return AE_IFDIR;
    case TREE_FILE: return AE_IFREG;
    case TREE_SYMLINK: return AE_IFLNK;
    case TREE_CHR: return AE_IFCHR;
    case TREE_BLK: return AE_IFBLK;
    case TREE_FIFO: return AE_IFIFO;
    case TREE_SOCK: return AE_IFSOCK;
    }
    return AE_IFREG;
}

static int emit(struct tree_node *n, const char *path, void *arg)
{
    struct sq_state *s = arg;
    if (!n->parent)
        return 0; /* the root: -root-* options */
    struct tree_inode *ti = n->ino;
    struct archive_entry *e = archive_entry_clear(s->e);
    const char *rel = path + 1;
    archive_entry_set_pathname(e, rel);
    archive_entry_set_uid(e, ti->uid);
    archive_entry_set_gid(e, ti->gid);
    archive_entry_set_mtime(e, ti->mtime, 0);
    if (ti->id) {
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, ti->mode);
        archive_entry_set_hardlink(e, s->first[ti->id - 1]);
        archive_entry_set_size(e, 0);
    } else {
        archive_entry_set_filetype(e, ae_type(ti->type));
        archive_entry_set_perm(e, ti->mode);
        if (ti->type == TREE_SYMLINK)
            archive_entry_set_symlink(e, ti->target);
        if (ti->type == TREE_CHR || ti->type == TREE_BLK) {
            archive_entry_set_rdevmajor(e, ti->rdev_major);
            archive_entry_set_rdevminor(e, ti->rdev_minor);
        }
        archive_entry_set_size(e, ti->type == TREE_FILE ? (la_int64_t)ti->size : 0);
        for (size_t i = 0; i < ti->nxattrs; i++)
            archive_entry_xattr_add_entry(e, ti->xattrs[i].name, ti->xattrs[i].value,
                                          ti->xattrs[i].len);
        if (ti->nlink > 1 && ti->type != TREE_DIR) {
            s->first = xrealloc(s->first, (s->nfirst + 1) * sizeof(*s->first));
            s->first[s->nfirst++] = xstrdup(rel);
            ti->id = s->nfirst;
        }
    }
    if (archive_write_header(s->a, e) != ARCHIVE_OK)
        return jeos_errf(s->err, -EIO, "%s: %s: tar header: %s", s->path, path,
                         archive_error_string(s->a));
    if (ti->type == TREE_FILE && archive_entry_size(e) > 0) {
        unsigned char *data;
        int r = tree_inode_read(ti, &data, s->err);
        if (r < 0)
            return r;
        la_ssize_t w = archive_write_data(s->a, data, ti->size);
        free(data);
        if (w < 0 || (uint64_t)w != ti->size)
            return jeos_errf(s->err, -EIO, "%s: %s: writing to sqfstar: %s", s->path, path,
                             archive_error_string(s->a) ? archive_error_string(s->a)
                                                        : "short write");
    }
    return 0;
}

static int reset_id(struct tree_node *n, const char *path, void *arg)
{
    (void)path;
    (void)arg;
    n->ino->id = 0;
    return 0;
}

int squashfs_write(struct tree *t, const struct fs_opts *o, const char *path,
                   const struct jeos_ctx *ctx, struct jeos_err *err)
{
    const char *comp = o->compression ? o->compression : "zstd";
    if (strcmp(comp, "xz") && strcmp(comp, "zstd") && strcmp(comp, "gzip"))
        return jeos_errf(err, -EINVAL, "%s: compression \"%s\" (expected xz, zstd or gzip)", path,
                         comp);
    struct jeos_outfile out;
    int r = jeos_outfile_open(&out, path, 0644, err);
    if (r < 0)
        return r;
    /* sqfstar refuses to append to our (empty) temporary: give it a fresh name beside it */
    char *img = xasprintf("%s.sq", out.tmp);
    char *errpath = xasprintf("%s.err", out.tmp);
    char epoch[32], rmode[16], ruid[16], rgid[16];
    snprintf(epoch, sizeof(epoch), "%lld", (long long)(o->epoch < 0 ? 0 : o->epoch));
    snprintf(rmode, sizeof(rmode), "%o", t->root->ino->mode);
    snprintf(ruid, sizeof(ruid), "%u", t->root->ino->uid);
    snprintf(rgid, sizeof(rgid), "%u", t->root->ino->gid);
    /*
     * sqfstar 4.5.1 ignores -root-uid/-root-gid and gives the root folder the
     * caller's ids: a plain user runs it as root of a user namespace of its own.
     */
    char *argv[32];
    size_t na = 0;
    if (geteuid() != 0) {
        argv[na++] = "unshare";
        argv[na++] = "--user";
        argv[na++] = "--map-root-user";
    }
    char *const args[] = {"sqfstar",
                          "-reproducible",
                          "-mkfs-time",
                          epoch,
                          "-all-time",
                          epoch,
                          "-root-mode",
                          rmode,
                          "-root-uid",
                          ruid,
                          "-root-gid",
                          rgid,
                          "-comp",
                          (char *)comp,
                          "-quiet",
                          "-no-progress",
                          "-exit-on-error",
                          "-processors",
                          "2",
                          img};
    for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++)
        argv[na++] = args[i];
    argv[na] = NULL;
    /* mksquashfs refuses SOURCE_DATE_EPOCH beside -mkfs-time: the times are passed explicitly */
    size_t nenv = 0;
    while (environ[nenv])
        nenv++;
    char **envp = xcalloc(nenv + 1, sizeof(*envp));
    for (size_t i = 0, k = 0; i < nenv; i++)
        if (strncmp(environ[i], "SOURCE_DATE_EPOCH=", 18) != 0)
            envp[k++] = environ[i];
    int pfd[2] = {-1, -1}, efd = -1;
    pid_t pid = -1;
    struct sq_state s = {.err = err, .path = path};
    posix_spawn_file_actions_t fa;
    bool fa_init = false;
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        r = jeos_errf(err, -errno, "%s: pipe: %s", path, strerror(errno));
        goto out;
    }
    efd = open(errpath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (efd < 0) {
        r = jeos_errf(err, -errno, "%s: %s", errpath, strerror(errno));
        goto out;
    }
    posix_spawn_file_actions_init(&fa);
    fa_init = true;
    posix_spawn_file_actions_adddup2(&fa, pfd[0], 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, efd, 2);
    r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp);
    if (r != 0) {
        pid = -1;
        r = jeos_errf(err, -r, "%s: cannot run %s (install squashfs-tools): %s", path, argv[0],
                      strerror(r));
        goto out;
    }
    close(pfd[0]);
    pfd[0] = -1;
    jeos_log(ctx, JEOS_LOG_DEBUG, "squashfs: streaming %zu entries into sqfstar", t->nnodes);

    void (*oldpipe)(int) = signal(SIGPIPE, SIG_IGN);
    s.a = archive_write_new();
    s.e = archive_entry_new();
    archive_write_set_format_pax_restricted(s.a);
    archive_write_set_bytes_in_last_block(s.a, 1);
    int wr = 0;
    if (archive_write_open_fd(s.a, pfd[1]) != ARCHIVE_OK)
        wr = jeos_errf(err, -EIO, "%s: tar stream: %s", path, archive_error_string(s.a));
    tree_walk(t, reset_id, NULL);
    if (wr == 0)
        wr = tree_walk(t, emit, &s);
    if (wr == 0 && archive_write_close(s.a) != ARCHIVE_OK)
        wr = jeos_errf(err, -EIO, "%s: tar stream: %s", path, archive_error_string(s.a));
    archive_write_free(s.a);
    archive_entry_free(s.e);
    close(pfd[1]);
    pfd[1] = -1;
    signal(SIGPIPE, oldpipe);
    tree_walk(t, reset_id, NULL);

    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    pid = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char msg[2048];
        ssize_t n = pread(efd, msg, sizeof(msg) - 1, 0);
        msg[n > 0 ? n : 0] = '\0';
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            msg[--n] = '\0';
        r = jeos_errf(err, -EIO, "%s: sqfstar failed (%s %d): %s", path,
                      WIFEXITED(status) ? "exit status" : "signal",
                      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), msg);
        goto out;
    }
    if (wr < 0) {
        r = wr;
        goto out;
    }
    if (rename(img, out.tmp) < 0) {
        r = jeos_errf(err, -errno, "%s: %s", img, strerror(errno));
        goto out;
    }
    r = jeos_outfile_commit(&out, err);
out:
    if (fa_init)
        posix_spawn_file_actions_destroy(&fa);
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    for (int i = 0; i < 2; i++)
        if (pfd[i] >= 0)
            close(pfd[i]);
    if (efd >= 0)
        close(efd);
    unlink(errpath);
    unlink(img);
    for (size_t i = 0; i < s.nfirst; i++)
        free(s.first[i]);
    free(s.first);
    free(img);
    free(errpath);
    free(envp);
    if (r < 0)
        jeos_outfile_abort(&out);
    return r;
}

const struct fs_ops fs_squashfs_ops = {"squashfs", squashfs_write};
