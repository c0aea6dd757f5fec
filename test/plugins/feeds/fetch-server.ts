import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Network } from '../../../plugins/feeds/lib/network.js'
import type { TestLike } from '../../helper.js'

export type Handler = (request: IncomingMessage, response: ServerResponse) => void

/** What the local server was asked: `<host header> <path>`, in order. */
export interface LocalServer {
  port: number
  requests: string[]
}

/**
 * A web server on 127.0.0.1 standing in for the internet: every site the stub network knows is
 * dialled here, told apart by its Host header. It records every request it receives, so a test can
 * prove a refused address was never contacted.
 */
export async function localServer(t: TestLike, routes: Record<string, Handler>): Promise<LocalServer> {
  const requests: string[] = []
  const server = createServer((request, response) => {
    const target = `${request.headers.host} ${request.url}`
    requests.push(target)
    const handler = routes[target] ?? routes[`* ${request.url}`]
    if (handler) return handler(request, response)
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not here')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    return new Promise((resolve) => server.close(resolve))
  })
  return { port: (server.address() as AddressInfo).port, requests }
}

/** The public-looking address every stubbed site resolves to (example.com's, in documentation). */
export const PUBLIC = '93.184.216.34'

/**
 * A network whose DNS is a table, and which dials every address (public-looking or not) to the
 * local server: if the fetcher ever connected to a refused address, the server would see it.
 */
export function stubNetwork(server: LocalServer, names: Record<string, string[]> = {}): Network & { dialled: string[] } {
  const dialled: string[] = []
  return {
    dialled,
    async resolve(hostname) {
      const addresses = names[hostname]
      if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })
      return addresses
    },
    dial(address) {
      dialled.push(address)
      return { host: '127.0.0.1', port: server.port }
    },
    allow: []
  }
}

export const redirect = (location: string, status = 302): Handler => (_request, response) => response.writeHead(status, { location }).end()
export const respond = (body: string | Buffer, type = 'text/html; charset=utf-8', headers: Record<string, string> = {}): Handler => (_request, response) =>
  response.writeHead(200, { 'content-type': type, ...headers }).end(body)

/** Points an app's fetcher (`app.feedsNetwork`) at the local server, as the plugin lets tests do. */
export function useStubNetwork(app: FastifyInstance, server: LocalServer, names: Record<string, string[]>) {
  const stub = stubNetwork(server, names)
  Object.assign(app.feedsNetwork, { resolve: stub.resolve, dial: stub.dial })
  return stub
}
