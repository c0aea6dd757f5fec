#!/usr/bin/env node
// Second half of `npm run build`: tsc only emits JavaScript, but the compiled app resolves views,
// stylesheets and plugin assets from dist/ (core/paths.ts: projectRoot is the folder above core/),
// so every file that is not TypeScript source is copied next to the compiled code.
import { cpSync, existsSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(root, 'dist')

if (!existsSync(join(dist, 'core', 'server.js'))) {
  process.stderr.write('copy-assets: dist/core/server.js is missing; run `tsc -p tsconfig.build.json` first\n')
  process.exit(1)
}

// .ts sources are compiled by tsc; a plugin's own node_modules is never part of the build.
const isSource = (name) => /\.(ts|mts|cts)$/.test(name) || name === 'node_modules'

/** Copies the non-TypeScript files of one top-level folder into dist/, keeping the layout. */
function copyAssets(folder) {
  const from = join(root, folder)
  if (!existsSync(from)) return 0
  let copied = 0
  cpSync(from, join(dist, folder), {
    recursive: true,
    filter: (source) => {
      if (isSource(basename(source))) return false
      if (statSync(source).isFile()) copied += 1
      return true
    }
  })
  return copied
}

// views/ holds no compiled code, so it is replaced whole: a template deleted from the sources must
// not live on in dist/.
rmSync(join(dist, 'views'), { recursive: true, force: true })
const counts = ['views', 'plugins', 'migrations', 'core'].map((folder) => `${folder}/ ${copyAssets(folder)}`)
process.stdout.write(`copy-assets: copied into dist/: ${counts.join(', ')}\n`)
