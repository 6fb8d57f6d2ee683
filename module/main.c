// SPDX-License-Identifier: GPL-2.0
/*
 * shmpool: a small, observable memory manager.
 *
 * This file only orders initialisation and teardown and holds the module
 * parameters; every concern lives in a file of its own (see
 * Documentation/design.rst).  Teardown runs in exactly the reverse order of
 * setup so that nothing is used after the layer beneath it is gone.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sysfs.h>

#include "internal.h"

/*
 * Mode of the device node.  0660 lets root and a group chosen by a udev rule
 * create segments; other users need the administrator's consent.  Read-only
 * once loaded: the node is created with it.  Shown and parsed in octal, the
 * way people write modes.
 */
static ushort dev_mode = 0660;

static int dev_mode_set(const char *val, const struct kernel_param *kp)
{
	u16 mode;
	int ret = kstrtou16(val, 0, &mode);

	if (ret)
		return ret;
	if (mode & ~0777)
		return -EINVAL;
	*(ushort *)kp->arg = mode;
	return 0;
}

static int dev_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%#o\n", *(ushort *)kp->arg);
}

static const struct kernel_param_ops dev_mode_ops = {
	.set = dev_mode_set,
	.get = dev_mode_get,
};
module_param_cb(dev_mode, &dev_mode_ops, &dev_mode, 0444);
MODULE_PARM_DESC(dev_mode, "Permission bits of /dev/shmpool, octal (default 0660)");

static int __init shmpool_init(void)
{
	int ret;

	/* Failing to create debugfs files is not fatal: they are windows. */
	shmpool_debugfs_init();

	ret = shmpool_device_init(dev_mode);
	if (ret)
		goto err_debugfs;

	pr_info("loaded\n");
	return 0;

err_debugfs:
	shmpool_debugfs_exit();
	return ret;
}

static void __exit shmpool_exit(void)
{
	shmpool_device_exit();
	shmpool_debugfs_exit();
	pr_info("unloaded\n");
}

module_init(shmpool_init);
module_exit(shmpool_exit);

MODULE_DESCRIPTION("Page-frame pool and shared-memory device with a visible memory map");
MODULE_AUTHOR("The shmpool developers");
MODULE_LICENSE("GPL");
