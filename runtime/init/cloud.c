/* cloud.c — instance metadata at boot: the NoCloud seed (a FAT or ISO 9660 volume labelled CIDATA),
 * the OpenStack config drive (ISO 9660, config-2), each read here without mounting it, and the
 * EC2 (IMDSv2) and GCE metadata servers give the hostname and the ssh keys of the user the recipe
 * allows. */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

/* ---- ISO 9660 (ECMA-119), with Joliet or Rock Ridge names ---- */

#define ISO_BLOCK 2048
#define ISO_VD_AT (16 * ISO_BLOCK)

static unsigned long be_le32(const unsigned char *p) /* both-endian: the little-endian half */
{
    return le32(p);
}

/* The volume's label (the primary descriptor's volume identifier, spaces trimmed) into out; false
   when img holds no ISO 9660 primary descriptor. */
static bool iso_label(const unsigned char *img, size_t len, char *out, size_t outsz)
{
    if (len < ISO_VD_AT + ISO_BLOCK)
        return false;
    const unsigned char *vd = img + ISO_VD_AT;
    if (vd[0] != 1 || memcmp(vd + 1, "CD001", 5) != 0)
        return false;
    size_t n = 32;
    while (n && (vd[40 + n - 1] == ' ' || vd[40 + n - 1] == 0))
        n--;
    snprintf(out, outsz, "%.*s", (int)n, (const char *)vd + 40);
    return true;
}

/* The name of directory record r (`rl` bytes) into out: Joliet's UCS-2, else Rock Ridge's NM,
   else the ISO name without its ";1" and a trailing dot. Non-ASCII becomes '?'. */
