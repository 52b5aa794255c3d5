/* deb.c — .deb extraction with libarchive: ar container, control.tar.*, data.tar.* into the tree.
 */
#include "builder/debian/deb.h"
#include "builder/core/alloc.h"
#include "builder/debian/deb_version.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builder/core/err.h"

/* A member bigger than this is refused (a real data.tar is far smaller). */
#define DEB_MAX_MEMBER (4ull << 30)

/* The packages already in the tree, for Replaces: version checks. */
struct deb_ctx {
    const struct deb_info *installed;
    size_t ninstalled;
};

void deb_strs_add(struct deb_strs *s, const char *v)
{
    s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
    s->v[s->n++] = xstrdup(v);
}

void deb_strs_free(struct deb_strs *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

void deb_info_free(struct deb_info *d)
{
    if (!d)
        return;
    free(d->label);
    free(d->name);
    free(d->version);
    free(d->arch);
    free(d->source), free(d->maintainer), free(d->homepage);
    deb_strs_free(&d->replaces);
    deb_strs_free(&d->replaces_ver);
    deb_strs_free(&d->scripts);
    deb_strs_free(&d->depends);
    free(d->postinst);
    free(d->preinst);
    free(d->recommends);
    free(d->provides);
    free(d->data_member);
    memset(d, 0, sizeof(*d));
}

void deb_parse_relations(const char *text, struct deb_strs *names, struct deb_strs *constraints)
{
    const char *p = text;
    while (*p) {
        while (*p && (isspace((unsigned char)*p) || *p == ',' || *p == '|'))
            p++;
        const char *s = p;
        while (*p && !isspace((unsigned char)*p) && *p != ',' && *p != '|' && *p != '(' &&
               *p != ':' && *p != '[')
            p++;
        size_t nlen = (size_t)(p - s);
        /* the rest of this alternative: arch qualifier, "(OP VERSION)", [archs] */
        struct sbuf c = {0};
        sbuf_add(&c, "", 0);
        while (*p && *p != ',' && *p != '|') {
            if (*p == '(') {
                const char *e = strchr(p, ')');
                const char *q = p + 1;
                while (*q == ' ')
                    q++;
                const char *op = q;
                while (*q == '<' || *q == '>' || *q == '=')
                    q++;
                size_t oplen = (size_t)(q - op);
                while (*q == ' ')
                    q++;
                const char *v = q;
                while (*q && *q != ')' && !isspace((unsigned char)*q))
                    q++;
                if (oplen && q > v) {
                    sbuf_add(&c, op, oplen);
                    sbuf_add(&c, " ", 1);
                    sbuf_add(&c, v, (size_t)(q - v));
                }
                p = e ? e + 1 : p + strlen(p);
                continue;
            }
            p++;
        }
        if (nlen) {
            char *name = xstrndup(s, nlen);
            deb_strs_add(names, name);
            free(name);
            if (constraints)
                deb_strs_add(constraints, c.s);
        }
        sbuf_free(&c);
    }
}

void deb_parse_relation_names(const char *text, struct deb_strs *out)
{
    deb_parse_relations(text, out, NULL);
}

bool deb_version_satisfies(const char *version, const char *constraint)
{
    if (!constraint || !*constraint)
        return true;
    const char *sp = strchr(constraint, ' ');
    if (!sp || !version)
        return false;
    static const struct {
        const char *op;
        enum deb_rel rel;
    } ops[] = {{"<<", DEB_REL_LT}, {">>", DEB_REL_GT}, {"<=", DEB_REL_LE}, {"<", DEB_REL_LE},
               {">=", DEB_REL_GE}, {">", DEB_REL_GE},  {"=", DEB_REL_EQ}};
    size_t oplen = (size_t)(sp - constraint);
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strlen(ops[i].op) == oplen && strncmp(constraint, ops[i].op, oplen) == 0)
            return deb_ver_satisfies(version, strlen(version), ops[i].rel, sp + 1, strlen(sp + 1));
    return false;
}

