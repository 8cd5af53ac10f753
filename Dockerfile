# syntax=docker/dockerfile:1
# pubkeeper: build with the whole toolchain, run with the runtime dependencies only, as a
# non-root user. Keys and admin state live in the volume /var/lib/pubkeeper (the working
# directory), so `serve`'s defaults ./keys and ./data land there: a first start with an empty
# volume generates development keys; for anything real, mount your own keys (see deploy/README.md).

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` build runs below, once the sources are here.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist/src ./dist/src
COPY bin ./bin
COPY deploy/healthcheck.mjs ./deploy/healthcheck.mjs
# The image's own user (uid 1000 in the node image) owns the state directory and nothing else.
RUN mkdir -p /var/lib/pubkeeper/keys /var/lib/pubkeeper/data && chown -R node:node /var/lib/pubkeeper
USER node
WORKDIR /var/lib/pubkeeper
VOLUME ["/var/lib/pubkeeper"]
EXPOSE 9898
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["node", "/app/deploy/healthcheck.mjs"]
# SIGTERM (docker stop) drains sessions and exits 0; keep docker's stop timeout above
# --drain-timeout-ms (default 4 s; docker waits 10 s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/bin/pubkeeper.js"]
CMD ["serve"]
