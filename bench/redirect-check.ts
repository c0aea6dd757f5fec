import { writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { join } from 'node:path'
import type { Server } from './processes.js'

/**
 * What the redirect bench needs besides wrk: a Lua script that spreads requests over many short
 * links, the server's own count of the 302s it sent (from /metrics), and a burst of a known number
 * of requests whose every answer is awaited, to compare with the clicks in the database exactly.
 */

/** A wrk script that sends its requests round the given paths in turn, each formatted once, up front. */
export function spreadScript(dir: string, name: string, paths: string[]): string {
  const file = join(dir, `${name}.lua`)
  const list = paths.map((path) => `  ${JSON.stringify(path)}`).join(',\n')
  writeFileSync(
    file,
    `local paths = {\n${list}\n}
local requests = {}
local next_index = 1
init = function(args)
  for i, path in ipairs(paths) do requests[i] = wrk.format(nil, path) end
end
request = function()
  local r = requests[next_index]
  next_index = next_index % #requests + 1
  return r
end
`
  )
  return file
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The 302s the server has sent from `route`, as its Prometheus counter says. */
export async function redirectsServed(server: Server, route = '/s/*'): Promise<number> {
  const response = await fetch(server.url('/metrics'))
  if (response.status !== 200) throw new Error(`${server.name}: /metrics answered ${response.status}`)
  const text = await response.text()
  const line = text.split('\n').find((l) => l.startsWith('kaiku_http_requests_total{') && l.includes(`route="${route}"`) && l.includes('status_code="302"'))
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0
}

/** Waits until the server's 302 count stops moving: requests wrk left in flight have been answered. */
export async function settledRedirects(server: Server): Promise<number> {
  let last = await redirectsServed(server)
  for (;;) {
    await sleep(500)
    const now = await redirectsServed(server)
    if (now === last) return now
    last = now
  }
}

/**
 * `requests` GETs round `paths`, `concurrency` at a time over keep-alive connections, every answer
 * awaited (unlike wrk, which drops the requests in flight when its time is up).
 */
export async function countedBurst(server: Server, paths: string[], requests: number, concurrency: number): Promise<{ redirects: number; other: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  const get = (path: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(server.url(path), { agent }, (response) => {
        response.resume()
        response.on('end', () => resolve(response.statusCode ?? 0))
        response.on('error', reject)
      })
      req.on('error', reject)
      req.end()
    })
  let sent = 0
  let redirects = 0
  let other = 0
  const worker = async () => {
    while (sent < requests) {
      const status = await get(paths[sent++ % paths.length])
      if (status === 302) redirects++
      else other++
    }
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, worker))
  } finally {
    agent.destroy()
  }
  return { redirects, other }
}
