# kubevisor — build, run, test and benchmark the Supervisor.
#
# The first build compiles Kubernetes from source (about 10 minutes on 2
# cores); after that, builds take seconds.

SHELL        := /usr/bin/env bash -o pipefail
GO           ?= go
BIN          := $(CURDIR)/bin
TOOLS_BIN    := $(BIN)/tools
DATA_DIR     ?= $(CURDIR)/.kubevisor
CONTROLLER_GEN := $(TOOLS_BIN)/controller-gen
GOLANGCI_LINT  := $(TOOLS_BIN)/golangci-lint
CAPI_MODULE  := sigs.k8s.io/cluster-api
TEST_FLAGS   ?=
BENCH_FLAGS  ?=

export CGO_ENABLED ?= 1

.PHONY: all
all: build

## --- code generation -------------------------------------------------------

$(CONTROLLER_GEN): hack/tools/go.mod
	cd hack/tools && GOBIN=$(TOOLS_BIN) $(GO) install sigs.k8s.io/controller-tools/cmd/controller-gen

$(GOLANGCI_LINT): hack/tools/go.mod
	cd hack/tools && GOBIN=$(TOOLS_BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint

# Cluster API's own CLI, a real client the end-to-end tests run.
CLUSTERCTL := $(TOOLS_BIN)/clusterctl
$(CLUSTERCTL): hack/tools/clusterctl/go.mod
	cd hack/tools/clusterctl && GOBIN=$(TOOLS_BIN) $(GO) install sigs.k8s.io/cluster-api/cmd/clusterctl

.PHONY: generate
generate: $(CONTROLLER_GEN) capi-crds ## Regenerate deepcopy code and our CRDs from api/.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...
	$(CONTROLLER_GEN) crd:maxDescLen=512 paths=./api/... output:crd:artifacts:config=config/crd/bases

# The Cluster API CRDs are the ones shipped in the pinned cluster-api module;
# they are copied out of the module cache, never edited or committed.
.PHONY: capi-crds
capi-crds:
	@dir=$$($(GO) list -m -f '{{.Dir}}' $(CAPI_MODULE)) && \
	  test -n "$$dir" && \
	  for f in $$dir/core/config/crd/bases/*.yaml \
	           $$dir/bootstrap/kubeadm/config/crd/bases/*.yaml \
	           $$dir/controlplane/kubeadm/config/crd/bases/*.yaml; do \
	    cmp -s "$$f" config/crd/capi/$$(basename $$f) || install -m 0644 "$$f" config/crd/capi/; \
	  done && \
	  for m in core bootstrap/kubeadm controlplane/kubeadm; do \
	    f=$$dir/$$m/config/webhook/manifests.yaml; t=config/crd/capi/webhooks-$$(echo $$m | tr / -).yaml; \
	    cmp -s "$$f" "$$t" || install -m 0644 "$$f" "$$t"; \
	  done

## --- build -----------------------------------------------------------------

.PHONY: build
build: capi-crds ## Build every binary into bin/.
	$(GO) build -o $(BIN)/ ./cmd/kubevisor ./cmd/kubectl-vsphere
	@# The guest agent runs inside VMs whose root file system has no C
	@# library of the host's: it must be static.
	CGO_ENABLED=0 $(GO) build -o $(BIN)/kubevisor-guest ./cmd/kubevisor-guest

## --- images ----------------------------------------------------------------

IMAGES := $(BIN)/images

# The default small VM image: busybox (from Debian's busybox-static) plus the
# guest agent, packaged as an OVA for the default content library.
$(IMAGES)/kubevisor-busybox.ova: build
	@mkdir -p $(IMAGES)
	$(GO) run ./hack/images/busybox -agent $(BIN)/kubevisor-guest -o $(IMAGES)/busybox-rootfs.tar.gz
	$(GO) run ./hack/images/ova -rootfs $(IMAGES)/busybox-rootfs.tar.gz -o $@ \
	  -cloud-init -os-name busybox -product "kubevisor busybox" -vendor kubevisor -version 1.0
	@rm -f $(IMAGES)/busybox-rootfs.tar.gz

.PHONY: images
images: $(IMAGES)/kubevisor-busybox.ova ## Build the default VM images into bin/images.

# The Tanzu Kubernetes Release: Kubernetes, etcd, CoreDNS, pause and CNI
# built from source, on a Debian node OS made with debootstrap, packaged as
# an OVA. About 25 minutes the first time on 2 cores; seconds afterwards.
TKR_VERSION ?= v1.36.3
TKR_DIR     := $(CURDIR)/build/tkr/$(TKR_VERSION)

.PHONY: tkr
tkr: build ## Build the TKR node image for TKR_VERSION and add it to bin/images (needs root).
	hack/tkr/build.sh $(TKR_VERSION)
	@mkdir -p $(IMAGES)
	@for f in $(TKR_DIR)/*.ova; do ln -f "$$f" $(IMAGES)/ 2>/dev/null || cp -f "$$f" $(IMAGES)/; done

## --- run -------------------------------------------------------------------

.PHONY: run
run: build images tkr ## Start a Supervisor with its data in $(DATA_DIR).
	$(BIN)/kubevisor server --data-dir $(DATA_DIR)

## --- test ------------------------------------------------------------------

.PHONY: lint
lint: $(GOLANGCI_LINT) capi-crds ## go vet plus golangci-lint (import rules from STYLE.md).
	$(GO) vet ./...
	$(GOLANGCI_LINT) run ./...

.PHONY: verify-generate
verify-generate: generate ## Fail when generated files are stale.
	@git diff --exit-code -- api config/crd/bases || \
	  { echo "generated files are out of date: run 'make generate' and commit"; exit 1; }

.PHONY: test
test: build images tkr lint $(CLUSTERCTL) ## Static checks, unit, integration and end-to-end tests.
	KUBEVISOR_BIN=$(BIN) $(GO) test $(TEST_FLAGS) -timeout 60m ./...

## --- benchmarks ------------------------------------------------------------

.PHONY: bench
bench: build ## Print the benchmark figures.
	KUBEVISOR_BIN=$(BIN) $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m $(BENCH_FLAGS) ./test/bench/...

.PHONY: clean
clean:
	rm -rf $(BIN)

.PHONY: help
help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'
