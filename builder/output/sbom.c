/* sbom.c — the SPDX 2.3 JSON document of an image, written with json-c, and read back (see
 * sbom.h). */
#include "builder/output/sbom.h"

#include <errno.h>
#include <json-c/json.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builder/core/alloc.h"
#include "builder/core/cache.h"
#include "builder/core/err.h"

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

size_t jeos_sbom_add_pkg(struct jeos_sbom *s, const struct jeos_sbom_pkg *p)
{
    s->pkgs = xrealloc(s->pkgs, (s->npkgs + 1) * sizeof(*s->pkgs));
    struct jeos_sbom_pkg *q = &s->pkgs[s->npkgs];
    *q = *p;
    char **strs[] = {&q->name,    &q->version,      &q->arch,   &q->supplier, &q->download,
                     &q->sha256,  &q->license,      &q->source, &q->homepage, &q->purl,
                     &q->comment, &q->license_note, &q->why};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        *strs[i] = dup_or_null(*strs[i]);
    return s->npkgs++;
}

void jeos_sbom_add_file(struct jeos_sbom *s, const char *path, const void *data, size_t len,
                        const char *comment)
{
    s->files = xrealloc(s->files, (s->nfiles + 1) * sizeof(*s->files));
    struct jeos_sbom_file *f = &s->files[s->nfiles++];
    memset(f, 0, sizeof(*f));
    f->path = xstrdup(path);
    f->comment = dup_or_null(comment);
    cache_sha256_hex(data, len, f->sha256);
    unsigned char d[SHA_DIGEST_LENGTH];
    SHA1(data, len, d);
    for (size_t i = 0; i < sizeof(d); i++)
        snprintf(f->sha1 + 2 * i, 3, "%02x", d[i]);
}

void jeos_sbom_add_license(struct jeos_sbom *s, const char *id, const char *name, const char *text)
{
    for (size_t i = 0; i < s->nlicenses; i++)
        if (strcmp(s->licenses[i].id, id) == 0)
            return;
    s->licenses = xrealloc(s->licenses, (s->nlicenses + 1) * sizeof(*s->licenses));
    s->licenses[s->nlicenses++] = (struct jeos_sbom_license){
        .id = xstrdup(id), .name = xstrdup(name), .text = dup_or_null(text)};
}

void jeos_sbom_free(struct jeos_sbom *s)
{
    for (size_t i = 0; i < s->npkgs; i++) {
        struct jeos_sbom_pkg *q = &s->pkgs[i];
        free(q->name), free(q->version), free(q->arch), free(q->supplier), free(q->download);
        free(q->sha256), free(q->license), free(q->source), free(q->homepage), free(q->purl);
        free(q->comment), free(q->license_note), free(q->why);
    }
    for (size_t i = 0; i < s->nfiles; i++)
        free(s->files[i].path), free(s->files[i].comment);
    for (size_t i = 0; i < s->nlicenses; i++)
        free(s->licenses[i].id), free(s->licenses[i].name), free(s->licenses[i].text);
    free(s->pkgs), free(s->files), free(s->licenses);
    free(s->name), free(s->version), free(s->kind), free(s->description);
    memset(s, 0, sizeof(*s));
}

/* ---- writing ---- */

/* "Name <mail>" as an SPDX supplier: a team is an Organization, anyone else a Person. */
char *jeos_sbom_supplier(const char *m)
{
    if (!m || !*m)
        return NULL;
    const char *lt = strchr(m, '<'), *gt = lt ? strchr(lt, '>') : NULL;
    size_t nl = lt ? (size_t)(lt - m) : strlen(m);
    while (nl && m[nl - 1] == ' ')
        nl--;
    char *name = xstrndup(m, nl);
    static const char *const team[] = {"Team", "Maintainers", "Developers", "Group",  "Project",
                                       "team", "maintainers", "developers", "Debian "};
    bool org = false;
    for (size_t i = 0; i < sizeof(team) / sizeof(team[0]); i++)
        org |= strstr(name, team[i]) != NULL;
    char *s = gt ? xasprintf("%s: %s (%.*s)", org ? "Organization" : "Person", name,
                             (int)(gt - lt - 1), lt + 1)
                 : xasprintf("%s: %s", org ? "Organization" : "Person", name);
    free(name);
    return s;
}

