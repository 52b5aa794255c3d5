/* format.c — the table of output formats, and writing them: one at a time, or all of a build
 * concurrently (see format.h). */
#include "images/format.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/util.h"

/*
 * The formats, in the order messages list them. Each NAME is a `const struct jeos_format_ops
 * jeos_format_NAME` defined in images/format_*.c: adding a format is its file and its name here.
 */
#define JEOS_FORMAT_LIST(X)                                                                        \
    X(elf) X(raw) X(qcow2) X(vmdk) X(vhd) X(ova) X(gce) X(oci) X(xen) X(openstack)

#define DECLARE(name) extern const struct jeos_format_ops jeos_format_##name;
JEOS_FORMAT_LIST(DECLARE)
#define ROW(name) &jeos_format_##name,
const struct jeos_format_ops *const jeos_formats[] = {JEOS_FORMAT_LIST(ROW) NULL};

static const struct jeos_choice *format_choice(size_t i)
{
    return i < sizeof(jeos_formats) / sizeof(jeos_formats[0]) - 1 ? &jeos_formats[i]->c : NULL;
}

const struct jeos_axis jeos_axis_format = {.key = "formats",
                                           .what = "format",
                                           .list = true,
                                           .def = {"raw", "elf"},
                                           .choice = format_choice};

const struct jeos_format_ops *jeos_format_find(const char *name)
{
    for (size_t i = 0; jeos_formats[i]; i++)
        if (strcmp(jeos_formats[i]->c.name, name) == 0)
            return jeos_formats[i];
    return NULL;
}

size_t jeos_format_read(int fd, uint64_t off, void *buf, size_t n)
{
    ssize_t got = pread(fd, buf, n, (off_t)off);
    return got > 0 ? (size_t)got : 0;
}

/* The least free space seen on the output's filesystem while a conversion runs: a tool on a full
   filesystem may say something else (qemu-img: "Invalid argument", libarchive: "Write error"),
   and by the time it has failed, the partial outputs of the other conversions running beside it
   may have gone and freed the space. Looked at every 20 ms. */
struct free_watch {
    const char *dir;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    uint64_t min;
};

static void free_look(struct free_watch *w)
{
    struct statvfs fs;
    if (statvfs(w->dir, &fs) == 0 && (uint64_t)fs.f_bavail * fs.f_frsize < w->min)
        w->min = (uint64_t)fs.f_bavail * fs.f_frsize;
}

static void *free_watch_thread(void *arg)
{
    struct free_watch *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        free_look(w);
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_nsec += 20 * 1000 * 1000;
        if (t.tv_nsec >= 1000000000) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&w->cond, &w->lock, &t);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int jeos_format_write(const struct jeos_ctx *ctx, const struct jeos_format_ops *f, const char *raw,
                      const char *dir, const char *base, const struct jeos_format_opts *opts,
                      struct jeos_err *err)
{
    if (!f->convert)
        return jeos_errf(err, -EINVAL, "%s: format %s is made by the build, not converted", raw,
                         f->c.name);
    struct stat st;
    if (stat(raw, &st) != 0)
        return jeos_errf(err, -errno, "%s: %s", raw, strerror(errno));
    struct jeos_format_opts o = {0};
    if (opts)
        o = *opts;
    char *work = xasprintf("%s/.%s.%s.XXXXXX", dir, base, f->c.name);
    if (!mkdtemp(work)) {
        int rc = jeos_errf(err, -errno, "%s: %s", work, strerror(errno));
        free(work);
        return rc;
    }
    size_t first = err ? err->n : 0;
    struct free_watch fw = {.dir = work, .min = UINT64_MAX};
    pthread_mutex_init(&fw.lock, NULL);
    pthread_cond_init(&fw.cond, NULL);
    pthread_t fwt;
    bool watching = pthread_create(&fwt, NULL, free_watch_thread, &fw) == 0;
    int rc = f->convert(ctx, raw, work, base, &o, err);
    pthread_mutex_lock(&fw.lock);
    fw.stop = true;
    free_look(&fw); /* and once more now, before the partial outputs go */
    pthread_cond_signal(&fw.cond);
    pthread_mutex_unlock(&fw.lock);
    if (watching)
        pthread_join(fwt, NULL);
    pthread_cond_destroy(&fw.cond);
    pthread_mutex_destroy(&fw.lock);
    if (rc < 0 && fw.min < (1u << 20)) {
        if (err)
            jeos_err_truncate(err, first);
        rc = jeos_errf(err, -ENOSPC, "%s/%s%s: no space left on device", dir, base, f->c.suffix);
    }
    /* Into place only when every output is there. */
    for (size_t i = 0; rc == 0 && f->outputs[i]; i++) {
        char *p = xasprintf("%s/%s%s", work, base, f->outputs[i]);
        if (access(p, F_OK) != 0)
            rc = jeos_errf(err, -EIO, "%s: format %s wrote no %s%s", raw, f->c.name, base,
                           f->outputs[i]);
        free(p);
    }
    for (size_t i = 0; rc == 0 && f->outputs[i]; i++) {
        char *from = xasprintf("%s/%s%s", work, base, f->outputs[i]);
        char *to = xasprintf("%s/%s%s", dir, base, f->outputs[i]);
        struct stat old;
        if (lstat(to, &old) == 0 && S_ISDIR(old.st_mode)) /* rename cannot replace a folder */
            jeos_remove_tree(to);
        if (rename(from, to) != 0)
            rc = jeos_errf(err, -errno, "%s: rename into place: %s", to, strerror(errno));
        free(from), free(to);
    }
    jeos_remove_tree(work);
    free(work);
    return rc;
}

