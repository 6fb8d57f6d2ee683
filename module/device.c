// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/shmpool and segment fds: the files user programs talk to.
 */

/**
 * DOC: The device and segment fds
 *
 * The device file holds no state: it is the door through which segments
 * are created, opened by name, listed and unlinked.  Each segment fd is a
 * file of the segments' pseudo filesystem with a struct shmpool_seg_handle
 * (its own maximum protections) as private data.  Both ioctl dispatchers
 * copy and check the argument - reserved fields, flags, names - and hand
 * the work to the layer that owns it; neither takes a lock of its own.
 *
 * A new fd is reserved before the file is made and installed only when
 * nothing can fail any more, so a failed command leaves no fd behind.
 */
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <linux/shmpool.h>

#include "internal.h"
#include "pool.h"
#include "segment.h"
#include "trace.h"

static const struct file_operations shmpool_seg_fops;
static const struct file_operations shmpool_huge_seg_fops;

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

static bool zeroed(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/* The fd flags of a command: unknown bits in @flags beyond @known fail. */
static int fd_flags(u32 flags, u32 known)
{
	if (flags & ~(known | SHMPOOL_FD_NOCLOEXEC))
		return -EINVAL;
	return flags & SHMPOOL_FD_NOCLOEXEC ? 0 : O_CLOEXEC;
}

/*
 * Give @seg a new fd with @prot.  On success *@fdp is the reserved fd and
 * *@filep its file, to be fd_install()ed by the caller once its reply is
 * copied out (or put back with put_unused_fd() and fput()).
 */
static int seg_reserve_fd(struct shmpool_seg *seg, u32 prot, int oflags,
			  int *fdp, struct file **filep)
{
	struct file *file;
	int fd;

	fd = get_unused_fd_flags(oflags);
	if (fd < 0)
		return fd;
	file = shmpool_seg_new_file(seg, prot,
				    seg->flags & SHMPOOL_CREATE_HUGE ?
				    &shmpool_huge_seg_fops : &shmpool_seg_fops);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	*fdp = fd;
	*filep = file;
	return 0;
}

/* Copy the reply out, then publish the fd; undo the fd if the copy fails. */
static long seg_publish_fd(void __user *argp, const void *reply, size_t len,
			   int fd, struct file *file)
{
	if (copy_to_user(argp, reply, len)) {
		put_unused_fd(fd);
		fput(file);
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;
}

static long shmpool_ioctl_create(void __user *argp)
{
	struct shmpool_create args;
	struct shmpool_seg *seg;
	struct file *file;
	int ret, oflags;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (!zeroed(args.__reserved, sizeof(args.__reserved)))
		return -EINVAL;
	oflags = fd_flags(args.flags, SHMPOOL_CREATE_FLAGS);
	if (oflags < 0)
		return oflags;
	ret = shmpool_seg_name_check(args.name);
	if (ret)
		return ret;

	seg = shmpool_seg_create(&args);
	if (IS_ERR(seg))
		return PTR_ERR(seg);
	ret = seg_reserve_fd(seg, seg->prot, oflags, &args.fd, &file);
	if (!ret) {
		args.id = seg->id;
		ret = seg_publish_fd(argp, &args, sizeof(args), args.fd, file);
	}
	/* A create that fails leaves no segment, persistent or not. */
	if (ret)
		shmpool_seg_abort(seg);
	else
		shmpool_seg_put(seg);
	return ret;
}

static long shmpool_ioctl_open(void __user *argp)
{
	struct shmpool_open args;
	struct shmpool_seg *seg;
	struct file *file;
	int ret, oflags;
	u32 prot;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.__reserved)
		return -EINVAL;
	oflags = fd_flags(args.flags, SHMPOOL_OPEN_FLAGS);
	if (oflags < 0)
		return oflags;
	ret = shmpool_seg_name_check(args.name);
	if (ret)
		return ret;
	if (!args.name[0])
		return -EINVAL;

	seg = shmpool_seg_lookup(args.name, args.flags, &prot);
	if (IS_ERR(seg))
		return PTR_ERR(seg);
	ret = seg_reserve_fd(seg, prot, oflags, &args.fd, &file);
	if (!ret) {
		args.id = seg->id;
		ret = seg_publish_fd(argp, &args, sizeof(args), args.fd, file);
	}
	shmpool_seg_put(seg);
	return ret;
}

static long shmpool_ioctl_unlink(void __user *argp)
{
	struct shmpool_unlink args;
	int ret;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	ret = shmpool_seg_name_check(args.name);
	if (ret)
		return ret;
	if (!args.name[0])
		return -EINVAL;
	return shmpool_seg_unlink(args.name);
}

static long shmpool_ioctl_list(void __user *argp)
{
	struct shmpool_list args;
	int ret;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.__reserved)
		return -EINVAL;
	ret = shmpool_seg_list_next(args.pos, false, &args.info);
	if (ret)
		return ret;
	args.pos = args.info.id;
	return copy_to_user(argp, &args, sizeof(args)) ? -EFAULT : 0;
}