static void put(json_object *o, const char *key, const char *val)
{
    json_object_object_add(o, key, json_object_new_string(val ? val : "NOASSERTION"));
}

/* SPDXRef-Package-N-NAME: SPDX ids take [A-Za-z0-9.-]; N keeps them distinct. */
static char *pkg_id(const struct jeos_sbom *s, size_t i)
{
    struct sbuf b = {0};
    sbuf_printf(&b, "SPDXRef-Package-%zu-", i + 1);
    for (const char *p = s->pkgs[i].name; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-';
        sbuf_add(&b, ok ? p : "-", 1);
    }
    return sbuf_take(&b);
}

static json_object *checksum(const char *alg, const char *hex)
{
    json_object *c = json_object_new_object();
    put(c, "algorithm", alg);
    put(c, "checksumValue", hex);
    return c;
}

static void relate(json_object *rels, const char *a, const char *type, const char *b,
                   const char *comment)
{
    json_object *r = json_object_new_object();
    put(r, "spdxElementId", a);
    put(r, "relationshipType", type);
    put(r, "relatedSpdxElement", b);
    if (comment)
        put(r, "comment", comment);
    json_object_array_add(rels, r);
}

static json_object *image_package(const struct jeos_sbom *s)
{
    json_object *p = json_object_new_object();
    put(p, "SPDXID", "SPDXRef-Image");
    put(p, "name", s->name);
    put(p, "versionInfo", s->version);
    put(p, "primaryPackagePurpose",
        strcmp(s->kind, "unikernel") == 0 ? "APPLICATION" : "OPERATING_SYSTEM");
    put(p, "downloadLocation", NULL);
    json_object_object_add(p, "filesAnalyzed", json_object_new_boolean(0));
    put(p, "licenseConcluded", NULL);
    put(p, "licenseDeclared", NULL);
    put(p, "copyrightText", NULL);
    put(p, "supplier", NULL);
    char *c = xasprintf("a jeos %s image built from its recipe", s->kind);
    put(p, "comment", c);
    free(c);
    if (s->description)
        put(p, "description", s->description);
    return p;
}

static json_object *package(const struct jeos_sbom *s, size_t i)
{
    const struct jeos_sbom_pkg *q = &s->pkgs[i];
    json_object *p = json_object_new_object();
    char *id = pkg_id(s, i);
    put(p, "SPDXID", id);
    free(id);
    put(p, "name", q->name);
    put(p, "versionInfo", q->version);
    put(p, "supplier", q->supplier);
    put(p, "downloadLocation", q->download);
    json_object_object_add(p, "filesAnalyzed", json_object_new_boolean(0));
    if (q->sha256) {
        json_object *cs = json_object_new_array();
        json_object_array_add(cs, checksum("SHA256", q->sha256));
        json_object_object_add(p, "checksums", cs);
    }
    if (q->homepage)
        put(p, "homepage", q->homepage);
    if (q->source)
        put(p, "sourceInfo", q->source);
    put(p, "licenseConcluded", NULL);
    put(p, "licenseDeclared", q->license);
    if (q->license_note)
        put(p, "licenseComments", q->license_note);
    put(p, "copyrightText", NULL);
    if (q->purl) {
        json_object *refs = json_object_new_array(), *r = json_object_new_object();
        put(r, "referenceCategory", "PACKAGE-MANAGER");
        put(r, "referenceType", "purl");
        put(r, "referenceLocator", q->purl);
        json_object_array_add(refs, r);
        json_object_object_add(p, "externalRefs", refs);
    }
    if (q->arch || q->comment) {
        char *c = xasprintf("%s%s%s%s", q->arch ? "architecture " : "", q->arch ? q->arch : "",
                            q->arch && q->comment ? "; " : "", q->comment ? q->comment : "");
        put(p, "comment", c);
        free(c);
    }
    return p;
}

