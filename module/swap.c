// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: The swap area
 *
 * When the pool has no frame left for a segment, the segment layer takes
 * frames from cold pages of other segments (its reclaim,
 * in seg_reclaim.c) and keeps their
 * contents in the swap area until they are touched again.  The area is in
 * memory, as zram and zswap are: each stored page is a page of the
 * kernel's, outside the pool and not counted by it, so what it buys is
 * room beyond the pool's maximum, not memory the machine does not have.
 * It is bounded by ``swap_max_kb`` (a module parameter, writable at
 * runtime); taking a slot in a full area fails with ``ENOSPC``, and a
 * lowered limit only refuses new slots.
 *
 * A slot is an index in an xarray, allocated lowest first, never 0 (so
 * that a slot number is never confused with "none" by a reader of the map)
 * and below 2^31 (so that it fits an xarray value entry on 32-bit kernels
 * too).  It is reserved first, by shmpool_swap_reserve(), whose allocation
 * may sleep and may fail (``ENOSPC``, ``ENOMEM``); stored while the
 * segment's page is frozen, by shmpool_swap_store(), which cannot fail;
 * and from then on owned by the one segment entry that names it, until it
 * is read back (shmpool_swap_read()) or dropped by truncation or purging
 * (shmpool_swap_free()), each exactly once.
 *
 * With ``swapfile=PATH`` (a module parameter) the area is that file
 * instead, opened (created, mode 0600) at load and written and read with
 * kernel_write() and kernel_read(): slot N at offset ``(N - 1) *
 * PAGE_SIZE``, so the file grows to the highest slot used, sparsely.  The
 * store still copies into a kernel page, because it runs while the
 * segment page is frozen and file I/O sleeps; once the frame is free to
 * go, shmpool_swap_writeback() writes that copy to the file and frees it,
 * and the slot's entry becomes ``SWAP_IN_FILE``.  A page-in that comes
 * before the write takes the copy itself.  The file is emptied at load and
 * at unload, so nothing of a segment outlives the module in it.
 *
 * With ``swap_compressor=ALG`` (a module parameter: any compressor of the
 * kernel's crypto API, lz4 or zstd say, as zswap's ``compressor=`` takes)
 * the memory area keeps pages compressed: the write-back, which runs once
 * the frame is free and may sleep, compresses the copy (an acomp request,
 * as zswap's) into a kmalloc() buffer of the compressed size, marks the
 * slot ``SWAP_COMPRESSED`` and frees the copy's page; a page-in
 * decompresses straight into the new frame.  A page whose compressed copy
 * would not fit in half a page, counting its kmalloc() bucket, keeps its
 * page: buckets above 2 KiB would save nothing worth the CPU, and random
 * data, the usual case, does not compress at all.  Compressing in the
 * store step instead would keep the page frozen (and its faults waiting)
 * for the compressor's time; compressing after the frame is free costs a
 * page of kernel memory for the moment between.  So a stored page is, at
 * any time, one of: the copy's page, a compressed buffer, or a place in
 * the swap file.  The swap file holds whole pages at fixed offsets and
 * compresses nothing, which keeps its slot arithmetic trivial; a
 * compressor with a swap file refuses the load (``EINVAL``).
 *
 * Locking: the xarray's own lock protects the slots; ``swap.io_lock``
 * serialises the file's I/O and the compressor (its one request and
 * buffer) with the entries' change from a copy to ``SWAP_IN_FILE`` or to
 * a compressed buffer, so that a write for a slot freed and reused
 * meanwhile never lands after the new owner's; every reader of an entry
 * but shmpool_swap_store() (which owns its reserved slot) holds it too.
 * Only a slot marked ``SWAP_STORED`` is written back, so a slot freed and
 * reserved again before its write-back is never compressed or written
 * with the new owner's copy half-made.  The counters are atomic.  Nothing
 * in the swap area sleeps but the allocation in shmpool_swap_reserve() and
 * the file I/O.  Where ``swap.io_lock`` stands among the module's locks:
 * the lock hierarchy (main.c).
 */
