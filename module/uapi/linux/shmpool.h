/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * shmpool: a page-frame pool and shared-memory device.
 *
 * This is the one interface header shared by the kernel module, the
 * shmpoolctl tool, the selftests and user programs.  Programs include it as
 * <linux/shmpool.h>.
 *
 * Conventions, as in the kernel's own uapi headers: fixed-width types only,
 * explicit padding that must be zero, no pointers or longs, and every flags
 * field rejects bits it does not know with -EINVAL so that new flags can be
 * added without old kernels silently ignoring them.
 *
 * Errors common to every ioctl on /dev/shmpool:
 *
 *  -ENOTTY  the command number is not one of those below (an unknown ioctl).
 *  -EFAULT  the argument pointer is not readable/writable user memory.
 *  -EINVAL  a reserved or padding field is not zero, or a flags field has a
 *           bit that is not defined here.
 */
#ifndef _UAPI_LINUX_SHMPOOL_H
#define _UAPI_LINUX_SHMPOOL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * 0xB9 is free in Documentation/userspace-api/ioctl/ioctl-number.rst; the
 * command numbers below are ours alone.
 */
#define SHMPOOL_IOC_MAGIC	0xB9

/* Version of this interface; bumped when a command or field is added. */
#define SHMPOOL_ABI_VERSION	1

/**
 * struct shmpool_version - what SHMPOOL_IOC_VERSION reports
 * @abi: SHMPOOL_ABI_VERSION of the loaded module
 * @page_size: the size of one pool frame in bytes
 * @max_order: the largest buddy order the pool allocates
 * @__reserved: zero
 *
 * Lets a program check it talks to a module it understands before it
 * relies on anything else.
 */
struct shmpool_version {
	__u32 abi;
	__u32 page_size;
	__u32 max_order;
	__u32 __reserved;
};

/*
 * SHMPOOL_IOC_VERSION - report the interface version.
 * Errors: only the common ones above.
 */
#define SHMPOOL_IOC_VERSION	_IOR(SHMPOOL_IOC_MAGIC, 0x00, struct shmpool_version)

#endif /* _UAPI_LINUX_SHMPOOL_H */