static void iso_name(const unsigned char *r, unsigned rl, bool joliet, char *out, size_t outsz)
{
    unsigned nl = r[32];
    const unsigned char *nm = r + 33;
    size_t k = 0;
    if (joliet) {
        for (unsigned i = 0; i + 1 < nl && k + 1 < outsz; i += 2) {
            unsigned ch = (unsigned)nm[i] << 8 | nm[i + 1];
            out[k++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
        }
    } else {
        /* Rock Ridge: the System Use entries after the name (padded to an even offset) */
        unsigned at = 33 + nl + (nl % 2 == 0);
        bool rr = false;
        while (at + 4 <= rl) {
            unsigned el = r[at + 2];
            if (el < 4 || at + el > rl)
                break;
            if (r[at] == 'N' && r[at + 1] == 'M' && el >= 5) {
                for (unsigned i = 5; i < el && k + 1 < outsz; i++)
                    out[k++] = r[at + i] >= 0x20 && r[at + i] < 0x7f ? (char)r[at + i] : '?';
                rr = true;
            }
            at += el;
        }
        if (!rr)
            for (unsigned i = 0; i < nl && k + 1 < outsz; i++)
                out[k++] = nm[i] >= 0x20 && nm[i] < 0x7f ? (char)nm[i] : '?';
    }
    out[k] = 0;
    char *semi = strchr(out, ';');
    if (semi)
        *semi = 0;
    k = strlen(out);
    if (k && out[k - 1] == '.')
        out[k - 1] = 0;
}

/* Looks `name` up in the directory at block lba (size bytes): 1 and its extent when found (dir
   says whether it is a folder), 0 when not, -2 when the directory is malformed. */
static int iso_lookup(const unsigned char *img, size_t len, bool joliet, unsigned long lba,
                      unsigned long size, const char *name, unsigned long *flba,
                      unsigned long *fsize, bool *dir, char *why, size_t whysz)
{
    unsigned long off = lba * ISO_BLOCK;
    if (lba >= len / ISO_BLOCK || size > len - off) {
        snprintf(why, whysz, "a folder of %lu bytes at block %lu: beyond the %zu bytes", size, lba,
                 len);
        return -2;
    }
    for (unsigned long at = 0; at < size;) {
        const unsigned char *r = img + off + at;
        unsigned rl = r[0];
        if (rl == 0) { /* records do not cross blocks: the rest of this one is padding */
            at = (at / ISO_BLOCK + 1) * ISO_BLOCK;
            continue;
        }
        if (rl < 34 || at + rl > size || 33u + r[32] > rl) {
            snprintf(why, whysz, "a directory record of %u bytes at byte %lu of block %lu", rl, at,
                     lba);
            return -2;
        }
        at += rl;
        if (r[32] == 1 && (r[33] == 0 || r[33] == 1)) /* "." and ".." */
            continue;
        char n[NAME_MAX_];
        iso_name(r, rl, joliet, n, sizeof(n));
        if (strcasecmp(n, name) != 0)
            continue;
        if (r[25] & 0x80) {
            snprintf(why, whysz, "%s: in several extents (not read)", name);
            return -2;
        }
        *flba = be_le32(r + 2), *fsize = be_le32(r + 10), *dir = (r[25] & 2) != 0;
        return 1;
    }
    return 0;
}

int cloud_iso_read(const unsigned char *img, size_t len, const char *path, char **out,
                   size_t *outlen, char *why, size_t whysz)
{
    *out = NULL, *outlen = 0;
    char label[40];
    if (!iso_label(img, len, label, sizeof(label))) {
        snprintf(why, whysz, "no ISO 9660 primary volume descriptor at byte %u", ISO_VD_AT);
        return -2;
    }
    /* the root: Joliet's supplementary descriptor (escape %/@, %/C or %/E) when there is one */
    const unsigned char *root = img + ISO_VD_AT + 156;
    bool joliet = false;
    for (unsigned i = 1; i < 32 && ISO_VD_AT + (i + 1) * (size_t)ISO_BLOCK <= len; i++) {
        const unsigned char *vd = img + ISO_VD_AT + i * ISO_BLOCK;
        if (memcmp(vd + 1, "CD001", 5) != 0 || vd[0] == 255)
            break;
        if (vd[0] == 2 && vd[88] == '%' && vd[89] == '/' &&
            (vd[90] == '@' || vd[90] == 'C' || vd[90] == 'E')) {
            root = vd + 156, joliet = true;
            break;
        }
    }
    if (le16(img + ISO_VD_AT + 128) != ISO_BLOCK) {
        snprintf(why, whysz, "a logical block of %u bytes (only %u is read)",
                 le16(img + ISO_VD_AT + 128), ISO_BLOCK);
        return -2;
    }
    unsigned long lba = be_le32(root + 2), size = be_le32(root + 10);
    bool dir = true;
    const char *p = path;
    for (int depth = 0; *p; depth++) {
        size_t cl = strcspn(p, "/");
        char comp[NAME_MAX_];
        snprintf(comp, sizeof(comp), "%.*s", (int)cl, p);
        p += cl + (p[cl] == '/');
        if (!dir || depth > 8)
            return -1;
        int rc = iso_lookup(img, len, joliet, lba, size, comp, &lba, &size, &dir, why, whysz);
        if (rc <= 0)
            return rc ? rc : -1;
    }
    if (dir)
        return -1;
    if (size > FILE_MAX) {
        snprintf(why, whysz, "%s: %lu bytes (at most %u)", path, size, FILE_MAX);
        return -2;
    }
    if (lba > len / ISO_BLOCK || size > len - lba * ISO_BLOCK) {
        snprintf(why, whysz, "%s: %lu bytes at block %lu: beyond the %zu bytes", path, size, lba,
                 len);
        return -2;
    }
    char *buf = malloc(size + 1);
    if (!buf) {
        snprintf(why, whysz, "%s: out of memory", path);
        return -2;
    }
    memcpy(buf, img + lba * ISO_BLOCK, size);
    buf[size] = 0;
    *out = buf, *outlen = size;
    return 0;
}

int cloud_volume_kind(const unsigned char *img, size_t len)
{
    char label[40];
    if (cloud_is_seed(img, len))
        return CLOUD_VOL_FAT_NOCLOUD;
    if (iso_label(img, len, label, sizeof(label))) {
        if (strcasecmp(label, "cidata") == 0)
            return CLOUD_VOL_ISO_NOCLOUD;
        if (strcasecmp(label, "config-2") == 0)
            return CLOUD_VOL_ISO_CONFIGDRIVE;
    }
    return 0;
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

/* ---- OpenStack's meta_data.json ---- */

struct json {
    const char *p, *end;
    int depth;
};

static void json_ws(struct json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

/* A string at j->p: its bytes (escapes decoded, non-ASCII as '?') into a malloc'd *out when out
   is not NULL. 0, or -1 when it is not a well-formed string. */
static int json_str(struct json *j, char **out)
{
    if (j->p >= j->end || *j->p != '"')
        return -1;
    j->p++;
    char *o = NULL;
    size_t k = 0;
    if (out && !(o = malloc((size_t)(j->end - j->p) + 1)))
        return -1;
    while (j->p < j->end && *j->p != '"') {
        unsigned char ch = (unsigned char)*j->p++;
        if (ch < 0x20)
            goto bad;
        if (ch == '\\') {
            if (j->p >= j->end)
                goto bad;
            char e = *j->p++;
            switch (e) {
            case '"':
            case '\\':
            case '/': ch = (unsigned char)e; break;
            case 'b': ch = '\b'; break;
            case 'f': ch = '\f'; break;
            case 'n': ch = '\n'; break;
            case 'r': ch = '\r'; break;
            case 't': ch = '\t'; break;
            case 'u': {
                unsigned v = 0;
                for (int i = 0; i < 4; i++, j->p++) {
                    if (j->p >= j->end || !isxdigit((unsigned char)*j->p))
                        goto bad;
                    int d = tolower((unsigned char)*j->p);
                    v = v * 16 + (unsigned)(d <= '9' ? d - '0' : d - 'a' + 10);
                }
                ch = v >= 0x20 && v < 0x7f ? (unsigned char)v : '?';
                break;
            }
            default: goto bad;
            }
        } else if (ch >= 0x80) {
            ch = '?';
        }
        if (o)
            o[k++] = (char)ch;
    }
    if (j->p >= j->end)
        goto bad;
    j->p++;
    if (o) {
        o[k] = 0;
        *out = o;
    }
    return 0;
bad:
    free(o);
    return -1;
}

static int json_object(struct json *j, int (*each)(const char *key, struct json *j, void *arg),
                       void *arg);

static int json_skip(struct json *j);

/* After a member or element: 1 at a comma (another follows), 0 at `close` (the depth back), -1
   otherwise. */
static int json_next(struct json *j, char close)
{
    json_ws(j);
    if (j->p >= j->end)
        return -1;
    if (*j->p == ',') {
        j->p++;
        return 1;
    }
    if (*j->p++ != close)
        return -1;
    j->depth--;
    return 0;
}

static int skip_member(const char *key, struct json *j, void *arg)
{
    (void)key, (void)arg;
    return json_skip(j);
}

/* Skips one value of any kind; 0, or -1 when malformed (or nested past 32). */
static int json_skip(struct json *j)
{
    json_ws(j);
    if (j->p >= j->end)
        return -1;
    char c = *j->p;
    if (c == '"')
        return json_str(j, NULL);
    if (c == '{')
        return json_object(j, skip_member, NULL);
    if (c == '[') {
        if (++j->depth > 32)
            return -1;
        j->p++;
        json_ws(j);
        if (j->p < j->end && *j->p == ']') {
            j->p++, j->depth--;
            return 0;
        }
        int more;
        do {
            if (json_skip(j) < 0)
                return -1;
        } while ((more = json_next(j, ']')) == 1);
        return more;
    }
    /* a number, true, false or null */
    const char *s = j->p;
    while (j->p < j->end && (isalnum((unsigned char)*j->p) || strchr("+-.", *j->p)))
        j->p++;
    return j->p > s ? 0 : -1;
}

/* Calls each(key, j) for the members of the object at j->p; each parses (or skips) the value.
   0, or -1 when malformed (or nested past 32). */
static int json_object(struct json *j, int (*each)(const char *key, struct json *j, void *arg),
                       void *arg)
{
    json_ws(j);
    if (j->p >= j->end || *j->p != '{' || ++j->depth > 32)
        return -1;
    j->p++;
    json_ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++, j->depth--;
        return 0;
    }
    for (;;) {
        char *key = NULL;
        json_ws(j);
        if (json_str(j, &key) < 0)
            return -1;
        json_ws(j);
        int rc = j->p < j->end && *j->p == ':' ? (j->p++, each(key, j, arg)) : -1;
        free(key);
        if (rc < 0 || (rc = json_next(j, '}')) != 1)
            return rc < 0 ? -1 : 0;
    }
}

static void add_key(struct cloud_meta *m, char *k, const char *where)
{
    size_t n = strlen(k);
    while (n && strchr(" \t\r\n", k[n - 1]))
        k[--n] = 0;
    char what[80];
    if (!valid_key(k) || n > 8192) {
        snprintf(what, sizeof(what), "%s: an ssh key that is not one", where);
        note(m, what, k);
        free(k);
    } else if (m->nkeys == CLOUD_MAX_KEYS) {
        snprintf(what, sizeof(what), "%s: more than 16 ssh keys", where);
        note(m, what, k);
        free(k);
    } else {
        m->keys[m->nkeys++] = k;
    }
}

static int os_key(const char *key, struct json *j, void *arg)
{
    (void)key;
    json_ws(j);
    char *k = NULL;
    if (j->p < j->end && *j->p == '"') {
        if (json_str(j, &k) < 0)
            return -1;
        add_key(arg, k, "meta_data.json: public_keys");
        return 0;
    }
    return json_skip(j);
}

static int os_member(const char *key, struct json *j, void *arg)
{
    struct cloud_meta *m = arg;
    json_ws(j);
    if (strcmp(key, "hostname") == 0 && j->p < j->end && *j->p == '"') {
        char *v = NULL;
        if (json_str(j, &v) < 0)
            return -1;
        if (valid_hostname(v))
            snprintf(m->hostname, sizeof(m->hostname), "%s", v);
        else
            note(m, "meta_data.json: hostname is not a host name", v);
        free(v);
        return 0;
    }
    if (strcmp(key, "public_keys") == 0 && j->p < j->end && *j->p == '{')
        return json_object(j, os_key, m);
    return json_skip(j);
}

int cloud_parse_openstack(const char *json, size_t len, struct cloud_meta *m)
{
    struct json j = {.p = json, .end = json + len};
    if (json_object(&j, os_member, m) < 0) {
        char at[40];
        snprintf(at, sizeof(at), "byte %zu", (size_t)(j.p - json));
        note(m, "meta_data.json: not a JSON object, malformed at", at);
        return -1;
    }
    json_ws(&j);
    if (j.p != j.end) {
        note(m, "meta_data.json: text after the object", j.p);
        return -1;
    }
    return 0;
}

/* ---- the metadata servers' answers ---- */

int cloud_http_parse(const char *resp, size_t len, int *status, const char **body, size_t *bodylen,
                     char *why, size_t whysz)
{
    int maj, min, st, n = 0;
    char line[64];
    size_t ll = strcspn(resp, "\r\n");
    snprintf(line, sizeof(line), "%.*s", (int)(ll < 63 ? ll : 63), resp);
    if (memchr(resp, 0, len) || sscanf(line, "HTTP/%d.%d %3d%n", &maj, &min, &st, &n) != 3 ||
        st < 100 || st > 599) {
        snprintf(why, whysz, "not an HTTP answer: \"%.40s\"", line);
        return -1;
    }
    const char *h = strstr(resp, "\r\n\r\n");
    size_t skip = 4;
    if (!h)
        h = strstr(resp, "\n\n"), skip = 2;
    if (!h) {
        snprintf(why, whysz, "HTTP %d: no end to the headers in %zu bytes", st, len);
        return -1;
    }
    const char *b = h + skip;
    size_t blen = len - (size_t)(b - resp);
    /* Content-Length, when given, must fit in what came */
    for (const char *l = strchr(resp, '\n'); l && l < h; l = strchr(l + 1, '\n')) {
        if (strncasecmp(l + 1, "content-length:", 15) != 0)
            continue;
        char *e;
        unsigned long cl = strtoul(l + 16, &e, 10);
        if (e == l + 16 || cl > blen) {
            const char *v = l + 16 + strspn(l + 16, " \t");
            int vl = (int)strcspn(v, "\r\n");
            snprintf(why, whysz, "HTTP %d: Content-Length %.*s, %zu bytes came", st,
                     vl < 20 ? vl : 20, v, blen);
            return -1;
        }
        blen = cl;
    }
    *status = st, *body = b, *bodylen = blen;
    return 0;
}

bool cloud_http_header(const char *resp, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    const char *end = strstr(resp, "\r\n\r\n");
    for (const char *l = strchr(resp, '\n'); l && (!end || l < end); l = strchr(l + 1, '\n')) {
        const char *p = l + 1;
        if (strncasecmp(p, name, nl) != 0 || p[nl] != ':')
            continue;
        p += nl + 1;
        while (*p == ' ')
            p++;
        if (strncmp(p, value, vl) == 0 && (p[vl] == '\r' || p[vl] == '\n' || p[vl] == 0))
            return true;
    }
    return false;
}

/* The first label of a host name the server gave (EC2 and GCE give a full domain name). */
static void first_label(struct cloud_meta *m, const char *text, size_t len, const char *where)
{
    char v[256];
    size_t n = strcspn(text, ".\r\n");
    if (n > len)
        n = len;
    snprintf(v, sizeof(v), "%.*s", (int)(n < 255 ? n : 255), text);
    if (valid_hostname(v) && !strchr(v, '.')) {
        memcpy(m->hostname, v, strlen(v) + 1);
    } else {
        char what[80];
        snprintf(what, sizeof(what), "%s is not a host name", where);
        note(m, what, v);
    }
}

void cloud_parse_hostname(const char *text, size_t len, const char *where, struct cloud_meta *m)
{
    first_label(m, text, len, where);
}

int cloud_ec2_key_indexes(const char *text, int *idx, int max)
{
    int n = 0;
    for (const char *l = text; l && *l && n < max;
         l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        char *e;
        long v = strtol(l, &e, 10);
        if (e != l && *e == '=' && v >= 0 && v < 1000 && isdigit((unsigned char)*l))
            idx[n++] = (int)v;
    }
    return n;
}

void cloud_parse_gce_keys(const char *text, const char *user, struct cloud_meta *m)
{
    size_t ul = strlen(user);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        size_t n = strcspn(l, "\r\n");
        const char *colon = memchr(l, ':', n);
        if (!colon)
            continue;
        if ((size_t)(colon - l) != ul || strncmp(l, user, ul) != 0) {
            m->other_users++;
            continue;
        }
        char *k = strndup(colon + 1, n - (size_t)(colon + 1 - l));
        if (!k)
            return;
        add_key(m, k, "ssh-keys");
    }
}

void cloud_meta_free(struct cloud_meta *m)
{
    for (int i = 0; i < m->nkeys; i++)
        free(m->keys[i]);
    m->nkeys = 0;
}

/* ---- at boot ---- */

/* Reads the whole volume on /dev/NAME when it is a seed of a kind in `want` (CLOUD_VOL_* bits);
   NULL otherwise. */
static unsigned char *read_seed(const char *dev, unsigned want, int *kind, size_t *len)
{
    int fd = open(dev, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    static unsigned char head[ISO_VD_AT + ISO_BLOCK];
    unsigned char *img = NULL;
    ssize_t hn = pread(fd, head, sizeof(head), 0);
    int k = hn >= 512 ? cloud_volume_kind(head, (size_t)hn) : 0;
    unsigned long bytes = 0;
    if (k == CLOUD_VOL_FAT_NOCLOUD)
        bytes =
            (le16(head + 19) ? le16(head + 19) : le32(head + 32)) * (unsigned long)le16(head + 11);
    else if (k)
        bytes = le32(head + ISO_VD_AT + 80) * (unsigned long)le16(head + ISO_VD_AT + 128);
    if (k && (want & (unsigned)k)) {
        if (bytes && bytes <= SEED_MAX && (img = malloc(bytes))) {
            ssize_t got = pread(fd, img, bytes, 0);
            if (got != (ssize_t)bytes) {
                init_log("cloud: %s: read %zd of %lu bytes", dev, got, bytes);
                free(img), img = NULL;
            } else {
                *len = bytes, *kind = k;
            }
        } else if (bytes > SEED_MAX) {
            init_log("cloud: %s: a seed volume of %lu bytes (at most %u): ignored", dev, bytes,
                     SEED_MAX);
        }
    }
    close(fd);
    return img;
}

static unsigned char *find_seed(char *dev, size_t devsz, unsigned want, int *kind, size_t *len)
{
    DIR *d = opendir("/sys/class/block");
    struct dirent *e;
    unsigned char *img = NULL;
    while (d && !img && (e = readdir(d))) {
        if (e->d_name[0] == '.' || !strncmp(e->d_name, "loop", 4) || !strncmp(e->d_name, "ram", 3))
            continue;
        snprintf(dev, devsz, "/dev/%s", e->d_name);
        img = read_seed(dev, want, kind, len);
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

static bool cloud_found; /* a source gave metadata: the later ones are not asked */

/* What a source gave: the host name into c, the keys to the allowed user. */
static void cloud_use(struct init_conf *c, const char *src, struct cloud_meta *m)
{
    if (m->why[0])
        init_log("cloud: %s: ignored: %s", src, m->why);
    if (m->hostname[0])
        snprintf(c->hostname, sizeof(c->hostname), "%s", m->hostname);
    init_log("cloud: %s: hostname %s%s", src, c->hostname,
             m->hostname[0] ? "" : " (the metadata names none)");
    if (m->nkeys && c->cloud_ssh_user[0])
        install_keys(c->cloud_ssh_user, m);
    else if (m->nkeys)
        init_log("cloud: %d ssh key%s ignored: the recipe allows none (image.cloud_ssh_user)",
                 m->nkeys, m->nkeys == 1 ? "" : "s");
    if (m->other_users)
        init_log("cloud: %d ssh key%s for other users than %s ignored", m->other_users,
                 m->other_users == 1 ? "" : "s",
                 c->cloud_ssh_user[0] ? c->cloud_ssh_user : "(none)");
    cloud_found = true;
}

/* NoCloud (FAT or ISO 9660): meta-data and user-data in the root folder. */
static void use_nocloud(struct init_conf *c, const char *dev, int kind, const unsigned char *img,
                        size_t len)
{
    char why[160] = "", *meta = NULL, *user = NULL, src[340];
    size_t n;
    int (*rd)(const unsigned char *, size_t, const char *, char **, size_t *, char *, size_t) =
        kind == CLOUD_VOL_FAT_NOCLOUD ? cloud_fat_read : cloud_iso_read;
    snprintf(src, sizeof(src), "NoCloud seed %s%s", dev,
             kind == CLOUD_VOL_ISO_NOCLOUD ? " (ISO 9660)" : "");
    int rm = rd(img, len, "meta-data", &meta, &n, why, sizeof(why));
    int ru = rm == -2 ? -2 : rd(img, len, "user-data", &user, &n, why, sizeof(why));
    if (rm == -2 || ru == -2) {
        init_log("cloud: %s: %s", src, why);
    } else {
        struct cloud_meta m = {0};
        cloud_parse(meta, user, &m);
        cloud_use(c, src, &m);
        cloud_meta_free(&m);
    }
    free(meta), free(user);
}

/* The OpenStack config drive (ISO 9660 labelled config-2): openstack/latest/meta_data.json. */
static void use_configdrive(struct init_conf *c, const char *dev, const unsigned char *img,
                            size_t len)
{
    char why[160] = "", *json = NULL, src[340];
    size_t n = 0;
    snprintf(src, sizeof(src), "OpenStack config drive %s", dev);
    int rc =
        cloud_iso_read(img, len, "openstack/latest/meta_data.json", &json, &n, why, sizeof(why));
    if (rc == -1)
        init_log("cloud: %s: no openstack/latest/meta_data.json", src);
    else if (rc < 0)
        init_log("cloud: %s: %s", src, why);
    if (rc < 0)
        return;
    struct cloud_meta m = {0};
    cloud_parse_openstack(json, n, &m);
    free(json);
    cloud_use(c, src, &m);
    cloud_meta_free(&m);
}

void cloud_apply(struct init_conf *c)
{
    unsigned want = 0;
    if (c->cloud & INIT_CLOUD_NOCLOUD)
        want |= CLOUD_VOL_FAT_NOCLOUD | CLOUD_VOL_ISO_NOCLOUD;
    if (c->cloud & INIT_CLOUD_CONFIGDRIVE)
        want |= CLOUD_VOL_ISO_CONFIGDRIVE;
    if (!want)
        return;
    char dev[300] = "";
    size_t len = 0;
    int kind = 0;
    unsigned char *img = NULL;
    long long until = init_now_ms() + WAIT_MS;
    while (!(img = find_seed(dev, sizeof(dev), want, &kind, &len)) && init_now_ms() < until) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (!img) {
        bool nc = c->cloud & INIT_CLOUD_NOCLOUD, cd = c->cloud & INIT_CLOUD_CONFIGDRIVE;
        init_log("cloud: no %s%s%s (no disk labelled %s%s%s within %d s); hostname %s",
                 nc ? "NoCloud seed" : "", nc && cd ? " or " : "", cd ? "config drive" : "",
                 nc ? "CIDATA" : "", nc && cd ? " or " : "", cd ? "config-2" : "", WAIT_MS / 1000,
                 c->hostname);
        return;
    }
    if (kind == CLOUD_VOL_ISO_CONFIGDRIVE)
        use_configdrive(c, dev, img, len);
    else
        use_nocloud(c, dev, kind, img, len);
    free(img);
}

/* ---- the metadata servers (after the network is up) ---- */

#define MD_ADDR    "169.254.169.254"
#define MD_WAIT_MS 5000 /* each server: all its requests within this */

/* One HTTP/1.0 request to the metadata address; the whole answer (NUL-terminated, at most
   FILE_MAX + 4 KiB) into *resp. 0, or -1 with why (no answer by `until`: the time in ms). */
static int md_request(const char *method, const char *path, const char *headers, long long until,
                      char **resp, size_t *rlen, char *why, size_t whysz)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(80)};
    inet_pton(AF_INET, MD_ADDR, &a.sin_addr);
    *resp = NULL;
    for (;;) {
        int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s < 0) {
            snprintf(why, whysz, "socket: %s", strerror(errno));
            return -1;
        }
        int rc = connect(s, (struct sockaddr *)&a, sizeof(a));
        if (rc < 0 && errno == EINPROGRESS) {
            long long left = until - init_now_ms();
            struct pollfd p = {.fd = s, .events = POLLOUT};
            int err = ETIMEDOUT;
            socklen_t el = sizeof(err);
            if (left > 0 && poll(&p, 1, (int)left) == 1)
                getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el);
            rc = err ? -1 : 0;
            errno = err;
        }
        if (rc == 0) {
            char req[1024];
            int n = snprintf(req, sizeof(req),
                             "%s %s HTTP/1.0\r\nHost: %s\r\n%sConnection: close\r\n\r\n", method,
                             path, MD_ADDR, headers);
            size_t cap = FILE_MAX + 4096, got = 0;
            char *buf = malloc(cap + 1);
            bool sent = buf && send(s, req, (size_t)n, MSG_NOSIGNAL) == n;
            while (sent) {
                long long left = until - init_now_ms();
                struct pollfd p = {.fd = s, .events = POLLIN};
                if (left <= 0 || poll(&p, 1, (int)left) != 1) {
                    snprintf(why, whysz, "%s %s: no answer by the deadline", method, path);
                    break;
                }
                ssize_t r = recv(s, buf + got, cap - got, 0);
                if (r == 0) {
                    close(s);
                    buf[got] = 0;
                    *resp = buf, *rlen = got;
                    return 0;
                }
                if (r < 0 && errno != EAGAIN && errno != EINTR) {
                    snprintf(why, whysz, "%s %s: %s", method, path, strerror(errno));
                    break;
                }
                if (r > 0 && (got += (size_t)r) == cap) {
                    snprintf(why, whysz, "%s %s: an answer of more than %zu bytes", method, path,
                             cap);
                    break;
                }
            }
            if (buf && !sent)
                snprintf(why, whysz, "%s %s: send: %s", method, path, strerror(errno));
            free(buf);
            close(s);
            return -1;
        }
        int e = errno;
        close(s);
        if (init_now_ms() >= until) {
            snprintf(why, whysz, "no answer from %s:80 within %d s (%s)", MD_ADDR,
                     MD_WAIT_MS / 1000, strerror(e));
            return -1;
        }
        struct timespec ts = {0, 200 * 1000000L}; /* refused or unreachable: again soon */
        nanosleep(&ts, NULL);
    }
}

