/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels shmpool supports lives here, so that
 * the logic files read the same on all of them.  Each block says which
 * kernel changed what.
 */
#ifndef _SHMPOOL_COMPAT_H
#define _SHMPOOL_COMPAT_H

#include <linux/fs.h>
#include <linux/ipc_namespace.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/proc_ns.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/version.h>

typedef unsigned long (*shmpool_shrink_fn)(struct shrinker *,
					   struct shrink_control *);

/*
 * The pool's shrinker frees frames nobody uses: nothing has to be read
 * back to recreate them, which is what seeks == 0 tells reclaim ("trim
 * aggressively").
 */
#define SHMPOOL_SHRINKER_SEEKS	0

/*
 * 6.7 made shrinkers dynamically allocated objects (shrinker_alloc(),
 * shrinker_register(), shrinker_free()); before, the caller embedded or
 * allocated the struct and called register_shrinker(), which has taken a
 * name since 6.0.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
static inline struct shrinker *shmpool_shrinker_create(const char *name,
						       shmpool_shrink_fn count,
						       shmpool_shrink_fn scan)
{
	struct shrinker *s = shrinker_alloc(0, "%s", name);

	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = SHMPOOL_SHRINKER_SEEKS;
	shrinker_register(s);
	return s;
}

static inline void shmpool_shrinker_destroy(struct shrinker *s)
{
	shrinker_free(s);
}
#else
static inline struct shrinker *shmpool_shrinker_create(const char *name,
						       shmpool_shrink_fn count,
						       shmpool_shrink_fn scan)
{
	struct shrinker *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = SHMPOOL_SHRINKER_SEEKS;
	if (register_shrinker(s, "%s", name)) {
		kfree(s);
		return NULL;
	}
	return s;
}

static inline void shmpool_shrinker_destroy(struct shrinker *s)
{
	if (!s)
		return;
	unregister_shrinker(s);
	kfree(s);
}
#endif

/*
 * 6.11 dropped kvrealloc()'s old-size argument (it now asks the allocator).
 * Either way: resize an array of @new_n elements of @size bytes, NULL on
 * overflow or failure, the old array untouched then.
 */
static inline void *kvrealloc_array_compat(void *p, size_t old_n, size_t new_n,
					   size_t size)
{
	size_t bytes;

	if (check_mul_overflow(new_n, size, &bytes))
		return NULL;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	return kvrealloc(p, bytes, GFP_KERNEL);
#else
	return kvrealloc(p, old_n * size, bytes, GFP_KERNEL);
#endif
}

