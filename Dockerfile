# Kopā in a container: a static binary on a small base, running as a
# non-root user, with its data in a volume.
#
#   docker build -t kopa .
#   docker run -d -p 8090:8090 -v kopa_data:/data kopa

FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV GOTOOLCHAIN=local CGO_ENABLED=0
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags="-s -w" -o /out/kopa .

FROM alpine:3.22
RUN apk add --no-cache ca-certificates \
 && addgroup -S kopa && adduser -S -G kopa -H -h /data kopa \
 && mkdir -p /data && chown kopa:kopa /data
COPY --from=build /out/kopa /usr/local/bin/kopa
USER kopa
VOLUME ["/data"]
EXPOSE 8090
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD wget -qO- http://127.0.0.1:8090/api/health >/dev/null || exit 1
ENTRYPOINT ["/usr/local/bin/kopa"]
CMD ["serve", "--http", "0.0.0.0:8090", "--dir", "/data"]
