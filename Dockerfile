# syntax=docker/dockerfile:1
# One image for every NDS workload; the Helm chart (helm/nds) only changes the
# arguments: `nds serve <service>`, `nds job <name>`, `nds migrate <service>`.
#
#   docker build -t nds:0.1.0 .
#
# Build: the pinned toolchain of rust-toolchain.toml (1.95.0); protoc comes
# from the vendored protoc-bin-vendored crate and TLS is rustls, so no system
# packages are needed. Runtime: distroless cc (glibc, CA roots, no shell),
# user nonroot (65532), just the binary.

ARG RUST_VERSION=1.95.0

# --- cargo-chef: turns the workspace manifests into a recipe so that the
# dependencies compile in their own layer, reused until Cargo.toml/Cargo.lock
# change.
FROM rust:${RUST_VERSION}-bookworm AS chef
RUN cargo install cargo-chef --version 0.1.78 --locked
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY rust-toolchain.toml ./
COPY --from=planner /src/recipe.json recipe.json
# Dependencies only (the cached layer).
RUN cargo chef cook --release --locked -p nds --recipe-path recipe.json
# Then the workspace itself.
COPY . .
RUN cargo build --release --locked -p nds \
 && install -D -m 0755 target/release/nds /out/nds

# --- runtime
FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="nds" \
      org.opencontainers.image.description="NDS car marketplace backend: gRPC services, GraphQL edge, jobs and migrations" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=builder /out/nds /usr/local/bin/nds
USER 65532:65532
# gRPC, edge HTTP, billing webhook, metrics.
EXPOSE 50051 8080 8081 9090
ENTRYPOINT ["/usr/local/bin/nds"]
CMD ["--help"]