/* The value of field `name` in a control paragraph (continuation lines joined), or NULL. */
static char *control_field(const char *ctl, const char *name)
{
    size_t nl = strlen(name);
    const char *p = ctl;
    while (*p) {
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            struct sbuf v = {0};
            const char *q = p + nl + 1;
            for (;;) {
                while (*q == ' ' || *q == '\t')
                    q++;
                const char *e = strchr(q, '\n');
                size_t len = e ? (size_t)(e - q) : strlen(q);
                if (v.len)
                    sbuf_add(&v, " ", 1);
                sbuf_add(&v, q, len);
                if (!e || (e[1] != ' ' && e[1] != '\t'))
                    break;
                q = e + 1;
            }
            while (v.len && isspace((unsigned char)v.s[v.len - 1]))
                v.s[--v.len] = '\0';
            return sbuf_take(&v);
        }
        const char *e = strchr(p, '\n');
        if (!e)
            break;
        p = e + 1;
    }
    return NULL;
}

/* Reads the current entry's data of archive `a` into a buffer (at most `max` bytes). */
static int read_all(struct archive *a, unsigned char **out, size_t *outlen, uint64_t max)
{
    size_t cap = 0, len = 0;
    unsigned char *buf = NULL;
    for (;;) {
        if (cap - len < 65536) {
            cap = cap ? cap * 2 : 65536;
            buf = xrealloc(buf, cap);
        }
        la_ssize_t r = archive_read_data(a, buf + len, cap - len);
        if (r < 0) {
            free(buf);
            return -EIO;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len > max) {
            free(buf);
            return -EFBIG;
        }
    }
    *out = buf;
    *outlen = len;
    return 0;
}

static struct archive *inner_open(const void *buf, size_t len)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK) {
        archive_read_free(a);
        return NULL;
    }
    return a;
}

static bool is_script(const char *n)
{
    static const char *const names[] = {"preinst", "postinst", "prerm",
                                        "postrm",  "config",   "triggers"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(n, names[i]) == 0)
            return true;
    return false;
}

static int read_control(const char *label, const char *member, const void *buf, size_t len,
                        struct deb_info *info, struct jeos_err *err)
{
    struct archive *a = inner_open(buf, len);
    if (!a)
        return jeos_errf(err, -EINVAL, "%s: %s: not a tar archive", label, member);
    struct archive_entry *e;
    int r, rc = 0;
    char *control = NULL;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *n = archive_entry_pathname(e);
        if (!n)
            continue;
        while (n[0] == '.' && n[1] == '/')
            n += 2;
        if (archive_entry_filetype(e) != AE_IFREG)
            continue;
        if (strcmp(n, "control") == 0 || strcmp(n, "postinst") == 0 || strcmp(n, "preinst") == 0) {
            unsigned char *data;
            size_t dlen;
            if (read_all(a, &data, &dlen, 16u << 20) < 0) {
                rc = jeos_errf(err, -EINVAL, "%s: %s: %s: unreadable: %s", label, member, n,
                               archive_error_string(a) ? archive_error_string(a) : "too big");
                goto out;
            }
            data = xrealloc(data, dlen + 1);
            data[dlen] = '\0';
            if (strcmp(n, "control") == 0) {
                free(control);
                control = (char *)data;
            } else if (strcmp(n, "preinst") == 0) {
                free(info->preinst);
                info->preinst = (char *)data;
            } else {
                free(info->postinst);
                info->postinst = (char *)data;
            }
        }
        if (is_script(n))
            deb_strs_add(&info->scripts, n);
    }
    if (r != ARCHIVE_EOF) {
        rc = jeos_errf(err, -EINVAL, "%s: %s: %s", label, member,
                       archive_error_string(a) ? archive_error_string(a) : "corrupt");
        goto out;
    }
    if (!control) {
        rc = jeos_errf(err, -EINVAL, "%s: %s: no control file", label, member);
        goto out;
    }
    info->name = control_field(control, "Package");
    info->version = control_field(control, "Version");
    info->arch = control_field(control, "Architecture");
    info->source = control_field(control, "Source"); /* for the SBOM */
    info->maintainer = control_field(control, "Maintainer");
    info->homepage = control_field(control, "Homepage");
    if (!info->name || !info->name[0]) {
        rc = jeos_errf(err, -EINVAL, "%s: %s: control: no Package field", label, member);
        goto out;
    }
    if (!info->version)
        info->version = xstrdup("");
    info->recommends = control_field(control, "Recommends");
    info->provides = control_field(control, "Provides");
    char *rep = control_field(control, "Replaces");
    if (rep)
        deb_parse_relations(rep, &info->replaces, &info->replaces_ver);
    free(rep);
    static const char *const depf[] = {"Pre-Depends", "Depends"};
    for (size_t i = 0; i < 2; i++) {
        char *dep = control_field(control, depf[i]);
        if (dep)
            deb_parse_relation_names(dep, &info->depends);
        free(dep);
    }
