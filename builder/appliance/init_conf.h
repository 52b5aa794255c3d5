/* init_conf.h — the builder side of /etc/jeos/init.conf: written from a struct recipe for
 * runtime/init. */
#ifndef JEOS_INIT_CONF_H
#define JEOS_INIT_CONF_H

struct recipe;
struct sbuf;
struct jeos_err;

/* Where the file goes in the image. */
#define JEOS_INIT_CONF_PATH "/etc/jeos/init.conf"

/*
 * Appends init.conf for recipe `r` to `out` (format: runtime/init/README.md):
 * hostname, network (dhcp / static / none, dns), and the service (exec + args,
 * user, group, workdir, env: the recipe's env then service.env, restart policy).
 * The service's name is the base name of exec[0]. Returns 0, or -EINVAL with a
 * message naming the recipe field when a value cannot be written (a newline in
 * it, or a relative exec path).
 */
int jeos_init_conf_write(const struct recipe *r, struct sbuf *out, struct jeos_err *err);

#endif
