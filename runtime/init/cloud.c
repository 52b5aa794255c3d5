/* cloud.c — instance metadata at boot: the NoCloud seed (a FAT volume labelled CIDATA, read here
 * without mounting it) gives the hostname and the ssh keys of the user the recipe allows. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/init/init.h"

#define SEED_MAX  (64u << 20) /* a seed volume bigger than this is not one */
#define FILE_MAX  (64u << 10) /* meta-data, user-data */
#define WAIT_MS   3000
#define NAME_MAX_ 256

static unsigned le16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static unsigned long le32(const unsigned char *p)
{
    return (unsigned long)le16(p) | (unsigned long)le16(p + 2) << 16;
}

/* The layout of a FAT volume, from its boot sector. */
struct fat {
    const unsigned char *img;
    size_t len;
    unsigned bps, spc, type; /* bytes per sector, sectors per cluster, 12/16/32 */
    unsigned long fat_off, root_off, root_ents, data_off, clusters, root_clus;
};

static int fat_open(struct fat *f, const unsigned char *img, size_t len, char *why, size_t whysz)
{
    memset(f, 0, sizeof(*f));
    f->img = img, f->len = len;
    if (len < 512 || img[510] != 0x55 || img[511] != 0xaa) {
        snprintf(why, whysz, "no boot signature 55 AA at byte 510");
        return -2;
    }
    f->bps = le16(img + 11), f->spc = img[13];
    unsigned rsvd = le16(img + 14), nfats = img[16];
    f->root_ents = le16(img + 17);
    unsigned long tot = le16(img + 19) ? le16(img + 19) : le32(img + 32);
    unsigned long fatsz = le16(img + 22) ? le16(img + 22) : le32(img + 36);
    if ((f->bps != 512 && f->bps != 1024 && f->bps != 2048 && f->bps != 4096) || !f->spc ||
        (f->spc & (f->spc - 1)) || !rsvd || !nfats || !fatsz || !tot) {
        snprintf(why, whysz,
                 "boot sector: %u bytes a sector, %u sectors a cluster, %u reserved, %u FATs of "
                 "%lu sectors, %lu sectors",
                 f->bps, f->spc, rsvd, nfats, fatsz, tot);
        return -2;
    }
    unsigned long root_secs = (f->root_ents * 32 + f->bps - 1) / f->bps;
    unsigned long data = rsvd + nfats * fatsz + root_secs;
    if (data >= tot || tot > len / f->bps) {
        snprintf(why, whysz, "%lu sectors of %u bytes, data from sector %lu: beyond the %zu bytes",
                 tot, f->bps, data, len);
        return -2;
    }
    f->clusters = (tot - data) / f->spc;
    f->type = f->clusters < 4085 ? 12 : f->clusters < 65525 ? 16 : 32;
    f->fat_off = (unsigned long)rsvd * f->bps;
    f->root_off = (rsvd + nfats * fatsz) * f->bps;
    f->data_off = data * f->bps;
    f->root_clus = f->type == 32 ? le32(img + 44) : 0;
    if (f->type == 32 && f->root_ents) {
        snprintf(why, whysz, "FAT32 with a fixed root folder of %lu entries", f->root_ents);
        return -2;
    }
    return 0;
}

/* The cluster after `c` in its chain; 0 at the end, -1 when the FAT entry is bad. */
static long fat_next(const struct fat *f, unsigned long c)
{
    unsigned long v, end;
    if (f->type == 12) {
        unsigned long o = f->fat_off + c + c / 2;
        if (o + 2 > f->len)
            return -1;
        v = le16(f->img + o);
        v = c & 1 ? v >> 4 : v & 0xfff;
        end = 0xff8;
    } else if (f->type == 16) {
        if (f->fat_off + 2 * c + 2 > f->len)
            return -1;
        v = le16(f->img + f->fat_off + 2 * c), end = 0xfff8;
    } else {
        if (f->fat_off + 4 * c + 4 > f->len)
            return -1;
        v = le32(f->img + f->fat_off + 4 * c) & 0x0fffffff, end = 0x0ffffff8;
    }
    if (v >= end)
        return 0;
    return v < 2 || v >= f->clusters + 2 ? -1 : (long)v;
}

/* Where cluster `c` starts in the image, or 0 when it lies outside. */
static unsigned long clus_off(const struct fat *f, unsigned long c)
{
    unsigned long bytes = (unsigned long)f->spc * f->bps;
    if (c < 2 || c >= f->clusters + 2)
        return 0;
    unsigned long o = f->data_off + (c - 2) * bytes;
    return o + bytes <= f->len ? o : 0;
}

