/* trim.h — removing what an appliance does not need (docs, man pages, locales...) by glob rules. */
#ifndef JEOS_TRIM_H
#define JEOS_TRIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "builder/core/tree.h"

/* One exclude rule and what it removed. */
struct trim_rule {
    char *glob; /* fnmatch(3) pattern on the absolute path; '*' also matches '/' */
    bool is_default;
    size_t files;   /* entries removed (folders' contents included) */
    uint64_t bytes; /* regular-file bytes removed */
};

struct trim_rules {
    struct trim_rule *v;
    size_t n;
    char **keep_locales; /* locale names kept under /usr/share/locale ("de", "pt_BR") */
    size_t nkeep;
};

/*
 * Adds the default rules: everything under /usr/share/{doc,man,info,locale,lintian,
 * bug,linda,doc-base,bash-completion,zsh,menu} (the locale rule spares kept locales).
 */
void trim_rules_defaults(struct trim_rules *r);
void trim_rules_add(struct trim_rules *r, const char *glob, bool is_default);
/* Keeps /usr/share/locale/NAME (and NAME's language, "pt" for "pt_BR.UTF-8"). */
void trim_rules_keep_locale(struct trim_rules *r, const char *locale);
void trim_rules_free(struct trim_rules *r);

/*
 * Removes every entry whose absolute path matches a rule (the first matching
 * rule, in order, is credited), with everything under it. The root and
 * folders that are parents of kept entries are never removed by the
 * locale rule's exception. Counts go into each rule.
 */
void trim_apply(struct tree *t, struct trim_rules *r);

#endif