static long shmpool_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case SHMPOOL_IOC_VERSION:
		return shmpool_ioctl_version(argp);
	case SHMPOOL_IOC_CREATE:
		return shmpool_ioctl_create(argp);
	case SHMPOOL_IOC_OPEN:
		return shmpool_ioctl_open(argp);
	case SHMPOOL_IOC_UNLINK:
		return shmpool_ioctl_unlink(argp);
	case SHMPOOL_IOC_LIST:
		return shmpool_ioctl_list(argp);
	default:
		return -ENOTTY;
	}
}

/* Segment fds */

static long seg_ioctl_info(struct file *file, void __user *argp)
{
	struct shmpool_seg_handle *h = file_handle(file);
	struct shmpool_info info;

	shmpool_seg_info(h->seg, h->prot, &info);
	return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
}

static long seg_ioctl_restrict(struct file *file, void __user *argp)
{
	struct shmpool_seg_handle *h = file_handle(file);
	struct shmpool_restrict args;
	struct file *new;
	int ret, oflags;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.__reserved || (args.prot & ~SHMPOOL_PROT_ALL) ||
	    !(args.prot & SHMPOOL_PROT_READ))
		return -EINVAL;
	oflags = fd_flags(args.flags, 0);
	if (oflags < 0)
		return oflags;
	if (args.prot & ~h->prot) {
		trace_shmpool_denied(h->seg->id, SHMPOOL_DENIED_RESTRICT, EACCES);
		return -EACCES;
	}

	ret = seg_reserve_fd(h->seg, args.prot, oflags, &args.fd, &new);
	if (ret)
		return ret;
	return seg_publish_fd(argp, &args, sizeof(args), args.fd, new);
}

static long seg_ioctl_add_seals(struct file *file, u32 __user *argp)
{
	u32 seals;

	if (get_user(seals, argp))
		return -EFAULT;
	/* As fcntl(F_ADD_SEALS): only a writer may seal. */
	if (!(file->f_mode & FMODE_WRITE)) {
		trace_shmpool_denied(file_seg(file)->id, SHMPOOL_DENIED_SEAL, EPERM);
		return -EPERM;
	}
	return shmpool_seg_add_seals(file_seg(file), seals);
}

static long seg_ioctl_give(struct file *file, void __user *argp)
{
	struct shmpool_give args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	return shmpool_seg_give(file_seg(file), args.uid, args.gid);
}

/* UNPIN and PIN: both change what reclaim may do, so only for a writer. */
static long seg_ioctl_range(struct file *file, unsigned int cmd,
			    void __user *argp)
{
	struct shmpool_range args;
	int ret;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.flags)
		return -EINVAL;
	if (!(file->f_mode & FMODE_WRITE)) {
		trace_shmpool_denied(file_seg(file)->id, SHMPOOL_DENIED_PIN, EPERM);
		return -EPERM;
	}
	if (cmd == SHMPOOL_SEG_IOC_UNPIN)
		return shmpool_seg_unpin(file_seg(file), args.offset, args.len);
	ret = shmpool_seg_pin(file_seg(file), args.offset, args.len, &args.result);
	if (ret)
		return ret;
	return put_user(args.result, &((struct shmpool_range __user *)argp)->result);
}

static long seg_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case SHMPOOL_SEG_IOC_INFO:
		return seg_ioctl_info(file, argp);
	case SHMPOOL_SEG_IOC_RESTRICT:
		return seg_ioctl_restrict(file, argp);
	case SHMPOOL_SEG_IOC_ADD_SEALS:
		return seg_ioctl_add_seals(file, argp);
	case SHMPOOL_SEG_IOC_GET_SEALS:
		return put_user(shmpool_seg_get_seals(file_seg(file)),
				(u32 __user *)argp);
	case SHMPOOL_SEG_IOC_GIVE:
		return seg_ioctl_give(file, argp);
	case SHMPOOL_SEG_IOC_ACCEPT:
		return shmpool_seg_accept(file_seg(file));
	case SHMPOOL_SEG_IOC_UNPIN:
	case SHMPOOL_SEG_IOC_PIN:
		return seg_ioctl_range(file, cmd, argp);
	default:
		return -ENOTTY;
	}
}

static int seg_release(struct inode *inode, struct file *file)
{
	shmpool_seg_release_file(file);
	return 0;
}

#define SEG_FOPS						\
	.owner		= THIS_MODULE,				\
	.release	= seg_release,				\
	.llseek		= generic_file_llseek,			\
	.read_iter	= shmpool_seg_read_iter,		\
	.write_iter	= shmpool_seg_write_iter,		\
	.mmap		= shmpool_seg_mmap,			\
	.poll		= shmpool_seg_poll,			\
	.unlocked_ioctl	= seg_ioctl,				\
	.compat_ioctl	= compat_ptr_ioctl

static const struct file_operations shmpool_seg_fops = {
	SEG_FOPS,
};

/*
 * A huge segment's: mmap() without an address picks one 2 MiB aligned
 * alike with the offset, where PMD entries can map it, as for DAX files.
 */
static const struct file_operations shmpool_huge_seg_fops = {
	SEG_FOPS,
	.get_unmapped_area = thp_get_unmapped_area,
};

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