static unsigned char short_sum(const unsigned char *n)
{
    unsigned char s = 0;
    for (int i = 0; i < 11; i++)
        s = (unsigned char)(((s & 1) << 7) + (s >> 1) + n[i]);
    return s;
}

/* A directory walk: long names gathered from their entries, checked against the short entry's
   checksum. */
struct walk {
    char lfn[NAME_MAX_];
    int lfn_left;     /* entries still expected; -1: none pending */
    unsigned char ck; /* their checksum */
    bool lfn_ok;
};

/* One 32-byte entry. Returns 1 at a file named `name` (its first cluster and size out), -1 at
   the end of the folder, 0 otherwise. */
static int entry(struct walk *w, const unsigned char *e, const char *name, unsigned long *clus,
                 unsigned long *size)
{
    if (e[0] == 0)
        return -1;
    if (e[0] == 0xe5) {
        w->lfn_left = -1;
        return 0;
    }
    if (e[11] == 0x0f) {
        int ord = e[0] & 0x3f;
        if (e[0] & 0x40) {
            memset(w->lfn, 0, sizeof(w->lfn));
            w->lfn_left = ord, w->ck = e[13], w->lfn_ok = ord >= 1 && ord <= 19;
        }
        if (w->lfn_left != ord || e[13] != w->ck || ord < 1 || ord > 19) {
            w->lfn_ok = false;
            return 0;
        }
        static const int at[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
        for (int i = 0; i < 13; i++) {
            unsigned ch = le16(e + at[i]);
            if (ch == 0 || ch == 0xffff)
                break;
            w->lfn[(ord - 1) * 13 + i] = ch < 0x80 ? (char)ch : '?';
        }
        w->lfn_left--;
        return 0;
    }
    bool use_lfn = w->lfn_ok && w->lfn_left == 0 && short_sum(e) == w->ck;
    w->lfn_left = -1, w->lfn_ok = false;
    if (e[11] & 0x18) /* a folder or the volume label */
        return 0;
    char n[NAME_MAX_];
    if (use_lfn) {
        snprintf(n, sizeof(n), "%s", w->lfn);
    } else {
        int b = 8, x = 3;
        while (b > 0 && e[b - 1] == ' ')
            b--;
        while (x > 0 && e[8 + x - 1] == ' ')
            x--;
        snprintf(n, sizeof(n), "%.*s%s%.*s", b, (const char *)e, x ? "." : "", x,
                 (const char *)e + 8);
    }
    if (strcasecmp(n, name) != 0)
        return 0;
    *clus = le16(e + 26) | (unsigned long)le16(e + 20) << 16;
    *size = le32(e + 28);
    return 1;
}

int cloud_fat_read(const unsigned char *img, size_t len, const char *name, char **out,
                   size_t *outlen, char *why, size_t whysz)
{
    struct fat f;
    *out = NULL, *outlen = 0;
    int rc = fat_open(&f, img, len, why, whysz);
    if (rc)
        return rc;
    struct walk w = {.lfn_left = -1};
    unsigned long clus = 0, size = 0, cbytes = (unsigned long)f.spc * f.bps;
    int found = 0;
    if (f.type != 32) {
        if (f.root_off + f.root_ents * 32 > len) {
            snprintf(why, whysz, "the root folder (%lu entries at %lu) is beyond the volume",
                     f.root_ents, f.root_off);
            return -2;
        }
        for (unsigned long i = 0; i < f.root_ents && !found; i++)
            found = entry(&w, img + f.root_off + 32 * i, name, &clus, &size);
    } else {
        unsigned long steps = 0;
        for (long c = (long)f.root_clus; c > 0 && !found; c = fat_next(&f, (unsigned long)c)) {
            unsigned long o = clus_off(&f, (unsigned long)c);
            if (!o || ++steps > f.clusters) {
                snprintf(why, whysz, "the root folder's cluster chain is broken at %ld", c);
                return -2;
            }
            for (unsigned long i = 0; i < cbytes / 32 && !found; i++)
                found = entry(&w, img + o + 32 * i, name, &clus, &size);
        }
    }
    if (found != 1)
        return -1;
    if (size > FILE_MAX) {
        snprintf(why, whysz, "%s: %lu bytes (at most %u)", name, size, FILE_MAX);
        return -2;
    }
    char *buf = malloc(size + 1);
    if (!buf) {
        snprintf(why, whysz, "%s: out of memory", name);
        return -2;
    }
    unsigned long got = 0, steps = 0;
    long c = (long)clus;
    while (got < size) {
        unsigned long o = c > 0 ? clus_off(&f, (unsigned long)c) : 0;
        if (!o || ++steps > f.clusters) {
            snprintf(why, whysz, "%s: its cluster chain ends at %lu of %lu bytes", name, got, size);
            free(buf);
            return -2;
        }
        unsigned long n = size - got < cbytes ? size - got : cbytes;
        memcpy(buf + got, img + o, n);
        got += n;
        c = got < size ? fat_next(&f, (unsigned long)c) : 0;
    }
    buf[size] = 0;
    *out = buf, *outlen = size;
    return 0;
}

bool cloud_is_seed(const unsigned char *img, size_t len)
{
    if (len < 512 || img[510] != 0x55 || img[511] != 0xaa)
        return false;
    /* the extended boot signature 0x29, then the label: at 43 (FAT12/16: a 16-bit FAT size) or
       at 71 (FAT32) */
    size_t at = le16(img + 22) ? (img[38] == 0x29 ? 43 : 0) : (img[66] == 0x29 ? 71 : 0);
    return at && strncasecmp((const char *)img + at, "CIDATA     ", 11) == 0;
}

/* ---- meta-data and user-data (YAML, one key a line) ---- */

/* The value of top-level key `key` ("key: value", quotes taken off), or NULL; into out. */
static const char *yaml_value(const char *text, const char *key, char *out, size_t outsz)
{
    size_t kl = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *p = l;
        bool q = *p == '"' || *p == '\'';
        if (q)
            p++;
        if (strncmp(p, key, kl) != 0)
            continue;
        p += kl;
        if (q && (*p == '"' || *p == '\''))
            p++;
        if (*p != ':')
            continue;
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        size_t n = strcspn(p, "\r\n");
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n >= 2 && (p[0] == '"' || p[0] == '\'') && p[n - 1] == p[0])
            p++, n -= 2;
        if (n >= outsz)
            return NULL;
        memcpy(out, p, n);
        out[n] = 0;
        return out;
    }
    return NULL;
}

