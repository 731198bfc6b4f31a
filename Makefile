# kvm-gpc: the gfn-to-pfn cache series and the harness that proves it.
# Every target is a thin wrapper around one script in harness/; see README.md.

.PHONY: help setup run run-debug shell verdict check build-each bench install mail series-tree series-export clean

help:
	@echo "make setup          install what the project needs (root, once)"
	@echo "make run            series -> out-of-tree modules -> stock 6.12 kernel in QEMU -> selftests"
	@echo "make run KERNEL=debug   the same on a lockdep+KASAN kernel built from the base"
	@echo "make shell          the same VM, modules loaded, selftests on PATH, an interactive console (KERNEL=debug too)"
	@echo "make verdict RUN=build/<tier>/<run>   judge a saved run's logs again"
	@echo "make check          harness tests, checkpatch, both tiers (what CI runs)"
	@echo "make build-each     every prefix of the series builds (-Werror, KVM_XEN on and off)"
	@echo "make bench          gpc refresh latency, Xen event channel and runstate costs: base vs series in one VM"
	@echo "make install        install the built modules on a host running the base kernel (root)"
	@echo "make mail [PREFIX=\"PATCH v3\"]   the series as posted: your git identity, cover letter, To/Cc; nothing sent"
	@echo "make series-tree DIR=d / series-export DIR=d   edit the series as git history"
	@echo "Options: TESTS=\"a b\" EXTRA=path TEST_TIMEOUT=s VM_TIMEOUT=s VERBOSE=1 SERIES_DIR=d"

setup:
	harness/setup.sh

run:
	harness/run.sh

run-debug:
	KERNEL=debug harness/run.sh

shell:
	SHELL_VM=1 harness/run.sh

verdict:
	python3 harness/verdict.py $(or $(RUN),$(error give RUN=build/<tier>/<run>))

mail:
	harness/mail.sh "$(PREFIX)"

check:
	harness/check.sh

build-each:
	harness/build-each.sh

install:
	harness/install.sh

series-tree:
	harness/series.sh tree $(or $(DIR),$(error give DIR=<new directory>))

series-export:
	harness/series.sh export $(or $(DIR),$(error give DIR=<tree made by series-tree>))

clean:
	rm -rf build

# Refresh latency, Xen event channel and runstate costs, base vs series in one VM.
bench:
	harness/bench.sh
