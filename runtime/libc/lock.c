/*
 * runtime/libc/lock.c — file locks as Linux keeps them, for one process: fcntl record locks owned
 * by the process (F_SETLK, F_SETLKW, F_GETLK: never in conflict with each other, released by any
 * close of the file), record locks owned by an open file description (F_OFD_*: in conflict with
 * other descriptions' and with the process's), and flock (whole file, per description, apart
 * from the record locks). A blocking request waits until a release wakes it.
 */
#include "lib/string.h"
#include "memory/memory.h"
#include "rt.h"

#define F_RDLCK      0
#define F_WRLCK      1
#define F_UNLCK      2
#define F_GETLK      5
#define F_SETLK      6
#define F_SETLKW     7
#define F_OFD_GETLK  36
#define F_OFD_SETLK  37
#define F_OFD_SETLKW 38
#define LOCK_SH      1
#define LOCK_EX      2
#define LOCK_NB      4
#define LOCK_UN      8
#define O_ACCMODE    3
#define END          UINT64_MAX /* a lock to the end of the file, however it grows */

/* struct flock of x86-64 Linux */
struct rt_flock {
    int16_t type, whence;
    int32_t pad;
    int64_t start, len;
    int32_t pid, pad2;
};

struct lk {
    const void *file;  /* fs.c's inode */
    const void *owner; /* &process, or the open file description */
    int flock;         /* flock(2) lock (whole file), else a record lock */
    int type;          /* F_RDLCK or F_WRLCK */
    uint64_t start, end;
    struct lk *next;
};

static struct lk *locks;
static const char process = 0; /* the owner of the fcntl (non-OFD) record locks */
static int lock_key;           /* blocked requests wait here */

static int conflicts(const struct lk *l, const void *file, const void *owner, int flock, int type,
                     uint64_t start, uint64_t end)
{
    return l->file == file && l->flock == flock && l->owner != owner && l->start < end &&
           start < l->end && (l->type == F_WRLCK || type == F_WRLCK);
}

static struct lk *first_conflict(const void *file, const void *owner, int flock, int type,
                                 uint64_t start, uint64_t end)
{
    for (struct lk *l = locks; l; l = l->next)
        if (conflicts(l, file, owner, flock, type, start, end))
            return l;
    return NULL;
}

static struct lk *new_lock(const struct lk *tmpl)
{
    struct lk *l = heap_alloc(sizeof(*l));
    if (l) {
        *l = *tmpl;
        l->next = locks;
        locks = l;
    }
    return l;
}

/* The owner's locks on file over [start, end) of kind flock replaced by one of type (F_UNLCK:
 * removed), adjacent ones of the same type merged, as Linux does. 0 or -ENOLCK. */
static int set_range(const void *file, const void *owner, int flock, int type, uint64_t start,
                     uint64_t end)
{
    /* the split may need one more record: make it before changing anything */
    struct lk *spare = heap_alloc(sizeof(*spare));
    if (!spare)
        return -RT_ENOLCK;
    for (struct lk **pp = &locks; *pp;) {
        struct lk *l = *pp;
        if (l->file != file || l->owner != owner || l->flock != flock) {
            pp = &l->next;
            continue;
        }
        if (type != F_UNLCK && l->type == type &&
            (l->end == start || l->start == end || (l->start < end && start < l->end))) {
            /* the same type touching or overlapping: merged into the new one */
            start = l->start < start ? l->start : start;
            end = l->end > end ? l->end : end;
            *pp = l->next;
            heap_free(l);
            continue;
        }
        if (!(l->start < end && start < l->end)) {
            pp = &l->next;
            continue;
        }
        if (l->start < start && l->end > end) { /* split around the range */
            *spare = *l;
            spare->start = end;
            spare->next = l->next;
            l->next = spare;
            spare = NULL;
            l->end = start;
            pp = &l->next->next;
        } else if (l->start < start) {
            l->end = start;
            pp = &l->next;
        } else if (l->end > end) {
            l->start = end;
            pp = &l->next;
        } else {
            *pp = l->next;
            heap_free(l);
        }
    }
    int rc = 0;
    if (type != F_UNLCK) {
        struct lk t = {file, owner, flock, type, start, end, NULL};
        if (spare) {
            *spare = t;
            spare->next = locks;
            locks = spare;
            spare = NULL;
        } else if (!new_lock(&t)) {
            rc = -RT_ENOLCK;
        }
    }
    heap_free(spare);
    rt_wake(&lock_key, 1 << 30);
    return rc;
}

