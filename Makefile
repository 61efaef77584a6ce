# Thin wrapper over meson: `make`, `make run`, `make test`, `make bench`, `make format`.
BUILD ?= build
MESON_OPTS ?= --buildtype=debugoptimized

.PHONY: all deps run test bench format clean install uninstall

# make install: DESTDIR and PREFIX (default /usr: then the configuration goes to /etc and the
# state and logs to /var, as Debian expects), from a build dir of its own configured with
# PREFIX, so that $(BUILD) is left alone. make uninstall removes what it installed but never
# the configuration, rules, learned rules, quarantine or logs (docs/OPERATIONS.md).
PREFIX ?= /usr
INSTALL_BUILD ?= build-install$(subst /,-,$(PREFIX))

all: deps
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) $(MESON_OPTS)
	ninja -C $(BUILD)

# Installs missing Debian packages (apt-get) first; a no-op when all are present.
deps:
	@scripts/deps.sh $(DEPS_FLAGS)

# The main job: the persistence monitor daemon (alerts on stdout, the log file and journald).
run: all
	$(BUILD)/foothold run $(ARGS)

test: DEPS_FLAGS = --test
test: all
	tests/run-all.sh $(BUILD)

bench: all
	bench/exec-storm.sh $(BUILD)

install: deps
	@[ -f $(INSTALL_BUILD)/build.ninja ] || meson setup $(INSTALL_BUILD) $(MESON_OPTS) --prefix=$(PREFIX)
	ninja -C $(INSTALL_BUILD)
	meson install -C $(INSTALL_BUILD) --no-rebuild --destdir '$(DESTDIR)'
	@# On this machine (no DESTDIR): the runtime directory and alert log now, and systemd told.
	@if [ -z '$(DESTDIR)' ]; then \
		systemd-tmpfiles --create foothold.conf || true; \
		[ ! -d /run/systemd/system ] || systemctl daemon-reload; \
		echo 'installed; start it with: systemctl enable --now foothold'; \
	fi

uninstall:
	@[ -f $(INSTALL_BUILD)/build.ninja ] || { echo 'make uninstall: no $(INSTALL_BUILD);' \
		'give the PREFIX (or INSTALL_BUILD) that make install used' >&2; exit 1; }
	@if [ -z '$(DESTDIR)' ] && [ -d /run/systemd/system ]; then \
		systemctl disable --now foothold.service || true; \
	fi
	@# meson's list of the files it installs: the configuration is not in it (it is
	@# installed by scripts/install-config.sh), and directories are never removed.
	@meson introspect $(INSTALL_BUILD) --installed | \
		python3 -c 'import json, sys; print("\n".join(json.load(sys.stdin).values()))' | \
		while read -r f; do rm -fv '$(DESTDIR)'"$$f"; done
	@d='$(DESTDIR)$(PREFIX)/share/foothold'; [ ! -d "$$d" ] || rmdir -v --ignore-fail-on-non-empty "$$d"
	@[ -n '$(DESTDIR)' ] || [ ! -d /run/systemd/system ] || systemctl daemon-reload
	@echo 'kept: the configuration and rules (foothold/ in sysconfdir), learned rules,' \
		'quarantine and pending alerts (/var/lib/foothold), alert logs (/var/log/foothold)'

format:
	clang-format -i $$(git ls-files '*.c' '*.h' | grep -v '^bpf/vmlinux.h$$')

clean:
	rm -rf $(BUILD)
