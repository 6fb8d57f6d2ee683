// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: Pool accounting
 *
 * A frame stays charged to the memory cgroup that was charged when the
 * pool took it from the kernel, until it goes back; the kernel exports no
 * way to move a charge.  So frames for users in a memory cgroup other than
 * the root come from chunks of their own: a struct shmpool_account per
 * cgroup has its own buddy lists, filled with small chunks
 * (SHMPOOL_ACCOUNT_ORDER) allocated with __GFP_ACCOUNT while that cgroup
 * is the active one, and a charged chunk goes back to the kernel (and off
 * the cgroup's bill) as soon as it is wholly free again.  The rest of the
 * pool, its reserve, is charged to no one's cgroup but the module's:
 * frames taken with the root cgroup active, as any driver's.  Charged
 * frames bypass the per-CPU caches; they are the pool's frames in every
 * other respect (the map, params.max, zeroing).
 */
#include <linux/memcontrol.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "compat.h"
#include "pool_internal.h"
#include "trace.h"

/* Drop a reference to @acct; true when it was the last (see account_free). */
bool __account_put(struct shmpool_account *acct)
{
	lockdep_assert_held(&pool.lock);

	if (--acct->refs)
		return false;
	list_del(&acct->node);
	pool.nr_accounts--;
	return true;
}

void account_free(struct shmpool_account *acct)
{
	mem_cgroup_put(acct->memcg);
	kfree(acct);
}

/*
 * The memory cgroup to charge current's frames to, with a reference; NULL
 * when that is the root cgroup (or there is none, or kmem accounting is
 * off), whose frames come from the reserve.
 */
static struct mem_cgroup *current_charged_memcg(void)
{
#ifdef CONFIG_MEMCG
	struct mem_cgroup *memcg;

	if (!shmpool_memcg_kmem_online())
		return NULL;
	memcg = get_mem_cgroup_from_mm(current->mm);
	if (memcg && !memcg->css.parent) {
		mem_cgroup_put(memcg);
		memcg = NULL;
	}
	return memcg;
#else
	return NULL;
#endif
}

/**
 * shmpool_account_get() - the account current's frames are charged to
 *
 * The account of current's memory cgroup, created on first use; frames
 * allocated with it are billed to that cgroup for as long as the pool
 * holds them (see "Pool accounting").
 *
 * Context: process context; may sleep.
 * Return: a reference to the account, NULL for the reserve (the root
 * cgroup, no memory cgroups), or ERR_PTR(-ENOMEM).
 */
struct shmpool_account *shmpool_account_get(void)
{
	struct shmpool_account *acct, *new;
	struct mem_cgroup *memcg;

	memcg = current_charged_memcg();
	if (!memcg)
		return NULL;
	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);

	spin_lock(&pool.lock);
	list_for_each_entry(acct, &pool.accounts, node) {
		if (acct->memcg == memcg) {
			acct->refs++;
			goto out;
		}
	}
	acct = new ? new : ERR_PTR(-ENOMEM);
	if (new) {
		area_init(&new->area);
		mutex_init(&new->grow_lock);
		new->memcg = memcg;
		new->refs = 1;
		list_add(&new->node, &pool.accounts);
		pool.nr_accounts++;
		new = NULL;
		memcg = NULL;
	}
out:
	spin_unlock(&pool.lock);
	kfree(new);
	mem_cgroup_put(memcg);
	return acct;
}

/**
 * shmpool_account_put() - drop a reference from shmpool_account_get()
 * @acct: the account, or NULL
 *
 * Its chunks hold references of their own, so an account outlives its last
 * user until its last frame has gone back to the kernel.
 *
 * Context: any process context; does not sleep.
 */
void shmpool_account_put(struct shmpool_account *acct)
{
	bool last;

	if (!acct)
		return;
	spin_lock(&pool.lock);
	last = __account_put(acct);
	spin_unlock(&pool.lock);
	if (last)
		account_free(acct);
}

/*
 * A charged chunk no longer in use goes back to the kernel at once, off
 * its cgroup's bill.  Called under pool.lock, which it drops.
 */
void __charged_chunk_check(struct shmpool_chunk *c)
	__releases(&pool.lock)
{
	struct shmpool_account *acct = c->acct;
	bool last;

	lockdep_assert_held(&pool.lock);

	if (chunk_in_use(c)) {
		spin_unlock(&pool.lock);
		return;
	}
	last = __chunk_unlink(c);
	spin_unlock(&pool.lock);
	call_rcu(&c->rcu, chunk_free_rcu);
	if (last)
		account_free(acct);
}

/*
 * A block from an account: its free lists, or a chunk grown for it under
 * the account's own lock (taking the block from the new chunk, so that the
 * chunk cannot sit unused and billed while older frames are taken).
 */
struct page *alloc_charged(struct shmpool_account *acct, unsigned int order,
			   gfp_t gfp)
{
	struct page *page = alloc_block(acct, order);

	if (page || !gfpflags_allow_blocking(gfp) || fatal_signal_pending(current))
		return page;
	mutex_lock(&acct->grow_lock);
	/* Another task of the cgroup may have grown it meanwhile. */
	page = alloc_block(acct, order);
	if (!page)
		pool_grow_chunk(acct, order, &page);
	mutex_unlock(&acct->grow_lock);
	return page;
}