out:
    free(control);
    archive_read_free(a);
    return rc;
}

/* The installed version of `pkg`, or NULL. */
static const char *installed_version(const struct deb_ctx *c, const char *pkg)
{
    for (size_t i = c->ninstalled; i-- > 0;)
        if (c->installed[i].name && strcmp(c->installed[i].name, pkg) == 0)
            return c->installed[i].version;
    return NULL;
}

static bool replaces(const struct deb_ctx *c, const struct deb_info *info, const char *pkg)
{
    for (size_t i = 0; i < info->replaces.n; i++)
        if (strcmp(info->replaces.v[i], pkg) == 0) {
            const char *want = i < info->replaces_ver.n ? info->replaces_ver.v[i] : "";
            const char *have = installed_version(c, pkg);
            if (!*want || (have && deb_version_satisfies(have, want)))
                return true;
        }
    return false;
}

/* Normalises a member name: strips "./" and "/" prefixes. Returns NULL if it holds "..". */
static const char *member_path(const char *n, bool *dotdot)
{
    *dotdot = false;
    for (const char *p = n; *p;) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            *dotdot = true;
            return NULL;
        }
        p += len;
        while (*p == '/')
            p++;
    }
    while (*n == '/' || (n[0] == '.' && (n[1] == '/' || n[1] == '\0')))
        n += n[0] == '/' ? 1 : (n[1] ? 2 : 1);
    return n;
}

static enum tree_type entry_type(mode_t ft, bool *ok)
{
    *ok = true;
    switch (ft) {
    case AE_IFREG: return TREE_FILE;
    case AE_IFDIR: return TREE_DIR;
    case AE_IFLNK: return TREE_SYMLINK;
    case AE_IFCHR: return TREE_CHR;
    case AE_IFBLK: return TREE_BLK;
    case AE_IFIFO: return TREE_FIFO;
    case AE_IFSOCK: return TREE_SOCK;
    }
    *ok = false;
    return TREE_FILE;
}

static int parent_error(const char *where, const char *name, int e, struct jeos_err *err)
{
    switch (e) {
    case -ELOOP:
        return jeos_errf(err, -ELOOP,
                         "%s: %s: a parent folder is a symlink that leads outside the root "
                         "(or loops)",
                         where, name);
    case -ENOTDIR:
        return jeos_errf(err, -ENOTDIR, "%s: %s: a parent of this path is not a folder", where,
                         name);
    case -EPERM:
        return jeos_errf(err, -EPERM, "%s: %s: path leaves the root (\"..\")", where, name);
    default: return jeos_errf(err, e, "%s: %s: cannot place: %s", where, name, strerror(-e));
    }
}

static int add_entry(const struct deb_ctx *c, struct tree *t, struct archive *a,
                     struct archive_entry *e, const char *where, struct deb_info *info,
                     struct jeos_err *err)
{
    const char *raw = archive_entry_pathname(e);
    if (!raw)
        return jeos_errf(err, -EINVAL, "%s: an entry has no name", where);
    bool dotdot;
    const char *rel = member_path(raw, &dotdot);
    if (!rel)
        return jeos_errf(err, -EPERM, "%s: %s: path leaves the root (\"..\")", where, raw);
    bool ok;
    const char *hl = archive_entry_hardlink(e);
    enum tree_type type = entry_type(archive_entry_filetype(e), &ok);
    if (!ok && !hl)
        return jeos_errf(err, -EINVAL, "%s: %s: unknown entry type", where, raw);
    int64_t mtime = archive_entry_mtime(e);
    if (mtime > info->newest_mtime)
        info->newest_mtime = mtime;
    if (!*rel) /* "./": the root folder itself; its metadata is ours */
        return 0;

    struct tree_node *parent;
    const char *base;
    int r = tree_resolve_parent(t, rel, true, mtime, &parent, &base);
    if (r < 0)
        return parent_error(where, raw, r, err);
    char name[256];
    size_t blen = strcspn(base, "/");
    if (blen >= sizeof(name))
        return jeos_errf(err, -ENAMETOOLONG, "%s: %s: name too long", where, raw);
    memcpy(name, base, blen);
    name[blen] = '\0';
    struct tree_node *old = tree_child(parent, name);