/* A GET (or PUT) whose answer must be 200 (404 gives 1 when `missing_ok`): the body into *out
   (malloc'd, NUL-terminated). 0, 1, or -1 with why. `flavor`: the answer must carry
   Metadata-Flavor: Google. */
static int md_get(const char *method, const char *path, const char *headers, bool flavor,
                  bool missing_ok, long long until, char **out, size_t *olen, char *why,
                  size_t whysz)
{
    char *resp;
    size_t rlen;
    *out = NULL;
    if (md_request(method, path, headers, until, &resp, &rlen, why, whysz) < 0)
        return -1;
    int st;
    const char *body;
    size_t blen;
    int rc = -1;
    char w2[120];
    if (cloud_http_parse(resp, rlen, &st, &body, &blen, w2, sizeof(w2)) < 0) {
        snprintf(why, whysz, "%s %s: %s", method, path, w2);
    } else if (st == 404 && missing_ok) {
        rc = 1;
    } else if (st != 200) {
        snprintf(why, whysz, "%s %s: HTTP %d", method, path, st);
    } else if (flavor && !cloud_http_header(resp, "Metadata-Flavor", "Google")) {
        snprintf(why, whysz, "%s %s: the answer lacks Metadata-Flavor: Google", method, path);
    } else if (blen > FILE_MAX) {
        snprintf(why, whysz, "%s %s: %zu bytes (at most %u)", method, path, blen, FILE_MAX);
    } else if ((*out = strndup(body, blen))) {
        *olen = blen;
        rc = 0;
    }
    free(resp);
    return rc;
}