/*
 * 6.3 made vma->vm_flags read-only behind vm_flags_set()/vm_flags_clear(),
 * which also assert the mmap lock.  ->mmap may change them either way.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
static inline void shmpool_vm_flags_mod(struct vm_area_struct *vma,
					vm_flags_t set, vm_flags_t clear)
{
	vm_flags_mod(vma, set, clear);
}
#else
static inline void shmpool_vm_flags_mod(struct vm_area_struct *vma,
					vm_flags_t set, vm_flags_t clear)
{
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
}
#endif

/*
 * How many page tables map an order-0 page.  By 6.12 page_mapcount() is
 * gone, folded into folio_mapcount(), an inline there; 6.1's
 * folio_mapcount() is out of line and not exported, its page_mapcount()
 * inline.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
static inline int shmpool_page_mapcount(struct page *page)
{
	return folio_mapcount(page_folio(page));
}
#else
static inline int shmpool_page_mapcount(struct page *page)
{
	return page_mapcount(page);
}
#endif

/*
 * 6.3 replaced the user namespace that inode operations took for idmapped
 * mounts with struct mnt_idmap; the calls are otherwise the same.  Write
 * struct shmpool_idmap for either.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define shmpool_idmap mnt_idmap
#define SHMPOOL_NOP_IDMAP (&nop_mnt_idmap)
#else
#define shmpool_idmap user_namespace
#define SHMPOOL_NOP_IDMAP (&init_user_ns)
#endif

/*
 * 6.3 renamed memcg_kmem_enabled() to memcg_kmem_online(): is kernel
 * memory charged to cgroups at all (cgroup.memory=nokmem says no)?
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define shmpool_memcg_kmem_online() memcg_kmem_online()
#else
#define shmpool_memcg_kmem_online() memcg_kmem_enabled()
#endif

/*
 * KUnit: 6.2 added <kunit/visibility.h> (EXPORT_SYMBOL_IF_KUNIT, which
 * exports only where the kernel has KUnit); 6.13 made symbol namespaces
 * string literals.  6.1 gets the header's no-KUnit definitions.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#include <kunit/visibility.h>
#else
#define VISIBLE_IF_KUNIT static
#define EXPORT_SYMBOL_IF_KUNIT(symbol)
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define SHMPOOL_IMPORT_KUNIT_NS() MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING")
#else
#define SHMPOOL_IMPORT_KUNIT_NS() MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING)
#endif

/*
 * The symbol namespace of what shmpool.ko exports for its test module,
 * shmpool_test.ko: EXPORT_SYMBOL_NS_GPL(sym, SHMPOOL_NS) and
 * MODULE_IMPORT_NS(SHMPOOL_NS).  6.13 made namespaces string literals;
 * before, the macros stringified an identifier (after expanding it).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define SHMPOOL_NS "SHMPOOL"
#else
#define SHMPOOL_NS SHMPOOL
#endif

/*
 * How many page tables map an order-0 frame: folio_mapcount() is inline
 * from 6.9 (large folios' mapcount rework); before, only page_mapcount()
 * is, folio_mapcount() being an unexported function.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
#define shmpool_frame_mapcount(page) folio_mapcount(page_folio(page))
#else
#define shmpool_frame_mapcount(page) page_mapcount(page)
#endif

/*
 * 6.18 renamed generic_delete_inode() (drop the inode at its last iput(),
 * never cache it) to inode_just_drop().
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 18, 0)
#define shmpool_inode_drop inode_just_drop
#else
#define shmpool_inode_drop generic_delete_inode
#endif

/*
 * 6.17 added WQ_PERCPU (a workqueue bound to its CPUs, so far the default,
 * which is to change), and newer kernels warn about a workqueue created
 * with neither it nor WQ_UNBOUND.  Before 6.17 bound is what no flag means
 * (a stable kernel that has the flag, as 6.12.y, takes it as a no-op).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
#define SHMPOOL_WQ_PERCPU	WQ_PERCPU
#else
#define SHMPOOL_WQ_PERCPU	0
#endif

/*
 * The microbenchmark compares the pool with the network stack's page_pool.
 * 6.6 split <net/page_pool.h> into <net/page_pool/{types,helpers}.h>.  A
 * kernel without CONFIG_PAGE_POOL (the debug kernel has no network
 * drivers to select it) gets a create that fails, and the case is skipped.
 */