static json_object *document(const struct jeos_sbom *s)
{
    json_object *d = json_object_new_object();
    put(d, "spdxVersion", "SPDX-2.3");
    put(d, "dataLicense", "CC0-1.0");
    put(d, "SPDXID", "SPDXRef-DOCUMENT");
    char *name = xasprintf("%s %s (jeos %s)", s->name, s->version, s->kind);
    put(d, "name", name);
    free(name);
    put(d, "documentNamespace", "");
    json_object *ci = json_object_new_object(), *creators = json_object_new_array();
    char when[32];
    time_t t = (time_t)s->created;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    put(ci, "created", when);
    json_object_array_add(creators, json_object_new_string("Tool: jeos-" JEOS_VERSION));
    json_object_object_add(ci, "creators", creators);
    json_object_object_add(d, "creationInfo", ci);
    json_object *desc = json_object_new_array();
    json_object_array_add(desc, json_object_new_string("SPDXRef-Image"));
    json_object_object_add(d, "documentDescribes", desc);

    json_object *pkgs = json_object_new_array(), *rels = json_object_new_array();
    json_object_array_add(pkgs, image_package(s));
    relate(rels, "SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image", NULL);
    for (size_t i = 0; i < s->npkgs; i++) {
        json_object_array_add(pkgs, package(s, i));
        char *id = pkg_id(s, i);
        if (s->pkgs[i].in_image)
            relate(rels, "SPDXRef-Image", "CONTAINS", id, NULL);
        int par = s->pkgs[i].parent;
        char *pid = par >= 0 && (size_t)par < s->npkgs ? pkg_id(s, (size_t)par) : NULL;
        relate(rels, pid ? pid : "SPDXRef-Image", "DEPENDS_ON", id, s->pkgs[i].why);
        free(pid);
        free(id);
    }
    json_object_object_add(d, "packages", pkgs);
    if (s->nfiles) {
        json_object *files = json_object_new_array();
        for (size_t i = 0; i < s->nfiles; i++) {
            const struct jeos_sbom_file *f = &s->files[i];
            json_object *o = json_object_new_object();
            char *id = xasprintf("SPDXRef-File-%zu", i + 1);
            char *fn = xasprintf(".%s", f->path); /* SPDX: relative to the package's root */
            put(o, "SPDXID", id);
            put(o, "fileName", fn);
            json_object *cs = json_object_new_array();
            json_object_array_add(cs, checksum("SHA1", f->sha1));
            json_object_array_add(cs, checksum("SHA256", f->sha256));
            json_object_object_add(o, "checksums", cs);
            put(o, "licenseConcluded", NULL);
            put(o, "copyrightText", NULL);
            if (f->comment)
                put(o, "comment", f->comment);
            json_object_array_add(files, o);
            relate(rels, "SPDXRef-Image", "CONTAINS", id, NULL);
            free(id), free(fn);
        }
        json_object_object_add(d, "files", files);
    }
    if (s->nlicenses) {
        json_object *lic = json_object_new_array();
        for (size_t i = 0; i < s->nlicenses; i++) {
            const struct jeos_sbom_license *l = &s->licenses[i];
            json_object *o = json_object_new_object();
            put(o, "licenseId", l->id);
            put(o, "name", l->name);
            char *none = xasprintf("The copyright files name this license \"%s\" without giving "
                                   "its text.",
                                   l->name);
            put(o, "extractedText", l->text ? l->text : none);
            free(none);
            put(o, "comment",
                "a license name from Debian copyright files that has no SPDX "
                "identifier of the same meaning");
            json_object_array_add(lic, o);
        }
        json_object_object_add(d, "hasExtractedLicensingInfos", lic);
    }
    json_object_object_add(d, "relationships", rels);
    return d;
}

#define JSON_FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)

void jeos_sbom_json(const struct jeos_sbom *s, struct sbuf *out)
{
    json_object *d = document(s);
    /* The namespace is derived from everything else: the same document, the same name. */
    char hex[65];
    const char *text = json_object_to_json_string_ext(d, JSON_FLAGS);
    cache_sha256_hex(text, strlen(text), hex);
    char *ns = xasprintf("https://spdx.org/spdxdocs/jeos-%s-%s-%.8s-%.4s-%.4s-%.4s-%.12s", s->name,
                         s->version, hex, hex + 8, hex + 12, hex + 16, hex + 20);
    put(d, "documentNamespace", ns);
    free(ns);
    sbuf_puts(out, json_object_to_json_string_ext(d, JSON_FLAGS));
    sbuf_puts(out, "\n");
    json_object_put(d);
}

