# Kaiku image: a build stage that compiles the TypeScript and the sqlite3 native module, and a runtime
# stage that holds only the compiled app and its production dependencies, running as a non-root user.
#
#   docker build -t kaiku .
#   docker run -p 3000:3000 -v kaiku-data:/data kaiku
#
# See docs/deployment.md.

FROM node:20-bookworm-slim AS build

# node-gyp needs python3, make and a C++ compiler to build sqlite3 from source.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*

# Node 20 ships npm 10, which ignores package.json#allowScripts and runs every dependency's install
# script. npm 11 (the version the lockfile is written with) applies that policy, so the image is
# built under the same rules as a developer's `npm ci`. Only this stage has it; the runtime needs no npm.
RUN npm install --global npm@11.19.1

WORKDIR /app

# Dependencies first, in their own layer, so a change to the sources does not recompile sqlite3.
# build_from_source: prebuild-install would otherwise download a prebuilt binary from GitHub; compile
#   it here instead, with the compiler installed above (npm 11 warns that it does not know this
#   setting, but prebuild-install reads it from the environment).
# nodedir: the node headers are already in the image (/usr/local/include/node), so node-gyp need not
#   download them from nodejs.org.
COPY package.json package-lock.json ./
RUN npm_config_build_from_source=true npm_config_nodedir=/usr/local npm ci

COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY core ./core
COPY plugins ./plugins
COPY migrations ./migrations
COPY views ./views
RUN npm run build

# Drop dev dependencies (tsx, typescript, tap…) without reinstalling, so the compiled sqlite3 is kept.
# Then keep only sqlite3's compiled module: its sources and object files (~20 MB) are build leftovers.
RUN npm prune --omit=dev \
  && mv node_modules/sqlite3/build/Release/node_sqlite3.node /tmp/ \
  && rm -rf node_modules/sqlite3/build node_modules/sqlite3/deps node_modules/sqlite3/src \
  && mkdir -p node_modules/sqlite3/build/Release \
  && mv /tmp/node_sqlite3.node node_modules/sqlite3/build/Release/


FROM node:20-bookworm-slim

# HOST: inside a container the server must listen on every interface, not only on localhost.
# DATABASE_URL: SQLite in the data volume by default; set postgres://… to use PostgreSQL.
ENV HOST=0.0.0.0 \
    PORT=3000 \
    KAIKU_DATA_DIR=/data \
    DATABASE_URL=sqlite:/data/kaiku.db

WORKDIR /app

# package.json is needed at run time: its "type": "module" makes Node load dist/**/*.js as ES modules.
# Files stay owned by root, so the app cannot rewrite its own code; it writes only to /data.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin

# `kaiku` on PATH for `docker exec <container> kaiku migrate` and the like. Without tsx (a dev
# dependency) bin/kaiku.mjs runs the compiled CLI in dist/.
RUN chmod 755 bin/kaiku.mjs \
  && ln -s /app/bin/kaiku.mjs /usr/local/bin/kaiku \
  && mkdir /data \
  && chown node:node /data

# The base image's unprivileged user (uid 1000). A named volume mounted on /data takes the ownership
# of the folder created above; a bind-mounted host folder must be writable by uid 1000.
USER node
VOLUME /data
EXPOSE 3000

# Slim images have no curl, so node itself asks /healthz (liveness: it touches no database).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# The base image's entrypoint execs this command, so node runs as PID 1 and receives SIGTERM itself:
# core/server.ts then finishes requests in flight (KAIKU_SHUTDOWN_TIMEOUT) and exits 0.
CMD ["node", "dist/core/server.js"]