#include <crypto/acompress.h>
#include <linux/atomic.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "swap.h"

/* A slot whose page is in the swap file. */
#define SWAP_IN_FILE	xa_mk_value(1)
/*
 * The mark of a slot whose entry is a struct swap_zpage.  (XA_MARK_0 is
 * the allocating xarray's own.)
 */
#define SWAP_COMPRESSED	XA_MARK_1
/*
 * The mark of a slot whose page is stored: only such a slot's copy may be
 * written back, never that of a slot freed and reserved again meanwhile,
 * whose copy is not yet the page's.
 */
#define SWAP_STORED	XA_MARK_2

/* A compressed page, owned by the slot whose entry it is. */
struct swap_zpage {
	unsigned int len;
	u8 data[];
};

static struct shmpool_swap {
	/*
	 * slot -> struct page * of its copy, a struct swap_zpage (marked
	 * SWAP_COMPRESSED), or SWAP_IN_FILE
	 */
	struct xarray slots;
	unsigned long *max_kb;		/* the parameter, owned by main.c */
	struct file *file;		/* the swap file, or NULL; ours */
	struct mutex io_lock;		/* see "Locking" above */
	/* The compressor, or NULL; ours, used under @io_lock. */
	struct crypto_acomp *tfm;
	struct acomp_req *req;
	struct crypto_wait wait;
	u8 *zbuf;			/* room for any compressor's output */
	atomic_long_t nr, in_file, compressed, bytes;
	atomic64_t outs, ins, full, nomem, io_errors;
	atomic64_t compressions, incompressible;
} swap;

/*
 * The output room: compressors that do not bound their output (lzo) may
 * write this much for a page that does not compress.
 */
#define SWAP_ZBUF_SIZE	(2 * PAGE_SIZE)

static loff_t slot_pos(u32 slot)
{
	return (loff_t)(slot - 1) << PAGE_SHIFT;
}

static unsigned long swap_max_slots(void)
{
	return READ_ONCE(*swap.max_kb) / (PAGE_SIZE / 1024);
}

/**
 * shmpool_swap_reserve() - take a slot, with the memory to store a page
 * @slot: out: the slot, for shmpool_swap_store() or shmpool_swap_free()
 *
 * Everything that may sleep or fail happens here, before the caller
 * freezes the page it means to store: the store itself cannot fail.
 *
 * Context: process context; may sleep to allocate, but does not try hard
 * (the caller is itself reclaiming).
 * Return: 0; -ENOSPC when the area is full, -ENOMEM when the kernel has no
 * page for the copy.
 */