/*
 * A PMD entry for a huge segment's 2 MiB block of frames, in a VM_PFNMAP
 * mapping.  The entry must be one get_user_pages_fast() - which looks at
 * no VMA - turns away; a plain one would be taken for a transparent huge
 * page and every reference put on its first subpage.  Until 6.15 that is
 * a devmap entry: the fast path finds no dev_pagemap for our frames and
 * leaves the work to the slow path, which refuses VM_PFNMAP.  6.15 removed
 * devmap; from 6.12 a PMD can be special, as PTEs are (where the
 * architecture supports it), and 6.17 dropped pfn_t: the pfn is passed as
 * is.  SHMPOOL_PMD_PFNMAP says whether the kernel can do either.
 *
 * Fork.  copy_huge_pmd() skips a devmap entry of a shared file mapping
 * (a fault refills it), but copies a special one, read before it takes
 * the locks and never checked again, while our frames can leave without
 * the mmap_lock fork holds (truncation, swap-out): the child could get an
 * entry for frames already freed.  So where the entry is special a huge
 * segment's mapping is not copied at fork at all (VM_DONTCOPY), and VM_IO,
 * as remap_pfn_range() sets, keeps MADV_DOFORK from taking that away.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 15, 0)
#define SHMPOOL_PMD_PFNMAP	(IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE) && \
				 IS_ENABLED(CONFIG_ARCH_HAS_PTE_DEVMAP))
#define SHMPOOL_HUGE_VM_FLAGS	0
#else
#define SHMPOOL_PMD_PFNMAP	(IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE) && \
				 IS_ENABLED(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP))
#define SHMPOOL_HUGE_VM_FLAGS	(VM_DONTCOPY | VM_IO)
#endif

#if !IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE)
static inline vm_fault_t shmpool_insert_pfn_pmd(struct vm_fault *vmf,
						unsigned long pfn, bool write)
{
	return VM_FAULT_FALLBACK;
}
#elif LINUX_VERSION_CODE < KERNEL_VERSION(6, 17, 0)
#include <linux/pfn_t.h>

static inline vm_fault_t shmpool_insert_pfn_pmd(struct vm_fault *vmf,
						unsigned long pfn, bool write)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 15, 0)
	u64 flags = PFN_DEV | PFN_MAP;
#else
	u64 flags = PFN_DEV;
#endif
	return vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, flags), write);
}
#else
static inline vm_fault_t shmpool_insert_pfn_pmd(struct vm_fault *vmf,
						unsigned long pfn, bool write)
{
	return vmf_insert_pfn_pmd(vmf, pfn, write);
}
#endif

/*
 * put_ipc_ns() is not exported by 6.1, and not defined at all without
 * CONFIG_IPC_NS (the debug kernel's config); the namespace's own
 * proc_ns_operations put it on every kernel, as setns() does.
 * get_ipc_ns() is inline everywhere.
 */
static inline void shmpool_put_ipc_ns(struct ipc_namespace *ns)
{
#ifdef CONFIG_IPC_NS
	ns->ns.ops->put(&ns->ns);
#endif
}

/*
 * ->huge_fault took an enum page_entry_size until 6.6, the order since.
 * SHMPOOL_HUGE_FAULT(name) defines a handler with the kernel's prototype
 * that calls name##_order(vmf, order).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#define SHMPOOL_HUGE_FAULT(name)					\
static vm_fault_t name(struct vm_fault *vmf, unsigned int order)	\
{									\
	return name##_order(vmf, order);				\
}
#else
#define SHMPOOL_HUGE_FAULT(name)					\
static vm_fault_t name(struct vm_fault *vmf, enum page_entry_size pe)	\
{									\
	return name##_order(vmf, pe == PE_SIZE_PMD ?			\
			    PMD_SHIFT - PAGE_SHIFT : 0);		\
}
#endif

#if IS_ENABLED(CONFIG_PAGE_POOL)
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#include <net/page_pool/helpers.h>
#else
#include <net/page_pool.h>
#endif

/* A pool of @order pages that recycles up to @size of them, no DMA. */
static inline struct page_pool *shmpool_page_pool_create(unsigned int order,
							 unsigned int size)
{
	struct page_pool_params pp = {
		.order = order,
		.pool_size = size,
		.nid = NUMA_NO_NODE,
	};

	return page_pool_create(&pp);
}

static inline struct page *shmpool_page_pool_alloc(struct page_pool *pp)
{
	return page_pool_alloc_pages(pp, GFP_ATOMIC | __GFP_NOWARN);
}

/* allow_direct: the caller is the pool's only user, as NAPI would be. */
static inline void shmpool_page_pool_put(struct page_pool *pp,
					 struct page *page)
{
	page_pool_put_full_page(pp, page, true);
}

static inline void shmpool_page_pool_destroy(struct page_pool *pp)
{
	page_pool_destroy(pp);
}
#else
struct page_pool;

static inline struct page_pool *shmpool_page_pool_create(unsigned int order,
							 unsigned int size)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline struct page *shmpool_page_pool_alloc(struct page_pool *pp)
{
	return NULL;
}

static inline void shmpool_page_pool_put(struct page_pool *pp,
					 struct page *page)
{
}

static inline void shmpool_page_pool_destroy(struct page_pool *pp)
{
}
#endif

#endif /* _SHMPOOL_COMPAT_H */
