import { spawn, spawnSync } from 'node:child_process'
import { track } from './processes.js'

export interface WrkResult {
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  requests: number
  /** Bytes of all answers (headers and bodies) as wrk counts them. */
  bytesRead: number
  /** Answers that were not 2xx or 3xx: a run with any is not a measurement of the page. */
  non2xx: number
  socketErrors: number
}

export interface WrkOptions {
  url: string
  seconds: number
  connections: number
  /** CPU list for `taskset -c`, or undefined to run unpinned. */
  cpu?: string
  /** Sent with every request, e.g. the session cookie of a signed-in member. */
  headers?: Record<string, string>
  /** How long wrk waits for one answer before it counts a timeout (wrk's default: 2 s). */
  timeoutSeconds?: number
  /** A wrk Lua script (`-s`), e.g. one that spreads requests over many paths. */
  script?: string
}

/** wrk's version line, or undefined when wrk is not installed. */
export function wrkVersion(): string | undefined {
  const result = spawnSync('wrk', ['--version'], { encoding: 'utf8' })
  if (result.error) return undefined
  return `${result.stdout}${result.stderr}`.split('\n')[0].replace(/\s*Copyright.*$/, '').trim() || 'wrk (version unknown)'
}

/** wrk prints sizes in binary units (1KB = 1024 bytes). */
const UNIT_BYTES: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 }

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

function durationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text)
  if (!match) throw new Error(`wrk: cannot read the duration '${text}'`)
  return Number(match[1]) * UNIT_MS[match[2]]
}

/** Reads the summary `wrk --latency` prints; throws when a figure the report needs is missing. */
export function parseWrk(output: string): WrkResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(output)
  const p50 = /^\s+50%\s+(\S+)/m.exec(output)
  const p99 = /^\s+99%\s+(\S+)/m.exec(output)
  const requests = /^\s+(\d+) requests in [^,]+, ([\d.]+)(B|KB|MB|GB|TB) read/m.exec(output)
  if (!rps || !p50 || !p99 || !requests) throw new Error(`wrk: unexpected output:\n${output}`)
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output)
  const sockets = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output)
  return {
    requestsPerSecond: Number(rps[1]),
    p50Ms: durationMs(p50[1]),
    p99Ms: durationMs(p99[1]),
    requests: Number(requests[1]),
    bytesRead: Number(requests[2]) * UNIT_BYTES[requests[3]],
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sockets ? sockets.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0
  }
}

/** One wrk run (one thread, keep-alive connections), killed if it overruns its time by 15 s. */
export function runWrk(options: WrkOptions): Promise<WrkResult> {
  const headers = Object.entries(options.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`])
  const timeout = options.timeoutSeconds ? ['--timeout', `${options.timeoutSeconds}s`] : []
  const script = options.script ? ['-s', options.script] : []
  const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--latency', ...timeout, ...script, ...headers, options.url]
  const [command, argv] = options.cpu === undefined ? ['wrk', args] : ['taskset', ['-c', options.cpu, 'wrk', ...args]]
  return new Promise((resolve, reject) => {
    const child = track(spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] }))
    let output = ''
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), (options.seconds + 15) * 1000)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code !== 0) return reject(new Error(`wrk ${options.url} ended with ${signal ?? `code ${code}`}:\n${output}`))
      try {
        resolve(parseWrk(output))
      } catch (error) {
        reject(error)
      }
    })
  })
}
