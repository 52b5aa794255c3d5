/*
 * runtime/libc/vol.h — what fs.c calls of the volumes (runtime/ext4: ext4 filesystems on block
 * devices, mounted at the recipe's `mount:` paths). Weak: NULL when uk-ext4.o is not linked (a
 * recipe without volumes). Paths are what is left of an absolute path below the mount point
 * ("" for the volume's root, else "a/b"); results are 0 or a negative errno.
 */
#ifndef RT_VOL_H
#define RT_VOL_H

#include <stdint.h>

#define RT_WEAK __attribute__((weak))

struct rt_vol;   /* one mounted volume */
struct rt_vfile; /* an open file or folder of one (shared by every description of the inode) */

/* What stat reports of a volume's inode. */
struct rt_vstat {
    uint64_t dev, ino, nlink, size, blocks;
    uint32_t mode, uid, gid;
    int64_t atime, mtime, ctime;           /* seconds */
    uint32_t atime_ns, mtime_ns, ctime_ns; /* and nanoseconds (0 on 128-byte inodes) */
};

/* A time set on a volume's inode. */
struct rt_vtime {
    int64_t sec;
    uint32_t nsec;
};

/* Mounts the recipe's volumes (uk_app_volumes: name, mount pairs) found by serial; called once
 * at start-up after rt_fs_init. A volume that is missing, not ext4 or damaged is reported on
 * the console and left unmounted (its mount point stays an empty tmpfs folder). */
RT_WEAK void rt_vol_mount_all(void);
/* Writes everything back and marks each volume clean (the guest's exit). */
RT_WEAK void rt_vol_unmount_all(void);
/* The volume abs (absolute, normalised) is on, and *rest the part below its mount; or NULL. */
RT_WEAK struct rt_vol *rt_vol_of(const char *abs, const char **rest);

RT_WEAK long rt_vol_open(struct rt_vol *v, const char *rest, int flags, int mode,
                         struct rt_vfile **out);
RT_WEAK void rt_vol_close(struct rt_vfile *vf);
RT_WEAK int rt_vol_is_dir(const struct rt_vfile *vf);
RT_WEAK long rt_vol_read(struct rt_vfile *vf, void *buf, uint64_t n, uint64_t off);
RT_WEAK long rt_vol_write(struct rt_vfile *vf, const void *buf, uint64_t n, uint64_t off);
RT_WEAK uint64_t rt_vol_size(struct rt_vfile *vf);
RT_WEAK long rt_vol_ftruncate(struct rt_vfile *vf, uint64_t len);
/* fsync: the file's data and inode, the filesystem's tables, then the device's cache. */
RT_WEAK long rt_vol_fsync(struct rt_vfile *vf);
RT_WEAK long rt_vol_fstat(struct rt_vfile *vf, struct rt_vstat *st);
/* getdents64 from entry *pos on (counting from 0), advancing it. */
RT_WEAK long rt_vol_getdents(struct rt_vfile *vf, void *buf, uint64_t n, uint64_t *pos);

RT_WEAK long rt_vol_stat(struct rt_vol *v, const char *rest, int follow, struct rt_vstat *st);
RT_WEAK long rt_vol_mkdir(struct rt_vol *v, const char *rest, int mode);
RT_WEAK long rt_vol_unlink(struct rt_vol *v, const char *rest, int dir);
/* rename within one volume (EXDEV across): an existing target replaced in one directory-block
 * write; noreplace: EEXIST instead. */
RT_WEAK long rt_vol_rename(struct rt_vol *v, const char *a, const char *b, int noreplace);
/* symlink: a new link holding target (shorter than a block); readlink: up to n bytes of one
 * (EINVAL: not a link); link: a new name `rest` for the inode `old` names (following a final
 * link when follow; EPERM for a folder). */
RT_WEAK long rt_vol_symlink(struct rt_vol *v, const char *rest, const char *target);
RT_WEAK long rt_vol_readlink(struct rt_vol *v, const char *rest, char *buf, uint64_t n);
RT_WEAK long rt_vol_link(struct rt_vol *v, const char *old, int follow, const char *rest);
RT_WEAK long rt_vol_truncate(struct rt_vol *v, const char *rest, uint64_t len);
/* chmod (mode >= 0), chown (uid/gid != -1), times (non-NULL; nanoseconds kept where the inode has
 * room) of a path or an open file. */
RT_WEAK long rt_vol_setattr(struct rt_vol *v, const char *rest, struct rt_vfile *vf, int mode,
                            int uid, int gid, const struct rt_vtime *atime,
                            const struct rt_vtime *mtime);
RT_WEAK long rt_vol_statfs(struct rt_vol *v, void *statfs);

#endif
