/* formats_all_test.c — jeos_formats_write: every requested format next to the raw disk, or a clear
 * refusal. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/util.h"
#include "images/format.h"
#include "tests/harness.h"

static char *tmp;

static void all_requested(void)
{
    if (access("/usr/bin/qemu-img", X_OK) != 0) {
        T_SKIP("qemu-img not installed");
        return;
    }
    struct jeos_ctx ctx;
    struct jeos_err err = {0};
    jeos_ctx_init(&ctx, &err);
    char *raw = xasprintf("%s/app.raw", tmp);
    char *buf = xcalloc(1, 2 << 20);
    memcpy(buf + 4096, "payload", 7);
    T_EQ_INT(jeos_write_file_atomic(raw, buf, 2 << 20, 0644, &err), 0);
    free(buf);
    const char *names[] = {"raw", "qcow2", "gce"};
    struct jeos_format_opts o = {.name = "app"};
    T_EQ_INT(jeos_formats_write(&ctx, raw, tmp, "app", names, 3, &o, &err), 0);
    if (err.n)
        T_FAILF("%s", err.msgs[0]);
    const char *want[] = {"app.raw", "app.qcow2", "app.tar.gz"};
    for (int i = 0; i < 3; i++) {
        char *p = xasprintf("%s/%s", tmp, want[i]);
        struct stat st;
        if (stat(p, &st) != 0 || st.st_size == 0)
            T_FAILF("%s missing", p);
        free(p);
    }
    /* an unknown name is refused before anything is written */
    const char *bad[] = {"vdi", "qcow2"};
    T_EQ_INT(jeos_formats_write(&ctx, raw, tmp, "other", bad, 2, &o, &err), -EINVAL);
    char msg[300];
    snprintf(msg, sizeof(msg),
             "%s: unknown image format \"vdi\" (expected one of: elf, raw, qcow2, vmdk, vhd, ova, "
             "gce, oci, xen, openstack)",
             raw);
    T_EQ_STR(err.n ? err.msgs[0] : NULL, msg);
    char *other = xasprintf("%s/other.qcow2", tmp);
    T_CHECK(access(other, F_OK) != 0);
    free(other);
    free(raw);
    jeos_err_free(&err);
    jeos_ctx_free(&ctx);
}

/* With vmdk and ova both asked for, the OVA reuses the VMDK: its bytes are those of an OVA
   converted on its own. */
static void ova_reuses_vmdk(void)
{
    if (access("/usr/bin/qemu-img", X_OK) != 0) {
        T_SKIP("qemu-img not installed");
        return;
    }
    struct jeos_ctx ctx;
    struct jeos_err err = {0};
    jeos_ctx_init(&ctx, &err);
    char *raw = xasprintf("%s/reuse.raw", tmp);
    char *buf = xcalloc(1, 3 << 20);
    for (int i = 0; i < (1 << 20); i++)
        buf[(1 << 20) + i] = (char)(i * 7 + i / 4096);
    T_EQ_INT(jeos_write_file_atomic(raw, buf, 3 << 20, 0644, &err), 0);
    free(buf);
    struct jeos_format_opts o = {.name = "app"};
    const char *both[] = {"ova", "vmdk"}, *alone[] = {"ova"};
    T_EQ_INT(jeos_formats_write(&ctx, raw, tmp, "both", both, 2, &o, &err), 0);
    T_EQ_INT(jeos_formats_write(&ctx, raw, tmp, "alone", alone, 1, &o, &err), 0);
    if (err.n)
        T_FAILF("%s", err.msgs[0]);
    char *a = NULL, *b = NULL, *v = NULL;
    size_t alen = 0, blen = 0, vlen = 0;
    char *pa = xasprintf("%s/both.ova", tmp), *pb = xasprintf("%s/alone.ova", tmp);
    char *pv = xasprintf("%s/both.vmdk", tmp);
    T_EQ_INT(jeos_read_file(pa, &a, &alen, &err), 0);
    T_EQ_INT(jeos_read_file(pb, &b, &blen, &err), 0);
    T_EQ_INT(jeos_read_file(pv, &v, &vlen, &err), 0);
    T_CHECK(alen > 0 && alen == blen && memcmp(a, b, alen) == 0);
    /* the VMDK on its own names itself as its extent; inside the OVA it is app-disk1.vmdk */
    T_CHECK(v && memmem(v, vlen, "SPARSE \"both.vmdk\"", 18) != NULL);
    T_CHECK(a && memmem(a, alen, "SPARSE \"app-disk1.vmdk\"", 23) != NULL);
    free(a), free(b), free(v), free(pa), free(pb), free(pv), free(raw);
    jeos_err_free(&err);
    jeos_ctx_free(&ctx);
}

int main(void)
{
    const char *t = getenv("T_TMP");
    tmp = xstrdup(t && *t ? t : "/tmp");
    T_RUN(all_requested);
    T_RUN(ova_reuses_vmdk);
    free(tmp);
    return T_DONE();
}
