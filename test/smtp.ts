import { once } from 'node:events'
import { SMTPServer, type SMTPServerOptions } from 'smtp-server'
import { simpleParser, type ParsedMail } from 'mailparser'
import type { TestLike } from './helper.js'

export interface SmtpSink {
  port: number
  url: string
  messages: ParsedMail[]
  /** Every RCPT TO the server saw, accepted or not. */
  attempts: number
  close(): Promise<void>
}

/**
 * A real SMTP server on loopback (smtp-server), keeping what arrives parsed by mailparser. With
 * `reject`, it answers every message with that SMTP error (e.g. 550) after reading it; recipients in
 * `refuseRecipients` are refused at RCPT TO with a 550, as a server that knows no such mailbox does.
 */
export async function smtpSink(
  t: TestLike,
  options: { port?: number; reject?: { code: number; message: string }; refuseRecipients?: string[] } = {}
): Promise<SmtpSink> {
  const sink: SmtpSink = { port: 0, url: '', messages: [], attempts: 0, close: async () => {} }
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      sink.attempts++
      if (options.refuseRecipients?.includes(address.address.toLowerCase())) {
        return callback(Object.assign(new Error('No such mailbox'), { responseCode: 550 }))
      }
      callback()
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          if (options.reject) {
            const error = Object.assign(new Error(options.reject.message), { responseCode: options.reject.code })
            return callback(error)
          }
          sink.messages.push(parsed)
          callback()
        },
        (error: Error) => callback(error)
      )
    }
  } satisfies SMTPServerOptions)
  server.listen(options.port ?? 0, '127.0.0.1')
  await once(server.server, 'listening')
  sink.port = (server.server.address() as { port: number }).port
  sink.url = `smtp://127.0.0.1:${sink.port}`
  let closed = false
  sink.close = async () => {
    if (closed) return
    closed = true
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  t.teardown(() => sink.close())
  return sink
}