static bool valid_hostname(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 63 || s[0] == '-' || s[0] == '.' || s[n - 1] == '-' || s[n - 1] == '.')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.')
            return false;
    return true;
}

static bool valid_key(const char *k)
{
    if (strncmp(k, "ssh-", 4) && strncmp(k, "ecdsa-sha2-", 11) && strncmp(k, "sk-", 3))
        return false;
    for (; *k; k++)
        if ((unsigned char)*k < 0x20 || (unsigned char)*k > 0x7e)
            return false;
    return true;
}

static void note(struct cloud_meta *m, const char *what, const char *val)
{
    if (!m->why[0])
        snprintf(m->why, sizeof(m->why), "%s (got \"%.60s\")", what, val);
}

void cloud_parse(const char *meta, const char *user, struct cloud_meta *m)
{
    char v[256];
    if (meta && yaml_value(meta, "local-hostname", v, sizeof(v))) {
        if (valid_hostname(v))
            memcpy(m->hostname, v, strlen(v) + 1); /* at most 63 bytes */
        else
            note(m, "meta-data: local-hostname is not a host name", v);
    }
    if (!user || strncmp(user, "#cloud-config", 13) != 0)
        return;
    if (yaml_value(user, "hostname", v, sizeof(v))) {
        if (valid_hostname(v))
            memcpy(m->hostname, v, strlen(v) + 1); /* at most 63 bytes */
        else
            note(m, "user-data: hostname is not a host name", v);
    }
    /* ssh_authorized_keys: followed by indented "- KEY" lines */
    const char *l = user;
    bool in = false;
    for (; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        size_t n = strcspn(l, "\r\n");
        if (!in) {
            in = strncmp(l, "ssh_authorized_keys:", 20) == 0;
            continue;
        }
        const char *p = l;
        while (*p == ' ' || *p == '\t')
            p++;
        if (p == l && n) /* the next top-level key */
            break;
        if (*p != '-')
            continue;
        p++;
        while (*p == ' ')
            p++;
        size_t kn = n - (size_t)(p - l);
        while (kn && (p[kn - 1] == ' ' || p[kn - 1] == '\t'))
            kn--;
        if (kn >= 2 && (p[0] == '"' || p[0] == '\'') && p[kn - 1] == p[0])
            p++, kn -= 2;
        char *k = strndup(p, kn);
        if (!k)
            return;
        if (!valid_key(k) || kn > 8192) {
            note(m, "user-data: an ssh key that is not one", k);
            free(k);
        } else if (m->nkeys == CLOUD_MAX_KEYS) {
            note(m, "user-data: more than 16 ssh keys", k);
            free(k);
        } else {
            m->keys[m->nkeys++] = k;
        }
    }
}

void cloud_meta_free(struct cloud_meta *m)
{
    for (int i = 0; i < m->nkeys; i++)
        free(m->keys[i]);
    m->nkeys = 0;
}

/* ---- at boot ---- */