/* EC2's IMDSv2: a session token from PUT /latest/api/token, then GETs that carry it. */
static int ec2_fetch(struct cloud_meta *m, long long until, char *why, size_t whysz)
{
    char *tok, *body;
    size_t n;
    if (md_get("PUT", "/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds: 60\r\n", false,
               false, until, &tok, &n, why, whysz) < 0)
        return -1;
    tok[strcspn(tok, "\r\n")] = 0;
    if (!tok[0] || strlen(tok) > 200 || strpbrk(tok, " \t")) {
        snprintf(why, whysz, "PUT /latest/api/token: not a token (%zu bytes)", strlen(tok));
        free(tok);
        return -1;
    }
    char hdr[260];
    snprintf(hdr, sizeof(hdr), "X-aws-ec2-metadata-token: %s\r\n", tok);
    free(tok);
    int rc = md_get("GET", "/latest/meta-data/local-hostname", hdr, false, true, until, &body, &n,
                    why, whysz);
    if (rc < 0)
        return -1;
    if (rc == 0)
        cloud_parse_hostname(body, n, "local-hostname", m);
    free(body);
    rc = md_get("GET", "/latest/meta-data/public-keys/", hdr, false, true, until, &body, &n, why,
                whysz);
    if (rc < 0)
        return -1;
    int idx[CLOUD_MAX_KEYS], nk = rc == 0 ? cloud_ec2_key_indexes(body, idx, CLOUD_MAX_KEYS) : 0;
    free(body);
    for (int i = 0; i < nk; i++) {
        char path[80];
        snprintf(path, sizeof(path), "/latest/meta-data/public-keys/%d/openssh-key", idx[i]);
        if (md_get("GET", path, hdr, false, false, until, &body, &n, why, whysz) < 0)
            return -1;
        char *k = strndup(body, strcspn(body, "\r\n"));
        free(body);
        if (k)
            add_key(m, k, "public-keys");
    }
    return 0;
}

