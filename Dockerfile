# syntax=docker/dockerfile:1

# 1. GraphiQL's browser assets and the admin dashboard, built from the npm
#    packages pinned in web/package-lock.json.
FROM node:20-bookworm-slim AS assets
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY web/build.mjs ./
COPY web/admin ./admin
RUN npm run build

# 2. A static binary (pure-Go SQLite driver, so no cgo) with the assets embedded.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=assets /src/web/dist/ ./web/dist/
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/shop . && mkdir -p /out/data

# 3. A small non-root image: the binary, CA certificates and nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /app
COPY --from=build /out/shop /app/shop
# The embedded SQLite default writes ./data; with DATABASE_URL it stays empty.
COPY --from=build --chown=nonroot:nonroot /out/data /app/data
ENV PORT=8080
# The GC runs a quarter as often as by default (measured: +28% on order
# reads, see README); the memory limit keeps that safe on a 512 MiB instance.
ENV GOGC=400 GOMEMLIMIT=384MiB
EXPOSE 8080
USER nonroot:nonroot
HEALTHCHECK --interval=10s --timeout=6s --start-period=10s --retries=3 CMD ["/app/shop", "healthcheck"]
ENTRYPOINT ["/app/shop"]