    if (hl) {
        const char *hrel = member_path(hl, &dotdot);
        if (!hrel)
            return jeos_errf(err, -EPERM, "%s: %s: hard link target leaves the root (\"..\")",
                             where, raw);
        struct tree_node *target = tree_lookup(t, hrel, 0, NULL);
        if (!target || target->ino->type == TREE_DIR)
            return jeos_errf(err, -ENOENT,
                             "%s: %s: hard link to %s, which is not an earlier file of the archive",
                             where, raw, hl);
        if (old && old->ino == target->ino)
            return 0;
        if (old && old->ino->type == TREE_DIR)
            return jeos_errf(err, -EISDIR, "%s: %s: a hard link cannot replace a folder", where,
                             raw);
        tree_link(t, parent, name, target->ino);
        info->entries++;
        return 0;
    }

    if (type == TREE_DIR && old) {
        struct tree_node *d = old;
        if (old->ino->type == TREE_SYMLINK)
            d = tree_lookup(t, rel, TREE_FOLLOW_LAST, NULL);
        if (d && d->ino->type == TREE_DIR) {
            if (old->ino->type == TREE_DIR) { /* dpkg applies the package's metadata */
                d->ino->mode = archive_entry_perm(e) & 07777;
                d->ino->uid = (uint32_t)archive_entry_uid(e);
                d->ino->gid = (uint32_t)archive_entry_gid(e);
                d->ino->mtime = mtime;
            }
            info->entries++;
            return 0;
        }
    }
    if (old) {
        if (old->ino->type == TREE_DIR)
            return jeos_errf(err, -EISDIR, "%s: %s: cannot replace folder '/%s' with a %s", where,
                             raw, rel, tree_type_name(type));
        const char *owner = old->ino->pkg;
        if (owner[0] && strcmp(owner, info->name) != 0 && !replaces(c, info, owner)) {
            const char *have = installed_version(c, owner);
            for (size_t i = 0; i < info->replaces.n; i++)
                if (strcmp(info->replaces.v[i], owner) == 0)
                    return jeos_errf(err, -EEXIST,
                                     "%s: trying to overwrite '/%s', which is also in package %s "
                                     "%s (%s replaces only %s (%s))",
                                     info->label, rel, owner, have ? have : "", info->name, owner,
                                     info->replaces_ver.v[i]);
            return jeos_errf(err, -EEXIST,
                             "%s: trying to overwrite '/%s', which is also in package %s "
                             "(%s has no Replaces: %s)",
                             info->label, rel, owner, info->name, owner);
        }
    }

    struct tree_inode *ino =
        tree_inode_new(type, archive_entry_perm(e), (uint32_t)archive_entry_uid(e),
                       (uint32_t)archive_entry_gid(e), mtime);
    free(ino->pkg);
    ino->pkg = xstrdup(info->name);
    if (type == TREE_SYMLINK) {
        const char *tgt = archive_entry_symlink(e);
        if (!tgt || !*tgt) {
            tree_inode_unref(ino);
            return jeos_errf(err, -EINVAL, "%s: %s: symlink without a target", where, raw);
        }
        ino->target = xstrdup(tgt);
        ino->size = strlen(tgt);
        ino->mode = 0777; /* as dpkg creates them; Linux ignores a symlink's mode */
    } else if (type == TREE_CHR || type == TREE_BLK) {
        ino->rdev_major = (uint32_t)archive_entry_rdevmajor(e);
        ino->rdev_minor = (uint32_t)archive_entry_rdevminor(e);
    } else if (type == TREE_FILE) {
        unsigned char *data;
        size_t dlen;
        r = read_all(a, &data, &dlen, DEB_MAX_MEMBER);
        if (r < 0) {
            tree_inode_unref(ino);
            return jeos_errf(err, r, "%s: %s: cannot read: %s", where, raw,
                             archive_error_string(a) ? archive_error_string(a) : "too big");
        }
        if (dlen) {
            ino->buf = data;
            ino->data = TREE_DATA_BUF;
            ino->size = dlen;
        } else {
            free(data);
        }
        info->bytes += dlen;
    }
    archive_entry_xattr_reset(e);
    const char *xn;
    const void *xv;
    size_t xl;
    while (archive_entry_xattr_next(e, &xn, &xv, &xl) == ARCHIVE_OK)
        tree_inode_set_xattr(ino, xn, xv, xl);
    tree_link(t, parent, name, ino);
    info->entries++;
    return 0;
}