/* One conversion of jeos_formats_write, run in its own thread (qemu-img's VMDK compression and
   the archives are single-threaded; build machines have more than one core). */
struct fmt_job {
    const struct jeos_ctx *ctx;
    const struct jeos_format_ops *f;
    const char *raw, *dir, *base;
    struct jeos_format_opts o;
    struct jeos_err err;
    int rc;
    ssize_t from;  /* the job whose output this one reuses, or -1 */
    bool skip;     /* no converter, or "raw" whose output is the raw disk itself */
    bool threaded; /* runs in th */
    pthread_t th;
};

static void *fmt_thread(void *arg)
{
    struct fmt_job *j = arg;
    j->rc = jeos_format_write(j->ctx, j->f, j->raw, j->dir, j->base, &j->o, &j->err);
    return NULL;
}

int jeos_formats_write(const struct jeos_ctx *ctx, const char *raw, const char *dir,
                       const char *base, const char *const *names, size_t n,
                       const struct jeos_format_opts *opts, struct jeos_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (!jeos_format_find(names[i])) {
            struct sbuf all = {0};
            jeos_axis_names(&jeos_axis_format, JEOS_FOR_BOTH, &all);
            jeos_errf(err, -EINVAL, "%s: unknown image format \"%s\" (expected one of: %s)", raw,
                      names[i], all.s);
            sbuf_free(&all);
            return -EINVAL;
        }
    char *rawreal = realpath(raw, NULL);
    struct fmt_job *jobs = xcalloc(n + 1, sizeof(*jobs));
    for (size_t i = 0; i < n; i++) {
        struct fmt_job *j = &jobs[i];
        *j = (struct fmt_job){.ctx = ctx, .raw = raw, .dir = dir, .base = base, .from = -1};
        j->f = jeos_format_find(names[i]);
        if (opts)
            j->o = *opts;
        j->o.from = NULL;
        char *out = xasprintf("%s/%s%s", dir, base, j->f->c.suffix);
        char *outreal = realpath(out, NULL);
        j->skip = !j->f->convert || (rawreal && outreal && strcmp(rawreal, outreal) == 0);
        free(out), free(outreal);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < n && jobs[i].f->from; k++)
            if (!jobs[k].skip && !jobs[k].f->from && !strcmp(jobs[k].f->c.name, jobs[i].f->from))
                jobs[i].from = (ssize_t)k;
    /* First the formats nothing waits on, each in a thread; then each one made from another. */
    for (size_t i = 0; i < n; i++) {
        struct fmt_job *j = &jobs[i];
        if (j->skip || j->from >= 0)
            continue;
        j->threaded = pthread_create(&j->th, NULL, fmt_thread, j) == 0;
        if (!j->threaded)
            fmt_thread(j); /* no thread: convert here */
    }
    for (size_t i = 0; i < n; i++) {
        struct fmt_job *j = &jobs[i];
        if (j->skip || j->from < 0)
            continue;
        struct fmt_job *src = &jobs[j->from];
        if (src->threaded)
            pthread_join(src->th, NULL);
        src->threaded = false;
        char *made = src->rc == 0 ? xasprintf("%s/%s%s", dir, base, src->f->c.suffix) : NULL;
        j->o.from = made;
        fmt_thread(j);
        free(made);
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].threaded)
            pthread_join(jobs[i].th, NULL);
        for (size_t m = 0; m < jobs[i].err.n; m++)
            jeos_errf(err, jobs[i].rc < 0 ? jobs[i].rc : -EIO, "%s", jobs[i].err.msgs[m]);
        if (jobs[i].rc < 0 && rc == 0)
            rc = jobs[i].rc;
        jeos_err_free(&jobs[i].err);
    }
    free(jobs), free(rawreal);
    return rc;
}
