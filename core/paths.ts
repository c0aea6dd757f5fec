import { resolve } from 'node:path'

/** The folder holding core/, plugins/, views/ and migrations/ (the repository, or dist/ when compiled). */
export const projectRoot = resolve(import.meta.dirname, '..')
