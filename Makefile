# SPDX-License-Identifier: GPL-2.0
#
# shmpool: build the module, the user tool and the selftests, and run them in
# a QEMU guest.  `make help` lists the targets.
#
# Which kernel the module is built for:
#   make                  the running kernel's build tree if it has one, else
#                         the default test kernel (Debian 12's 6.1)
#   make KERNEL=6.12      a supported test kernel, fetched into the cache
#   make KDIR=/path       any kernel build tree

SHMPOOL_CACHE ?= $(HOME)/.cache/shmpool
export SHMPOOL_CACHE

DEFAULT_KERNEL := 6.1
KERNELS ?= 6.1 6.12
RUNNING_KDIR := /lib/modules/$(shell uname -r)/build

ifneq ($(KERNEL),)
KDIR ?= $(SHMPOOL_CACHE)/kernels/$(KERNEL)/kdir
else ifneq ($(wildcard $(RUNNING_KDIR)/Makefile),)
KDIR ?= $(RUNNING_KDIR)
else
KERNEL := $(DEFAULT_KERNEL)
KDIR ?= $(SHMPOOL_CACHE)/kernels/$(KERNEL)/kdir
endif

# Forwarded to Kbuild: W=1, C=1, KCFLAGS=-Werror and so on work as usual.
KBUILD := $(MAKE) -C $(KDIR) M=$(CURDIR)

# The one place the version is written; dkms.conf reads the file too.
VERSION := $(shell cat VERSION)

.PHONY: all module tool selftests deps run check check-debug bench style lint clean help htmldocs

all: module tool selftests

# A test kernel is fetched on first use; any other KDIR must already exist.
$(SHMPOOL_CACHE)/kernels/%/kdir:
	tools/vm/kernel fetch $*

module: $(if $(KERNEL),$(SHMPOOL_CACHE)/kernels/$(KERNEL)/kdir)
	$(KBUILD) modules

tool:
	$(MAKE) -C tools/shmpoolctl

selftests:
	$(MAKE) -C selftests

# Installs what is missing (packages, test kernels, kselftest harness).
deps:
	tools/deps

# The demonstration for a first-time user: build, boot, show.  A 16 MiB
# pool, so that a segment four times its size is quick to fill and swap.
run:
	@tools/deps --quiet
	@$(MAKE) --no-print-directory all
	tools/vm/run --param pool_max_kb=16384 -- tools/demo

# Every selftest on every supported kernel; last line: N passed, N failed.
check:
	@tools/deps --quiet
	@$(MAKE) --no-print-directory tool selftests examples
	tools/check $(KERNELS)

# The same suite, the KUnit tests and the fault-injection walk on the debug
# kernel (KASAN, lockdep, kmemleak, ...), built from the newest upstream
# source once into the cache (tools/vm/debug-kernel).
check-debug:
	@tools/deps --quiet
	@$(MAKE) --no-print-directory tool selftests examples
	tools/vm/debug-kernel
	tools/check debug

