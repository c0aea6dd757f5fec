import { register } from 'node:module'

// The loader hooks, as source (the next hooks, e.g. tsx's, still resolve and load the target): a data: URL keeps them in this one file, in source and in dist alike.
const HOOKS = `
let targets = {}
export async function initialize(data) { targets = data }
export async function resolve(specifier, context, next) {
  return next(Object.hasOwn(targets, specifier) ? targets[specifier] : specifier, context)
}
`

// Loader hooks belong to the process, not to an app: once registered, they serve every app built in
// it, and they always point at the same files, so registering them once is enough.
let provided = false

/**
 * Makes `kaiku` and `kaiku/plugin-api` resolve, for plugins loaded from anywhere (an npm package, a
 * path outside the project), to this host's `core/api` and `core/plugin-api` modules. A plugin then
 * shares the host's classes (a `NotFoundError` it throws is the one the error handler knows) and
 * never needs Kaiku installed inside its own node_modules.
 */
export function provideApiToPlugins(): void {
  if (provided) return
  provided = true
  const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js'
  const target = (file: string) => new URL(`../${file}.${extension}`, import.meta.url).href
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, {
    data: { kaiku: target('api'), 'kaiku/plugin-api': target('plugin-api') }
  })
}
