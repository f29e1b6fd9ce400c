# Venn — make help lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO        ?= go
FUNCTIONS := extract kpi payouts approve score
BIN       := bin
OUT       ?= out
# Lambda bootstraps: Graviton, static, no RPC shim, reproducible paths, stripped.
LAMBDA_ENV   := GOOS=linux GOARCH=arm64 CGO_ENABLED=0
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags "-s -w"
NODE_DIR  := scripts/node
# bench-kpi-rows' org sizes, comma-separated (a variable: $(or) would split
# a comma-separated default into its arguments and keep only the first).
BENCH_SCALES ?= 1000000,5000000
STATICCHECK_VERSION ?= v0.8.2
# Per test binary. The functions package cross-builds four arm64 bootstraps
# before its first test: on a cold build cache and a busy 2-core machine that
# alone can pass go test's default 10 minutes.
TEST_TIMEOUT ?= 30m

.PHONY: help demo test test-short build bench bench-extract bench-kpi bench-kpi-rows bench-score check-kpi lint clean deps approve

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_%-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

demo: ## Run the whole job end to end on the embedded demo org (no AWS, no network)
	@echo "make demo: building $(BIN)/venn (go build -v lists each package as it compiles; the first build compiles every dependency and takes minutes, later ones seconds)"
	$(GO) build -v -o $(BIN)/venn ./scripts/venn
	@echo "make demo: running $(BIN)/venn demo --out $(OUT) (then try $(BIN)/venn --help)"
	$(BIN)/venn demo --out $(OUT)

approve: ## Finalize (default; make demo leaves 2026Q3 approved) or approve the demo quarter locally, as you (the OS user; VENN_LOCAL_USER=name plays another) (QUARTER=2026Q3 ACTION=finalize|approve)
	@$(GO) build -o $(BIN)/venn ./scripts/venn
	$(BIN)/venn approve --out $(OUT) --quarter $(or $(QUARTER),2026Q3) --action $(or $(ACTION),finalize)

deps: ## Install the local test servers and tools (dynalite, asl-validator) from npm
	@if command -v npm >/dev/null 2>&1; then \
	  if [ ! -d $(NODE_DIR)/node_modules ]; then npm ci --prefix $(NODE_DIR) --no-audit --no-fund; fi; \
	else echo "deps: npm not found: DynamoDB (dynalite) and ASL tests will skip (they fail under CI=true)"; fi

test: deps ## Run the whole test suite (root module and the DuckDB checks module)
	$(GO) vet ./...
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...
	cd scripts/checks && $(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

test-short: ## The quick loop: -short tests of the root module
	$(GO) test -short ./...

build: $(addprefix $(BIN)/,$(addsuffix /bootstrap,$(FUNCTIONS))) ## Build every Lambda bootstrap (linux/arm64) into bin/<function>/bootstrap

$(BIN)/%/bootstrap: FORCE
	@mkdir -p $(dir $@)
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $@ ./functions/$*

# sam build (BuildMethod: makefile) calls build-<LogicalId> with ARTIFACTS_DIR set.
build-ExtractFunction: ; $(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/extract
build-KpiFunction:     ; $(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/kpi
build-PayoutsFunction: ; $(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/payouts
build-ApproveFunction: ; $(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/approve
build-ScoreFunction:   ; $(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/score

bench: bench-extract bench-kpi bench-kpi-rows bench-score ## Run the benchmarks (ratios against a reference in the same run)

bench-extract: ## Extract: pipeline vs bare JSON-decode+Parquet-encode bound (BENCH_LEADS=1000000)
	cd scripts/checks && $(GO) run ./extractbench

bench-kpi: ## KPI catalog: Venn vs DuckDB SQL over the same files (BENCH_LEADS=200000; target 5000000)
	cd scripts/checks && $(GO) run ./kpibench

bench-kpi-rows: ## KPI engine per-row cost at 1M and 5M leads in one run, and the lake's Parquet bytes (target: 5M within 1.2x of 1M per row)
	cd scripts/checks && $(GO) run ./kpibench -scaling $(BENCH_SCALES)

bench-score: ## Lead scoring: train, measure and score 1M leads against a reference pass, peak RSS within a 3 GB Lambda (BENCH_LEADS=1000000)
	cd scripts/checks && $(GO) run ./scorebench

check-kpi: ## Whole-catalog DuckDB cross-check of every KPI, key and model at scale (CHECK_LEADS=1000000)
	cd scripts/checks && $(GO) run ./kpibench -check -leads $(or $(CHECK_LEADS),1000000)

lint: ## gofmt, go vet, and staticcheck when it installs
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	cd scripts/checks && $(GO) vet ./...
	@if $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) -version >/dev/null 2>&1; then \
	  $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...; \
	else echo "lint: staticcheck $(STATICCHECK_VERSION) not available from the module proxy; skipped"; fi

clean: ## Remove build outputs and demo output
	rm -rf $(BIN) $(OUT) .aws-sam

FORCE:
