// SPDX-License-Identifier: GPL-2.0
/*
 * The debugfs windows on the module: /sys/kernel/debug/shmpool/.
 *
 * Everything here only reads state that other files own; nothing in the
 * logic calls into this file.  Return values of debugfs calls are ignored on
 * purpose, as debugfs asks: a missing window must never stop the module.
 */
#include <linux/debugfs.h>

#include "internal.h"

struct dentry *shmpool_debugfs_root;

void shmpool_debugfs_init(void)
{
	shmpool_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
}

void shmpool_debugfs_exit(void)
{
	debugfs_remove(shmpool_debugfs_root);
	shmpool_debugfs_root = NULL;
}
