# LMServe — the two commands a fresh machine needs:
#   make serve   installs what is missing, builds, and serves the bundled example models
#   make test    installs what is missing, builds, and runs every test (what CI runs)

SWIFT   ?= swift
PORT    ?= 8080
BIN     := .build/release/lmserve

.PHONY: setup build serve test fuzz bench-ngram bench-http clean

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build -c release --product lmserve

serve: build
	$(BIN) serve --config deploy/lmserve.yaml --port $(PORT)

test:
	@scripts/setup.sh --tests
	scripts/test.sh

fuzz: setup
	Fuzz/run.sh
	Fuzz/kenlm.sh

bench-ngram: build
	Benchmarks/ngram-ppl.sh

bench-http: setup
	Benchmarks/http-wrk.sh

clean:
	rm -rf .build .build-*
