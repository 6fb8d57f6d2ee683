// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/shmpool: the character device user programs talk to.
 *
 * The device file itself holds no state: every open file is independent, so
 * there is no per-open object yet and nothing to lock here.  ioctl dispatch
 * validates the command and hands the work to the layer that owns it.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include <linux/shmpool.h>

#include "internal.h"
#include "pool.h"

static long shmpool_ioctl_version(void __user *argp)
{
	struct shmpool_version ver = {
		.abi = SHMPOOL_ABI_VERSION,
		.page_size = PAGE_SIZE,
		.max_order = SHMPOOL_MAX_ORDER,
	};

	if (copy_to_user(argp, &ver, sizeof(ver)))
		return -EFAULT;
	return 0;
}

static long shmpool_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case SHMPOOL_IOC_VERSION:
		return shmpool_ioctl_version(argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations shmpool_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.unlocked_ioctl	= shmpool_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice shmpool_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= KBUILD_MODNAME,
	.fops	= &shmpool_dev_fops,
};

/**
 * shmpool_device_init() - create /dev/shmpool
 * @mode: permission bits of the node
 *
 * Context: process context, module load.
 * Return: 0, or the negative errno of misc_register().
 */
int shmpool_device_init(umode_t mode)
{
	shmpool_miscdev.mode = mode;
	return misc_register(&shmpool_miscdev);
}

/**
 * shmpool_device_exit() - remove /dev/shmpool
 *
 * Context: process context, module unload; no file can be open because each
 * open file holds a reference on the module through .owner.
 */
void shmpool_device_exit(void)
{
	misc_deregister(&shmpool_miscdev);
}