# checkpatch --strict over every C file we write (not Kbuild's *.mod.c).
# The exceptions, each for a reason checkpatch cannot know:
# - module/compat.h exists to compare LINUX_VERSION_CODE, which checkpatch
#   warns about wherever it appears, and to stand in for headers old kernels
#   lack: 6.1's EXPORT_SYMBOL_IF_KUNIT() expands to nothing, as the real one
#   does without KUnit, which checkpatch takes for a misplaced export;
# - user-space programs have no <linux/compiler_attributes.h>, so they spell
#   out the __printf() attribute the kernel would take from there;
# - module/trace.h is laid out as the kernel's own include/trace/events/
#   headers are (TP_STRUCT__entry( on a line of its own, the arguments
#   under it), which checkpatch's alignment checks do not know.
CHECKPATCH := $(SHMPOOL_CACHE)/linux-6.12/scripts/checkpatch.pl
CHECKPATCH_FLAGS := --strict --no-tree --terse --show-types
KERNEL_STYLE_FILES = $(filter-out %.mod.c module/compat.h module/trace.h,$(wildcard \
	module/*.[ch] module/uapi/linux/*.h tools/vm/selftest/*.c))
USER_STYLE_FILES = $(wildcard tools/*/*.c tools/shmpoolctl/*.h selftests/*.[ch])
style:
	@tools/deps --quiet
	perl $(CHECKPATCH) $(CHECKPATCH_FLAGS) -f $(KERNEL_STYLE_FILES)
	perl $(CHECKPATCH) $(CHECKPATCH_FLAGS) \
		--ignore PREFER_DEFINED_ATTRIBUTE_MACRO -f $(USER_STYLE_FILES)
	perl $(CHECKPATCH) $(CHECKPATCH_FLAGS) \
		--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON,MACRO_ARG_UNUSED,EXPORT_SYMBOL \
		-f module/compat.h
	perl $(CHECKPATCH) $(CHECKPATCH_FLAGS) \
		--ignore PARENTHESIS_ALIGNMENT,OPEN_ENDED_LINE -f module/trace.h

# Static analysis: checkpatch, then W=1 and sparse on every kernel,
# coccicheck, clang-format and kernel-doc -Wall (tools/lint says what each
# covers).
# htmldocs first: a documentation warning is a lint failure like any other.
lint: style htmldocs
	tools/lint $(KERNELS)

# Every benchmark against what a user would pick instead, on the stock 6.1
# kernel (not the debug one: KASAN would flatter a private pool), four
# boots: one vCPU under QEMU's instruction counting (deterministic
# single-CPU ratios: the pool, faults, populate, swap), the same for the
# pool with init_on_alloc=0 (the kernel's allocator without its clear),
# plain TCG with two vCPUs for what runs on every CPU at once, and
# instruction counting again for the fault cases at each size of
# BENCH_SCALE_MIB and the swap runs at 1 GiB, to show how the cost per page
# grows with the size.  Each measurement is BENCH_ROUNDS rounds after a
# warm-up (BENCH_SCALE_ROUNDS for the large sizes: instruction counts do
# not vary between rounds, and a 4 GiB round of every case takes minutes),
# the fault cases at each size of BENCH_MIB.  tools/bench/report reduces
# the logs to $(BENCH_OUT)/results.json and results.md and
# Documentation/bench.svg, and prints the table and the targets met and
# missed.  The scaling boot's guest holds a 4 GiB pool reserved and, beside
# it, a 4 GiB memfd or 4 GiB of huge pages: BENCH_SCALE_MEM.
BENCH_ROUNDS ?= 5
BENCH_MIB ?= 16 1024
BENCH_SCALE_ROUNDS ?= 1
BENCH_SCALE_MIB ?= 4096
BENCH_SCALE_MEM ?= 12G
BENCH_KERNEL ?= 6.1
BENCH_OUT ?= tools/bench/results
BENCH_VM = tools/vm/run --kernel $(BENCH_KERNEL) --timeout 7200
bench: tools/bench/swap_bench tools/bench/fault_bench
	@tools/deps --quiet
	@$(MAKE) --no-print-directory tool
	@mkdir -p $(BENCH_OUT)
	$(BENCH_VM) --mem 6G --icount -- tools/bench/run icount $(BENCH_ROUNDS) $(BENCH_MIB) \
		> $(BENCH_OUT)/icount.log
	$(BENCH_VM) --mem 6G --icount --append init_on_alloc=0 -- \
		tools/bench/run icount-pool $(BENCH_ROUNDS) > $(BENCH_OUT)/icount-pool.log
	$(BENCH_VM) --mem 6G --cpus 2 -- tools/bench/run tcg $(BENCH_ROUNDS) $(BENCH_MIB) \
		> $(BENCH_OUT)/tcg.log
	$(BENCH_VM) --mem $(BENCH_SCALE_MEM) --icount -- tools/bench/run icount-scale \
		$(BENCH_SCALE_ROUNDS) $(BENCH_SCALE_MIB) > $(BENCH_OUT)/icount-scale.log
	tools/bench/report --json $(BENCH_OUT)/results.json --md $(BENCH_OUT)/results.md \
		--svg Documentation/bench.svg $(BENCH_OUT)/icount.log \
		$(BENCH_OUT)/icount-pool.log $(BENCH_OUT)/tcg.log $(BENCH_OUT)/icount-scale.log

tools/bench/%_bench: tools/bench/%_bench.c module/uapi/linux/shmpool.h
	$(CC) -O2 -g -Wall -Wextra -Imodule/uapi -o $@ $<

# Documentation/ as HTML in Documentation/output/ with Debian's Sphinx.
# -W -n --keep-going: every warning, a reference to nothing included, fails
# the build, and all of them are listed, not only the first.  The pages pull
# DOC: blocks out of module/ with the kernel's kernel-doc, which tools/deps
# unpacks into the cache with the 6.12 source (Documentation/conf.py).
htmldocs:
	@tools/deps --quiet
	sphinx-build -W --keep-going -n -q -b html Documentation Documentation/output

# The worked example of the interface (Documentation/userspace-api.rst
# includes it), built against this tree's header: selftests/example.sh runs
# it, so the example cannot rot.
examples:
	$(MAKE) -C tools/examples CPPFLAGS=-I../../module/uapi

# Installs the module for KERNEL/KDIR into /lib/modules/RELEASE/updates, and
# under PREFIX shmpoolctl (an administrator's tool: sbin, man section 8),
# <linux/shmpool.h>, the man page and shmpool.pc (header only: its Cflags);
# the udev rule goes to /etc/udev/rules.d, where udev reads local rules
# (packages use /lib/udev/rules.d: make deb).  DESTDIR stages it all
# elsewhere, and then depmod is left to whoever installs the staged tree:
# Kbuild's own depmod is off (DEPMOD=true) and, without DESTDIR, run here,
# since Debian's header trees have no System.map and Kbuild skips it there.
# The module is signed only when the tree has the kernel's signing key.
# The test module, shmpool_test.ko, is installed beside it, as the kernel's
# own packages ship test_hmm.ko and dmapool_test.ko: nothing loads it
# (it has no alias), but the selftests can then run against an installed
# shmpool without a build tree.
# `make uninstall` with the same variables removes exactly these files.
PREFIX ?= /usr/local
UDEVRULESDIR ?= /etc/udev/rules.d
# The release the module is built for, as its vermagic says (Debian's
# header trees answer `make kernelrelease` with the upstream version).
KRELEASE = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h)
MODDIR = $(DESTDIR)/lib/modules/$(KRELEASE)/updates/module
MAN8 := $(wildcard Documentation/man/*.8)
install: module tool
	$(KBUILD) INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=updates DEPMOD=true \
		$(if $(wildcard $(KDIR)/certs/signing_key.pem),,CONFIG_MODULE_SIG_ALL=) \
		modules_install
	$(if $(DESTDIR),,depmod -a $(KRELEASE))
	install -D -m 0755 tools/shmpoolctl/shmpoolctl $(DESTDIR)$(PREFIX)/sbin/shmpoolctl
	install -D -m 0644 module/uapi/linux/shmpool.h \
		$(DESTDIR)$(PREFIX)/include/linux/shmpool.h
	install -D -m 0644 tools/udev/60-shmpool.rules \
		$(DESTDIR)$(UDEVRULESDIR)/60-shmpool.rules
	$(if $(MAN8),install -D -m 0644 -t $(DESTDIR)$(PREFIX)/share/man/man8 $(MAN8))
	install -d $(DESTDIR)$(PREFIX)/share/pkgconfig
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
		tools/pkgconfig/shmpool.pc.in > $(DESTDIR)$(PREFIX)/share/pkgconfig/shmpool.pc

uninstall:
	rm -f $(MODDIR)/shmpool.ko* $(MODDIR)/shmpool_test.ko* $(MODDIR)/shmpool_kunit.ko*
	rmdir --ignore-fail-on-non-empty $(MODDIR) 2>/dev/null || true
	$(if $(DESTDIR),,depmod -a $(KRELEASE))
	rm -f $(DESTDIR)$(PREFIX)/sbin/shmpoolctl \
		$(DESTDIR)$(PREFIX)/include/linux/shmpool.h \
		$(DESTDIR)$(UDEVRULESDIR)/60-shmpool.rules \
		$(DESTDIR)$(PREFIX)/share/pkgconfig/shmpool.pc \
		$(addprefix $(DESTDIR)$(PREFIX)/share/man/man8/,$(notdir $(MAN8)))

# dkms rebuilds the module for every kernel installed from now on
# (dkms.conf).  The sources it needs, and no more, go to
# DKMS_SOURCETREE/shmpool-VERSION (/usr/src, where dkms looks).
# DKMS_FLAGS go to every dkms command, DKMS_KERNEL_FLAGS to build and
# install (default: the running kernel); tools/test-install uses them to
# keep dkms in private trees.
DKMS_SOURCETREE ?= /usr/src
DKMS_FLAGS ?=
DKMS_KERNEL_FLAGS ?=
# The sources are taken by pattern, so that a new file or module in module/
# needs no change here or in the Debian package, which installs the same
# list (dkms-source) with a dkms.conf of its own (debian/rules says why).
DKMS_SRC = $(DKMS_SOURCETREE)/shmpool-$(VERSION)
DKMS_SOURCES = $(wildcard Kbuild module/Kbuild module/*/Kbuild module/uapi/linux/*.h) \
	$(filter-out %.mod.c,$(wildcard module/*.[ch]))
dkms-source:
	rm -rf $(DKMS_SRC)
	install -d $(DKMS_SRC)
	cp --parents $(DKMS_SOURCES) $(DKMS_SRC)/

dkms-install: dkms-source
	cp dkms.conf VERSION $(DKMS_SRC)/
	dkms add $(DKMS_FLAGS) --sourcetree $(DKMS_SOURCETREE) shmpool/$(VERSION)
	dkms build $(DKMS_FLAGS) --sourcetree $(DKMS_SOURCETREE) $(DKMS_KERNEL_FLAGS) \
		shmpool/$(VERSION)
	dkms install $(DKMS_FLAGS) --sourcetree $(DKMS_SOURCETREE) $(DKMS_KERNEL_FLAGS) \
		shmpool/$(VERSION)

dkms-uninstall:
	dkms remove $(DKMS_FLAGS) --sourcetree $(DKMS_SOURCETREE) shmpool/$(VERSION) --all
	rm -rf $(DKMS_SRC)

# Debian packages (debian/), built offline from a copy of the tree into
# DEBDIR and checked with lintian: tools/build-deb.  tools/test-deb installs
# them in the test VM.
DEBDIR ?= ..
deb:
	tools/build-deb $(DEBDIR)

.PHONY: examples install uninstall dkms-source dkms-install dkms-uninstall deb

clean:
	rm -rf .tmp_versions
	rm -rf Documentation/output
	find module -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name '*.order' -o -name '*.symvers' \
		-o -name '*.dwo' -o -name '*.o.d' | xargs -r rm -f
	rm -f Module.symvers modules.order .modules.order.cmd .Module.symvers.cmd
	cd tools/vm/selftest && rm -f *.o *.ko *.mod *.mod.c .*.cmd *.order *.symvers
	$(MAKE) -C tools/shmpoolctl clean
	$(MAKE) -C tools/examples clean
	rm -f tools/bench/swap_bench tools/bench/fault_bench
	$(MAKE) -C selftests clean

help:
	@echo 'Targets:'
	@echo '  all        module, tool and selftests (default)'
	@echo '  module     shmpool.ko, shmpool_test.ko for KERNEL=$(KERNEL) / KDIR=$(KDIR)'
	@echo '  tool       tools/shmpoolctl/shmpoolctl'
	@echo '  selftests  the kselftest programs'
	@echo '  deps       install missing packages, test kernels and the harness'
	@echo '  run        boot a VM and show what shmpool does'
	@echo '  check      every selftest in a VM on: $(KERNELS)'
	@echo '  check-debug  every selftest, KUnit and fault injection on the debug kernel'
	@echo '  bench      every benchmark in a VM: $(BENCH_OUT)/results.json'
	@echo '  style      checkpatch --strict on every C file'
	@echo '  lint       style, htmldocs, W=1 + sparse on every kernel, coccicheck,'
	@echo '             clang-format, the man page against shmpoolctl --help,'
	@echo '             kernel-doc -Wall over module/'
	@echo '  htmldocs   Documentation/ as HTML in Documentation/output/'
	@echo '  examples   tools/examples/share, the worked example of the interface'
	@echo '  install    module, shmpoolctl, header, udev rule, man page, shmpool.pc'
	@echo '             (DESTDIR=, PREFIX=$(PREFIX)); uninstall removes them'
	@echo '  dkms-install  the module under dkms, rebuilt for each new kernel'
	@echo '  dkms-uninstall  remove it from dkms and /usr/src'
	@echo '  deb        Debian packages shmpool-dkms and shmpool-tools in DEBDIR=$(DEBDIR)'
	@echo '  clean      remove everything the build made'