static int read_data(const struct deb_ctx *c, struct tree *t, const char *member, const void *buf,
                     size_t len, struct deb_info *info, struct jeos_err *err)
{
    char *where = xasprintf("%s: %s", info->label, member);
    int rc = 0;
    struct archive *a = inner_open(buf, len);
    if (!a) {
        rc = jeos_errf(err, -EINVAL, "%s: not a tar archive", where);
        goto out;
    }
    struct archive_entry *e;
    int r;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        rc = add_entry(c, t, a, e, where, info, err);
        if (rc < 0)
            goto out;
    }
    if (r != ARCHIVE_EOF)
        rc = jeos_errf(err, -EINVAL, "%s: %s", where,
                       archive_error_string(a) ? archive_error_string(a) : "corrupt");
out:
    if (a)
        archive_read_free(a);
    free(where);
    return rc;
}

static int extract(const struct deb_ctx *c, struct tree *t, struct archive *a, const char *label,
                   struct deb_info *info, struct jeos_err *err)
{
    memset(info, 0, sizeof(*info));
    info->label = xstrdup(label);
    int rc = 0, r;
    bool have_binary = false, have_control = false, have_data = false;
    struct archive_entry *e;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *n = archive_entry_pathname(e);
        if (!n)
            n = "";
        unsigned char *buf;
        size_t len;
        if (read_all(a, &buf, &len, DEB_MAX_MEMBER) < 0)
            return jeos_errf(err, -EINVAL, "%s: %s: cannot read: %s", label, n,
                             archive_error_string(a) ? archive_error_string(a) : "too big");
        if (strcmp(n, "debian-binary") == 0) {
            if (len < 4 || memcmp(buf, "2.", 2) != 0)
                rc =
                    jeos_errf(err, -EINVAL, "%s: debian-binary: unsupported format version", label);
            have_binary = true;
        } else if (strncmp(n, "control.tar", 11) == 0) {
            if (!have_binary)
                rc = jeos_errf(err, -EINVAL, "%s: %s before debian-binary", label, n);
            else
                rc = read_control(label, n, buf, len, info, err);
            have_control = true;
        } else if (strncmp(n, "data.tar", 8) == 0) {
            if (!have_control)
                rc = jeos_errf(err, -EINVAL, "%s: %s before control.tar", label, n);
            else if (have_data)
                rc = jeos_errf(err, -EINVAL, "%s: a second data member %s", label, n);
            else {
                info->data_member = xstrdup(n);
                rc = read_data(c, t, n, buf, len, info, err);
            }
            have_data = true;
        }
        free(buf);
        if (rc < 0)
            return rc;
    }
    if (r != ARCHIVE_EOF)
        return jeos_errf(err, -EINVAL, "%s: %s", label,
                         archive_error_string(a) ? archive_error_string(a) : "not an ar archive");
    if (!have_binary || !have_control || !have_data)
        return jeos_errf(err, -EINVAL, "%s: not a Debian package (missing %s)", label,
                         !have_binary    ? "debian-binary"
                         : !have_control ? "control.tar"
                                         : "data.tar");
    return 0;
}

static struct archive *outer_new(void)
{
    struct archive *a = archive_read_new();
    archive_read_support_format_ar(a);
    return a;
}

int deb_extract_file(struct tree *t, const char *path, const struct deb_info *installed,
                     size_t ninstalled, struct deb_info *info, struct jeos_err *err)
{
    struct deb_ctx c = {installed, ninstalled};
    struct archive *a = outer_new();
    int rc;
    if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
        memset(info, 0, sizeof(*info));
        rc = jeos_errf(err, -EINVAL, "%s: %s", path,
                       archive_error_string(a) ? archive_error_string(a) : "cannot open");
    } else {
        rc = extract(&c, t, a, path, info, err);
    }
    archive_read_free(a);
    return rc;
}

int deb_extract_buffer(struct tree *t, const char *label, const void *buf, size_t len,
                       const struct deb_info *installed, size_t ninstalled, struct deb_info *info,
                       struct jeos_err *err)
{
    struct deb_ctx c = {installed, ninstalled};
    struct archive *a = outer_new();
    int rc;
    if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK) {
        memset(info, 0, sizeof(*info));
        rc = jeos_errf(err, -EINVAL, "%s: %s", label,
                       archive_error_string(a) ? archive_error_string(a) : "not an ar archive");
    } else {
        rc = extract(&c, t, a, label, info, err);
    }
    archive_read_free(a);
    return rc;
}
