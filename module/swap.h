/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The swap area: where the segment layer puts the contents of frames it
 * takes away under pressure.  See swap.c.
 */
#ifndef _SHMPOOL_SWAP_H
#define _SHMPOOL_SWAP_H

#include <linux/mm_types.h>
#include <linux/types.h>

/**
 * struct shmpool_swap_stats - a snapshot of the swap area
 * @slots: slots in use (pages swapped out now)
 * @max_slots: the limit, swap_max_kb in pages (0: swapping is off)
 * @bytes: memory the stored pages take (not counting the swap file)
 * @compressed: slots held compressed
 * @outs: pages written to the area
 * @ins: pages read back from it
 * @full: reservations refused because the area was full (-ENOSPC)
 * @nomem: reservations refused for want of kernel memory
 * @in_file: pages in the swap file (the rest are in memory)
 * @io_errors: swap file reads and writes that failed
 * @compressions: pages compressed
 * @incompressible: pages kept whole: they did not compress to half a page
 * @file: whether there is a swap file
 */
struct shmpool_swap_stats {
	unsigned long slots;
	unsigned long max_slots;
	unsigned long bytes;
	unsigned long compressed;
	u64 outs;
	u64 ins;
	u64 full;
	u64 nomem;
	unsigned long in_file;
	u64 io_errors;
	u64 compressions;
	u64 incompressible;
	bool file;
};

int shmpool_swap_init(unsigned long *max_kb, const char *path,
		      const char *compressor);
void shmpool_swap_exit(void);

int shmpool_swap_reserve(u32 *slot);
void shmpool_swap_store(u32 slot, struct page *page);
int shmpool_swap_read(u32 slot, struct page *page);
void shmpool_swap_writeback(u32 slot);
void shmpool_swap_free(u32 slot);
void shmpool_swap_get_stats(struct shmpool_swap_stats *st);

#endif /* _SHMPOOL_SWAP_H */
