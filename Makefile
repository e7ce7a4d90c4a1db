# How `sam build` builds each function of infra/template.yaml (`BuildMethod: makefile`): it runs
# `make build-<LogicalId>` here with ARTIFACTS_DIR set, and zips what lands there.
#
# Functions are static musl executables for arm64, linked by zig (`cargo zigbuild`): no dynamic
# loader, no shared libraries and none of glibc's start-up work, and position-dependent
# (`scripts/build-functions`, `functions/build.rs`). The worker's zip also holds `file-reader`,
# the position-independent program its children read contacts' files with. Needs
# `rustup target add aarch64-unknown-linux-musl`, zig and cargo-zigbuild.
#
# A function's binary is its logical id without `Function`, in kebab case, WhatsApp one word
# (`GetAgentFunction` → `get-agent`, `WhatsAppWebhookFunction` → `whatsapp-webhook`); the
# contract tests hold every function of the template to it.

LAMBDA_TARGET ?= aarch64-unknown-linux-musl

binary = $(shell printf '%s' '$(1)' | sed -e 's/Function$$//' -e 's/WhatsApp/Whatsapp/g' -e 's/\([a-z0-9]\)\([A-Z]\)/\1-\2/g' | tr 'A-Z' 'a-z')

build-AgentWorkerFunction:
	CARGO="cargo zigbuild" scripts/build-functions $(LAMBDA_TARGET) agent-worker file-reader
	cp target/$(LAMBDA_TARGET)/release/agent-worker $(ARTIFACTS_DIR)/bootstrap
	cp target/$(LAMBDA_TARGET)/release/file-reader $(ARTIFACTS_DIR)/file-reader

build-%:
	CARGO="cargo zigbuild" scripts/build-functions $(LAMBDA_TARGET) $(call binary,$*)
	cp target/$(LAMBDA_TARGET)/release/$(call binary,$*) $(ARTIFACTS_DIR)/bootstrap

# What the contract tests compare with each function's `Binary`.
binary-%:
	@echo $(call binary,$*)