/* ---- reading ---- */

static const char *get_str(json_object *o, const char *key)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static json_object *get_array(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
        return NULL;
    return v;
}

int jeos_sbom_read(const char *text, size_t len, const char *what, struct jeos_sbom_summary *out,
                   struct jeos_err *err)
{
    memset(out, 0, sizeof(*out));
    if (len > (size_t)INT32_MAX)
        return jeos_errf(err, -EFBIG, "%s: too big for an SBOM (%zu bytes)", what, len);
    json_tokener *tok = json_tokener_new_ex(64);
    json_object *d = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error je = json_tokener_get_error(tok);
    size_t at = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!d || je != json_tokener_success) {
        json_object_put(d);
        return jeos_errf(
            err, -EBADMSG, "%s: not JSON (%s at byte %zu)", what,
            je == json_tokener_continue ? "it ends early" : json_tokener_error_desc(je), at);
    }
    const char *ver = get_str(d, "spdxVersion");
    json_object *pkgs = json_object_is_type(d, json_type_object) ? get_array(d, "packages") : NULL;
    if (!ver || strncmp(ver, "SPDX-2.", 7) != 0 || !pkgs) {
        int rc = jeos_errf(err, -EBADMSG, "%s: not an SPDX 2.x document (%s)", what,
                           !ver    ? "no spdxVersion"
                           : !pkgs ? "no packages array"
                                   : ver);
        json_object_put(d); /* after the message: ver is d's */
        return rc;
    }
    /* which packages the image CONTAINS */
    json_object *rels = get_array(d, "relationships");
    size_t nrel = rels ? json_object_array_length(rels) : 0;
    size_t n = json_object_array_length(pkgs);
    out->pkgs = xcalloc(n + 1, sizeof(*out->pkgs));
    for (size_t i = 0; i < n; i++) {
        json_object *p = json_object_array_get_idx(pkgs, i);
        const char *id = get_str(p, "SPDXID"), *name = get_str(p, "name");
        if (!id || !name)
            continue;
        if (strcmp(id, "SPDXRef-Image") == 0) {
            out->name = xstrdup(name);
            out->version = dup_or_null(get_str(p, "versionInfo"));
            continue;
        }
        struct jeos_sbom_entry *e = &out->pkgs[out->npkgs++];
        e->name = xstrdup(name);
        e->version = dup_or_null(get_str(p, "versionInfo"));
        e->license = dup_or_null(get_str(p, "licenseDeclared"));
        const char *c = get_str(p, "comment");
        if (c && strncmp(c, "architecture ", 13) == 0)
            e->arch = xstrndup(c + 13, strcspn(c + 13, ";"));
        for (size_t k = 0; k < nrel && !e->in_image; k++) {
            json_object *r = json_object_array_get_idx(rels, k);
            const char *a = get_str(r, "spdxElementId"), *t = get_str(r, "relationshipType"),
                       *b = get_str(r, "relatedSpdxElement");
            e->in_image = a && t && b && strcmp(t, "CONTAINS") == 0 && strcmp(b, id) == 0;
        }
    }
    json_object *files = get_array(d, "files");
    out->nfiles = files ? json_object_array_length(files) : 0;
    json_object *ci;
    if (json_object_object_get_ex(d, "creationInfo", &ci))
        out->created = dup_or_null(get_str(ci, "created"));
    const char *dn = get_str(d, "name");
    if (dn && strstr(dn, "(jeos "))
        out->kind = xstrndup(strstr(dn, "(jeos ") + 6, strcspn(strstr(dn, "(jeos ") + 6, ")"));
    json_object_put(d);
    return 0;
}

void jeos_sbom_summary_free(struct jeos_sbom_summary *s)
{
    for (size_t i = 0; i < s->npkgs; i++)
        free(s->pkgs[i].name), free(s->pkgs[i].version), free(s->pkgs[i].arch),
            free(s->pkgs[i].license);
    free(s->pkgs), free(s->name), free(s->version), free(s->kind), free(s->created);
    memset(s, 0, sizeof(*s));
}
