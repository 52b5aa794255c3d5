/* trim.c — exclude rules applied to the tree, with per-rule counts of files and bytes removed. */
#include "builder/appliance/trim.h"
#include "builder/core/alloc.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#define LOCALE_RULE "/usr/share/locale/*"

void trim_rules_add(struct trim_rules *r, const char *glob, bool is_default)
{
    r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
    memset(&r->v[r->n], 0, sizeof(r->v[r->n]));
    r->v[r->n].glob = xstrdup(glob);
    r->v[r->n].is_default = is_default;
    r->n++;
}

void trim_rules_defaults(struct trim_rules *r)
{
    static const char *const defs[] = {
        "/usr/share/doc/*",   "/usr/share/man/*",      "/usr/share/info/*",
        LOCALE_RULE,          "/usr/share/lintian/*",  "/usr/share/bug/*",
        "/usr/share/linda/*", "/usr/share/doc-base/*", "/usr/share/bash-completion/*",
        "/usr/share/zsh/*",   "/usr/share/menu/*",
    };
    for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
        trim_rules_add(r, defs[i], true);
}

void trim_rules_keep_locale(struct trim_rules *r, const char *locale)
{
    size_t len = strcspn(locale, ".@");
    char *full = xstrndup(locale, len);
    r->keep_locales = xrealloc(r->keep_locales, (r->nkeep + 2) * sizeof(char *));
    r->keep_locales[r->nkeep++] = full;
    size_t lang = strcspn(full, "_");
    if (lang < len)
        r->keep_locales[r->nkeep++] = xstrndup(full, lang);
}

void trim_rules_free(struct trim_rules *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].glob);
    free(r->v);
    for (size_t i = 0; i < r->nkeep; i++)
        free(r->keep_locales[i]);
    free(r->keep_locales);
    memset(r, 0, sizeof(*r));
}

static bool locale_kept(const struct trim_rules *r, const char *path)
{
    const char *p = path + strlen(LOCALE_RULE) - 1; /* after "/usr/share/locale/" */
    size_t len = strcspn(p, "/");
    for (size_t i = 0; i < r->nkeep; i++)
        if (strlen(r->keep_locales[i]) == len && strncmp(r->keep_locales[i], p, len) == 0)
            return true;
    return false;
}

static void count(const struct tree_node *n, struct trim_rule *rule)
{
    rule->files++;
    if (n->ino->type == TREE_FILE)
        rule->bytes += n->ino->size;
    for (size_t i = 0; i < n->nkids; i++)
        count(n->kids[i], rule);
}

static void trim_dir(struct tree *t, struct tree_node *dir, struct sbuf *path, struct trim_rules *r)
{
    size_t keep = path->len;
    for (size_t i = 0; i < dir->nkids;) {
        struct tree_node *n = dir->kids[i];
        sbuf_add(path, "/", 1);
        sbuf_puts(path, n->name);
        struct trim_rule *hit = NULL;
        for (size_t k = 0; k < r->n && !hit; k++) {
            if (fnmatch(r->v[k].glob, path->s, 0) != 0)
                continue;
            if (strcmp(r->v[k].glob, LOCALE_RULE) == 0 && locale_kept(r, path->s))
                continue;
            hit = &r->v[k];
        }
        if (hit) {
            count(n, hit);
            tree_remove(t, n);
        } else {
            if (n->ino->type == TREE_DIR)
                trim_dir(t, n, path, r);
            i++;
        }
        path->len = keep;
        path->s[keep] = '\0';
    }
}

void trim_apply(struct tree *t, struct trim_rules *r)
{
    struct sbuf path = {0};
    sbuf_add(&path, "", 0);
    trim_dir(t, t->root, &path, r);
    sbuf_free(&path);
}
