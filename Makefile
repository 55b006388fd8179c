# innomatch — the commands people type. `make help` lists them.

CARGO ?= cargo
LISTEN ?= 127.0.0.1:50051
WEB_LISTEN ?= 127.0.0.1:8080
DATA_DIR ?= data

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build every crate (debug)
	$(CARGO) build --workspace

.PHONY: models
models: ## Install the pinned embedding model and engine into ./models (or INNOMATCH_MODELS_DIR)
	bash deploy/models.sh

.PHONY: k8s-validate
k8s-validate: ## Validate deploy/k8s offline (pinned PyPI kubernetes-validate, schemas shipped in the package)
	bash deploy/k8s-validate.sh

.PHONY: run
run: models ## Start every service on embedded defaults (data in ./data) and the web console on WEB_LISTEN
	$(CARGO) run -p innomatch -- serve --listen $(LISTEN) --data-dir $(DATA_DIR) --sample-data --metrics-listen 127.0.0.1:9464 --web-listen $(WEB_LISTEN)

.PHONY: test
test: models ## Run every test (Redis/PostgreSQL tests run when CI=true or the servers answer)
	$(CARGO) test --workspace --lib --bins --tests --no-fail-fast

.PHONY: lint
lint: ## rustfmt check and clippy with warnings as errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

.PHONY: fmt
fmt: ## Format the code
	$(CARGO) fmt --all

.PHONY: bench
bench: models ## Run the benchmarks (release build; prints tables and writes JSON to target/bench)
	INNOMATCH_EVAL_DIR=$(abspath $(EVAL_DIR)) $(CARGO) bench -p innomatch --bench real_text
	$(CARGO) bench -p innomatch --bench search
	INNOMATCH_EVAL_DIR=$(abspath $(EVAL_DIR)) $(CARGO) bench -p innomatch --bench replicas
	$(CARGO) run --release -p innomatch-leads --bin leads-bench
	$(CARGO) run --release -p innomatch-embed --example embed-bench
	$(CARGO) run --release -p innomatch-catalog --bin store-bench

EVAL_DIR ?= ../shared/eval/csl-dev

.PHONY: eval
eval: ## Ranking quality: the labelled sample set, then the real-text dev set (see eval-real)
	$(CARGO) run --release -p innomatch --example eval
	$(MAKE) eval-real

.PHONY: eval-real
eval-real: ## Real-text dev set (EVAL_DIR, default ../shared/eval/csl-dev): matcher vs TF-IDF baseline, same run
	INNOMATCH_EVAL_DIR=$(abspath $(EVAL_DIR)) $(CARGO) run --release -p innomatch --example eval_real

.PHONY: clean
clean: ## Remove build output (keeps ./data)
	$(CARGO) clean
