#!/usr/bin/env node
// The `kaiku` command. In a clone it runs the TypeScript sources through tsx (a dev dependency);
// in the image, where only compiled JavaScript and production dependencies exist, it runs dist/.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
let entry = join(root, 'dist', 'core', 'cli.js')
try {
  const { register } = await import('tsx/esm/api')
  register()
  entry = join(root, 'core', 'cli.ts')
} catch {
  if (!existsSync(entry)) {
    process.stderr.write('kaiku: neither tsx nor a build (dist/) is available; run `npm ci` or `npm run build`\n')
    process.exit(1)
  }
}
const { main } = await import(pathToFileURL(entry).href)
await main()
