// SPDX-License-Identifier: GPL-2.0
/*
 * Provokes one WARNING and refuses to load.  tools/vm/selftest/run loads it
 * in a guest to prove that tools/vm/run fails a run whose kernel log shows
 * a splat; it is never part of shmpool itself.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init shmpool_splat_init(void)
{
	WARN(1, "shmpool_splat: deliberate warning for the runner's self-test\n");
	return -EAGAIN;
}
module_init(shmpool_splat_init);

MODULE_DESCRIPTION("Deliberate WARN for testing the shmpool VM runner");
MODULE_LICENSE("GPL");
