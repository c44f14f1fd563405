# Rapport's server image. Build: docker build -t rapport .
FROM swift:6.0-bookworm AS build
WORKDIR /src
COPY Package.swift ./
COPY Sources Sources
COPY Plugins Plugins
COPY Migrations Migrations
RUN swift build -c release --product rapport --static-swift-stdlib \
 && cp "$(swift build -c release --show-bin-path)/rapport" /rapport

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home --shell /usr/sbin/nologin rapport
COPY --from=build /rapport /usr/local/bin/rapport
USER rapport
EXPOSE 8080
ENV RAPPORT_HOST=0.0.0.0 RAPPORT_PORT=8080
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["rapport"]
CMD ["serve", "--log-format", "json"]