/* Reads the whole seed volume on /dev/NAME when it is one; NULL otherwise. */
static unsigned char *read_seed(const char *dev, size_t *len)
{
    int fd = open(dev, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    unsigned char head[512];
    unsigned char *img = NULL;
    if (pread(fd, head, sizeof(head), 0) == (ssize_t)sizeof(head) &&
        cloud_is_seed(head, sizeof(head))) {
        unsigned long tot = le16(head + 19) ? le16(head + 19) : le32(head + 32);
        unsigned long bytes = tot * le16(head + 11);
        if (bytes && bytes <= SEED_MAX && (img = malloc(bytes))) {
            ssize_t got = pread(fd, img, bytes, 0);
            if (got != (ssize_t)bytes) {
                init_log("cloud: %s: read %zd of %lu bytes", dev, got, bytes);
                free(img), img = NULL;
            } else {
                *len = bytes;
            }
        } else if (bytes > SEED_MAX) {
            init_log("cloud: %s: a CIDATA volume of %lu bytes (at most %u): ignored", dev, bytes,
                     SEED_MAX);
        }
    }
    close(fd);
    return img;
}

static unsigned char *find_seed(char *dev, size_t devsz, size_t *len)
{
    DIR *d = opendir("/sys/class/block");
    struct dirent *e;
    unsigned char *img = NULL;
    while (d && !img && (e = readdir(d))) {
        if (e->d_name[0] == '.' || !strncmp(e->d_name, "loop", 4) || !strncmp(e->d_name, "ram", 3))
            continue;
        snprintf(dev, devsz, "/dev/%s", e->d_name);
        img = read_seed(dev, len);
    }
    if (d)
        closedir(d);
    return img;
}

static void install_keys(const char *user, const struct cloud_meta *m)
{
    struct passwd *pw = getpwnam(user);
    if (!pw || !pw->pw_dir || pw->pw_dir[0] != '/') {
        init_log("cloud: ssh keys for %s: no such user with a home", user);
        return;
    }
    char dir[300], path[320];
    snprintf(dir, sizeof(dir), "%s/.ssh", pw->pw_dir);
    snprintf(path, sizeof(path), "%s/authorized_keys", dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        init_log("cloud: %s: %s", dir, strerror(errno));
        return;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && chown(dir, pw->pw_uid, pw->pw_gid) == 0 && chmod(dir, 0700) == 0 &&
              fchown(fd, pw->pw_uid, pw->pw_gid) == 0 && fchmod(fd, 0600) == 0;
    for (int i = 0; ok && i < m->nkeys; i++)
        ok = dprintf(fd, "%s\n", m->keys[i]) > 0;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    if (!ok)
        init_log("cloud: %s: %s", path, strerror(errno));
    else
        init_log("cloud: %d ssh key%s for %s in %s", m->nkeys, m->nkeys == 1 ? "" : "s", user,
                 path);
}

void cloud_apply(struct init_conf *c)
{
    if (c->cloud != INIT_CLOUD_NOCLOUD)
        return;
    char dev[300] = "";
    size_t len = 0;
    unsigned char *img = NULL;
    long long until = init_now_ms() + WAIT_MS;
    while (!(img = find_seed(dev, sizeof(dev), &len)) && init_now_ms() < until) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (!img) {
        init_log("cloud: no NoCloud seed (no disk labelled CIDATA within %d s); hostname %s",
                 WAIT_MS / 1000, c->hostname);
        return;
    }
    char why[160] = "", *meta = NULL, *user = NULL;
    size_t n;
    int rm = cloud_fat_read(img, len, "meta-data", &meta, &n, why, sizeof(why));
    int ru = rm == -2 ? -2 : cloud_fat_read(img, len, "user-data", &user, &n, why, sizeof(why));
    free(img);
    if (rm == -2 || ru == -2) {
        init_log("cloud: %s: %s", dev, why);
        free(meta), free(user);
        return;
    }
    struct cloud_meta m = {0};
    cloud_parse(meta, user, &m);
    free(meta), free(user);
    if (m.why[0])
        init_log("cloud: %s: ignored: %s", dev, m.why);
    if (m.hostname[0])
        snprintf(c->hostname, sizeof(c->hostname), "%s", m.hostname);
    init_log("cloud: NoCloud seed %s: hostname %s%s", dev, c->hostname,
             m.hostname[0] ? "" : " (the seed names none)");
    if (m.nkeys && c->cloud_ssh_user[0])
        install_keys(c->cloud_ssh_user, &m);
    else if (m.nkeys)
        init_log("cloud: %d ssh key%s ignored: the recipe allows none (image.cloud_ssh_user)",
                 m.nkeys, m.nkeys == 1 ? "" : "s");
    cloud_meta_free(&m);
}