/* The GCE metadata server: Metadata-Flavor: Google both ways. */
static int gce_fetch(struct cloud_meta *m, const char *user, long long until, char *why,
                     size_t whysz)
{
    const char *hdr = "Metadata-Flavor: Google\r\n";
    char *body;
    size_t n;
    int rc = md_get("GET", "/computeMetadata/v1/instance/hostname", hdr, true, true, until, &body,
                    &n, why, whysz);
    if (rc < 0)
        return -1;
    if (rc == 0)
        cloud_parse_hostname(body, n, "instance/hostname", m);
    free(body);
    rc = md_get("GET", "/computeMetadata/v1/instance/attributes/ssh-keys", hdr, true, true, until,
                &body, &n, why, whysz);
    if (rc < 0)
        return -1;
    if (rc == 0)
        cloud_parse_gce_keys(body, user, m);
    free(body);
    return 0;
}

bool cloud_apply_net(struct init_conf *c)
{
    static const struct {
        unsigned bit;
        const char *name;
    } srcs[] = {{INIT_CLOUD_EC2, "EC2 metadata (IMDSv2)"}, {INIT_CLOUD_GCE, "GCE metadata server"}};
    bool changed = false;
    for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]) && !cloud_found; i++) {
        if (!(c->cloud & srcs[i].bit))
            continue;
        if (c->net == INIT_NET_NONE) {
            init_log("cloud: %s: not asked: the image has no network (net none)", srcs[i].name);
            continue;
        }
        char why[200] = "", before[65];
        struct cloud_meta m = {0};
        long long until = init_now_ms() + MD_WAIT_MS;
        int rc = srcs[i].bit == INIT_CLOUD_EC2
                     ? ec2_fetch(&m, until, why, sizeof(why))
                     : gce_fetch(&m, c->cloud_ssh_user, until, why, sizeof(why));
        if (rc < 0) {
            init_log("cloud: %s: %s", srcs[i].name, why);
        } else {
            snprintf(before, sizeof(before), "%s", c->hostname);
            cloud_use(c, srcs[i].name, &m);
            changed = strcmp(before, c->hostname) != 0;
        }
        cloud_meta_free(&m);
    }
    return changed;
}
