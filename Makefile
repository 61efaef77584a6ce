# Thin wrapper over meson: `make`, `make run`, `make test`, `make bench`, `make format`.
BUILD ?= build
MESON_OPTS ?= --buildtype=debugoptimized

.PHONY: all deps run test bench format clean

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

format:
	clang-format -i $$(git ls-files '*.c' '*.h' | grep -v '^bpf/vmlinux.h$$')

clean:
	rm -rf $(BUILD)
