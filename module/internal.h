/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared between the files of the module.  Each block names the
 * file that owns it; lower layers never include anything of higher ones
 * (see Documentation/design.rst, "Layers").
 */
#ifndef _SHMPOOL_INTERNAL_H
#define _SHMPOOL_INTERNAL_H

#include <linux/dcache.h>
#include <linux/types.h>

/* debugfs.c: the read-only windows.  The root is NULL or an error pointer
 * when debugfs is unavailable; debugfs calls accept either, by design.
 */
extern struct dentry *shmpool_debugfs_root;
void shmpool_debugfs_init(void);
void shmpool_debugfs_exit(void);

/* debugfs.c: walks of a segment's mappings, for mappings and the auditor. */
struct shmpool_map_snap;
struct shmpool_map_walk;
struct shmpool_seg;
void shmpool_map_walk_start(struct shmpool_map_walk *w, struct shmpool_seg *seg);
unsigned int shmpool_map_walk_next(struct shmpool_map_walk *w,
				   struct shmpool_map_snap *snaps,
				   unsigned int max);
void shmpool_map_walk_end(struct shmpool_map_walk *w);

/* audit.c: the isolation auditor, a file in debugfs. */
void shmpool_audit_init(struct dentry *root);
void shmpool_audit_exit(void);

/* device.c: /dev/shmpool */
int shmpool_device_init(umode_t mode);
void shmpool_device_exit(void);

#endif /* _SHMPOOL_INTERNAL_H */