long rt_lock_fcntl(struct rt_fd *f, int cmd, void *arg)
{
    struct rt_flock *fl = arg;
    const void *file = rt_fs_file(f);
    if (!file)
        return -RT_EINVAL;
    int ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
    int get = cmd == F_GETLK || cmd == F_OFD_GETLK;
    int wait = cmd == F_SETLKW || cmd == F_OFD_SETLKW;
    if (fl->type != F_RDLCK && fl->type != F_WRLCK && fl->type != F_UNLCK)
        return -RT_EINVAL;
    if (ofd && fl->pid != 0)
        return -RT_EINVAL;
    int64_t base = fl->whence == 0   ? 0
                   : fl->whence == 1 ? (int64_t)rt_fs_offset(f)
                   : fl->whence == 2 ? (int64_t)rt_fs_size(f)
                                     : -1;
    if (base < 0)
        return -RT_EINVAL;
    int64_t s = base + fl->start;
    if (s < 0)
        return -RT_EINVAL;
    uint64_t start = (uint64_t)s, end;
    if (fl->len > 0) {
        end = start + (uint64_t)fl->len;
    } else if (fl->len == 0) {
        end = END;
    } else {
        if (s + fl->len < 0)
            return -RT_EINVAL;
        end = start;
        start = (uint64_t)(s + fl->len);
    }
    const void *owner = ofd ? (const void *)f->ofd : &process;
    if (get) {
        if (fl->type == F_UNLCK)
            return -RT_EINVAL;
        const struct lk *l = first_conflict(file, owner, 0, fl->type, start, end);
        if (!l) {
            fl->type = F_UNLCK;
            return 0;
        }
        fl->type = (int16_t)l->type;
        fl->whence = 0;
        fl->start = (int64_t)l->start;
        fl->len = l->end == END ? 0 : (int64_t)(l->end - l->start);
        fl->pid = l->owner == &process ? 1 : -1; /* getpid() is 1; OFD locks have no process */
        return 0;
    }
    int acc = f->flags & O_ACCMODE;
    if ((fl->type == F_RDLCK && acc == 1) || (fl->type == F_WRLCK && acc == 0))
        return -RT_EBADF;
    while (fl->type != F_UNLCK && first_conflict(file, owner, 0, fl->type, start, end)) {
        if (!wait)
            return -RT_EAGAIN;
        if (rt_wait_on(&lock_key, 0) == -RT_EINTR)
            return -RT_ERESTARTSYS;
        if (rt_fs_file(f) != file)
            return -RT_EBADF; /* closed while waiting */
    }
    return set_range(file, owner, 0, fl->type, start, end);
}

long rt_lock_flock(struct rt_fd *f, int op)
{
    int kind = op & ~LOCK_NB;
    if (kind != LOCK_SH && kind != LOCK_EX && kind != LOCK_UN)
        return -RT_EINVAL;
    const void *file = rt_fs_file(f);
    if (!file)
        return 0; /* pipes, sockets, devices: no other description shares them */
    int type = kind == LOCK_SH ? F_RDLCK : kind == LOCK_EX ? F_WRLCK : F_UNLCK;
    /* as Linux: a conversion drops the old lock first (it is not atomic) */
    int rc = set_range(file, f->ofd, 1, F_UNLCK, 0, END);
    while (rc == 0 && type != F_UNLCK && first_conflict(file, f->ofd, 1, type, 0, END)) {
        if (op & LOCK_NB)
            return -RT_EAGAIN;
        if (rt_wait_on(&lock_key, 0) == -RT_EINTR)
            return -RT_ERESTARTSYS;
        if (rt_fs_file(f) != file)
            return -RT_EBADF;
    }
    return rc < 0 ? rc : type == F_UNLCK ? 0 : set_range(file, f->ofd, 1, type, 0, END);
}

void rt_lock_closed(const void *file, const void *ofd, int last)
{
    int any = 0;
    for (struct lk **pp = &locks; *pp;) {
        struct lk *l = *pp;
        if (l->file == file && ((!l->flock && l->owner == &process) || (last && l->owner == ofd))) {
            *pp = l->next;
            heap_free(l);
            any = 1;
        } else {
            pp = &l->next;
        }
    }
    if (any)
        rt_wake(&lock_key, 1 << 30);
}