int shmpool_swap_reserve(u32 *slot)
{
	struct page *copy;
	u32 id;
	int ret;

	if (atomic_long_inc_return(&swap.nr) > swap_max_slots()) {
		ret = -ENOSPC;
		goto err;
	}
	copy = alloc_page(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
	if (!copy) {
		ret = -ENOMEM;
		goto err;
	}
	ret = xa_alloc(&swap.slots, &id, copy, XA_LIMIT(1, S32_MAX),
		       GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
	if (ret) {
		put_page(copy);
		ret = ret == -EBUSY ? -ENOSPC : ret;
		goto err;
	}
	*slot = id;
	atomic_long_add(PAGE_SIZE, &swap.bytes);
	return 0;
err:
	atomic_long_dec(&swap.nr);
	atomic64_inc(ret == -ENOSPC ? &swap.full : &swap.nomem);
	return ret;
}

/**
 * shmpool_swap_store() - store a page's contents in a reserved slot
 * @slot: from shmpool_swap_reserve()
 * @page: the page; the caller keeps it from changing meanwhile
 *
 * Context: any process context; does not sleep.
 */
void shmpool_swap_store(u32 slot, struct page *page)
{
	struct page *copy = xa_load(&swap.slots, slot);

	copy_highpage(copy, page);
	xa_set_mark(&swap.slots, slot, SWAP_STORED);
	atomic64_inc(&swap.outs);
}

/*
 * Compress @copy into a new struct swap_zpage; NULL when it does not
 * compress to half a page or there is no memory for it.
 * Context: @io_lock held.
 */
static struct swap_zpage *swap_compress(struct page *copy)
{
	struct scatterlist in, out;
	struct swap_zpage *zp;
	unsigned int len;
	int ret;

	lockdep_assert_held(&swap.io_lock);
	sg_init_table(&in, 1);
	sg_set_page(&in, copy, PAGE_SIZE, 0);
	sg_init_one(&out, swap.zbuf, SWAP_ZBUF_SIZE);
	acomp_request_set_params(swap.req, &in, &out, PAGE_SIZE, SWAP_ZBUF_SIZE);
	ret = crypto_wait_req(crypto_acomp_compress(swap.req), &swap.wait);
	len = swap.req->dlen;
	/* What it would take, kmalloc()'s bucket and all. */
	if (ret || kmalloc_size_roundup(struct_size(zp, data, len)) > PAGE_SIZE / 2) {
		atomic64_inc(&swap.incompressible);
		return NULL;
	}
	zp = kmalloc(struct_size(zp, data, len),
		     GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
	if (!zp) {
		atomic64_inc(&swap.nomem);
		return NULL;
	}
	zp->len = len;
	memcpy(zp->data, swap.zbuf, len);
	atomic64_inc(&swap.compressions);
	return zp;
}

/*
 * Decompress @zp into @page.
 * Return: the length decompressed (PAGE_SIZE), or a negative errno.
 * Context: @io_lock held.
 */
static int swap_decompress(struct swap_zpage *zp, struct page *page)
{
	struct scatterlist in, out;
	int ret;

	lockdep_assert_held(&swap.io_lock);
	sg_init_one(&in, zp->data, zp->len);
	sg_init_table(&out, 1);
	sg_set_page(&out, page, PAGE_SIZE, 0);
	acomp_request_set_params(swap.req, &in, &out, zp->len, PAGE_SIZE);
	ret = crypto_wait_req(crypto_acomp_decompress(swap.req), &swap.wait);
	return ret ? ret : swap.req->dlen;
}

static size_t swap_zpage_size(struct swap_zpage *zp)
{
	return kmalloc_size_roundup(struct_size(zp, data, zp->len));
}

static void swap_zpage_free(struct swap_zpage *zp)
{
	atomic_long_sub(swap_zpage_size(zp), &swap.bytes);
	atomic_long_dec(&swap.compressed);
	kfree(zp);
}

static void swap_copy_free(struct page *copy)
{
	atomic_long_sub(PAGE_SIZE, &swap.bytes);
	put_page(copy);
}

/*
 * Replace the slot's copy by a compressed buffer, if it compresses.
 * Context: @io_lock held; @copy is the slot's entry.
 */
static void swap_writeback_compressed(u32 slot, struct page *copy)
{
	struct swap_zpage *zp = swap_compress(copy);

	if (!zp)
		return;
	/* Replacing an entry allocates nothing. */
	xa_store(&swap.slots, slot, zp, GFP_NOWAIT);
	xa_set_mark(&swap.slots, slot, SWAP_COMPRESSED);
	atomic_long_inc(&swap.compressed);
	atomic_long_add(swap_zpage_size(zp), &swap.bytes);
	swap_copy_free(copy);
}

/**
 * shmpool_swap_read() - copy a slot back into a page and free the slot
 * @slot: a stored slot
 * @page: where its contents go
 *
 * Context: process context; sleeps for the swap file's I/O.
 * Return: 0; the errno of a failed read of the swap file (the slot is
 * freed all the same: its contents are lost).
 */
int shmpool_swap_read(u32 slot, struct page *page)
{
	struct swap_zpage *zp = NULL;
	struct page *copy;
	ssize_t n = PAGE_SIZE;
	loff_t pos;
	void *addr;

	mutex_lock(&swap.io_lock);
	if (xa_get_mark(&swap.slots, slot, SWAP_COMPRESSED)) {
		zp = xa_erase(&swap.slots, slot);
		n = swap_decompress(zp, page);
		copy = NULL;
	} else {
		copy = xa_erase(&swap.slots, slot);
	}
	if (copy == SWAP_IN_FILE) {
		pos = slot_pos(slot);
		addr = kmap_local_page(page);
		n = kernel_read(swap.file, addr, PAGE_SIZE, &pos);
		kunmap_local(addr);
		atomic_long_dec(&swap.in_file);
	}
	mutex_unlock(&swap.io_lock);

	atomic_long_dec(&swap.nr);
	if (zp) {
		swap_zpage_free(zp);
		/* Corrupt data or a compressor gone wrong: nothing to read. */
		if (WARN_ON_ONCE(n != PAGE_SIZE)) {
			atomic64_inc(&swap.io_errors);
			return -EIO;
		}
	} else if (WARN_ON_ONCE(!copy)) {
		return -EIO;
	} else if (copy == SWAP_IN_FILE) {
		if (n != PAGE_SIZE) {
			atomic64_inc(&swap.io_errors);
			return n < 0 ? n : -EIO;
		}
	} else {
		copy_highpage(page, copy);
		swap_copy_free(copy);
	}
	atomic64_inc(&swap.ins);
	return 0;
}

/**
 * shmpool_swap_writeback() - move a stored slot's copy where it stays
 * @slot: stored with shmpool_swap_store()
 *
 * With a swap file, the copy goes to the file; with a compressor, it is
 * compressed.  Otherwise, or when that fails, the copy stays where it is,
 * where the page is just as safe.
 *
 * Context: process context; sleeps for the file's I/O and the compressor.
 */
void shmpool_swap_writeback(u32 slot)
{
	struct page *copy;
	loff_t pos = slot_pos(slot);
	ssize_t n;
	void *addr;

	if (!swap.file && !swap.tfm)
		return;
	mutex_lock(&swap.io_lock);
	copy = xa_load(&swap.slots, slot);
	/*
	 * Read back and freed meanwhile, perhaps reserved again (not stored
	 * yet), or already where it stays: nothing to do.
	 */
	if (!copy || xa_is_value(copy) ||
	    !xa_get_mark(&swap.slots, slot, SWAP_STORED) ||
	    xa_get_mark(&swap.slots, slot, SWAP_COMPRESSED)) {
		mutex_unlock(&swap.io_lock);
		return;
	}
	if (!swap.file) {
		swap_writeback_compressed(slot, copy);
		mutex_unlock(&swap.io_lock);
		return;
	}
	addr = kmap_local_page(copy);
	n = kernel_write(swap.file, addr, PAGE_SIZE, &pos);
	kunmap_local(addr);
	if (n == PAGE_SIZE) {
		xa_store(&swap.slots, slot, SWAP_IN_FILE, GFP_NOWAIT);
		atomic_long_inc(&swap.in_file);
	} else {
		atomic64_inc(&swap.io_errors);
		copy = NULL;
	}
	mutex_unlock(&swap.io_lock);
	if (copy)
		swap_copy_free(copy);
}

/**
 * shmpool_swap_free() - drop a slot whose page nobody will read again
 * @slot: a stored slot
 *
 * Context: process context; takes the swap file's I/O lock.
 */
void shmpool_swap_free(u32 slot)
{
	bool compressed;
	void *entry;

	mutex_lock(&swap.io_lock);
	compressed = xa_get_mark(&swap.slots, slot, SWAP_COMPRESSED);
	entry = xa_erase(&swap.slots, slot);
	if (entry == SWAP_IN_FILE)
		atomic_long_dec(&swap.in_file);
	mutex_unlock(&swap.io_lock);
	if (WARN_ON_ONCE(!entry))
		return;
	if (compressed)
		swap_zpage_free(entry);
	else if (!xa_is_value(entry))
		swap_copy_free(entry);
	atomic_long_dec(&swap.nr);
}

void shmpool_swap_get_stats(struct shmpool_swap_stats *st)
{
	st->slots = atomic_long_read(&swap.nr);
	st->max_slots = swap_max_slots();
	st->bytes = atomic_long_read(&swap.bytes);
	st->compressed = atomic_long_read(&swap.compressed);
	st->compressions = atomic64_read(&swap.compressions);
	st->incompressible = atomic64_read(&swap.incompressible);
	st->outs = atomic64_read(&swap.outs);
	st->ins = atomic64_read(&swap.ins);
	st->full = atomic64_read(&swap.full);
	st->nomem = atomic64_read(&swap.nomem);
	st->in_file = atomic_long_read(&swap.in_file);
	st->io_errors = atomic64_read(&swap.io_errors);
	st->file = !!swap.file;
}

/* Empty the swap file: nothing of a segment is left in it. */
static int swap_file_empty(void)
{
	return vfs_truncate(&swap.file->f_path, 0);
}

static void swap_compressor_exit(void)
{
	/* Not NULL-safe on every kernel. */
	if (swap.req)
		acomp_request_free(swap.req);
	swap.req = NULL;
	if (swap.tfm)
		crypto_free_acomp(swap.tfm);
	swap.tfm = NULL;
	kfree(swap.zbuf);
	swap.zbuf = NULL;
}

static int swap_compressor_init(const char *alg)
{
	struct crypto_acomp *tfm;

	tfm = crypto_alloc_acomp(alg, 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	swap.tfm = tfm;
	swap.req = acomp_request_alloc(tfm);
	swap.zbuf = kmalloc(SWAP_ZBUF_SIZE, GFP_KERNEL);
	if (!swap.req || !swap.zbuf) {
		swap_compressor_exit();
		return -ENOMEM;
	}
	crypto_init_wait(&swap.wait);
	/* An asynchronous compressor completes through crypto_req_done(). */
	acomp_request_set_callback(swap.req, CRYPTO_TFM_REQ_MAY_BACKLOG,
				   crypto_req_done, &swap.wait);
	return 0;
}

/**
 * shmpool_swap_init() - set the area up
 * @max_kb: the swap_max_kb parameter, read at every reservation
 * @path: the swapfile parameter: a file to swap to, or NULL or "" for the
 *        memory area
 * @compressor: the swap_compressor parameter: the crypto API's name of a
 *              compressor for the memory area, or NULL or "" for none
 *
 * Context: process context, module load.
 * Return: 0, or the errno of opening or emptying the file (-EINVAL if it
 * is not a regular file), -ENOENT for a compressor the kernel does not
 * have, -EINVAL for a compressor with a swap file (which holds whole
 * pages), -ENOMEM.
 */
int shmpool_swap_init(unsigned long *max_kb, const char *path,
		      const char *compressor)
{
	struct file *file;
	int ret;

	xa_init_flags(&swap.slots, XA_FLAGS_ALLOC1);
	mutex_init(&swap.io_lock);
	swap.max_kb = max_kb;
	if (compressor && *compressor) {
		if (path && *path)
			return -EINVAL;
		return swap_compressor_init(compressor);
	}
	if (!path || !*path)
		return 0;
	file = filp_open(path, O_RDWR | O_CREAT | O_LARGEFILE | O_NOATIME, 0600);
	if (IS_ERR(file))
		return PTR_ERR(file);
	swap.file = file;
	ret = S_ISREG(file_inode(file)->i_mode) ? swap_file_empty() : -EINVAL;
	if (ret) {
		fput(file);
		swap.file = NULL;
	}
	return ret;
}

/* Every slot belongs to a segment, and every segment is gone by now. */
void shmpool_swap_exit(void)
{
	WARN(!xa_empty(&swap.slots), "%ld swap slots left at unload\n",
	     atomic_long_read(&swap.nr));
	xa_destroy(&swap.slots);
	swap_compressor_exit();
	if (swap.file) {
		swap_file_empty();
		fput(swap.file);
		swap.file = NULL;
	}
}
